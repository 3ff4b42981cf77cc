// The demo behind `make demo`: a realistic mix of changes on the source "partition", their
// EventBridge events delivered shuffled and duplicated through the real relay, the real FIFO queue
// (fauxqs), the event-source-mapping poller and the real replicate handler, then a per-key table
// of source and destination state and a verdict.
import './env';
import { Readable } from 'node:stream';
import { ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { createPipeline, currentObject } from '../../tests/helpers/pipeline';
import { deleteAndEvent, putAndEvent, putTagsAndEvent, uploadAndEvent } from '../../tests/helpers/s3-events';
import { backfillDemo } from './backfill';

const MiB = 1024 * 1024;

/** A deterministic 200 MiB body, streamed: never held in memory. */
function bigBody(size: number): Readable {
  let sent = 0;
  return Readable.from(
    (function* () {
      while (sent < size) {
        const chunk = Buffer.alloc(Math.min(MiB, size - sent), sent / MiB);
        sent += chunk.length;
        yield chunk;
      }
    })(),
  );
}

async function describeSide(client: S3Client, bucket: string, key: string): Promise<string> {
  const page = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
  const versions = (page.Versions ?? []).filter((v) => v.Key === key).length;
  const markers = (page.DeleteMarkers ?? []).filter((m) => m.Key === key).length;
  const current = await currentObject(client, bucket, key);
  const now = current ? `${current.size} B sha256:${current.sha256.slice(0, 8)}${Object.keys(current.tags).length ? ' tags:' + Object.entries(current.tags).map(([k, v]) => `${k}=${v}`).join(',') : ''}` : 'deleted';
  return `${versions}v/${markers}m, ${now}`;
}

export async function main(): Promise<number> {
  const started = Date.now();
  const p = await createPipeline();
  try {
    console.log(`source s3://${p.sourceBucket} (${process.env.LOCAL_S3_SOURCE_REGION}) -> destination s3://${p.destBucket} (${process.env.LOCAL_S3_DEST_REGION})\n`);
    const events: unknown[] = [];
    const put = async (Key: string, Body: string, extra: Record<string, unknown> = {}) => {
      const { result, event } = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key, Body, ...extra });
      events.push(event);
      return result;
    };

    await put('readme.txt', 'hello from the source partition', { ContentType: 'text/plain', Metadata: { team: 'platform' } });
    await put('reports/2026 Q3 + Q4.csv', 'a,b\n1,2\n', { ContentType: 'text/csv', Tagging: 'class=internal' });
    await put('ünïcødé/naïve ☃.json', '{"snow":"man"}', { ContentType: 'application/json' });
    await put('percent%20and=equals', 'literal percent');
    await put('empty.bin', '');
    // Overwrites: every version is mirrored, in order.
    for (const n of [1, 2, 3]) await put('config.yaml', `revision: ${n}\n`);
    // A delete marker, and an object deleted then recreated.
    await put('tmp/scratch.txt', 'short-lived');
    events.push((await deleteAndEvent(p.source, p.sourceBucket, 'tmp/scratch.txt')).event);
    await put('phoenix.txt', 'first life');
    events.push((await deleteAndEvent(p.source, p.sourceBucket, 'phoenix.txt')).event);
    await put('phoenix.txt', 'second life');
    // A permanently deleted version.
    const doomed = await put('history.log', 'version to be purged');
    await put('history.log', 'version that stays');
    events.push((await deleteAndEvent(p.source, p.sourceBucket, 'history.log', doomed.VersionId)).event);
    // Tags changed after creation.
    const tagged = await put('tagged.txt', 'tag me later');
    events.push((await putTagsAndEvent(p.source, p.sourceBucket, 'tagged.txt', tagged.VersionId!, [{ Key: 'reviewed', Value: 'yes' }])).event);
    // A 200 MiB object: a multipart upload on the source, a streamed multipart copy.
    const bigSize = 200 * MiB;
    const upload = await uploadAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'large/200MiB.bin', Body: bigBody(bigSize), ContentLength: bigSize }, { partSize: 16 * MiB, queueSize: 2 });
    events.push(upload.event);

    // Deliver as EventBridge + SQS might: shuffled, with duplicates, in batches.
    const delivered = [...events, ...events.filter((_, i) => i % 4 === 0)];
    const rand = (() => { let s = 7; return () => ((s = (s * 16807) % 2147483647) / 2147483647); })();
    for (let i = delivered.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [delivered[i], delivered[j]] = [delivered[j], delivered[i]]; }
    console.log(`${events.length} source changes; relaying ${delivered.length} events (shuffled, ${delivered.length - events.length} duplicates) to the FIFO queue; the poller delivers batches of up to 5\n`);

    const actions = new Map<string, string[]>();
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = chunk.toString();
      if (text.startsWith('{')) {
        for (const line of text.split('\n').filter(Boolean)) {
          const entry = JSON.parse(line) as { message?: string; key?: string; action?: string };
          if (entry.message === 'replication outcome' && entry.key) actions.set(entry.key, [...(actions.get(entry.key) ?? []), entry.action ?? '?']);
        }
        return true;
      }
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    });
    const copyStarted = Date.now();
    let poller;
    try {
      // relay -> SQS FIFO queue -> poller (as Lambda's event source mapping) -> replicate
      for (const event of delivered) await p.send(event);
      poller = await p.drain({ batchSize: 5, maxMs: 600_000 });
    } finally {
      process.stdout.write = write;
    }
    const copySeconds = (Date.now() - copyStarted) / 1000;
    const { invocations, records, redeliveries } = poller.stats;

    const keys = [...new Set(events.map((e) => decodeURIComponent((e as { detail: { object: { key: string } } }).detail.object.key.replace(/\+/g, ' '))))].sort();
    const rows: string[][] = [['key', 'source', 'destination', 'actions', 'converged']];
    let converged = 0;
    for (const key of keys) {
      const [src, dst] = await Promise.all([currentObject(p.source, p.sourceBucket, key), currentObject(p.dest, p.destBucket, key)]);
      const same = JSON.stringify(src) === JSON.stringify(dst);
      if (same) converged++;
      rows.push([key, await describeSide(p.source, p.sourceBucket, key), await describeSide(p.dest, p.destBucket, key), (actions.get(key) ?? []).join(' '), same ? 'yes' : 'NO']);
    }
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => [...r[c]!].length)));
    for (const [i, row] of rows.entries()) {
      console.log(row.map((cell, c) => cell + ' '.repeat(widths[c]! - [...cell].length)).join('  '));
      if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    }
    console.log(`\n(v = object versions, m = delete markers; sha256 of the current bytes, which must match on both sides)`);
    console.log(`queue: ${delivered.length} events relayed, ${records} records delivered (the FIFO queue drops duplicate event ids) in ${invocations} invocations, ${redeliveries} redelivered`);
    console.log(`replication took ${copySeconds.toFixed(1)} s; demo ${((Date.now() - started) / 1000).toFixed(1)} s; DLQ messages: ${p.dlq.length}`);
    const ok = converged === keys.length && p.dlq.length === 0;
    console.log(ok ? `\nVERDICT: all ${keys.length} keys converged` : `\nVERDICT: ${keys.length - converged} of ${keys.length} keys did NOT converge`);
    const onboarded = await backfillDemo();
    console.log(onboarded ? '\nVERDICT: the existing bucket was backfilled; verify reports 0 differences' : '\nVERDICT: the backfill did NOT reach 0 differences');
    return ok && onboarded ? 0 : 1;
  } finally {
    await p.cleanup();
  }
}
