// Backfill and verify against rclone on the local servers (issue #10). Numbers only: nothing
// asserts a timing. Loopback only. Run through the harness:
//   scripts/test-env/run.sh node bench/backfill.mjs
// Sets: 1,000 x 4 KiB and 100 x 1 MiB: `backfill` (direct, the CLI's engine: read both sides,
// plan, copy, record in the state table) against `rclone copy` of the same data into a fresh
// bucket, both at the same concurrency (BENCH_CONCURRENCY, default 8). Then `verify` of 10,000
// keys already in sync, against `rclone check` of the same buckets. BENCH_REPS (default 3)
// interleaved repetitions; medians (min-max). Prints objects/s, the ratio to rclone, requests per object.
// Both tools are timed as whole processes (start-up, listing and work).
// verify runs three ways: full (tags compared), --no-tags, and --quick (listings trusted where they match).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const REPS = Number(process.env.BENCH_REPS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const VERIFY_KEYS = Number(process.env.BENCH_VERIFY_KEYS ?? 10_000);
// BENCH_NODE_FLAGS: for the CLI's process, e.g. --cpu-prof --cpu-prof-dir=/tmp/prof.
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const env = process.env;
for (const name of ['LOCAL_S3_SOURCE_ENDPOINT', 'LOCAL_S3_DEST_ENDPOINT', 'LOCAL_DYNAMODB_ENDPOINT']) {
  if (!env[name]) throw new Error(`${name} is not set: run through scripts/test-env/run.sh`);
  if (new URL(env[name]).hostname !== '127.0.0.1') throw new Error(`${name} must be a loopback address`);
}
if (spawnSync('rclone', ['version']).status !== 0) throw new Error('rclone is not installed (apt-get install rclone)');

const work = mkdtempSync(join(tmpdir(), 'bench-backfill-'));
const runner = join(work, 'runner.mjs');
await build({ entryPoints: [join(root, 'bench/backfill-runner.ts')], bundle: true, platform: 'node', target: 'node20', format: 'esm', outfile: runner, logLevel: 'warning', banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" } });

// GNU time gives each process's client CPU (user + system); without it CPU is not reported.
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
/** spawnSync under GNU time: the result, wall seconds and the process's CPU seconds (NaN without GNU time). */
function timed(command, args, options) {
  const stats = join(work, 'time.txt');
  const [cmd, argv] = TIME ? [TIME, ['-f', '%U %S', '-o', stats, command, ...args]] : [command, args];
  const started = process.hrtime.bigint();
  const run = spawnSync(cmd, argv, options);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = TIME && run.status === 0 ? readFileSync(stats, 'utf8').trim().split('\n').pop().split(' ').reduce((a, b) => a + Number(b), 0) : NaN;
  return { run, seconds, cpu };
}

const side = (prefix) => ({
  endpoint: env[`LOCAL_S3_${prefix}_ENDPOINT`],
  region: env[`LOCAL_S3_${prefix}_REGION`],
  credentials: { accessKeyId: env[`LOCAL_S3_${prefix}_ACCESS_KEY_ID`], secretAccessKey: env[`LOCAL_S3_${prefix}_SECRET_ACCESS_KEY`] },
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const source = new S3Client(side('SOURCE'));
const dest = new S3Client(side('DEST'));
const dynamo = new DynamoDBClient({ endpoint: env.LOCAL_DYNAMODB_ENDPOINT, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
let serial = 0;
const name = (what) => `bench-${what}-${Date.now().toString(36)}-${serial++}`;

async function bucket(client, versioned) {
  const Bucket = name('b');
  await client.send(new CreateBucketCommand({ Bucket }));
  if (versioned) await client.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  return Bucket;
}
async function table() {
  const TableName = name('t');
  await dynamo.send(new CreateTableCommand({ TableName, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }] }));
  return TableName;
}
async function fill(Bucket, count, size) {
  const body = Buffer.alloc(size, 1);
  let next = 0;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < count) {
      const i = next++;
      await source.send(new PutObjectCommand({ Bucket, Key: `obj/${String(i).padStart(6, '0')}`, Body: body }));
    }
  }));
}

