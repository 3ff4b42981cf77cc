// Smoke test of the local test environment (scripts/test-env): each test checks a property
// the replication tests rely on, and fails if the servers do not provide it.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  DeleteItemCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  createStateTable,
  createVersionedBucket,
  destS3Client,
  dynamoDbClient,
  emptyAndDeleteBucket,
  localEnv,
  s3Config,
  sourceS3Client,
  uniqueBucketName,
  uniqueTableName,
} from '../helpers/local-env';
import {
  compareSequencers,
  decodeEventKey,
  deleteAndEvent,
  EMPTY_ETAG,
  encodeEventKey,
  nextSequencer,
  putAndEvent,
  putTagsAndEvent,
  deleteTagsAndEvent,
  uploadAndEvent,
} from '../helpers/s3-events';

const MiB = 1024 * 1024;

/** The error's S3/DynamoDB code, or a failure if the call succeeded. */
async function errorOf(p: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail, it succeeded');
}

/** Random bytes of unknown length to the SDK, 1 MiB at a time, hashed as they are produced. */
function generatedStream(size: number, hash: ReturnType<typeof createHash>): Readable {
  let produced = 0;
  return new Readable({
    read() {
      if (produced >= size) return void this.push(null);
      const chunk = randomBytes(Math.min(MiB, size - produced));
      const n = chunk.length;
      hash.update(chunk);
      produced += n;
      this.push(chunk);
    },
  });
}

async function sha256Of(body: AsyncIterable<Uint8Array>): Promise<[string, number]> {
  const h = createHash('sha256');
  let n = 0;
  for await (const c of body) {
    h.update(c);
    n += c.length;
  }
  return [h.digest('hex'), n];
}

