import { restoreLogLevelEnv } from '../../helpers/info-log-level';
import '../../helpers/quiet-powertools';
import {
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SendMessageCommandInput } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DestinationClients } from '../../../src/aws/clients';
import type { ReplicateConfig } from '../../../src/config';
import { CredentialsCache } from '../../../src/aws/credentials';
import { CopyCheckpointedError } from '../../../src/errors';
import type { ChangeMessage } from '../../../src/events';
import type { ReplicateDependencies } from '../../../src/functions/replicate-function';
import { createReplicateHandler } from '../../../src/functions/replicate-function';
import { changeMessage, secretDocument, SECRET_ACCESS_KEY } from '../../helpers/builders';
import { lambdaContext, sqsRecord } from '../../helpers/lambda';
import {
  destinationConfig,
  fakeCopy,
  MemoryTable,
  offlineDocuments,
  offlineS3,
  s3Error,
  sourceVersions,
  TABLE_NAME,
} from '../../helpers/unit-builders';

const BUCKET = 'source-bucket';
const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/replicate-dlq.fifo';
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/replicate.fifo';
const GOV_SECRET = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:gov';
const CN_SECRET = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:cn';
const CN_SECRET_ACCESS_KEY = 'cnSecretAccessKey/EXAMPLE/0123456789';
const KEY_A = 'a/first key.txt';
const KEY_B = 'b/second+key.txt';

/** What the function writes to stdout and stderr (Powertools logs), parsed per line. */
function captureOutput() {
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(...String(chunk).split('\n').filter((line) => line.trim() !== ''));
    return true;
  };
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  const json = () =>
    lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  return { lines, json, restore: () => (stdout.mockRestore(), stderr.mockRestore()) };
}