function runCli(mode, srcBucket, dstBucket, tableName, variant = {}) {
  const job = {
    env: {
      TABLE_NAME: tableName,
      DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/111122223333/bench-dlq.fifo',
      SOURCE_BUCKET: srcBucket,
      DESTINATIONS: JSON.stringify([{ id: 'bench', bucket: dstBucket, region: env.LOCAL_S3_DEST_REGION, secretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:bench' }]),
      SOURCE_S3_ENDPOINT: env.LOCAL_S3_SOURCE_ENDPOINT,
      DESTINATION_S3_ENDPOINT: env.LOCAL_S3_DEST_ENDPOINT,
      DYNAMODB_ENDPOINT: env.LOCAL_DYNAMODB_ENDPOINT,
      S3_FORCE_PATH_STYLE: 'true',
    },
    destination: { endpoint: env.LOCAL_S3_DEST_ENDPOINT, region: env.LOCAL_S3_DEST_REGION, accessKeyId: env.LOCAL_S3_DEST_ACCESS_KEY_ID, secretAccessKey: env.LOCAL_S3_DEST_SECRET_ACCESS_KEY },
    concurrency: CONCURRENCY,
    tags: variant.tags ?? true,
    quick: variant.quick ?? false,
  };
  const { run, seconds, cpu } = timed(process.execPath, ['--no-warnings', ...NODE_FLAGS, runner, mode, JSON.stringify(job)], {
    env: { PATH: env.PATH, AWS_ACCESS_KEY_ID: env.LOCAL_S3_SOURCE_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: env.LOCAL_S3_SOURCE_SECRET_ACCESS_KEY, AWS_REGION: env.LOCAL_S3_SOURCE_REGION, AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED', AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED', POWERTOOLS_LOG_LEVEL: 'WARN' },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (run.status !== 0) throw new Error(`runner ${mode} failed: ${run.stderr.slice(-2000)}`);
  const out = JSON.parse(run.stdout.trim().split('\n').pop());
  if (out.code !== 0) throw new Error(`${mode} did not finish clean: ${JSON.stringify(out.result).slice(0, 2000)}`);
  // The whole process, start-up included, as rclone's is timed.
  return { ...out, seconds, cpu };
}

function rclone(args) {
  const remote = (r, prefix) => ({
    [`RCLONE_CONFIG_${r}_TYPE`]: 's3',
    [`RCLONE_CONFIG_${r}_PROVIDER`]: 'Ceph',
    [`RCLONE_CONFIG_${r}_ENDPOINT`]: env[`LOCAL_S3_${prefix}_ENDPOINT`],
    [`RCLONE_CONFIG_${r}_REGION`]: env[`LOCAL_S3_${prefix}_REGION`],
    [`RCLONE_CONFIG_${r}_ACCESS_KEY_ID`]: env[`LOCAL_S3_${prefix}_ACCESS_KEY_ID`],
    [`RCLONE_CONFIG_${r}_SECRET_ACCESS_KEY`]: env[`LOCAL_S3_${prefix}_SECRET_ACCESS_KEY`],
    [`RCLONE_CONFIG_${r}_FORCE_PATH_STYLE`]: 'true',
  });
  const config = join(work, 'rclone.conf');
  writeFileSync(config, '');
  const { run, seconds, cpu } = timed('rclone', [...args, '--s3-no-check-bucket', '--transfers', String(CONCURRENCY), '--checkers', String(CONCURRENCY), '-v', '--stats-one-line', '--stats', '0'], {
    env: { PATH: env.PATH, HOME: work, RCLONE_CONFIG: config, ...remote('SRC', 'SOURCE'), ...remote('DST', 'DEST') },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`rclone ${args[0]} failed: ${run.stderr.slice(-2000)}`);
  return { seconds, cpu };
}

/**
 * The floor of any engine on the AWS SDK here: GET + PUT of every object, the body in memory,
 * `CONCURRENCY` at once, nothing listed, planned or recorded. In its own process, timed whole.
 */
const FLOOR_SCRIPT = `
const { S3Client, ListObjectsV2Command, GetObjectCommand, PutObjectCommand } = require('@aws-sdk/client-s3');
const [srcBucket, dstBucket, concurrency] = process.argv.slice(1);
const client = (p) => new S3Client({ endpoint: process.env['LOCAL_S3_' + p + '_ENDPOINT'], region: process.env['LOCAL_S3_' + p + '_REGION'], forcePathStyle: true,
  credentials: { accessKeyId: process.env['LOCAL_S3_' + p + '_ACCESS_KEY_ID'], secretAccessKey: process.env['LOCAL_S3_' + p + '_SECRET_ACCESS_KEY'] },
  requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
(async () => {
  const [src, dst] = [client('SOURCE'), client('DEST')];
  const keys = [];
  for (let token; ; ) {
    const page = await src.send(new ListObjectsV2Command({ Bucket: srcBucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) keys.push(o.Key);
    if (!(token = page.NextContinuationToken)) break;
  }
  let next = 0;
  await Promise.all(Array.from({ length: Number(concurrency) }, async () => {
    while (next < keys.length) {
      const Key = keys[next++];
      const got = await src.send(new GetObjectCommand({ Bucket: srcBucket, Key }));
      await dst.send(new PutObjectCommand({ Bucket: dstBucket, Key, Body: Buffer.from(await got.Body.transformToByteArray()) }));
    }
  }));
})();
`;
function sdkFloor(srcBucket, dstBucket) {
  const { run, seconds, cpu } = timed(process.execPath, ['--no-warnings', '-e', FLOOR_SCRIPT, srcBucket, dstBucket, String(CONCURRENCY)], { cwd: root, env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`the SDK floor failed: ${run.stderr.slice(-2000)}`);
  return { seconds, cpu };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs, digits = 0) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)})`;
const perObject = (requests, n) => Object.entries(requests).sort().map(([op, c]) => `${op} ${(c / n).toFixed(2)}`).join(', ');
const total = (requests) => Object.values(requests).reduce((a, b) => a + b, 0);

console.log(`bench backfill: concurrency ${CONCURRENCY}, ${REPS} reps, loopback (Ceph RGW both sides, dynalite)`);
const SETS = [{ label: '1,000 x 4 KiB', count: 1000, size: 4096 }, { label: '100 x 1 MiB', count: 100, size: 1 << 20 }];
// BENCH_ONLY=verify skips the backfill sets.
for (const set of process.env.BENCH_ONLY === 'verify' ? [] : SETS) {
  const src = await bucket(source, true);
  await fill(src, set.count, set.size);
  const ours = [];
  const theirs = [];
  const floor = [];
  const cpu = { ours: [], rclone: [], floor: [] };
  let requests;
  const note = (rates, cpus, r) => {
    rates.push(set.count / r.seconds);
    cpus.push((r.cpu * 1000) / set.count);
  };
  // Interleaved; the order turns each repetition so no tool always runs on a warm server.
  const steps = [
    async () => {
      const out = runCli('backfill', src, await bucket(dest, true), await table());
      note(ours, cpu.ours, out);
      requests = out.requests;
    },
    async () => note(theirs, cpu.rclone, rclone(['copy', `SRC:${src}`, `DST:${await bucket(dest, true)}`])),
    async () => note(floor, cpu.floor, sdkFloor(src, await bucket(dest, true))),
  ];
  for (let rep = 0; rep < REPS; rep++) for (let i = 0; i < steps.length; i++) await steps[(i + rep) % steps.length]();
  const ratios = ours.map((o, i) => o / theirs[i]);
  console.log(`${set.label}: backfill ${fmt(ours)} objects/s, rclone copy ${fmt(theirs)} objects/s, ratio ${fmt(ratios, 2)}; the SDK's floor (GET + PUT only) ${fmt(floor)} objects/s, ours / floor ${(median(ours) / median(floor)).toFixed(2)}; client CPU ms/object: ours ${fmt(cpu.ours, 2)}, rclone ${fmt(cpu.rclone, 2)}, floor ${fmt(cpu.floor, 2)}; ${(total(requests) / set.count).toFixed(2)} requests/object (${perObject(requests, set.count)})`);
}

{
  const src = await bucket(source, true);
  await fill(src, VERIFY_KEYS, 16);
  const dst = await bucket(dest, true);
  const tableName = await table();
  runCli('backfill', src, dst, tableName);
  for (const [label, variant] of [['verify', {}], ['verify --no-tags', { tags: false }], ['verify --quick', { quick: true }]]) {
    const ours = [];
    const theirs = [];
    let requests;
    for (let rep = 0; rep < REPS; rep++) {
      const out = runCli('verify', src, dst, tableName, variant);
      ours.push(VERIFY_KEYS / out.seconds);
      requests = out.requests;
      theirs.push(VERIFY_KEYS / rclone(['check', `SRC:${src}`, `DST:${dst}`, '--one-way']).seconds);
    }
    const ratios = ours.map((o, i) => o / theirs[i]);
    console.log(`${label} of ${VERIFY_KEYS} keys in sync: ${fmt(ours)} keys/s, rclone check ${fmt(theirs)} keys/s, ratio ${fmt(ratios, 2)}; ${(total(requests) / VERIFY_KEYS).toFixed(2)} requests/key (${perObject(requests, VERIFY_KEYS)})`);
  }
}
rmSync(work, { recursive: true, force: true });
