import { createHash } from 'node:crypto';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { RelayConfig } from '../../../src/config';
import { InvalidEventError } from '../../../src/errors';
import { createRelayHandler, messageGroupId } from '../../../src/functions/relay-function';
import { eventBridgeEvent, lambdaContext, SOURCE_BUCKET } from '../../helpers/builders';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/replicate.fifo';
const config: RelayConfig = { queueUrl: QUEUE_URL, sourceBucket: SOURCE_BUCKET, endpoints: { forcePathStyle: false } };

const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** What the function writes to stdout and stderr (Powertools logs and EMF metrics), parsed per line. */
function captureOutput() {
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(...String(chunk).split('\n').filter((line) => line.trim() !== ''));
    return true;
  };
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  const json = () => lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
  return { lines, json, restore: () => (stdout.mockRestore(), stderr.mockRestore()) };
}

describe('messageGroupId', () => {
  it('is the hex SHA-256 of bucket/key', () => {
    // Prepare
    const key = 'photos/my cat+1.jpg';

    // Act
    const group = messageGroupId(SOURCE_BUCKET, key);

    // Assess
    expect(group).toBe(sha256Hex(`${SOURCE_BUCKET}/${key}`));
    expect(group).toMatch(/^[0-9a-f]{64}$/);
  });

  it('fits the SQS group id rule (at most 128 characters of its charset) even for a 1024-byte unicode key', () => {
    // Prepare
    const key = 'é'.repeat(512);

    // Act
    const group = messageGroupId(SOURCE_BUCKET, key);

    // Assess
    expect(Buffer.byteLength(key)).toBe(1024);
    expect(group).toHaveLength(64);
    expect(group).toMatch(/^[!-~]{1,128}$/);
  });

  it('gives different keys different groups and the same key the same group', () => {
    // Act
    const a = messageGroupId(SOURCE_BUCKET, 'a b');
    const again = messageGroupId(SOURCE_BUCKET, 'a b');
    const plus = messageGroupId(SOURCE_BUCKET, 'a+b');

    // Assess
    expect(again).toBe(a);
    expect(plus).not.toBe(a);
  });
});

