// The fault suite's own parts against the real servers: the poller behaves as Lambda's SQS event
// source mapping on a real FIFO queue (fauxqs), and the fault proxy injects what it claims to.
import './silent';
import '../helpers/quiet-powertools';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createVersionedBucket, dynamoDbClient, emptyAndDeleteBucket, localEnv, s3Config, sourceS3Client, uniqueBucketName } from '../helpers/local-env';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { REPLICA_METADATA_KEY } from '../../src/aws/destination';
import { createFifoQueues, createPipeline, localSqsClient } from '../helpers/pipeline';
import { accountEvents, checkKeys } from './checks';
import { Poller, queueCounts, takeAll } from '../helpers/poller';
import type { FaultKind } from './proxy';
import { FaultProxy } from './proxy';
import { Random } from './random';

describe('the event-source-mapping poller on a real FIFO queue', () => {
  const sqs = localSqsClient();
  const send = (queueUrl: string, body: string, group: string) =>
    sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageGroupId: group, MessageDeduplicationId: `${group}-${body}` }));

  it('deletes the records not listed in batchItemFailures, redelivers the failed one, and the redrive policy dead-letters it', async () => {
    // Prepare: two keys; the function always fails the record "bad".
    const { queueUrl, dlqUrl } = await createFifoQueues(sqs, { visibilityTimeoutSeconds: 1, maxReceiveCount: 2 });
    await send(queueUrl, 'good', 'g1');
    await send(queueUrl, 'bad', 'g2');
    const seen: { body: string; receiveCount: string; remainingMs: number }[] = [];
    const poller = new Poller({
      sqs,
      queueUrl,
      functionTimeoutMs: 30_000,
      invoke: (event: SQSEvent, context): Promise<SQSBatchResponse> => {
        for (const r of event.Records) seen.push({ body: r.body, receiveCount: r.attributes.ApproximateReceiveCount, remainingMs: context.getRemainingTimeInMillis() });
        return Promise.resolve({ batchItemFailures: event.Records.filter((r) => r.body === 'bad').map((r) => ({ itemIdentifier: r.messageId })) });
      },
    });

    // Act
    await poller.drain({ maxMs: 30_000 });

    // Assess: good once; bad twice (receive counts 1 and 2), then moved to the DLQ by the queue.
    expect(seen.filter((s) => s.body === 'good').map((s) => s.receiveCount)).toEqual(['1']);
    expect(seen.filter((s) => s.body === 'bad').map((s) => s.receiveCount)).toEqual(['1', '2']);
    expect(seen.every((s) => s.remainingMs > 25_000 && s.remainingMs <= 30_000)).toBe(true);
    expect((await takeAll(sqs, dlqUrl)).map((m) => m.Body)).toEqual(['bad']);
    expect(await queueCounts(sqs, queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(poller.stats).toMatchObject({ acked: 1, failed: 2, redeliveries: 1 });
  });

  it('fails the whole batch when the invocation throws, as Lambda does', async () => {
    const { queueUrl } = await createFifoQueues(sqs, { visibilityTimeoutSeconds: 1, maxReceiveCount: 5 });
    await send(queueUrl, 'a', 'g1');
    await send(queueUrl, 'b', 'g2');
    let calls = 0;
    const poller = new Poller({
      sqs,
      queueUrl,
      invoke: () => {
        calls += 1;
        if (calls === 1) return Promise.reject(new Error('the instance died'));
        return Promise.resolve({ batchItemFailures: [] });
      },
    });

    await poller.drain({ maxMs: 30_000 });

    expect(poller.stats.invocationErrors).toBe(1);
    expect(poller.deliveries.filter((d) => d.outcome === 'failed')).toHaveLength(2);
    expect(poller.deliveries.filter((d) => d.outcome === 'acked').map((d) => d.receiveCount)).toEqual([2, 2]);
  });
});

describe('the fault proxy', () => {
  let bucket: string;
  const direct = sourceS3Client();
  beforeAll(async () => {
    bucket = await createVersionedBucket(direct, uniqueBucketName('proxy'));
  });
  afterAll(async () => {
    await emptyAndDeleteBucket(direct, bucket);
  });

  const through = async (kind: FaultKind) => {
    const proxy = new FaultProxy({ name: 'test', upstream: localEnv().source.endpoint, protocol: 'xml', random: new Random(1), rate: 1, kinds: [kind] });
    const endpoint = await proxy.start();
    const client = new S3Client({ ...s3Config('source'), endpoint, maxAttempts: 1 });
    return { proxy, client };
  };

  it('answers 503 SlowDown itself, and the write never reaches the server', async () => {
    const { proxy, client } = await through('503-slowdown');
    try {
      await expect(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'slow', Body: 'x' }))).rejects.toMatchObject({ name: 'SlowDown' });
      await expect(direct.send(new GetObjectCommand({ Bucket: bucket, Key: 'slow' }))).rejects.toMatchObject({ name: 'NoSuchKey' });
      expect(proxy.faults.get('503-slowdown')).toBe(1);
    } finally {
      await proxy.stop();
    }
  });

  it('resets the connection after the server committed the write', async () => {
    const { proxy, client } = await through('reset-after-commit');
    try {
      await expect(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'committed', Body: 'landed' }))).rejects.toThrow();
      const object = await direct.send(new GetObjectCommand({ Bucket: bucket, Key: 'committed' }));
      expect(await object.Body!.transformToString()).toBe('landed');
    } finally {
      await proxy.stop();
    }
  });

  it('resets the connection before the request reaches the server', async () => {
    const { proxy, client } = await through('reset-before');
    try {
      await expect(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'never', Body: 'x' }))).rejects.toThrow();
      await expect(direct.send(new GetObjectCommand({ Bucket: bucket, Key: 'never' }))).rejects.toMatchObject({ name: 'NoSuchKey' });
    } finally {
      await proxy.stop();
    }
  });
});

describe('the invariant checks', () => {
  it('find a diverged key, a duplicate and an orphan destination version, a dangling map entry, a lost event and a DLQ message without reason', async () => {
    // Prepare: one source version; on the destination two replicas of it and one of a version
    // the source never had; a map entry naming a version that does not exist.
    const p = await createPipeline();
    try {
      const { VersionId } = await p.source.send(new PutObjectCommand({ Bucket: p.sourceBucket, Key: 'k', Body: 'source' }));
      const replica = (of: string, body: string) =>
        p.dest.send(new PutObjectCommand({ Bucket: p.destBucket, Key: 'k', Body: body, Metadata: { [REPLICA_METADATA_KEY]: `${of};"etag"` } }));
      await replica(VersionId!, 'source');
      await replica(VersionId!, 'source');
      await replica('never-on-the-source', 'other bytes');
      await dynamoDbClient().send(
        new PutItemCommand({ TableName: p.tableName, Item: { pk: { S: `gov#${p.sourceBucket}/k` }, sk: { S: `V#${VersionId}` }, destinationVersionId: { S: 'no-such-version' } } }),
      );

      // Act
      const found = await checkKeys(p, ['k']);
      const accounting = accountEvents(['done', 'lost'], [{ messageId: 'done', receiveCount: 1, outcome: 'acked' }], [{ MessageId: 'redriven', Body: '{}' }]);

      // Assess
      expect(found).toMatchObject({ keysDiverged: 1, duplicateVersions: 1, orphanVersions: 1, mapEntries: 1, danglingMapEntries: 1 });
      expect(accounting).toMatchObject({ lostEvents: 1, dlqWithoutReason: 1 });
    } finally {
      await p.cleanup();
    }
  });
});
