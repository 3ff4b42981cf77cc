import '../helpers/quiet-powertools';
import { PutObjectCommand, PutObjectTaggingCommand, DeleteObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { KeyEngine } from '../../src/backfill/engine';
import type { ConvergeResult } from '../../src/cli/commands/converge';
import { runConverge } from '../../src/cli/commands/converge';
import { runEnqueue } from '../../src/cli/commands/enqueue';
import { runRedrive } from '../../src/cli/commands/redrive';
import { runStatus } from '../../src/cli/commands/status';
import type { VerifyResult } from '../../src/cli/commands/verify';
import { runVerify } from '../../src/cli/commands/verify';
import type { Pipeline } from '../helpers/pipeline';
import { createPipeline, currentObject, versionHistory } from '../helpers/pipeline';
import { cliContext } from '../helpers/cli-context';
import { deleteAndEvent, putAndEvent, putTagsAndEvent } from '../helpers/s3-events';

/**
 * Onboarding a bucket that already holds data, on the real servers (Ceph RGW as two partitions,
 * dynalite, fauxqs): verify sees what is missing, stale and extra; a queue-mode backfill runs
 * while live events arrive, through the real queue and the replicate handler; every key
 * converges; reconcile removes only replicas unless forced; verify ends at zero.
 */

const cli = cliContext;

async function verify(p: Pipeline, prefix = '', quick = false): Promise<{ code: number; result: VerifyResult }> {
  const ctx = cli(p);
  const code = await runVerify(ctx, { prefix, concurrency: 8, show: 1000, tags: true, quick });
  return { code, result: ctx.out.results[0] as VerifyResult };
}

const statusesOf = (result: VerifyResult) => Object.fromEntries(result.destinations[0]!.keys.map((k) => [k.key, k.status]));

async function put(p: Pipeline, key: string, body: string) {
  return p.source.send(new PutObjectCommand({ Bucket: p.sourceBucket, Key: key, Body: body }));
}

/** Every key either side lists (versions or markers). */
async function allKeys(p: Pipeline, side: 'source' | 'dest'): Promise<string[]> {
  const client = side === 'source' ? p.source : p.dest;
  const bucket = side === 'source' ? p.sourceBucket : p.destBucket;
  const { Versions = [], DeleteMarkers = [] } = await client.send(new ListObjectVersionsCommand({ Bucket: bucket }));
  return [...new Set([...Versions, ...DeleteMarkers].map((v) => v.Key!))].sort();
}

describe('onboarding: verify, backfill while live events arrive, reconcile', () => {
  let p: Pipeline;
  const ODD = ['odd/a b+c%d=e é\u{1f600}', 'odd/ctl\u0001key'];
  const MANY = Array.from({ length: 12 }, (_, i) => `many/k${String(i).padStart(2, '0')}`);

  beforeAll(async () => {
    p = await createPipeline({ historyMode: 'all' });
    // Data that existed before the deployment: several versions, markers, tags, odd keys.
    for (let i = 1; i <= 3; i++) await put(p, 'docs/a.txt', `a v${i}`);
    await p.source.send(new PutObjectTaggingCommand({ Bucket: p.sourceBucket, Key: 'docs/a.txt', Tagging: { TagSet: [{ Key: 'team', Value: 'blue' }] } }));
    await put(p, 'docs/deleted.txt', 'd v1');
    await put(p, 'docs/deleted.txt', 'd v2');
    await p.source.send(new DeleteObjectCommand({ Bucket: p.sourceBucket, Key: 'docs/deleted.txt' }));
    for (const key of [...ODD, ...MANY]) await put(p, key, `body of ${key}`);
    // A key replicated once, then changed at the source: stale.
    await put(p, 'stale/s.txt', 's v1');
    const engine = new KeyEngine(cli(p));
    await engine.run(p.config.destinations[0]!, { key: 'stale/s.txt', compareTags: true });
    await put(p, 'stale/s.txt', 's v2');
    // Keys only the destination has: a replica of a version the source no longer has, and a foreign object.
    await p.dest.send(new PutObjectCommand({ Bucket: p.destBucket, Key: 'gone/replica.txt', Body: 'r', Metadata: { 'partition-replica-of': 'vanished-version;0123' } }));
    await p.dest.send(new PutObjectCommand({ Bucket: p.destBucket, Key: 'gone/foreign.txt', Body: 'f' }));
  });

  afterAll(() => p.cleanup());

  it('verify reports missing, stale and extra keys before the run, and changes nothing', async () => {
    const destinationBefore = await allKeys(p, 'dest');
    const { code, result } = await verify(p);
    expect(code).toBe(1);
    expect(result.destinations[0]!.counts).toEqual({ 'in-sync': 0, missing: 16, stale: 1, extra: 2, unreplicable: 0, failed: 0 });
    const statuses = statusesOf(result);
    expect(statuses['stale/s.txt']).toBe('stale');
    expect(statuses['gone/replica.txt']).toBe('extra');
    expect(statuses['gone/foreign.txt']).toBe('extra');
    expect(statuses[ODD[0]!]).toBe('missing');
    expect(statuses['docs/deleted.txt']).toBe('missing');
    // The plan names what would be done: all three versions of docs/a.txt, oldest first.
    const plan = result.destinations[0]!.keys.find((k) => k.key === 'docs/a.txt')!.plan;
    expect(plan.filter((l) => l.startsWith('copy '))).toHaveLength(3);
    expect(await allKeys(p, 'dest')).toEqual(destinationBefore);
    expect(await verify(p, 'many/')).toMatchObject({ code: 1, result: { differences: 12 } });
    // --quick reads no table item for keys whose listings match, and sees the same differences.
    expect((await verify(p, '', true)).result.destinations[0]!.counts).toEqual(result.destinations[0]!.counts);
  });

  it('status shows one key’s histories, map, state and plan', async () => {
    const ctx = cli(p);
    expect(await runStatus(ctx, 'stale/s.txt', {})).toBe(1);
    const [report] = ctx.out.results as { destinations: { status: string; source: { entries: unknown[] }; mappings: Record<string, unknown>; state: unknown; plan: string[] }[] }[];
    const d = report!.destinations[0]!;
    expect(d.status).toBe('stale');
    expect(d.source.entries).toHaveLength(2);
    expect(Object.keys(d.mappings)).toHaveLength(1);
    expect(d.state).not.toBeNull();
    expect(d.plan.some((l) => l.startsWith('copy '))).toBe(true);
  });

  it('a queue-mode backfill and live events together converge every key; verify then sees only the extras', async () => {
    const ctx = cli(p);
    const live = (async () => {
      const events: unknown[] = [];
      events.push((await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'docs/a.txt', Body: 'a v4 (live)' })).event);
      events.push((await deleteAndEvent(p.source, p.sourceBucket, 'many/k03')).event);
      events.push((await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'live/new.txt', Body: 'new' })).event);
      const { result } = await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'many/k05', Body: 'k05 v2' });
      events.push((await putTagsAndEvent(p.source, p.sourceBucket, 'many/k05', result.VersionId!, [{ Key: 'x', Value: 'y' }])).event);
      for (const event of events) await p.send(event);
    })();
    const code = await runEnqueue(ctx, { prefix: '', history: 'all', concurrency: 4, runId: 'onboard-1' });
    await live;
    expect(code).toBe(0);
    expect(ctx.out.results[0]).toMatchObject({ runId: 'onboard-1', failed: [] });
    await p.drain({ maxMs: 90_000 });

    for (const key of await allKeys(p, 'source')) {
      expect({ key, object: await currentObject(p.dest, p.destBucket, key) }).toEqual({ key, object: await currentObject(p.source, p.sourceBucket, key) });
    }
    // Keys no live event touched have their whole history mirrored (history all).
    for (const key of ['docs/deleted.txt', 'many/k00', ODD[1]!]) {
      expect(await versionHistory(p.dest, p.destBucket, key)).toEqual(await versionHistory(p.source, p.sourceBucket, key));
    }
    const { code: after, result } = await verify(p);
    expect(after).toBe(1);
    expect(result.destinations[0]!.counts).toMatchObject({ missing: 0, stale: 0, extra: 2, failed: 0 });
  });

  it('reconcile deletes extras only on request, only replicas unless forced; verify ends at zero', async () => {
    const ctx = cli(p);
    expect(await runConverge(ctx, { prefix: '', concurrency: 4, extras: true })).toBe(1);
    expect(await allKeys(p, 'dest')).toEqual(expect.arrayContaining(['gone/replica.txt', 'gone/foreign.txt']));

    const once = cli(p);
    expect(await runConverge(once, { prefix: '', concurrency: 4, extras: true, deleteExtras: true })).toBe(1);
    const keys = await allKeys(p, 'dest');
    expect(keys).not.toContain('gone/replica.txt');
    expect(keys).toContain('gone/foreign.txt');
    const left = (once.out.results[0] as ConvergeResult).destinations[0]!.left;
    expect(left.map((l) => l.key)).toEqual(['gone/foreign.txt']);

    expect(await runConverge(cli(p), { prefix: '', concurrency: 4, extras: true, deleteExtras: true, force: true })).toBe(0);
    expect(await allKeys(p, 'dest')).not.toContain('gone/foreign.txt');
    const { code, result } = await verify(p);
    expect(result.differences).toBe(0);
    expect(code).toBe(0);
    expect(await verify(p, '', true)).toMatchObject({ code: 0, result: { differences: 0 } });
  });

  it('redrive finds nothing to move once the DLQ is empty', async () => {
    const ctx = cli(p);
    expect(await runRedrive(ctx, { dryRun: true })).toBe(0);
    expect(ctx.out.results[0]).toMatchObject({ seen: 0, moved: 0 });
  });
});
