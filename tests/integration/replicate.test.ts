import '../helpers/quiet-powertools';
import { DeleteObjectCommand, ListMultipartUploadsCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Pipeline } from '../helpers/pipeline';
import { createPipeline, currentObject, replicaSources, sourceVersionIds } from '../helpers/pipeline';
import { deleteAndEvent, putAndEvent, putTagsAndEvent, deleteTagsAndEvent } from '../helpers/s3-events';
import { sqsRecord } from '../helpers/lambda';
import { localEnv } from '../helpers/local-env';

async function expectConverged(p: Pipeline, key: string, destKey = key): Promise<void> {
  const [source, dest] = await Promise.all([currentObject(p.source, p.sourceBucket, key), currentObject(p.dest, p.destBucket, destKey)]);
  expect(dest).toEqual(source);
}

async function destVersionCount(client: S3Client, bucket: string, key: string): Promise<{ versions: number; markers: number }> {
  const page = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
  return {
    versions: (page.Versions ?? []).filter((v) => v.Key === key).length,
    markers: (page.DeleteMarkers ?? []).filter((m) => m.Key === key).length,
  };
}

describe('replication against real S3 and DynamoDB servers', () => {
  let p: Pipeline;
  beforeEach(async () => {
    p = await createPipeline();
  });
  afterEach(async () => {
    await p.cleanup();
  });

  it('copies a new object with its bytes, content headers, metadata and tags', async () => {
    // Prepare
    const { event } = await putAndEvent(p.source, {
      Bucket: p.sourceBucket,
      Key: 'docs/report.txt',
      Body: 'hello partitions',
      ContentType: 'text/plain; charset=utf-8',
      CacheControl: 'max-age=60',
      ContentDisposition: 'attachment; filename="report.txt"',
      ContentEncoding: 'identity',
      ContentLanguage: 'en-GB',
      Metadata: { owner: 'platform team', 'build-id': '42' },
      Tagging: 'class=internal&team=platform',
    });

    // Act
    await p.deliver([event]);

    // Assess
    const dest = await currentObject(p.dest, p.destBucket, 'docs/report.txt');
    expect(dest).toMatchObject({ contentType: 'text/plain; charset=utf-8', metadata: { owner: 'platform team', 'build-id': '42' }, tags: { class: 'internal', team: 'platform' } });
    await expectConverged(p, 'docs/report.txt');
  });

  it('runs ten records at once on the invocation\'s one abort signal without a listener-leak warning (a non-JSON log line)', async () => {
    // Node prints the warning on the process's stderr (jest's sandbox sees no 'warning' event).
    const written: string[] = [];
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const events = [];
      for (let i = 0; i < 10; i++) events.push((await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: `fan/k${i}`, Body: `body ${i}` })).event);
      await p.deliver(events, { batchSize: 10 });
      // Warnings are printed on a later tick.
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      stderr.mockRestore();
    }
    for (let i = 0; i < 10; i++) await expectConverged(p, `fan/k${i}`);
    expect(written.filter((line) => line.includes('MaxListenersExceededWarning'))).toEqual([]);
  });

  it('copies a zero-byte object without a content type', async () => {
    const { event } = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'empty', Body: '' });
    await p.deliver([event]);
    const dest = await currentObject(p.dest, p.destBucket, 'empty');
    expect(dest?.size).toBe(0);
    await expectConverged(p, 'empty');
  });

  it('in mode all copies two overwrites made before processing, in source order', async () => {
    const first = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'k', Body: 'v1' });
    const second = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'k', Body: 'v2' });
    const third = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'k', Body: 'v3' });

    await p.deliver([first.event, second.event, third.event]);

    expect(await replicaSources(p.dest, p.destBucket, 'k')).toEqual(await sourceVersionIds(p.source, p.sourceBucket, 'k'));
    await expectConverged(p, 'k');
  });

  it('converges whatever the order: events delivered newest first, with a duplicate', async () => {
    const events = [];
    for (const body of ['a', 'b', 'c']) events.push((await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'r', Body: body })).event);

    await p.deliver([events[2], events[0], events[2], events[1]], { batchSize: 2 });

    expect(await replicaSources(p.dest, p.destBucket, 'r')).toEqual(await sourceVersionIds(p.source, p.sourceBucket, 'r'));
    await expectConverged(p, 'r');
  });

  it('does not write a second version for a duplicate event', async () => {
    const { event } = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'dup', Body: 'once' });
    await p.deliver([event]);
    await p.deliver([event]);
    expect(await destVersionCount(p.dest, p.destBucket, 'dup')).toEqual({ versions: 1, markers: 0 });
  });

  it('mirrors a delete marker, and an undelete when the marker is permanently deleted', async () => {
    const put = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'm', Body: 'x' });
    const marker = await deleteAndEvent(p.source, p.sourceBucket, 'm');
    await p.deliver([put.event, marker.event]);
    expect(await currentObject(p.dest, p.destBucket, 'm')).toBeNull();
    expect(await destVersionCount(p.dest, p.destBucket, 'm')).toEqual({ versions: 1, markers: 1 });

    const undelete = await deleteAndEvent(p.source, p.sourceBucket, 'm', marker.result.VersionId);
    await p.deliver([undelete.event]);

    await expectConverged(p, 'm');
    expect(await destVersionCount(p.dest, p.destBucket, 'm')).toEqual({ versions: 1, markers: 0 });
  });

  it('maps a destination marker that an earlier attempt made but never recorded, so an undelete adds no version', async () => {
    // Prepare: v1 mirrored; the source deletes the key; an attempt made the destination marker and died
    const put = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'orphan', Body: 'x' });
    await p.deliver([put.event]);
    const marker = await deleteAndEvent(p.source, p.sourceBucket, 'orphan');
    await p.dest.send(new DeleteObjectCommand({ Bucket: p.destBucket, Key: 'orphan' }));

    // Act: the marker event, then an undelete at the source
    await p.deliver([marker.event]);
    const undelete = await deleteAndEvent(p.source, p.sourceBucket, 'orphan', marker.result.VersionId);
    await p.deliver([undelete.event]);

    // Assess: the orphan marker was removed, not covered by a second copy of v1
    expect(await destVersionCount(p.dest, p.destBucket, 'orphan')).toEqual({ versions: 1, markers: 0 });
    await expectConverged(p, 'orphan');
  });

  it('permanently deletes the mapped version of a non-current and of the current source version', async () => {
    const v1 = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'p', Body: 'one' });
    const v2 = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'p', Body: 'two' });
    const v3 = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'p', Body: 'three' });
    await p.deliver([v1.event, v2.event, v3.event]);

    const nonCurrent = await deleteAndEvent(p.source, p.sourceBucket, 'p', v1.result.VersionId);
    await p.deliver([nonCurrent.event]);
    expect(await replicaSources(p.dest, p.destBucket, 'p')).toEqual([v2.result.VersionId, v3.result.VersionId]);

    const current = await deleteAndEvent(p.source, p.sourceBucket, 'p', v3.result.VersionId);
    await p.deliver([current.event]);
    expect(await replicaSources(p.dest, p.destBucket, 'p')).toEqual([v2.result.VersionId]);
    await expectConverged(p, 'p');
  });

  it('re-syncs tags when they are added and removed on the source version', async () => {
    const put = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 't', Body: 'x' });
    await p.deliver([put.event]);
    const added = await putTagsAndEvent(p.source, p.sourceBucket, 't', put.result.VersionId!, [{ Key: 'stage', Value: 'final' }]);
    await p.deliver([added.event]);
    expect((await currentObject(p.dest, p.destBucket, 't'))?.tags).toEqual({ stage: 'final' });

    const removed = await deleteTagsAndEvent(p.source, p.sourceBucket, 't', put.result.VersionId!);
    await p.deliver([removed.event]);
    expect((await currentObject(p.dest, p.destBucket, 't'))?.tags).toEqual({});
  });

  it('keeps keys with spaces, +, %, =, unicode and 1024 bytes intact', async () => {
    const keys = ['a b+c%d=e', 'dir/ünïcødé ☃.txt', 'x'.repeat(1024), '100% done+more = yes'];
    const events = [];
    for (const key of keys) events.push((await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: key, Body: `body of ${key.length}` })).event);
    await p.deliver(events);
    for (const key of keys) await expectConverged(p, key);
  });

  it('recovers from a crash between the copy and the table write without a second version', async () => {
    // Prepare: the first copy succeeds on S3 and then "crashes" before the table write.
    let copies = 0;
    const crashing = await createPipeline({
      copy: async (request, real) => {
        copies += 1;
        const result = await real(request);
        if (copies === 1) throw new Error('simulated crash after the upload');
        return result;
      },
    });
    try {
      const { event } = await putAndEvent(crashing.source, { Bucket: crashing.sourceBucket, Key: 'crash', Body: 'payload' });
      const record = await crashing.relay(event);
      const first = await crashing.replicate([record]);
      expect(first.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);

      // Act: SQS redelivers the message.
      const retry = await crashing.replicate([record]);

      // Assess
      expect(retry.batchItemFailures).toEqual([]);
      expect(copies).toBe(1);
      expect(await destVersionCount(crashing.dest, crashing.destBucket, 'crash')).toEqual({ versions: 1, markers: 0 });
      await expectConverged(crashing, 'crash');
    } finally {
      await crashing.cleanup();
    }
  });

  it('sends a malformed message to the DLQ with its reason and still processes the good ones', async () => {
    const good = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'good', Body: 'ok' });
    const goodRecord = await p.relay(good.event);
    const bad = sqsRecord('{"not":"a change"}', 'group-bad');

    const { batchItemFailures } = await p.replicate([bad, goodRecord]);

    expect(batchItemFailures).toEqual([]);
    expect(p.dlq).toHaveLength(1);
    expect(p.dlq[0]).toMatchObject({ MessageBody: bad.body, MessageAttributes: { reason: { StringValue: 'invalid-event' }, sourceMessageId: { StringValue: bad.messageId } } });
    await expectConverged(p, 'good');
  });

  it('dead-letters a message for another bucket', async () => {
    const record = sqsRecord(JSON.stringify({ v: 1, eventId: 'e', eventTime: '2026-01-01T00:00:00Z', type: 'created', bucket: 'someone-elses', key: 'k' }), 'g');
    const { batchItemFailures } = await p.replicate([record]);
    expect(batchItemFailures).toEqual([]);
    expect(p.dlq[0]?.MessageAttributes?.reason?.StringValue).toBe('unknown-bucket');
  });

  it('fails the later records of a failed key in a FIFO batch but processes other keys', async () => {
    // Prepare: copies of key fifo-a fail (a transient error), fifo-b is healthy.
    const copiedKeys: string[] = [];
    const flaky = await createPipeline({
      copy: async (request, real) => {
        copiedKeys.push(request.source.version.key);
        if (request.source.version.key === 'fifo-a') throw Object.assign(new Error('slow down'), { name: 'SlowDown' });
        return real(request);
      },
    });
    try {
      const a1 = await flaky.relay((await putAndEvent(flaky.source, { Bucket: flaky.sourceBucket, Key: 'fifo-a', Body: '1' })).event);
      const a2 = await flaky.relay((await putAndEvent(flaky.source, { Bucket: flaky.sourceBucket, Key: 'fifo-a', Body: '2' })).event);
      const b1 = await flaky.relay((await putAndEvent(flaky.source, { Bucket: flaky.sourceBucket, Key: 'fifo-b', Body: '1' })).event);

      // Act
      const { batchItemFailures } = await flaky.replicate([a1, a2, b1]);

      // Assess: a2 was held back unprocessed, b1 went through.
      expect(batchItemFailures).toEqual([{ itemIdentifier: a1.messageId }, { itemIdentifier: a2.messageId }]);
      // Keys run concurrently: one copy attempt each, in either order.
      expect([...copiedKeys].sort()).toEqual(['fifo-a', 'fifo-b']);
      expect(flaky.dlq).toEqual([]);
      await expectConverged(flaky, 'fifo-b');
    } finally {
      await flaky.cleanup();
    }
  });

  it('re-reads a rotated secret once when the destination rejects the cached keys', async () => {
    // Prepare: the secret first holds a stale key, then the rotated one.
    const realKeys = localEnv().dest;
    let reads = 0;
    const rotated = await createPipeline({
      secret: () => {
        reads += 1;
        const accesskey = reads === 1 ? 'STALEKEY0000000000001' : realKeys.accessKeyId;
        return JSON.stringify({ user: 'replicator', accesskey, secretaccesskey: realKeys.secretAccessKey, partition: 'aws-us-gov', accountid: '222233334444' });
      },
    });
    try {
      const { event } = await putAndEvent(rotated.source, { Bucket: rotated.sourceBucket, Key: 'rotated', Body: 'x' });

      // Act
      await rotated.deliver([event], { maxRounds: 1 });

      // Assess
      expect(rotated.secretReads()).toBe(2);
      await expectConverged(rotated, 'rotated');
    } finally {
      await rotated.cleanup();
    }
  });

  it('checkpoints a copy that runs out of time, re-queues it and resumes it on the next delivery', async () => {
    // Prepare: 20 MiB = 3 parts of 8 MiB; the first invocation has time for one part only.
    const body = Buffer.alloc(20 * 1024 * 1024, 7);
    const { event } = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'big', Body: body });
    const record = await p.relay(event);
    let calls = 0;
    // Time enough for the batch's margin, the engine's check before the copy and the first part.
    const shortOfTime = () => (++calls <= 3 ? 900_000 : 1_000);

    // Act
    const first = await p.replicate([record], shortOfTime);
    const inProgress = await p.dest.send(new ListMultipartUploadsCommand({ Bucket: p.destBucket }));
    const requeued = p.takeRequeued();
    const second = await p.replicate(requeued);

    // Assess
    // The first invocation checkpoints and re-queues the message instead of failing it.
    expect(first.batchItemFailures).toEqual([]);
    expect(requeued.map((r) => r.body)).toEqual([record.body]);
    expect(inProgress.Uploads?.map((u) => u.Key)).toEqual(['big']);
    expect(second.batchItemFailures).toEqual([]);
    expect((await p.dest.send(new ListMultipartUploadsCommand({ Bucket: p.destBucket }))).Uploads ?? []).toEqual([]);
    expect(await destVersionCount(p.dest, p.destBucket, 'big')).toEqual({ versions: 1, markers: 0 });
    await expectConverged(p, 'big');
  });
});

describe('history mode latest', () => {
  it('copies only the latest of several overwrites', async () => {
    const p = await createPipeline({ historyMode: 'latest' });
    try {
      const events = [];
      for (const body of ['1', '2', '3']) events.push((await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'l', Body: body })).event);
      await p.deliver([events[0]!]);
      expect(await destVersionCount(p.dest, p.destBucket, 'l')).toEqual({ versions: 1, markers: 0 });
      await expectConverged(p, 'l');
      await p.deliver(events.slice(1));
      expect(await destVersionCount(p.dest, p.destBucket, 'l')).toEqual({ versions: 1, markers: 0 });
    } finally {
      await p.cleanup();
    }
  });
});