describe('local test environment', () => {
  let src: S3Client;
  let dst: S3Client;
  let srcBucket: string;
  let dstBucket: string;

  beforeAll(async () => {
    src = sourceS3Client();
    dst = destS3Client();
    srcBucket = await createVersionedBucket(src, uniqueBucketName('env-src'));
    dstBucket = await createVersionedBucket(dst, uniqueBucketName('env-dst'));
  });

  afterAll(async () => {
    await emptyAndDeleteBucket(src, srcBucket);
    await emptyAndDeleteBucket(dst, dstBucket);
    src.destroy();
    dst.destroy();
  });

  test('both sides are versioned buckets on their own endpoint and region', async () => {
    const env = localEnv();
    expect(env.source.endpoint).not.toBe(env.dest.endpoint);
    expect(await src.config.region()).toBe('us-east-1');
    expect(await dst.config.region()).toBe('us-gov-west-1');
    expect((await src.send(new GetBucketVersioningCommand({ Bucket: srcBucket }))).Status).toBe('Enabled');
    expect((await dst.send(new GetBucketVersioningCommand({ Bucket: dstBucket }))).Status).toBe('Enabled');
  });

  test('two puts of a key give two versions, both readable', async () => {
    const key = 'two/versions.txt';
    const v1 = await src.send(new PutObjectCommand({ Bucket: srcBucket, Key: key, Body: 'first' }));
    const v2 = await src.send(new PutObjectCommand({ Bucket: srcBucket, Key: key, Body: 'second!' }));
    expect(v1.VersionId).toBeTruthy();
    expect(v2.VersionId).toBeTruthy();
    expect(v1.VersionId).not.toBe(v2.VersionId);
    const list = await src.send(new ListObjectVersionsCommand({ Bucket: srcBucket, Prefix: key }));
    expect(list.Versions?.map((v) => [v.VersionId, v.IsLatest, v.Size])).toEqual([
      [v2.VersionId, true, 7],
      [v1.VersionId, false, 5],
    ]);
    const old = await src.send(new GetObjectCommand({ Bucket: srcBucket, Key: key, VersionId: v1.VersionId }));
    expect(await old.Body!.transformToString()).toBe('first');
  });

  test('a delete creates a delete marker that ListObjectVersions shows', async () => {
    const key = 'deleted key+plus.txt';
    const { event: created } = await putAndEvent(src, { Bucket: srcBucket, Key: key, Body: 'gone soon' });
    const { result, event } = await deleteAndEvent(src, srcBucket, key);
    expect(result.DeleteMarker).toBe(true);
    const list = await src.send(new ListObjectVersionsCommand({ Bucket: srcBucket, Prefix: key }));
    expect(list.DeleteMarkers?.map((m) => [m.Key, m.VersionId, m.IsLatest])).toEqual([[key, result.VersionId, true]]);
    expect(list.Versions?.map((v) => [v.VersionId, v.IsLatest])).toEqual([[created.detail.object['version-id'], false]]);
    expect((await errorOf(src.send(new HeadObjectCommand({ Bucket: srcBucket, Key: key })))).status).toBe(404);

    expect(event['detail-type']).toBe('Object Deleted');
    expect(event.detail['deletion-type']).toBe('Delete Marker Created');
    expect(event.detail.object).toMatchObject({ key: 'deleted+key%2Bplus.txt', etag: EMPTY_ETAG, 'version-id': result.VersionId });
    expect(compareSequencers(event.detail.object.sequencer!, created.detail.object.sequencer!)).toBe(1);

    // deleting the marker by id is a permanent delete and brings the object back
    const { event: undelete } = await deleteAndEvent(src, srcBucket, key, result.VersionId);
    expect(undelete.detail['deletion-type']).toBe('Permanently Deleted');
    expect((await src.send(new HeadObjectCommand({ Bucket: srcBucket, Key: key }))).VersionId).toBe(
      created.detail.object['version-id'],
    );
  });

  test('lib-storage Upload of 64 MiB from a stream is a multipart object with the same bytes', async () => {
    const key = 'big/64mib.bin';
    const size = 64 * MiB;
    const hash = createHash('sha256');
    const { event } = await uploadAndEvent(
      src,
      { Bucket: srcBucket, Key: key, Body: generatedStream(size, hash), Metadata: { origin: 'stream' } },
      { partSize: 8 * MiB, queueSize: 4 },
    );
    const sent = hash.digest('hex');
    expect(event.detail.reason).toBe('CompleteMultipartUpload');
    expect(event.detail.object.size).toBe(size);
    expect(event.detail.object.etag).toMatch(/^[0-9a-f]{32}-8$/);

    const got = await src.send(new GetObjectCommand({ Bucket: srcBucket, Key: key }));
    expect(got.Metadata).toEqual({ origin: 'stream' });
    expect(await sha256Of(got.Body as AsyncIterable<Uint8Array>)).toEqual([sent, size]);
  });

  test('tags and user metadata round-trip, and tag events carry the version', async () => {
    const key = 'meta/tagged (1).txt';
    const { event } = await putAndEvent(src, {
      Bucket: srcBucket,
      Key: key,
      Body: 'tagged',
      ContentType: 'text/plain',
      Metadata: { team: 'Blue Team', 'x-case': 'MiXeD' },
      Tagging: 'k1=v1&k2=v%202',
    });
    const versionId = event.detail.object['version-id']!;
    expect(event.detail.object.key).toBe('meta/tagged+%281%29.txt');
    expect(decodeEventKey(event.detail.object.key)).toBe(key);
    expect(event.detail.object.size).toBe(6);

    const head = await src.send(new HeadObjectCommand({ Bucket: srcBucket, Key: key, VersionId: versionId }));
    expect(head.Metadata).toEqual({ team: 'Blue Team', 'x-case': 'MiXeD' });
    expect(head.ContentType).toBe('text/plain');
    const tags = await src.send(new GetObjectTaggingCommand({ Bucket: srcBucket, Key: key, VersionId: versionId }));
    expect(tags.TagSet?.sort((a, b) => a.Key!.localeCompare(b.Key!))).toEqual([
      { Key: 'k1', Value: 'v1' },
      { Key: 'k2', Value: 'v 2' },
    ]);

    const added = await putTagsAndEvent(src, srcBucket, key, versionId, [{ Key: 'new', Value: 'tag' }]);
    expect(added.event['detail-type']).toBe('Object Tags Added');
    expect(added.event.detail.object).toEqual({ key: encodeEventKey(key), etag: event.detail.object.etag, 'version-id': versionId });
    const after = await src.send(new GetObjectTaggingCommand({ Bucket: srcBucket, Key: key, VersionId: versionId }));
    expect(after.TagSet).toEqual([{ Key: 'new', Value: 'tag' }]);

    const deleted = await deleteTagsAndEvent(src, srcBucket, key, versionId);
    expect(deleted.event['detail-type']).toBe('Object Tags Deleted');
    const none = await src.send(new GetObjectTaggingCommand({ Bucket: srcBucket, Key: key, VersionId: versionId }));
    expect(none.TagSet ?? []).toEqual([]);
  });

  test('the sides are isolated: other side keys get AccessDenied, both ways', async () => {
    const env = localEnv();
    expect(env.source.tenant).toBeTruthy();
    expect(env.dest.tenant).toBeTruthy();
    await dst.send(new PutObjectCommand({ Bucket: dstBucket, Key: 'private', Body: 'dest only' }));
    await src.send(new PutObjectCommand({ Bucket: srcBucket, Key: 'private', Body: 'source only' }));

    // source keys at the destination endpoint, addressing the destination tenant's bucket
    const srcAtDst = new S3Client(s3Config('dest', 'source'));
    const dstAtSrc = new S3Client(s3Config('source', 'dest'));
    try {
      const foreignDst = `${env.dest.tenant}:${dstBucket}`;
      const foreignSrc = `${env.source.tenant}:${srcBucket}`;
      expect(await errorOf(srcAtDst.send(new GetObjectCommand({ Bucket: foreignDst, Key: 'private' })))).toEqual({
        name: 'AccessDenied',
        status: 403,
      });
      expect((await errorOf(srcAtDst.send(new PutObjectCommand({ Bucket: foreignDst, Key: 'x', Body: 'x' })))).name).toBe(
        'AccessDenied',
      );
      expect(await errorOf(dstAtSrc.send(new GetObjectCommand({ Bucket: foreignSrc, Key: 'private' })))).toEqual({
        name: 'AccessDenied',
        status: 403,
      });
      expect((await errorOf(dstAtSrc.send(new ListObjectVersionsCommand({ Bucket: foreignSrc })))).name).toBe('AccessDenied');
      // by plain name, a bucket of the other tenant does not even exist for these keys
      expect((await errorOf(srcAtDst.send(new GetObjectCommand({ Bucket: dstBucket, Key: 'private' })))).name).toBe(
        'NoSuchBucket',
      );
      expect((await errorOf(dstAtSrc.send(new GetObjectCommand({ Bucket: srcBucket, Key: 'private' })))).name).toBe(
        'NoSuchBucket',
      );
    } finally {
      srcAtDst.destroy();
      dstAtSrc.destroy();
    }
  });

  test('the sides are separate bucket namespaces: both may own the same bucket name', async () => {
    const name = uniqueBucketName('env-same');
    await createVersionedBucket(src, name);
    await createVersionedBucket(dst, name);
    try {
      await src.send(new PutObjectCommand({ Bucket: name, Key: 'k', Body: 'from source' }));
      await dst.send(new PutObjectCommand({ Bucket: name, Key: 'k', Body: 'from dest' }));
      const a = await src.send(new GetObjectCommand({ Bucket: name, Key: 'k' }));
      const b = await dst.send(new GetObjectCommand({ Bucket: name, Key: 'k' }));
      expect(await a.Body!.transformToString()).toBe('from source');
      expect(await b.Body!.transformToString()).toBe('from dest');
    } finally {
      await emptyAndDeleteBucket(src, name);
      await emptyAndDeleteBucket(dst, name);
    }
  });

  test('a streamed GetObject body can be uploaded to the other side (the replication path)', async () => {
    const key = 'stream/copy.bin';
    const hash = createHash('sha256');
    await new Upload({ client: src, params: { Bucket: srcBucket, Key: key, Body: generatedStream(9 * MiB, hash) } }).done();
    const got = await src.send(new GetObjectCommand({ Bucket: srcBucket, Key: key }));
    await dst.send(
      new PutObjectCommand({ Bucket: dstBucket, Key: key, Body: got.Body as Readable, ContentLength: got.ContentLength }),
    );
    const copy = await dst.send(new GetObjectCommand({ Bucket: dstBucket, Key: key }));
    expect(await sha256Of(copy.Body as AsyncIterable<Uint8Array>)).toEqual([hash.digest('hex'), 9 * MiB]);
  });
});

