import '../helpers/quiet-powertools';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { KeyStateStore } from '../../src/aws/state';
import type { ConvergeResult } from '../../src/cli/commands/converge';
import { runConverge } from '../../src/cli/commands/converge';
import { runStatus } from '../../src/cli/commands/status';
import type { VerifyResult } from '../../src/cli/commands/verify';
import { runVerify } from '../../src/cli/commands/verify';
import { cliContext } from '../helpers/cli-context';
import type { Pipeline } from '../helpers/pipeline';
import { createPipeline, versionHistory } from '../helpers/pipeline';

/**
 * The direct backfill and verify read the table in bulk and write it in shared batches, on the
 * real servers: no Query for a key whose fetched items account for its destination history, the
 * full per-key read (and the same plan) for one they do not, and a map lost before its batch was
 * written (a crash) rebuilt from the replicas' metadata instead of copied again.
 */

const KEYS = Array.from({ length: 30 }, (_, i) => `bulk/${String(i).padStart(2, '0')}`);
let p: Pipeline;

/** A CLI context whose table client counts its commands. */
function counted(): { ctx: ReturnType<typeof cliContext>; count: (command: string) => number } {
  const ctx = cliContext(p);
  const sent: Record<string, number> = {};
  ctx.documents.middlewareStack.add(
    (next, context) => (args) => {
      sent[String(context.commandName)] = (sent[String(context.commandName)] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return { ctx, count: (command) => sent[command] ?? 0 };
}

beforeAll(async () => {
  p = await createPipeline({ historyMode: 'all' });
  for (const key of KEYS) {
    await p.source.send(new PutObjectCommand({ Bucket: p.sourceBucket, Key: key, Body: `${key} v1` }));
    await p.source.send(new PutObjectCommand({ Bucket: p.sourceBucket, Key: key, Body: `${key} v2` }));
  }
});

afterAll(() => p.cleanup());

it("a backfill writes 30 keys' state in shared batches; verify then reads the table in bulk, no Query", async () => {
  // Act
  const backfill = counted();
  const code = await runConverge(backfill.ctx, { prefix: '', history: 'all', concurrency: 8, extras: false });

  // Assess: 30 keys x (state + 2 map entries) = 90 items, at most 25 a request.
  expect(code).toBe(0);
  expect((backfill.ctx.out.results[0] as ConvergeResult).destinations[0]).toMatchObject({ keys: 30, versionsCopied: 60, failed: [] });
  expect(backfill.count('BatchWriteItemCommand')).toBeLessThanOrEqual(8);
  expect(backfill.count('QueryCommand')).toBe(0);
  const items = await new KeyStateStore(backfill.ctx.documents, p.tableName, 'gov', p.sourceBucket, KEYS[4]!).readAll();
  expect(items.mappings.size).toBe(2);
  expect(items.state?.destinationVersionId).toBeDefined();
  expect(items.state?.destinationVersionId).toBe(items.mappings.get(items.state!.sourceVersion!)?.destinationVersionId);

  const check = counted();
  expect(await runVerify(check.ctx, { prefix: '', history: 'all', concurrency: 8, show: 100, tags: false })).toBe(0);
  expect((check.ctx.out.results[0] as VerifyResult).destinations[0]!.counts['in-sync']).toBe(30);
  expect(check.count('QueryCommand')).toBe(0);
  expect(check.count('BatchGetItemCommand')).toBeGreaterThan(0);
});

it('a bulk read that fails leaves each key to its own Query: the run goes on', async () => {
  // Prepare: every BatchGetItem refused.
  const check = counted();
  check.ctx.documents.middlewareStack.add(
    (next, context) => (args) => (context.commandName === 'BatchGetItemCommand' ? Promise.reject(Object.assign(new Error('refused'), { name: 'InternalServerError' })) : next(args)),
    { step: 'initialize', name: 'refuseBatchGet' },
  );

  // Act
  const code = await runVerify(check.ctx, { prefix: '', history: 'all', concurrency: 8, show: 100, tags: false });

  // Assess
  expect(code).toBe(0);
  expect((check.ctx.out.results[0] as VerifyResult).destinations[0]!.counts['in-sync']).toBe(30);
  expect(check.count('QueryCommand')).toBe(30);
});

it('a destination version no fetched map entry names sends its key to the full read, and the plan is the per-key one', async () => {
  // Prepare: a foreign version on top of one replica.
  const key = KEYS[3]!;
  await p.dest.send(new PutObjectCommand({ Bucket: p.destBucket, Key: key, Body: 'written by someone else' }));

  // Act
  const check = counted();
  const code = await runVerify(check.ctx, { prefix: '', history: 'all', concurrency: 8, show: 100, tags: false });
  const status = cliContext(p);
  await runStatus(status, key, { history: 'all' });

  // Assess
  expect(code).toBe(1);
  const report = (check.ctx.out.results[0] as VerifyResult).destinations[0]!;
  expect(report.counts).toMatchObject({ 'in-sync': 29, stale: 1 });
  expect(check.count('QueryCommand')).toBe(1);
  const [perKey] = status.out.results as { destinations: { status: string; plan: string[] }[] }[];
  expect(report.keys).toEqual([{ key, status: perKey!.destinations[0]!.status, plan: perKey!.destinations[0]!.plan }]);
});

it("a key whose map entries were lost (a crash before the batch was written) is mapped again from the replicas' metadata, not copied", async () => {
  // Prepare: the map entries of one key gone, as if the run had died before writing them.
  const key = KEYS[7]!;
  const before = await versionHistory(p.dest, p.destBucket, key);
  const store = new KeyStateStore(cliContext(p).documents, p.tableName, 'gov', p.sourceBucket, key);
  const { mappings } = await store.readAll();
  for (const identity of mappings.keys()) await cliContext(p).documents.send(new DeleteCommand({ TableName: p.tableName, Key: { pk: `gov#${p.sourceBucket}/${key}`, sk: `V#${identity}` } }));

  // Act
  const backfill = counted();
  const code = await runConverge(backfill.ctx, { prefix: 'bulk/07', history: 'all', concurrency: 8, extras: false });

  // Assess
  expect(code).toBe(0);
  expect((backfill.ctx.out.results[0] as ConvergeResult).destinations[0]).toMatchObject({ keys: 1, versionsCopied: 0, failed: [] });
  expect(await versionHistory(p.dest, p.destBucket, key)).toEqual(before);
  const mirrors = (m: typeof mappings) => Object.fromEntries([...m].map(([identity, mapping]) => [identity, mapping.destinationVersionId]));
  expect(mirrors((await store.readAll()).mappings)).toEqual(mirrors(mappings));
});
