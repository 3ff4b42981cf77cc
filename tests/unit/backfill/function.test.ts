import '../../helpers/quiet-powertools';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { PutObjectCommandInput } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { DestinationClients } from '../../../src/aws/clients';
import { CredentialsCache } from '../../../src/aws/credentials';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createBackfillHandler } from '../../../src/backfill/function';
import { loadReplicateConfig } from '../../../src/config';
import { parseChangeMessage } from '../../../src/events';
import { messageGroupId } from '../../../src/functions/relay-function';
import { lambdaContext } from '../../helpers/lambda';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/replicate.fifo';
const config = loadReplicateConfig({
  TABLE_NAME: 'state',
  DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/111122223333/replicate-dlq.fifo',
  QUEUE_URL,
  SOURCE_BUCKET: 'source-bucket',
  DESTINATIONS: JSON.stringify([{ id: 'gov', bucket: 'dest-bucket', secretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:dest' }]),
});

const sqs = new SQSClient({ region: 'us-east-1' });
const sqsMock = mockClient(sqs);
const reports = new S3Client({ region: 'us-east-1' });
const reportsMock = mockClient(reports);
const source = new S3Client({ region: 'us-east-1' });
mockClient(source);
const handler = createBackfillHandler({
  config,
  sqs,
  source,
  reports,
  destinations: new DestinationClients(new CredentialsCache(new SecretsManagerClient({ region: 'us-east-1' }), 1000), config.endpoints),
});
const invoke = (event: unknown) => handler(event, lambdaContext()) as Promise<unknown>;

const sent: SendMessageBatchCommandInput[] = [];
beforeEach(() => {
  sent.length = 0;
  sqsMock.reset();
  reportsMock.reset();
  sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
    sent.push(input);
    return { Successful: input.Entries!.map((e) => ({ Id: e.Id, MessageId: e.Id, MD5OfMessageBody: '' })), Failed: [] };
  });
});

describe('the backfill function: a child batch of the Distributed Map', () => {
  it('sends one converge message per distinct key, in the key’s group, with the run’s history', async () => {
    const out = await invoke({ Items: [{ Key: 'a b' }, { Key: 'c+d', Size: 3 }, { Key: 'a b' }], BatchInput: { runId: 'exec-1', history: 'all', keyEncoding: 'none' } });
    expect(out).toEqual({ keys: 2, enqueued: 2, failedKeys: [] });
    const entries = sent.flatMap((b) => b.Entries!);
    expect(entries.map((e) => parseChangeMessage(e.MessageBody!)).map((m) => [m.type, m.bucket, m.key, m.history])).toEqual([
      ['converge', 'source-bucket', 'a b', 'all'],
      ['converge', 'source-bucket', 'c+d', 'all'],
    ]);
    expect(entries.map((e) => e.MessageGroupId)).toEqual([messageGroupId('source-bucket', 'a b'), messageGroupId('source-bucket', 'c+d')]);
    expect(sent[0]!.QueueUrl).toBe(QUEUE_URL);
  });

  it('decodes the URL-encoded keys of an S3 Inventory', async () => {
    await invoke({ Items: [{ Key: 'dir%2Fa+b%2Bc' }], BatchInput: { runId: 'exec-1', history: 'default', keyEncoding: 'url' } });
    const message = parseChangeMessage(sent[0]!.Entries![0]!.MessageBody!);
    expect(message.key).toBe('dir/a b+c');
    expect(message.history).toBeUndefined();
  });

  it('returns the keys SQS refused, with the reason', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '0', MessageId: 'm', MD5OfMessageBody: '' }], Failed: [{ Id: '1', SenderFault: true, Code: 'InvalidParameterValue' }] });
    const out = await invoke({ Items: [{ Key: 'ok' }, { Key: 'refused' }], BatchInput: { runId: 'exec-1' } });
    expect(out).toEqual({ keys: 2, enqueued: 1, failedKeys: [{ key: 'refused', reason: 'InvalidParameterValue' }] });
  });

  it('rejects an input that is none of its three kinds', async () => {
    await expect(invoke({ Items: 'nope' })).rejects.toThrow(/not a backfill input/);
    await expect(invoke({ action: 'report', runId: 'x' })).rejects.toThrow(/not a backfill input/);
  });
});

