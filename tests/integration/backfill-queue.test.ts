import '../helpers/quiet-powertools';
import { randomBytes } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Message } from '@aws-sdk/client-sqs';
import { CreateQueueCommand, DeleteMessageCommand, DeleteQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { enqueuePrefix } from '../../src/backfill/enqueue-run';
import { createBackfillHandler } from '../../src/backfill/function';
import type { BatchOutcome } from '../../src/backfill/report';
import { LocalDestinations } from '../../src/cli/settings';
import { loadReplicateConfig } from '../../src/config';
import { lambdaContext } from '../helpers/lambda';
import { createFifoQueues } from '../helpers/pipeline';
import { extrasPage } from '../../src/backfill/extras';
import type { KeyEntries } from '../../src/backfill/listing';
import { listKeys } from '../../src/backfill/listing';
import { redrive } from '../../src/backfill/redrive';
import { parseChangeMessage } from '../../src/events';
import { messageGroupId } from '../../src/functions/relay-function';
import { createVersionedBucket, destS3Client, emptyAndDeleteBucket, localEnv, sourceS3Client, uniqueBucketName } from '../helpers/local-env';

/**
 * The backfill's building blocks against the real servers: listings of Ceph RGW (odd keys, page
 * boundaries inside a key's history) and a real SQS FIFO server (fauxqs): messages in the keys'
 * groups, and the DLQ redrive.
 */

function sqsEndpoint(): string {
  const endpoint = process.env.LOCAL_SQS_ENDPOINT;
  if (!endpoint) throw new Error('LOCAL_SQS_ENDPOINT is not set: these tests need the local SQS server (scripts/test-env)');
  return endpoint;
}

const ODD_KEYS = ['a b', 'a+b', 'a%b', 'x=y&z', 'é/ü', 'tab\tkey', 'deep/dir/obj', 'ctl\u0001key', '\u{1f600}', '\uff5e'];

let source: S3Client;
let dest: S3Client;
let sourceBucket: string;
let destBucket: string;
let sqs: SQSClient;

beforeAll(async () => {
  source = sourceS3Client();
  dest = destS3Client();
  sourceBucket = await createVersionedBucket(source, uniqueBucketName('bfq-src'));
  destBucket = await createVersionedBucket(dest, uniqueBucketName('bfq-dst'));
  sqs = new SQSClient({ endpoint: sqsEndpoint(), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});

afterAll(async () => {
  await emptyAndDeleteBucket(source, sourceBucket).catch(() => undefined);
  await emptyAndDeleteBucket(dest, destBucket).catch(() => undefined);
});

async function fifoQueue(name: string): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-${randomBytes(4).toString('hex')}.fifo`, Attributes: { FifoQueue: 'true', VisibilityTimeout: '30' } }));
  return QueueUrl!;
}

async function receiveAll(queueUrl: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['MessageGroupId'] }));
    if (!Messages || Messages.length === 0) return all;
    for (const m of Messages) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    all.push(...Messages);
  }
}

async function collectKeys(client: S3Client, bucket: string, options: { prefix?: string; pageSize?: number }): Promise<{ keys: KeyEntries[]; pages: number }> {
  const keys: KeyEntries[] = [];
  let pages = 0;
  for await (const page of listKeys(client, bucket, { ...options, onRequest: () => pages++ })) keys.push(...page);
  return { keys, pages };
}

describe('listKeys on Ceph RGW', () => {
  const prefix = 'list/';
  const history: Record<string, string[]> = {};

  beforeAll(async () => {
    // Several versions and a delete marker per key: small pages cut through keys' histories.
    for (const key of ODD_KEYS) {
      const full = prefix + key;
      history[full] = [];
      for (let i = 0; i < 3; i++) {
        const { VersionId } = await source.send(new PutObjectCommand({ Bucket: sourceBucket, Key: full, Body: `${key}-${i}` }));
        history[full].unshift(`v:${VersionId}`);
      }
      if (key.startsWith('a')) {
        const { VersionId } = await source.send(new DeleteObjectCommand({ Bucket: sourceBucket, Key: full }));
        history[full].unshift(`m:${VersionId}`);
      }
    }
  });

  it.each([1000, 4, 3, 1])('yields every key once, whole and decoded, with all its entries newest first (pages of %i)', async (pageSize) => {
    const { keys, pages } = await collectKeys(source, sourceBucket, { prefix, pageSize });
    const expected = Object.keys(history).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(keys.map((k) => k.key)).toEqual(expected);
    for (const k of keys) {
      // Versions and markers interleaved in S3's order, newest first; only the newest is latest.
      expect(k.entries.map((e) => `${e.kind === 'marker' ? 'm' : 'v'}:${e.versionId}`)).toEqual(history[k.key]);
      expect(k.entries.map((e) => e.isLatest)).toEqual(history[k.key]!.map((_, i) => i === 0));
    }
    const entryCount = Object.values(history).reduce((n, h) => n + h.length, 0);
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(entryCount / pageSize));
  });

  it('lists nothing under a prefix no key has', async () => {
    expect((await collectKeys(source, sourceBucket, { prefix: 'nothing-here/' })).keys).toEqual([]);
  });
});

describe('queue mode: one converge message per key, in the key’s FIFO group', () => {
  it('sends every key under the prefix (delete-marked ones too) once, with the run’s history', async () => {
    const queueUrl = await fifoQueue('bfq-main');
    try {
      const result = await enqueuePrefix(source, sqs, { runId: 'run-1', sourceBucket, prefix: 'list/', queueUrl, history: 'all', concurrency: 3 });
      expect(result).toEqual({ keys: ODD_KEYS.length, enqueued: ODD_KEYS.length, failed: [] });
      const messages = await receiveAll(queueUrl);
      const bodies = messages.map((m) => ({ message: parseChangeMessage(m.Body!), group: m.Attributes!.MessageGroupId }));
      expect(bodies.map((b) => b.message.key).sort()).toEqual(ODD_KEYS.map((k) => `list/${k}`).sort());
      for (const { message, group } of bodies) {
        expect(message).toMatchObject({ type: 'converge', bucket: sourceBucket, history: 'all' });
        expect(group).toBe(messageGroupId(sourceBucket, message.key));
      }
      // The same run again within the deduplication window sends nothing new.
      await enqueuePrefix(source, sqs, { runId: 'run-1', sourceBucket, prefix: 'list/', queueUrl, history: 'all', concurrency: 3 });
      expect(await receiveAll(queueUrl)).toEqual([]);
    } finally {
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    }
  });
});

describe('redrive', () => {
  it('lists without moving on a dry run, then moves every DLQ message to the main queue in its group', async () => {
    const queueUrl = await fifoQueue('bfq-main');
    const dlqUrl = await fifoQueue('bfq-dlq');
    try {
      const bodies = ['k1', 'k2', 'k1', 'k3'].map((key, i) => ({ key, body: JSON.stringify({ v: 1, eventId: `e${i}`, eventTime: new Date().toISOString(), type: 'converge', bucket: sourceBucket, key }) }));
      for (const [i, b] of bodies.entries()) {
        await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: b.body, MessageGroupId: messageGroupId(sourceBucket, b.key), MessageDeduplicationId: `d${i}`, MessageAttributes: { reason: { DataType: 'String', StringValue: 'AccessDenied' } } }));
      }
      const seen: string[] = [];
      const dry = await redrive(sqs, { dlqUrl, queueUrl, dryRun: true, visibilitySeconds: 30, onMessage: (m) => seen.push(`${m.key}:${m.reason}`) });
      expect(dry.moved).toBe(0);
      expect(dry.seen).toBeGreaterThanOrEqual(3); // FIFO: one message per group is visible at a time
      expect(seen).toContain('k1:AccessDenied');
      expect(await receiveAll(queueUrl)).toEqual([]);

      const moved = await redrive(sqs, { dlqUrl, queueUrl, dryRun: false, visibilitySeconds: 30 });
      expect(moved).toEqual({ moved: 4, seen: 0, failed: 0 });
      expect(await receiveAll(dlqUrl)).toEqual([]);
      const arrived = await receiveAll(queueUrl);
      expect(arrived.map((m) => m.Body).sort()).toEqual(bodies.map((b) => b.body).sort());
      for (const m of arrived) expect(m.Attributes!.MessageGroupId).toBe(messageGroupId(sourceBucket, parseChangeMessage(m.Body!).key));
      // k1's two messages keep their order within the group.
      const k1 = arrived.filter((m) => parseChangeMessage(m.Body!).key === 'k1').map((m) => parseChangeMessage(m.Body!).eventId);
      expect(k1).toEqual(['e0', 'e2']);
    } finally {
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
      await sqs.send(new DeleteQueueCommand({ QueueUrl: dlqUrl }));
    }
  });
});

describe('extras: keys only the destination has', () => {
  it('pages the destination and finds, across pages, the keys whose source object is gone', async () => {
    const keys = ['x/01', 'x/02 sp', 'x/03+', 'x/04', 'x/05', 'x/06', 'x/07', 'x/08'];
    const gone = new Set(['x/02 sp', 'x/05', 'x/08']);
    for (const key of keys) {
      await dest.send(new PutObjectCommand({ Bucket: destBucket, Key: `r/${key}`, Body: key }));
      if (!gone.has(key)) await source.send(new PutObjectCommand({ Bucket: sourceBucket, Key: key, Body: key }));
    }
    // A source key deleted with a marker: the destination still shows it current.
    await source.send(new PutObjectCommand({ Bucket: sourceBucket, Key: 'x/09', Body: 'x' }));
    await source.send(new DeleteObjectCommand({ Bucket: sourceBucket, Key: 'x/09' }));
    await dest.send(new PutObjectCommand({ Bucket: destBucket, Key: 'r/x/09', Body: 'x' }));
    // Keys only at the source are not extras.
    await source.send(new PutObjectCommand({ Bucket: sourceBucket, Key: 'x/035', Body: 'x' }));

    const mapping = { sourcePrefix: 'x/', destinationPrefix: 'r/x/' };
    const found: string[] = [];
    const deleted: string[] = [];
    let cursor = {};
    let pages = 0;
    for (;;) {
      const page = await extrasPage({ client: source, bucket: sourceBucket }, { client: dest, bucket: destBucket }, { source: 'x/', destination: 'r/x/' }, mapping, cursor, 3);
      found.push(...page.extras);
      deleted.push(...page.deleted);
      pages++;
      if (!page.next) break;
      cursor = page.next;
    }
    expect(found).toEqual(['x/02 sp', 'x/05', 'x/08']);
    // Its source current is a delete marker: not an extra, a key to converge.
    expect(deleted).toEqual(['x/09']);
    expect(pages).toBe(3);
  });
});

describe('the backfill function (the state machine’s worker) on the real servers', () => {
  it('enqueues a child batch, pages the extras, and writes report.json from the Map Run’s result files', async () => {
    const { queueUrl, dlqUrl } = await createFifoQueues(sqs);
    const reportBucket = sourceBucket;
    const config = loadReplicateConfig({
      TABLE_NAME: 'unused',
      DLQ_URL: dlqUrl,
      QUEUE_URL: queueUrl,
      SOURCE_BUCKET: sourceBucket,
      DESTINATIONS: JSON.stringify([{ id: 'gov', bucket: destBucket, region: localEnv().dest.region, secretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:d', sourcePrefix: 'fn/', destinationPrefix: 'fn-replica/' }]),
    });
    const env = localEnv();
    const handler = createBackfillHandler({
      config,
      sqs,
      source,
      reports: source,
      destinations: new LocalDestinations({ accessKeyId: env.dest.accessKeyId, secretAccessKey: env.dest.secretAccessKey }, { ...config, endpoints: { ...config.endpoints, destinationS3: env.dest.endpoint, forcePathStyle: true } }),
    });
    const invoke = (event: unknown) => handler(event, lambdaContext());
    try {
      // A child batch of the Distributed Map (an inventory's URL-encoded keys).
      const batch = (await invoke({ Items: [{ Key: 'fn/a+b' }, { Key: 'fn/c%25d' }], BatchInput: { runId: 'exec-7', history: 'all', keyEncoding: 'url' } })) as BatchOutcome;
      expect(batch).toEqual({ keys: 2, enqueued: 2, failedKeys: [] });
      const sent = await receiveAll(queueUrl);
      expect(sent.map((m) => parseChangeMessage(m.Body!).key).sort()).toEqual(['fn/a b', 'fn/c%d']);

      // Extras: one key only on the destination, one deleted at the source (a marker to mirror).
      await dest.send(new PutObjectCommand({ Bucket: destBucket, Key: 'fn-replica/only-dest', Body: 'x', Metadata: { 'partition-replica-of': 'gone;0' } }));
      await source.send(new PutObjectCommand({ Bucket: sourceBucket, Key: 'fn/marked', Body: 'x' }));
      await source.send(new DeleteObjectCommand({ Bucket: sourceBucket, Key: 'fn/marked' }));
      await dest.send(new PutObjectCommand({ Bucket: destBucket, Key: 'fn-replica/marked', Body: 'x' }));
      let state: unknown = { action: 'extras', runId: 'exec-7', prefix: 'fn/', enqueue: false, history: 'default', report: { bucket: reportBucket, prefix: 'reports/' } };
      for (let i = 0; i < 10; i++) {
        state = await invoke(state);
        if ((state as { done: boolean }).done) break;
      }
      expect(state).toMatchObject({ done: true, totals: { extras: 1, enqueued: 1 } });
      // Only the marked key was queued (extras are deleted only on request).
      expect((await receiveAll(queueUrl)).map((m) => parseChangeMessage(m.Body!).key)).toEqual(['fn/marked']);

      // The Map Run's ResultWriter files, as Step Functions writes them.
      const put = (key: string, value: unknown) => source.send(new PutObjectCommand({ Bucket: reportBucket, Key: key, Body: JSON.stringify(value) }));
      await put('reports/map-runs/r1/manifest.json', { ResultFiles: { SUCCEEDED: [{ Key: 'reports/map-runs/r1/SUCCEEDED_0.json', Size: 1 }], FAILED: [], PENDING: [] } });
      await put('reports/map-runs/r1/SUCCEEDED_0.json', [{ Status: 'SUCCEEDED', Output: JSON.stringify(batch) }]);
      const report = await invoke({ action: 'report', runId: 'exec-7', report: { bucket: reportBucket, prefix: 'reports/' }, map: { ResultWriterDetails: { Bucket: reportBucket, Key: 'reports/map-runs/r1/manifest.json' } }, extras: state });
      expect(report).toEqual({ report: { bucket: reportBucket, key: 'reports/exec-7/report.json' }, counts: { keys: 2, enqueued: 2, failed: 0, extras: 1, extrasEnqueued: 1 }, failed: 0 });
      const written = await source.send(new GetObjectCommand({ Bucket: reportBucket, Key: 'reports/exec-7/report.json' }));
      expect(JSON.parse(await written.Body!.transformToString())).toMatchObject({ runId: 'exec-7', extraKeys: ['fn/only-dest'], failedKeys: [] });
    } finally {
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
      await sqs.send(new DeleteQueueCommand({ QueueUrl: dlqUrl }));
    }
  });
});
