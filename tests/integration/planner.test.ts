import '../helpers/quiet-powertools';
import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { REPLICA_METADATA_KEY } from '../../src/aws/destination';
import { FaultProxy, isObjectWrite } from '../faults/proxy';
import { Random } from '../faults/random';
import type { Pipeline } from '../helpers/pipeline';
import { sqsRecord } from '../helpers/lambda';
import { createPipeline, currentObject, replicaSources, sourceVersionIds } from '../helpers/pipeline';
import { dynamoDbClient, localEnv } from '../helpers/local-env';
import { deleteAndEvent, objectCreated, putAndEvent, putTagsAndEvent } from '../helpers/s3-events';

/**
 * The failures of issue #8 that a local server can show, each against Ceph RGW, dynalite and the
 * real FIFO queue: what the planner must repair or avoid, and what it must never do twice.
 */

const documents = () => DynamoDBDocumentClient.from(dynamoDbClient());

async function history(p: Pipeline, key: string) {
  const page = await p.dest.send(new ListObjectVersionsCommand({ Bucket: p.destBucket, Prefix: key }));
  return {
    versions: (page.Versions ?? []).filter((v) => v.Key === key).length,
    markers: (page.DeleteMarkers ?? []).filter((m) => m.Key === key).length,
  };
}

async function expectCurrentEqual(p: Pipeline, key: string): Promise<void> {
  const [source, dest] = await Promise.all([currentObject(p.source, p.sourceBucket, key), currentObject(p.dest, p.destBucket, key)]);
  expect(dest).toEqual(source);
}

async function mapItems(p: Pipeline, key: string) {
  const { Items } = await documents().send(
    new QueryCommand({ TableName: p.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `gov#${p.sourceBucket}/${key}` }, ConsistentRead: true }),
  );
  return (Items ?? []).map((item) => ({ ...item, pk: String(item.pk), sk: String(item.sk) }));
}