describe('event helpers', () => {
  test('keys are form-URL-encoded as S3 sends them', () => {
    expect(encodeEventKey('a b+c/d=e&f%g.txt')).toBe('a+b%2Bc/d%3De%26f%25g.txt');
    expect(encodeEventKey('é (x)*')).toBe('%C3%A9+%28x%29%2A');
    for (const key of ['a b+c', 'dir//x', '100%', 'ü/ 😀', "it's"]) expect(decodeEventKey(encodeEventKey(key))).toBe(key);
  });

  test('sequencers increase per key under the right-pad rule, with varying lengths', () => {
    const seen = Array.from({ length: 50 }, () => nextSequencer('b', 'k'));
    expect(new Set(seen.map((s) => s.length))).toEqual(new Set([16, 18]));
    for (let i = 1; i < seen.length; i++) expect(compareSequencers(seen[i]!, seen[i - 1]!)).toBe(1);
    expect(seen.every((s) => /^[0-9A-F]+$/.test(s))).toBe(true);
  });
});

describe('DynamoDB (dynalite)', () => {
  let db: DynamoDBClient;
  let table: string;

  beforeAll(async () => {
    db = dynamoDbClient();
    table = await createStateTable(db, uniqueTableName());
  });
  afterAll(() => db.destroy());

  test('the state table has pk/sk keys, on demand, and is ACTIVE', async () => {
    const t = (await db.send(new DescribeTableCommand({ TableName: table }))).Table!;
    expect(t.TableStatus).toBe('ACTIVE');
    expect(t.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(t.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    const ttl = await db.send(new DescribeTimeToLiveCommand({ TableName: table }));
    expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe('DISABLED');
  });

  test('a conditional write on a stale condition is rejected', async () => {
    const Key = { pk: { S: 'dest#key' }, sk: { S: 'state' } };
    await db.send(
      new PutItemCommand({
        TableName: table,
        Item: { ...Key, seq: { S: '0A' } },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    // a second create of the same item fails
    expect(
      (
        await errorOf(
          db.send(new PutItemCommand({ TableName: table, Item: { ...Key, seq: { S: '0B' } }, ConditionExpression: 'attribute_not_exists(pk)' })),
        )
      ).name,
    ).toBe('ConditionalCheckFailedException');
    // an update conditioned on the current value succeeds, the same one again (now stale) fails
    const update = () =>
      db.send(
        new UpdateItemCommand({
          TableName: table,
          Key,
          UpdateExpression: 'SET seq = :new',
          ConditionExpression: 'seq = :old',
          ExpressionAttributeValues: { ':old': { S: '0A' }, ':new': { S: '0C' } },
        }),
      );
    await update();
    expect((await errorOf(update())).name).toBe('ConditionalCheckFailedException');
    const item = await db.send(new GetItemCommand({ TableName: table, Key, ConsistentRead: true }));
    expect(item.Item?.seq).toEqual({ S: '0C' });
  });

  test('Query with begins_with on sk, and DeleteItem', async () => {
    for (const sk of ['part#00001', 'part#00002', 'state', 'upload']) {
      await db.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'job#1' }, sk: { S: sk } } }));
    }
    const parts = await db.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': { S: 'job#1' }, ':p': { S: 'part#' } },
      }),
    );
    expect(parts.Items?.map((i) => i.sk?.S)).toEqual(['part#00001', 'part#00002']);
    await db.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: 'job#1' }, sk: { S: 'part#00001' } } }));
    const left = await db.send(
      new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'job#1' } } }),
    );
    expect(left.Items?.map((i) => i.sk?.S)).toEqual(['part#00002', 'state', 'upload']);
  });
});