describe('the backfill function: the report', () => {
  // The part of a GetObject body the report reads.
  const body = (value: unknown) => ({ transformToString: () => Promise.resolve(JSON.stringify(value)) });
  const objects: Record<string, unknown> = {
    'runs/m/manifest.json': { DestinationBucket: 'reports', MapRunArn: 'arn', ResultFiles: { SUCCEEDED: [{ Key: 'runs/m/SUCCEEDED_0.json', Size: 1 }], FAILED: [{ Key: 'runs/m/FAILED_0.json', Size: 1 }], PENDING: [] } },
    'runs/m/SUCCEEDED_0.json': [
      { Status: 'SUCCEEDED', Output: JSON.stringify({ keys: 500, enqueued: 499, failedKeys: [{ key: 'k1', reason: 'InvalidParameterValue' }] }) },
      { Status: 'SUCCEEDED', Output: JSON.stringify({ keys: 20, enqueued: 20, failedKeys: [] }) },
    ],
    'runs/m/FAILED_0.json': [{ Status: 'FAILED', Error: 'Lambda.Unknown', Input: JSON.stringify({ Items: [{ Key: 'x1' }, { Key: 'x2' }], BatchInput: {} }) }],
    'bf/exec-9/extras/gov/00000000.json': ['gone-1', 'gone-2'],
  };

  it('sums the Map Run’s result files and the extras into report.json, failed keys listed with their reason', async () => {
    reportsMock.on(GetObjectCommand).callsFake((input: { Key: string }) => {
      if (!(input.Key in objects)) throw Object.assign(new Error('no such key'), { name: 'NoSuchKey' });
      return { Body: body(objects[input.Key]) };
    });
    const written: PutObjectCommandInput[] = [];
    reportsMock.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
      written.push(input);
      return {};
    });
    const out = await invoke({
      action: 'report',
      runId: 'exec-9',
      report: { bucket: 'reports', prefix: 'bf/' },
      map: { MapRunArn: 'arn', ResultWriterDetails: { Bucket: 'reports', Key: 'runs/m/manifest.json' } },
      extras: { totals: { compared: 30, extras: 2, enqueued: 0 } },
    });
    expect(out).toEqual({ report: { bucket: 'reports', key: 'bf/exec-9/report.json' }, counts: { keys: 522, enqueued: 519, failed: 3, childExecutionsFailed: 1, extras: 2, extrasEnqueued: 0 }, failed: 3 });
    expect(written).toHaveLength(1);
    expect(written[0]!.Key).toBe('bf/exec-9/report.json');
    const report = JSON.parse(written[0]!.Body as string) as { failedKeys: unknown; extraKeys: unknown; sourceBucket: string };
    expect(report.failedKeys).toEqual([
      { key: 'k1', reason: 'InvalidParameterValue' },
      { key: 'x1', reason: 'Lambda.Unknown' },
      { key: 'x2', reason: 'Lambda.Unknown' },
    ]);
    expect(report.extraKeys).toEqual(['gone-1', 'gone-2']);
    expect(report.sourceBucket).toBe('source-bucket');
  });

  it('fails (and the step retries) when a result file cannot be read, instead of reporting fewer keys', async () => {
    reportsMock.on(GetObjectCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    await expect(invoke({ action: 'report', runId: 'exec-9', report: { bucket: 'reports', prefix: 'bf/' }, map: { ResultWriterDetails: { Bucket: 'reports', Key: 'runs/m/manifest.json' } } })).rejects.toThrow('denied');
  });
});

describe('the backfill function’s configuration', () => {
  it('fails at cold start without QUEUE_URL, naming it', () => {
    const { queueUrl: _, ...withoutQueue } = config;
    expect(() => createBackfillHandler({ config: withoutQueue, sqs, source, reports, destinations: new DestinationClients(new CredentialsCache(new SecretsManagerClient({ region: 'us-east-1' }), 1000), config.endpoints) })).toThrow('QUEUE_URL: is required by the backfill function');
  });
});