describe('the planner against real servers', () => {
  let p: Pipeline;
  afterEach(async () => {
    await p?.cleanup();
  });

  it('records an uncopyable intermediate version as unreplicable and still replicates the newer ones (mode all)', async () => {
    // Prepare: 1 MiB of part buffers; v2 alone needs 2 MiB.
    p = await createPipeline({ functionEnv: { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '2' } });
    const v1 = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'k', Body: 'small one' });
    const v2 = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'k', Body: Buffer.alloc(2 * 1024 * 1024, 1) });
    const v3 = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'k', Body: 'small three' });

    // Act
    await p.deliver([v1.event, v2.event, v3.event]);
    const v4 = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'k', Body: 'small four' });
    await p.deliver([v4.event]);

    // Assess
    expect(await replicaSources(p.dest, p.destBucket, 'k')).toEqual([v1.result.VersionId, v3.result.VersionId, v4.result.VersionId]);
    await expectCurrentEqual(p, 'k');
    expect(p.dlq).toEqual([]);
    expect(await mapItems(p, 'k')).toContainEqual(expect.objectContaining({ sk: `V#${v2.result.VersionId}`, unreplicable: 'insufficient-memory' }));
  });

  it('records a version encrypted with a customer key (SSE-C) as unreplicable instead of dead-lettering the key', async () => {
    // Prepare
    p = await createPipeline();
    const customerKey = Buffer.alloc(32, 7);
    const v1 = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'c', Body: 'plain one' });
    const sealed = {
      Bucket: p.sourceBucket,
      Key: 'c',
      SSECustomerAlgorithm: 'AES256',
      SSECustomerKey: customerKey.toString('base64'),
      SSECustomerKeyMD5: createHash('md5').update(customerKey).digest('base64'),
    };
    const put = await p.source.send(new PutObjectCommand({ ...sealed, Body: 'sealed' }));
    const v2 = { result: put, event: objectCreated(p.sourceBucket, 'c', { ETag: put.ETag, VersionId: put.VersionId, $metadata: put.$metadata }, 6) };
    const v3 = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'c', Body: 'plain three' });

    // Act: the events newest first
    await p.deliver([v3.event, v2.event, v1.event]);

    // Assess
    expect(await replicaSources(p.dest, p.destBucket, 'c')).toEqual([v1.result.VersionId, v3.result.VersionId]);
    await expectCurrentEqual(p, 'c');
    expect(p.dlq).toEqual([]);
    expect(await mapItems(p, 'c')).toContainEqual(expect.objectContaining({ sk: `V#${v2.result.VersionId}`, unreplicable: 'source-sse-c' }));
  });

  it.each([
    ['newest delete first', [0, 1]],
    ['oldest delete first', [1, 0]],
  ])('rolls back by permanent deletes without a second copy of v1 (%s)', async (_name, order) => {
    // Prepare: v1, v2, v3 mirrored
    p = await createPipeline();
    const puts = [];
    for (const body of ['one', 'two', 'three']) puts.push(await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'r', Body: body }));
    await p.deliver(puts.map((x) => x.event));
    const deletes = [await deleteAndEvent(p.source, p.sourceBucket, 'r', puts[2]!.result.VersionId), await deleteAndEvent(p.source, p.sourceBucket, 'r', puts[1]!.result.VersionId)];

    // Act
    await p.deliver(order.map((i) => deletes[i]!.event));

    // Assess
    expect(await replicaSources(p.dest, p.destBucket, 'r')).toEqual([puts[0]!.result.VersionId]);
    await expectCurrentEqual(p, 'r');
  });

  it('copies v1 once when a late permanent delete of v2 arrives after the v1 event copied both', async () => {
    // Prepare
    p = await createPipeline();
    const v1 = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'late', Body: 'one' });
    const v2 = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'late', Body: 'two' });
    await p.deliver([v1.event]);
    const removed = await deleteAndEvent(p.source, p.sourceBucket, 'late', v2.result.VersionId);

    // Act: the v2 create event first, then the delete
    await p.deliver([v2.event, removed.event]);

    // Assess
    expect(await replicaSources(p.dest, p.destBucket, 'late')).toEqual([v1.result.VersionId]);
  });

  it('replicates keys with control characters, listed with EncodingType=url', async () => {
    // Prepare
    p = await createPipeline();
    const keys = ['cr\rkey', 'line\r\nbreak', 'tab\tand\u0001ctl'];
    const events = [];
    for (const key of keys) events.push((await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: key, Body: `body of ${JSON.stringify(key)}` })).event);

    // Act
    await p.deliver(events);

    // Assess
    for (const key of keys) {
      expect(await sourceVersionIds(p.dest, p.destBucket, key)).toHaveLength(1);
      await expectCurrentEqual(p, key);
    }
  });

  it('deletes a duplicate and an orphan made by hand on the destination, and leaves a foreign version in place', async () => {
    // Prepare: v1, v2 mirrored; then by hand a second copy of v2, a replica of a version that never was, and a foreign object
    p = await createPipeline();
    const v1 = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'h', Body: 'one' });
    const v2 = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'h', Body: 'two' });
    await p.deliver([v1.event, v2.event]);
    const mirror = await p.dest.send(new HeadObjectCommand({ Bucket: p.destBucket, Key: 'h' }));
    await p.dest.send(new PutObjectCommand({ Bucket: p.destBucket, Key: 'h', Body: 'two', Metadata: mirror.Metadata }));
    await p.dest.send(new PutObjectCommand({ Bucket: p.destBucket, Key: 'h', Body: 'ghost', Metadata: { [REPLICA_METADATA_KEY]: 'never-existed;0' } }));
    await p.dest.send(new PutObjectCommand({ Bucket: p.destBucket, Key: 'h', Body: 'written by someone else' }));
    const tagged = await putTagsAndEvent(p.source, p.sourceBucket, 'h', v2.result.VersionId!, [{ Key: 'k', Value: 'v' }]);

    // Act
    await p.deliver([tagged.event]);

    // Assess: the duplicate and the orphan are gone, the foreign version stays, and v2 is current again on top of
    // it, mirrored once (its mirror below the foreign version made way for the copy on top)
    expect(await replicaSources(p.dest, p.destBucket, 'h')).toEqual([v1.result.VersionId, '?', v2.result.VersionId]);
    await expectCurrentEqual(p, 'h');
  });

  it('rebuilds a lost version map from the replica metadata instead of copying the history again', async () => {
    // Prepare: three versions mirrored, then the table's items of the key deleted (a table restored from nothing)
    p = await createPipeline();
    const puts = [];
    for (const body of ['one', 'two', 'three']) puts.push(await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'lost', Body: body }));
    await p.deliver(puts.map((x) => x.event));
    for (const item of await mapItems(p, 'lost')) await documents().send(new DeleteCommand({ TableName: p.tableName, Key: { pk: item.pk, sk: item.sk } }));
    const v4 = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'lost', Body: 'four' });

    // Act
    await p.deliver([v4.event]);

    // Assess
    expect(await history(p, 'lost')).toEqual({ versions: 4, markers: 0 });
    expect(await replicaSources(p.dest, p.destBucket, 'lost')).toEqual([...puts.map((x) => x.result.VersionId), v4.result.VersionId]);
    const mapped = (await mapItems(p, 'lost')).filter((item) => String(item.sk).startsWith('V#'));
    expect(mapped).toHaveLength(4);
  });

  it('aborts the multipart upload of a version deleted while its copy was checkpointed', async () => {
    // Prepare: a 20 MiB version whose copy checkpoints after one part
    p = await createPipeline();
    const big = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'big', Body: Buffer.alloc(20 * 1024 * 1024, 3) });
    const record = await p.relay(big.event);
    let calls = 0;
    await p.replicate([record], () => (++calls <= 3 ? 900_000 : 1_000));
    p.takeRequeued();
    const before = await p.dest.send(new ListMultipartUploadsCommand({ Bucket: p.destBucket }));
    const small = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'big', Body: 'small now' });
    const removed = await deleteAndEvent(p.source, p.sourceBucket, 'big', big.result.VersionId);

    // Act
    await p.deliver([removed.event, small.event]);

    // Assess
    expect(before.Uploads?.map((u) => u.Key)).toEqual(['big']);
    const after = await p.dest.send(new ListMultipartUploadsCommand({ Bucket: p.destBucket }));
    expect(after.Uploads ?? []).toEqual([]);
    expect((await mapItems(p, 'big')).map((item) => item.sk)).not.toContain('UPLOAD');
    expect(await replicaSources(p.dest, p.destBucket, 'big')).toEqual([small.result.VersionId]);
  });

  it('writes one destination version when the answer to a PutObject the server applied is lost', async () => {
    // Prepare: a proxy in front of the destination drops the connection after the first PutObject was applied
    const env = localEnv();
    let dropped = 0;
    const proxy = new FaultProxy({
      name: 'destination',
      upstream: env.dest.endpoint,
      protocol: 'xml',
      random: new Random(1),
      rate: 0,
      after: (info) => (isObjectWrite(info) && dropped++ === 0 ? 'drop' : undefined),
    });
    const endpoint = await proxy.start();
    try {
      p = await createPipeline({ endpoints: { destinationS3: endpoint } });
      const v1 = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'once', Body: 'exactly once' });

      // Act
      await p.deliver([v1.event]);

      // Assess
      expect(dropped).toBeGreaterThan(0);
      expect(await history(p, 'once')).toEqual({ versions: 1, markers: 0 });
      await expectCurrentEqual(p, 'once');
    } finally {
      await proxy.stop();
    }
  });

  it('removes a destination delete marker the source no longer has (an undelete) without adding a version', async () => {
    // Prepare
    p = await createPipeline();
    const v1 = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'u', Body: 'one' });
    const marker = await deleteAndEvent(p.source, p.sourceBucket, 'u');
    await p.deliver([v1.event, marker.event]);
    const undelete = await deleteAndEvent(p.source, p.sourceBucket, 'u', marker.result.VersionId);

    // Act
    await p.deliver([undelete.event]);

    // Assess
    expect(await history(p, 'u')).toEqual({ versions: 1, markers: 0 });
    await expectCurrentEqual(p, 'u');
  });

  it('fills in the older versions under a current a live event mirrored first, on a --history all converge message', async () => {
    // Prepare: three versions, REPLICATE_SINCE after all of them: the live event mirrors only the current, v3
    const puts = [];
    p = await createPipeline({ replicateSince: '2100-01-01T00:00:00Z' });
    for (const body of ['one', 'two']) puts.push(await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'full', Body: body }));
    const v3 = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'full', Body: 'three' });
    await p.deliver([v3.event], { batchSize: 1 });
    const live = await replicaSources(p.dest, p.destBucket, 'full');
    const message = { v: 1, eventId: 'backfill:full', eventTime: new Date().toISOString(), type: 'converge', bucket: p.sourceBucket, key: 'full', history: 'all' };

    // Act
    const { batchItemFailures } = await p.replicate([sqsRecord(JSON.stringify(message), 'backfill-group')]);

    // Assess
    expect(live).toEqual([v3.result.VersionId]);
    expect(batchItemFailures).toEqual([]);
    expect(await replicaSources(p.dest, p.destBucket, 'full')).toEqual([...puts, v3].map((x) => x.result.VersionId));
  });

  it('leaves nothing when every version of a key is permanently deleted', async () => {
    // Prepare
    p = await createPipeline();
    const v1 = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'gone', Body: 'one' });
    const v2 = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'gone', Body: 'two' });
    await p.deliver([v1.event, v2.event]);
    await p.source.send(new DeleteObjectCommand({ Bucket: p.sourceBucket, Key: 'gone', VersionId: v1.result.VersionId }));
    const last = await deleteAndEvent(p.source, p.sourceBucket, 'gone', v2.result.VersionId);

    // Act: only the last delete's event arrives (the first one is late)
    await p.deliver([last.event]);

    // Assess
    expect(await history(p, 'gone')).toEqual({ versions: 0, markers: 0 });
  });
});