describe('createRelayHandler', () => {
  const sqs = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const sqsMock = mockClient(sqs);
  let output: ReturnType<typeof captureOutput>;

  beforeEach(() => {
    sqsMock.reset();
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'msg-0001' });
    output = captureOutput();
  });

  afterEach(() => output.restore());

  it('queues a created message in the key group, deduplicated by event id', async () => {
    // Prepare
    const handler = createRelayHandler({ config, sqs });
    const event = eventBridgeEvent({ id: 'evt-123', key: 'dir/caf%C3%A9+%2B1%25.txt', versionId: 'ver-1', sequencer: '00617F08299329D189' });

    // Act
    await handler(event, lambdaContext());

    // Assess
    const key = 'dir/café +1%.txt';
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageCommand, 1);
    const input = sqsMock.commandCalls(SendMessageCommand)[0]!.args[0].input;
    expect(input).toEqual({
      QueueUrl: QUEUE_URL,
      MessageBody: expect.any(String) as string,
      MessageGroupId: sha256Hex(`${SOURCE_BUCKET}/${key}`),
      MessageDeduplicationId: 'evt-123',
    });
    expect(input.MessageGroupId).toHaveLength(64);
    expect(JSON.parse(input.MessageBody!)).toEqual({
      v: 1,
      eventId: 'evt-123',
      eventTime: event.time,
      type: 'created',
      bucket: SOURCE_BUCKET,
      key,
      versionId: 'ver-1',
      sequencer: '00617F08299329D189',
      etag: 'b1946ac92492d2347c6235b4d2611184',
      size: 5,
      reason: 'PutObject',
    });
  });

  it('queues delete and tag changes with their type', async () => {
    // Prepare
    const handler = createRelayHandler({ config, sqs });
    const events = [
      eventBridgeEvent({ id: 'e1', detailType: 'Object Deleted', deletionType: 'Delete Marker Created' }),
      eventBridgeEvent({ id: 'e2', detailType: 'Object Deleted', deletionType: 'Permanently Deleted', etag: undefined, size: undefined }),
      eventBridgeEvent({ id: 'e3', detailType: 'Object Tags Added', sequencer: undefined, reason: undefined }),
      eventBridgeEvent({ id: 'e4', detailType: 'Object Tags Deleted', sequencer: undefined, reason: undefined }),
    ];

    // Act
    for (const event of events) await handler(event, lambdaContext());

    // Assess
    const sent = sqsMock.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
    expect(sent.map((input) => input.MessageDeduplicationId)).toEqual(['e1', 'e2', 'e3', 'e4']);
    expect(sent.map((input) => (JSON.parse(input.MessageBody!) as { type: string }).type)).toEqual(['deleteMarker', 'permanentDelete', 'tags', 'tags']);
  });

  it('writes one JSON log line for a relayed event, with the Lambda context and the published metric', async () => {
    // Prepare
    const handler = createRelayHandler({ config, sqs });
    const context = lambdaContext({ awsRequestId: 'req-42', functionName: 'relay-fn' });
    const event = eventBridgeEvent({ key: 'a+b', versionId: 'ver-7', sequencer: '00AB' });

    // Act
    await handler(event, context);

    // Assess
    const records = output.json();
    const relayed = records.filter((r) => r.message === 'event relayed');
    expect(relayed).toHaveLength(1);
    expect(relayed[0]).toMatchObject({
      level: 'INFO',
      service: 'partition-s3-replicate',
      function_name: 'relay-fn',
      function_request_id: 'req-42',
      key: 'a b',
      versionId: 'ver-7',
      sequencer: '00AB',
      eventType: 'created',
      messageId: 'msg-0001',
    });
    const emf = records.find((r) => r._aws !== undefined);
    expect(emf).toMatchObject({ EventsRelayed: 1 });
  });

  it.each(['Object Restore Completed', 'Object Storage Class Changed', 'Object Access Tier Changed'])('sends nothing for %s and logs it as ignored', async (detailType) => {
    // Prepare
    const handler = createRelayHandler({ config, sqs });

    // Act
    await handler(eventBridgeEvent({ detailType, reason: undefined }), lambdaContext());

    // Assess
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageCommand, 0);
    const ignored = output.json().filter((r) => r.message === 'event ignored');
    expect(ignored).toEqual([expect.objectContaining({ level: 'INFO', detailType })]);
  });

  it('throws for an event of another bucket and sends nothing', async () => {
    // Prepare
    const handler = createRelayHandler({ config, sqs });

    // Act
    const error = await handler(eventBridgeEvent({ bucket: 'other-bucket' }), lambdaContext()).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as Error).message).toContain('other-bucket');
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageCommand, 0);
  });

  it.each([
    ['a source other than aws.s3', eventBridgeEvent({ source: 'custom.app' })],
    ['no object key', eventBridgeEvent({ key: undefined })],
    ['a bad sequencer', eventBridgeEvent({ sequencer: 'zz' })],
    ['Object Deleted without deletion-type', eventBridgeEvent({ detailType: 'Object Deleted', deletionType: undefined })],
    ['a key that is not valid form-URL-encoding', eventBridgeEvent({ key: '%E0%A4%A' })],
  ])('throws InvalidEventError for an event with %s and sends nothing', async (_name, event) => {
    // Prepare
    const handler = createRelayHandler({ config, sqs });

    // Act
    const error = await handler(event, lambdaContext()).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageCommand, 0);
  });

  it('fails when the queue refuses the message, so the event is retried', async () => {
    // Prepare
    const refused = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    sqsMock.on(SendMessageCommand).rejects(refused);
    const handler = createRelayHandler({ config, sqs });

    // Act
    const error = await handler(eventBridgeEvent(), lambdaContext()).catch((e: unknown) => e);

    // Assess
    expect(error).toBe(refused);
    expect(output.json().filter((r) => r.message === 'event relayed')).toEqual([]);
  });
});

describe('handlers/relay', () => {
  const saved = { ...process.env };

  afterEach(() => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  });

  /** Loads src/handlers/relay.ts afresh, as a cold start does. */
  async function coldStart(): Promise<{ handler?: unknown }> {
    let loaded: { handler?: unknown } = {};
    await jest.isolateModulesAsync(async () => {
      loaded = await import('../../../src/handlers/relay');
    });
    return loaded;
  }

  it('fails at cold start, naming QUEUE_URL, when it is not set', async () => {
    // Prepare
    delete process.env.QUEUE_URL;
    process.env.SOURCE_BUCKET = SOURCE_BUCKET;

    // Act
    const error = await coldStart().catch((e: unknown) => e);

    // Assess: isolated modules have their own copy of src/errors, hence no instanceof
    expect(error).toMatchObject({ name: 'ConfigError', variable: 'QUEUE_URL', message: 'QUEUE_URL: is required' });
  });

  it('loads with a complete environment', async () => {
    // Prepare
    process.env.QUEUE_URL = QUEUE_URL;
    process.env.SOURCE_BUCKET = SOURCE_BUCKET;

    // Act
    const loaded = await coldStart();

    // Assess
    expect(typeof loaded.handler).toBe('function');
  });
});