describe('createReplicateHandler', () => {
  // Instance mocks first, the S3Client type mock last: the destination clients that
  // DestinationClients builds from the secret are new instances (aws-sdk-client-mock README).
  const sourceClient = offlineS3();
  const source = mockClient(sourceClient);
  const sqsClient = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const sqs = mockClient(sqsClient);
  const secretsClient = new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const secrets = mockClient(secretsClient);
  const snsClient = new SNSClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const sns = mockClient(snsClient);
  const documents = offlineDocuments();
  const ddb = mockClient(documents);
  let dest = mockClient(S3Client);

  let table: MemoryTable;
  let copy: ReturnType<typeof fakeCopy>;
  let output: ReturnType<typeof captureOutput>;

  const baseConfig: ReplicateConfig = {
    tableName: TABLE_NAME,
    dlqUrl: DLQ_URL,
    queueUrl: QUEUE_URL,
    sourceBucket: BUCKET,
    destinations: [destinationConfig({ id: 'gov', bucket: 'gov-bucket', secretArn: GOV_SECRET })],
    historyMode: 'all',
    replicateSince: new Date(0),
    partsInFlight: 4,
    recordsInFlight: 10,
    checkpointMarginMs: 60_000,
    secretCacheTtlMs: 300_000,
    copyMemoryBudgetBytes: 512 * 1024 * 1024,
    endpoints: { forcePathStyle: false },
  };

  afterAll(() => {
    dest.restore();
    restoreLogLevelEnv();
  });

  beforeEach(() => {
    // The type mock is taken off while the instance mocks are reset, then declared again last.
    dest.restore();
    for (const mock of [source, sqs, secrets, ddb, sns]) mock.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'sns-1' });
    dest = mockClient(S3Client);
    table = new MemoryTable(ddb);
    copy = fakeCopy();
    secrets.on(GetSecretValueCommand, { SecretId: GOV_SECRET }).resolves({ SecretString: JSON.stringify(secretDocument()) });
    secrets
      .on(GetSecretValueCommand, { SecretId: CN_SECRET })
      .resolves({ SecretString: JSON.stringify(secretDocument({ accesskey: 'AKIACNEXAMPLE0000000', secretaccesskey: CN_SECRET_ACCESS_KEY, partition: 'aws-cn' })) });
    source.on(ListObjectVersionsCommand, { Prefix: KEY_A }).resolves(sourceVersions(KEY_A, ['v1']));
    source.on(ListObjectVersionsCommand, { Prefix: KEY_B }).resolves(sourceVersions(KEY_B, ['v3']));
    dest.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    dest.on(HeadObjectCommand).rejects(s3Error('NotFound', 404));
    // The engine lists the destination's history of the key too: empty unless a test says otherwise.
    dest.on(ListObjectVersionsCommand).resolves({});
    dest.on(DeleteObjectCommand).resolves({ DeleteMarker: true, VersionId: 'd-marker' });
    sqs.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
    output = captureOutput();
  });

  afterEach(() => {
    output.restore();
  });

  function handlerWith(config: Partial<ReplicateConfig> = {}) {
    const deps: ReplicateDependencies = {
      config: { ...baseConfig, ...config },
      source: sourceClient,
      documents,
      sqs: sqsClient,
      destinations: new DestinationClients(new CredentialsCache(secretsClient, 300_000), { forcePathStyle: false }),
      copy,
      sns: snsClient,
    };
    return createReplicateHandler(deps);
  }

  const body = (overrides: Partial<ChangeMessage> = {}) => JSON.stringify(changeMessage({ bucket: BUCKET, key: KEY_A, versionId: 'v1', ...overrides }));
  const recordA = (overrides: Partial<ChangeMessage> = {}) => sqsRecord(body(overrides), 'group-a');
  const recordB = (overrides: Partial<ChangeMessage> = {}) => sqsRecord(body({ key: KEY_B, versionId: 'v3', ...overrides }), 'group-b');
  /** Through the middy chain: sqs-partial-batch-failure turns the settled results into the response. */
  const run = async (handler: ReturnType<typeof handlerWith>, records: SQSRecord[]): Promise<SQSBatchResponse> =>
    (await handler({ Records: records } satisfies SQSEvent, lambdaContext())) as unknown as SQSBatchResponse;
  const failures = (...records: SQSRecord[]) => ({ batchItemFailures: records.map((r) => ({ itemIdentifier: r.messageId })) });
  const outcomeLines = () => output.json().filter((line) => line.message === 'replication outcome');
  const dlqMessages = () => sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input).filter((input) => input.QueueUrl === DLQ_URL);
  const requeued = () => sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input).filter((input) => input.QueueUrl === QUEUE_URL);
  const listedKeys = () => source.commandCalls(ListObjectVersionsCommand).map((call) => call.args[0].input.Prefix);

  /** The exact DLQ message for `record` with `reason`. */
  const dlqMessage = (record: SQSRecord, reason: string, errorPrefix: string): SendMessageCommandInput => ({
    QueueUrl: DLQ_URL,
    MessageBody: record.body,
    MessageGroupId: record.attributes.MessageGroupId,
    MessageDeduplicationId: record.messageId,
    MessageAttributes: {
      reason: { DataType: 'String', StringValue: reason },
      error: { DataType: 'String', StringValue: expect.stringMatching(new RegExp(`^${errorPrefix}: `)) as string },
      sourceMessageId: { DataType: 'String', StringValue: record.messageId },
      failedAt: { DataType: 'String', StringValue: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string },
    },
  });

  it('reports no failures when every record converges, with one outcome line per record', async () => {
    // Prepare
    const records = [recordA(), recordB()];
    const lagBefore = Date.now() - Date.parse(changeMessage().eventTime);

    // Act
    const result = await run(handlerWith(), records);

    // Assess
    const lagAfter = Date.now() - Date.parse(changeMessage().eventTime);
    expect(result).toEqual(failures());
    expect(copy.mock.calls.map(([request]) => [request.source.version.key, request.source.version.versionId, request.destination.bucket])).toEqual([
      [KEY_A, 'v1', 'gov-bucket'],
      [KEY_B, 'v3', 'gov-bucket'],
    ]);
    const lines = outcomeLines();
    expect(lines).toEqual([
      expect.objectContaining({ level: 'INFO', key: KEY_A, versionId: 'v1', destination: 'gov', action: 'copied', bytes: 200, versionsCopied: 1, destinationVersionId: 'd-v1' }),
      expect.objectContaining({ level: 'INFO', key: KEY_B, versionId: 'v3', destination: 'gov', action: 'copied', bytes: 400, versionsCopied: 1, destinationVersionId: 'd-v3' }),
    ]);
    for (const line of lines) {
      expect(line.durationMs).toEqual(expect.any(Number));
      expect(line.durationMs as number).toBeGreaterThanOrEqual(0);
      expect(line.lagMs as number).toBeGreaterThanOrEqual(lagBefore);
      expect(line.lagMs as number).toBeLessThanOrEqual(lagAfter);
      expect(line.function_name).toBe('replicate');
    }
    expect(dlqMessages()).toEqual([]);
  });

  it('does not carry the keys of one record into the log lines of the next', async () => {
    // Prepare
    const records = [recordA(), sqsRecord(JSON.stringify({ v: 1 }), 'group-c')];

    // Act
    await run(handlerWith(), records);

    // Assess
    const deadLettered = output.json().find((line) => line.action === 'dead-lettered');
    expect(deadLettered).toBeDefined();
    expect(deadLettered!.key).toBeUndefined();
    expect(deadLettered!.messageId).toBe(records[1]!.messageId);
  });

  it('runs records of different keys at once, and keeps each record\'s keys on its own log lines', async () => {
    // Prepare: A's copy is slow and fails; B starts and ends while A is still copying
    let running = 0;
    let peak = 0;
    copy.mockImplementation(async (request) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, request.source.version.key === KEY_A ? 30 : 5));
      running -= 1;
      if (request.source.version.key === KEY_A) throw Object.assign(new Error('slow down'), { name: 'SlowDown', $fault: 'server' });
      return fakeCopy()(request);
    });
    const first = recordA();
    const second = recordB();

    // Act
    const result = await run(handlerWith(), [first, second]);

    // Assess
    expect(peak).toBe(2);
    expect(result).toEqual(failures(first));
    const byAction = (action: string) => output.json().filter((line) => line.action === action);
    expect(byAction('copied')).toEqual([expect.objectContaining({ messageId: second.messageId, key: KEY_B, versionId: 'v3', destination: 'gov' })]);
    expect(byAction('failed')).toEqual([expect.objectContaining({ messageId: first.messageId, key: KEY_A, versionId: 'v1', destination: 'gov' })]);
    expect(byAction('retry')).toEqual([expect.objectContaining({ messageId: first.messageId, key: KEY_A, versionId: 'v1' })]);
  });

  it('gives every record\'s copy the one part-buffer budget of the function', async () => {
    // Act
    await run(handlerWith({ copyMemoryBudgetBytes: 96 * 1024 * 1024 }), [recordA(), recordB()]);

    // Assess
    const [first, second] = copy.mock.calls.map(([request]) => request.buffers);
    expect(first).toBeDefined();
    expect(second).toBe(first);
    expect(first!.budgetBytes).toBe(96 * 1024 * 1024);
  });

  it('runs no more records at once than RECORDS_IN_FLIGHT allows', async () => {
    // Prepare
    let running = 0;
    let peak = 0;
    copy.mockImplementation(async (request) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
      return fakeCopy()(request);
    });

    // Act
    const result = await run(handlerWith({ recordsInFlight: 1 }), [recordA(), recordB()]);

    // Assess
    expect(result).toEqual(failures());
    expect(copy).toHaveBeenCalledTimes(2);
    expect(peak).toBe(1);
  });

  it('sends a malformed body to the DLQ with its reason and acks it, while the other records go on', async () => {
    // Prepare
    const bad = sqsRecord('{"v":1,"type":"created"', 'group-bad');
    const good = recordB();

    // Act
    const result = await run(handlerWith(), [bad, good]);

    // Assess
    expect(result).toEqual(failures());
    expect(dlqMessages()).toEqual([dlqMessage(bad, 'invalid-event', 'InvalidEventError')]);
    expect(listedKeys()).toEqual([KEY_B]);
    expect(outcomeLines().filter((line) => line.level === 'INFO')).toEqual([expect.objectContaining({ key: KEY_B, action: 'copied' })]);
  });

  it('sends a change of another bucket to the DLQ as unknown-bucket without touching S3', async () => {
    // Prepare
    const record = sqsRecord(body({ bucket: 'other-bucket' }), 'group-x');

    // Act
    const result = await run(handlerWith(), [record]);

    // Assess
    expect(result).toEqual(failures());
    expect(dlqMessages()).toEqual([dlqMessage(record, 'unknown-bucket', 'PermanentError')]);
    expect(source.calls()).toHaveLength(0);
    expect(dest.calls()).toHaveLength(0);
    expect(copy).not.toHaveBeenCalled();
  });

  it('sends a change the source denies access to to the DLQ as source-access-denied', async () => {
    // Prepare
    source.on(ListObjectVersionsCommand, { Prefix: KEY_A }).rejects(s3Error('AccessDenied', 403));
    const record = recordA();

    // Act
    const result = await run(handlerWith(), [record]);

    // Assess
    expect(result).toEqual(failures());
    expect(dlqMessages()).toEqual([dlqMessage(record, 'source-access-denied', 'SourceAccessDeniedError')]);
    expect(table.get(`gov#${BUCKET}/${KEY_A}`, 'STATE')).toBeUndefined();
  });

  it('fails a transient error and the later records of its group unprocessed, while other groups go on', async () => {
    // Prepare
    source.on(ListObjectVersionsCommand, { Prefix: KEY_A }).rejects(s3Error('SlowDown', 503));
    const first = recordA();
    const other = recordB();
    const later = recordA({ type: 'tags', sequencer: undefined });
    const otherLater = recordB({ sequencer: '00617F08299329D190' });

    // Act
    const result = await run(handlerWith(), [first, other, later, otherLater]);

    // Assess
    expect(result).toEqual(failures(first, later));
    expect(listedKeys()).toEqual([KEY_A, KEY_B, KEY_B]);
    expect(dest.commandCalls(PutObjectTaggingCommand)).toHaveLength(0);
    expect(dlqMessages()).toEqual([]);
    expect(output.json().filter((line) => line.action === 'failed')).toEqual([expect.objectContaining({ level: 'ERROR', messageId: first.messageId, key: KEY_A })]);
  });

  it('fails the record when the DLQ refuses the message, so nothing is lost', async () => {
    // Prepare
    sqs.on(SendMessageCommand).rejects(s3Error('AWS.SimpleQueueService.NonExistentQueue', 400));
    const bad = sqsRecord('not json', 'group-bad');
    const good = recordB();

    // Act
    const result = await run(handlerWith(), [bad, good]);

    // Assess
    expect(result).toEqual(failures(bad));
    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);
    expect(listedKeys()).toEqual([KEY_B]);
  });

  it('re-queues a checkpointed copy in its key group and acknowledges the original', async () => {
    // Prepare
    copy.mockRejectedValueOnce(new CopyCheckpointedError(3, 10));
    const record = recordA();

    // Act
    const result = await run(handlerWith(), [record]);

    // Assess: nothing failed, so no receive is spent; the same body is queued again
    expect(result).toEqual(failures());
    expect(requeued()).toEqual([
      expect.objectContaining({
        MessageBody: record.body,
        MessageGroupId: record.attributes.MessageGroupId,
        MessageAttributes: { requeues: { DataType: 'Number', StringValue: '1' }, requeuedFrom: { DataType: 'String', StringValue: record.messageId } },
      }),
    ]);
    expect(requeued()[0]?.MessageDeduplicationId).toMatch(new RegExp(`^${record.messageId}:`));
    expect(dlqMessages()).toEqual([]);
    expect(output.json().filter((line) => line.action === 'checkpointed')).toEqual([expect.objectContaining({ level: 'WARN', partsDone: 3, partsTotal: 10 })]);
  });

  it('fails a checkpointed copy when no queue URL is configured, or after too many re-queues', async () => {
    // Prepare
    copy.mockRejectedValue(new CopyCheckpointedError(3, 10));
    const record = recordA();
    const exhausted = { ...recordA(), messageAttributes: { requeues: { stringValue: '200', dataType: 'Number', stringListValues: [], binaryListValues: [] } } };

    // Act
    const withoutQueue = await run(handlerWith({ queueUrl: undefined }), [record]);
    const tooMany = await run(handlerWith(), [exhausted]);

    // Assess
    expect(withoutQueue).toEqual(failures(record));
    expect(tooMany).toEqual(failures(exhausted));
    expect(requeued()).toEqual([]);
  });

  it('always runs the first record, and re-queues uncounted the ones it has no time left to start', async () => {
    // Prepare: time runs short while the first record is copied (one record at a time, so the
    // second starts after the first)
    let remaining = 900_000;
    copy.mockImplementationOnce((request) => {
      remaining = 1_000;
      return fakeCopy()(request);
    });
    const first = recordA();
    const second = recordB();
    const handler = handlerWith({ recordsInFlight: 1 });

    // Act
    const result = (await handler({ Records: [first, second] } satisfies SQSEvent, lambdaContext(() => remaining))) as unknown as SQSBatchResponse;

    // Assess
    expect(result).toEqual(failures());
    expect(copy).toHaveBeenCalledTimes(1);
    expect(requeued()).toEqual([
      expect.objectContaining({ MessageBody: second.body, MessageAttributes: { requeues: { DataType: 'Number', StringValue: '0' }, requeuedFrom: { DataType: 'String', StringValue: second.messageId } } }),
    ]);
  });

  it('runs the first record even when the whole invocation is shorter than the checkpoint margin', async () => {
    // Prepare: a 30 s timeout with the default 60 s margin
    const record = recordA();

    // Act
    const result = (await handlerWith()({ Records: [record] } satisfies SQSEvent, lambdaContext(() => 30_000))) as unknown as SQSBatchResponse;

    // Assess: processed, and the copy was told to keep a quarter of the time, not 60 s
    expect(result).toEqual(failures());
    expect(requeued()).toEqual([]);
    expect(copy.mock.calls[0]![0].checkpointMarginMs).toBeLessThanOrEqual(7_500);
  });

  it('converges the other destinations when one fails, then retries the message', async () => {
    // Prepare: the first destination's copy fails transiently
    const destinations = [
      destinationConfig({ id: 'gov', bucket: 'gov-bucket', secretArn: GOV_SECRET }),
      destinationConfig({ id: 'cn', bucket: 'cn-bucket', secretArn: CN_SECRET }),
    ];
    copy.mockRejectedValueOnce(Object.assign(new Error('slow down'), { name: 'SlowDown', $fault: 'server' }));
    const record = recordA();

    // Act
    const result = await run(handlerWith({ destinations }), [record]);

    // Assess
    expect(result).toEqual(failures(record));
    expect(copy.mock.calls.map(([request]) => request.destination.bucket)).toEqual(['gov-bucket', 'cn-bucket']);
    expect(outcomeLines().map((line) => [line.destination, line.action])).toEqual([
      ['gov', 'failed'],
      ['cn', 'copied'],
    ]);
  });

  it('dead-letters a destination client fault that no retry can fix, with its name as the reason', async () => {
    // Prepare
    copy.mockRejectedValueOnce(Object.assign(new Error('The storage class you specified is not valid'), { name: 'InvalidStorageClass', $fault: 'client', $metadata: { httpStatusCode: 400 } }));
    const record = recordA();

    // Act
    const result = await run(handlerWith(), [record]);

    // Assess
    expect(result).toEqual(failures());
    expect(dlqMessages().map((m) => m.MessageAttributes?.reason?.StringValue)).toEqual(['InvalidStorageClass']);
  });

  it('records a version the destination refuses for itself (MetadataTooLarge) as unreplicable, and acks the record', async () => {
    // Prepare
    copy.mockRejectedValueOnce(Object.assign(new Error('Your metadata headers exceed the maximum allowed metadata size'), { name: 'MetadataTooLarge', $fault: 'client', $metadata: { httpStatusCode: 400 } }));
    const record = recordA();

    // Act
    const result = await run(handlerWith(), [record]);

    // Assess
    expect(result).toEqual(failures());
    expect(dlqMessages()).toEqual([]);
    expect(table.get(`gov#${BUCKET}/${KEY_A}`, 'V#v1')).toMatchObject({ unreplicable: 'MetadataTooLarge' });
    expect(output.json().filter((line) => line.message === 'unreplicable version')).toEqual([expect.objectContaining({ key: KEY_A, sourceVersionId: 'v1', reason: 'MetadataTooLarge' })]);
  });

  it('converges every destination, each with its own client, bucket and state', async () => {
    // Prepare
    const destinations = [
      destinationConfig({ id: 'gov', bucket: 'gov-bucket', secretArn: GOV_SECRET }),
      destinationConfig({ id: 'cn', bucket: 'cn-bucket', secretArn: CN_SECRET, destinationPrefix: 'mirror/' }),
    ];
    const record = recordA();

    // Act
    const result = await run(handlerWith({ destinations }), [record]);

    // Assess
    expect(result).toEqual(failures());
    expect(copy.mock.calls.map(([request]) => [request.destination.bucket, request.destination.key])).toEqual([
      ['gov-bucket', KEY_A],
      ['cn-bucket', `mirror/${KEY_A}`],
    ]);
    const [govClient, cnClient] = copy.mock.calls.map(([request]) => request.destination.client);
    expect(await govClient!.config.region()).toBe('us-gov-west-1');
    expect(await cnClient!.config.region()).toBe('cn-north-1');
    expect(dest.commandCalls(GetBucketVersioningCommand).map((call) => call.args[0].input.Bucket)).toEqual(['gov-bucket', 'cn-bucket']);
    expect(table.get(`gov#${BUCKET}/${KEY_A}`, 'STATE')).toMatchObject({ sourceVersion: 'v1', destinationVersionId: 'd-v1' });
    expect(table.get(`cn#${BUCKET}/${KEY_A}`, 'STATE')).toMatchObject({ sourceVersion: 'v1', destinationVersionId: 'd-v1' });
    expect(outcomeLines().map((line) => [line.destination, line.key, line.action])).toEqual([
      ['gov', KEY_A, 'copied'],
      ['cn', KEY_A, 'copied'],
    ]);
  });

  it('never writes the secret access keys into a log line or a DLQ attribute', async () => {
    // Prepare: every path that logs: success, dead letter, a rejected signature, a failure
    const destinations = [
      destinationConfig({ id: 'gov', bucket: 'gov-bucket', secretArn: GOV_SECRET }),
      destinationConfig({ id: 'cn', bucket: 'cn-bucket', secretArn: CN_SECRET }),
    ];
    dest.on(ListObjectVersionsCommand, { Bucket: 'cn-bucket' }).rejects(s3Error('SignatureDoesNotMatch', 403));
    const records = [recordB(), sqsRecord('{"bad"', 'group-bad'), recordA()];

    // Act
    const result = await run(handlerWith({ destinations }), records);

    // Assess: the cn keys are refused again after a fresh read of the secret: retried later (a
    // rotation may be under way); the bad body is dead-lettered.
    expect(result).toEqual(failures(records[0]!, records[2]!));
    expect(dlqMessages().map((m) => m.MessageAttributes?.reason?.StringValue)).toEqual(['invalid-event']);
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: CN_SECRET });
    expect(output.lines.length).toBeGreaterThan(0);
    const logged = output.lines.join('\n');
    const attributes = JSON.stringify(dlqMessages().map((input) => input.MessageAttributes));
    for (const secret of [SECRET_ACCESS_KEY, CN_SECRET_ACCESS_KEY]) {
      expect(logged).not.toContain(secret);
      expect(attributes).not.toContain(secret);
    }
    expect(logged).toContain('SignatureDoesNotMatch');
  });

  describe('failure notifications', () => {
    const TOPIC = 'arn:aws:sns:us-east-1:111122223333:replication-failures';
    const notices = () => sns.commandCalls(PublishCommand).map((call) => ({ topic: call.args[0].input.TopicArn, notice: JSON.parse(call.args[0].input.Message!) as Record<string, unknown> }));

    it('publishes one notice per dead-lettered record, with key, destination, reason and attempts', async () => {
      // Prepare
      copy.mockRejectedValueOnce(Object.assign(new Error('The storage class you specified is not valid'), { name: 'InvalidStorageClass', $fault: 'client', $metadata: { httpStatusCode: 400 } }));

      // Act
      await run(handlerWith({ failureTopicArn: TOPIC }), [recordA(), recordB()]);

      // Assess
      expect(notices()).toEqual([
        {
          topic: TOPIC,
          notice: expect.objectContaining({ key: KEY_A, bucket: BUCKET, destinations: ['gov'], disposition: 'dead-lettered', reason: 'InvalidStorageClass', attempts: 1 }) as unknown,
        },
      ]);
    });

    it('publishes a notice when a transient failure meets the last receive, and still fails the record for the redrive', async () => {
      // Prepare
      copy.mockRejectedValue(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
      const lastTry = recordA();
      lastTry.attributes.ApproximateReceiveCount = '5';
      const earlier = recordB();
      earlier.attributes.ApproximateReceiveCount = '4';

      // Act
      const result = await run(handlerWith({ failureTopicArn: TOPIC, maxReceiveCount: 5 }), [lastTry, earlier]);

      // Assess
      expect(result).toEqual(failures(lastTry, earlier));
      expect(notices().map(({ notice }) => [notice.key, notice.disposition, notice.reason, notice.attempts])).toEqual([[KEY_A, 'retries-exhausted', 'TimeoutError', 5]]);
    });

    it('publishes nothing without a topic, and a failed publish loses no record', async () => {
      // Prepare
      copy.mockRejectedValue(Object.assign(new Error('The storage class you specified is not valid'), { name: 'InvalidStorageClass', $fault: 'client', $metadata: { httpStatusCode: 400 } }));
      sns.on(PublishCommand).rejects(new Error('SNS is down'));

      // Act
      const without = await run(handlerWith(), [recordA()]);
      const withBroken = await run(handlerWith({ failureTopicArn: TOPIC }), [recordB()]);

      // Assess
      expect(without).toEqual(failures());
      expect(withBroken).toEqual(failures());
      expect(dlqMessages()).toHaveLength(2);
      expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    });
  });
});