describe('the time budget', () => {
  let p: Pipeline;
  afterEach(async () => {
    await p?.cleanup();
  });

  it('stops between actions when time runs short, records what is done, and the re-queued message finishes', async () => {
    // Prepare: five versions pending; the first invocation has time for two copies only
    let copies = 0;
    p = await createPipeline({ copy: (request, real) => real(request).finally(() => (copies += 1)) });
    const puts = [];
    for (let i = 1; i <= 5; i++) puts.push(await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'many', Body: `version ${i}` }));
    const record = await p.relay(puts[4]!.event);

    // Act
    const first = await p.replicate([record], () => (copies < 2 ? 900_000 : 1_000));
    const requeued = p.takeRequeued();
    const afterFirst = await history(p, 'many');
    const second = await p.replicate(requeued);

    // Assess: acked and re-queued, not failed; two copies recorded, the rest done by the next invocation
    expect(first.batchItemFailures).toEqual([]);
    expect(requeued.map((r) => r.body)).toEqual([record.body]);
    expect(afterFirst).toEqual({ versions: 2, markers: 0 });
    expect((await mapItems(p, 'many')).filter((item) => item.sk.startsWith('V#')).length).toBe(5);
    expect(second.batchItemFailures).toEqual([]);
    expect(await replicaSources(p.dest, p.destBucket, 'many')).toEqual(puts.map((x) => x.result.VersionId));
    expect(copies).toBe(5);
  });
});
