import '../helpers/quiet-powertools';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { build } from 'esbuild';
import { documentClient, sourceS3Client } from '../../src/aws/clients';
import type { ConvergeResult } from '../../src/cli/commands/converge';
import { runConverge } from '../../src/cli/commands/converge';
import { runVerify } from '../../src/cli/commands/verify';
import { memoryOutput } from '../../src/cli/output';
import { LocalDestinations } from '../../src/cli/settings';
import type { Pipeline } from '../helpers/pipeline';
import { createPipeline } from '../helpers/pipeline';
import { localEnv } from '../helpers/local-env';

/**
 * An interrupted direct backfill resumes: the CLI, bundled as it ships, runs as its own process
 * and is killed (SIGKILL, no cleanup) partway; a rerun does only what is left, copies nothing
 * twice, and verify then reports zero differences.
 */

const KEYS = Array.from({ length: 60 }, (_, i) => `bulk/${String(i).padStart(3, '0')}`);
let p: Pipeline;
let dir: string;
let bundle: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cli-'));
  bundle = join(dir, 'cli.js');
  await build({ entryPoints: [join(__dirname, '../../src/cli/entry.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: bundle, logLevel: 'error' });
  p = await createPipeline({ historyMode: 'all' });
  const body = Buffer.alloc(256 * 1024, 7);
  for (const key of KEYS) await p.source.send(new PutObjectCommand({ Bucket: p.sourceBucket, Key: key, Body: body }));
});

afterAll(async () => {
  await p.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function destinationVersions(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  for (;;) {
    const page = await p.dest.send(new ListObjectVersionsCommand({ Bucket: p.destBucket, KeyMarker, VersionIdMarker }));
    for (const v of page.Versions ?? []) counts.set(v.Key!, (counts.get(v.Key!) ?? 0) + 1);
    if (!page.IsTruncated) return counts;
    ({ NextKeyMarker: KeyMarker, NextVersionIdMarker: VersionIdMarker } = page);
  }
}

it('a backfill killed partway resumes: the rerun copies only what is left, nothing twice', async () => {
  const env = localEnv();
  const child = spawn(process.execPath, [bundle, '--no-progress', '--json', 'backfill', '--concurrency', '2'], {
    env: {
      PATH: process.env.PATH,
      ...p.functionEnv,
      AWS_ACCESS_KEY_ID: env.source.accessKeyId,
      AWS_SECRET_ACCESS_KEY: env.source.secretAccessKey,
      AWS_REGION: env.source.region,
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
      DESTINATION_AWS_ACCESS_KEY_ID: env.dest.accessKeyId,
      DESTINATION_AWS_SECRET_ACCESS_KEY: env.dest.secretAccessKey,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Kill it once a few keys are on the destination, well before the end.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if ((await destinationVersions()).size >= 5) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the CLI did not start copying (exit ${child.exitCode}): ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill('SIGKILL');
  await exited;
  const done = (await destinationVersions()).size;
  expect(done).toBeGreaterThanOrEqual(5);
  expect(done).toBeLessThan(KEYS.length);

  const ctx = { config: p.config, source: sourceS3Client(p.config.endpoints), sqs: p.sqs, documents: documentClient(p.config.endpoints), destinations: new LocalDestinations({ accessKeyId: env.dest.accessKeyId, secretAccessKey: env.dest.secretAccessKey }, p.config), out: memoryOutput(true) };
  expect(await runConverge(ctx, { prefix: '', concurrency: 4, extras: false })).toBe(0);
  const tally = (ctx.out.results[0] as ConvergeResult).destinations[0]!;
  expect(tally.keys).toBe(KEYS.length);
  // Keys the killed run finished are in sync now (a copy it made but never recorded is recognised
  // by its replica metadata); a write the server finished after the kill counts as done too.
  expect(tally.outcomes['in-sync']).toBeGreaterThanOrEqual(done);
  expect(tally.outcomes['in-sync']).toBeLessThanOrEqual(done + 2);
  expect((tally.outcomes.copied ?? 0) + tally.outcomes['in-sync']!).toBe(KEYS.length);
  const versions = await destinationVersions();
  expect([...versions.keys()].sort()).toEqual(KEYS);
  expect([...versions.values()].every((n) => n === 1)).toBe(true);

  // A third run with --quick reads nothing per key: every key's listed histories match.
  const quick = { ...ctx, out: memoryOutput(true) };
  expect(await runConverge(quick, { prefix: '', concurrency: 4, extras: false, quick: true })).toBe(0);
  expect((quick.out.results[0] as ConvergeResult).destinations[0]!.outcomes).toEqual({ 'in-sync': KEYS.length });
  expect(await destinationVersions()).toEqual(versions);

  const verify = { ...ctx, out: memoryOutput(true) };
  expect(await runVerify(verify, { prefix: '', concurrency: 8, show: 10, tags: true })).toBe(0);
});
