// `make bench`: our engine against rclone on the local servers, in one server session, with
// interleaved repetitions and medians (min-max). Loopback only. Numbers only: nothing asserts a
// timing. Run through the harness:  scripts/test-env/run.sh node bench/bench.mjs
//
// Workloads (BENCH_SETS, comma-separated; default all):
//   small  1,000 x 4 KiB through the full replicate handler (DynamoDB bookkeeping included), in
//          batches of 10 distinct keys; 1 worker and 8 workers (processes, like concurrent
//          functions); rclone with 1 and 8 transfers
//   mib    100 x 1 MiB, the same way; rclone with 8 transfers
//   1gib   one 1 GiB object: the copy engine; rclone defaults and tuned; the server's write-only limit
//   3gib   one 3 GiB object: the copy engine (peak RSS against 1 GiB's)
//   cold   loading build/replicate.js, and its first and second record (needs `make build`)
// BENCH_REPS (default 3). Each run writes into a fresh destination bucket (and state table).
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const execFileAsync = promisify(execFile);
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SETS = {
  small: { name: 'small', size: 4 * 1024, count: 1000 },
  mib: { name: 'mib', size: MiB, count: 100 },
  '1gib': { name: '1gib', size: GiB, count: 1 },
  '3gib': { name: '3gib', size: 3 * GiB, count: 1 },
};
const ALL = ['small', 'mib', '1gib', '3gib', 'cold'];
const PART_SIZE = 8 * MiB;
const PARTS_IN_FLIGHT = 4;
const BATCH = 10;
const MAX_WORKERS = 8;
const REPS = Number(process.env.BENCH_REPS ?? 3);
// Batches each handler process converges before it is measured (BENCH_WARM_BATCHES): a warm function has compiled its paths.
const WARM_BATCHES = Number(process.env.BENCH_WARM_BATCHES ?? 5);
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
// --no-warnings: the SDK's Node 20 notice once per worker; BENCH_WORKER_FLAGS e.g. --cpu-prof.
const WORKER_FLAGS = ['--no-warnings', ...(process.env.BENCH_WORKER_FLAGS ?? '').split(' ').filter(Boolean)];
const DEST_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:bench-dest';

function die(message) {
  console.error(`bench: ${message}`);
  process.exit(1);
}

for (const name of ['LOCAL_S3_SOURCE_ENDPOINT', 'LOCAL_S3_DEST_ENDPOINT', 'LOCAL_DYNAMODB_ENDPOINT']) {
  if (!process.env[name]) die(`${name} is not set: run through scripts/test-env/run.sh (make bench)`);
  if (new URL(process.env[name]).hostname !== '127.0.0.1') die(`${name} must be a loopback address`);
}
const wanted = (process.env.BENCH_SETS ?? ALL.join(',')).split(',').map((s) => (ALL.includes(s) ? s : die(`unknown set ${s}: ${ALL.join(', ')}`)));
const hasRclone = spawnSync('rclone', ['version'], { encoding: 'utf8' }).status === 0;

const work = mkdtempSync(join(tmpdir(), 'bench-'));
const bundle = (entry, out) =>
  build({ entryPoints: [join(root, entry)], bundle: true, platform: 'node', target: 'node20', outfile: join(work, out), logLevel: 'warning' });
await bundle('bench/copy-runner.ts', 'runner.js');
await bundle('bench/handler-worker.ts', 'worker.js');
const runner = join(work, 'runner.js');

// ---------------------------------------------------------------- measuring processes
/** CPU seconds (user + system) each local server used so far: RGW (with its OSD) and dynalite. */
const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
function serverCpu() {
  const dir = process.env.TEST_ENV_DIR ?? join(root, '.test-env');
  const of = (name) => {
    try {
      const pid = readFileSync(join(dir, 'run', `${name}.pid`), 'utf8').trim();
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) / TICK; // utime, stime
    } catch {
      return NaN; // not found (servers of another TEST_ENV_DIR): left out
    }
  };
  return { rgw: of('client.rgw.a') + of('osd.0'), dynalite: of('dynalite') };
}
const cpuSince = (before) => {
  const now = serverCpu();
  return { rgw: now.rgw - before.rgw, dynalite: now.dynalite - before.dynalite };
};

/** Runs a command under GNU time: stdout, wall seconds, client CPU seconds, peak RSS MiB, server CPU seconds. */
function measured(command, args, env = {}, base = process.env) {
  const stats = join(work, 'time.txt');
  const [cmd, argv] = TIME ? [TIME, ['-f', '%e %U %S %M', '-o', stats, command, ...args]] : [command, args];
  const server = serverCpu();
  const started = process.hrtime.bigint();
  const run = spawnSync(cmd, argv, { env: { ...base, ...env }, encoding: 'utf8', maxBuffer: 64 * MiB });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) throw new Error(`${command} ${args[0] ?? ''} failed (${run.status}): ${run.stderr.slice(-2000)}`);
  const [, user, sys, maxKb] = TIME ? readFileSync(stats, 'utf8').trim().split('\n').pop().split(/\s+/).map(Number) : [wall, NaN, NaN, NaN];
  return { stdout: run.stdout, wall, cpu: user + sys, rssMiB: maxKb / 1024, server: cpuSince(server) };
}

function runnerJson(mode, job) {
  const out = measured(process.execPath, ['--no-warnings', runner, mode, JSON.stringify(job)]);
  return { ...out, result: JSON.parse(out.stdout.trim().split('\n').pop()) };
}

// ---------------------------------------------------------------- rclone
function rclone(args) {
  const remote = (side, prefix) => ({
    [`RCLONE_CONFIG_${side}_TYPE`]: 's3',
    [`RCLONE_CONFIG_${side}_PROVIDER`]: 'Ceph',
    [`RCLONE_CONFIG_${side}_ENDPOINT`]: process.env[`LOCAL_S3_${prefix}_ENDPOINT`],
    [`RCLONE_CONFIG_${side}_REGION`]: process.env[`LOCAL_S3_${prefix}_REGION`],
    [`RCLONE_CONFIG_${side}_ACCESS_KEY_ID`]: process.env[`LOCAL_S3_${prefix}_ACCESS_KEY_ID`],
    [`RCLONE_CONFIG_${side}_SECRET_ACCESS_KEY`]: process.env[`LOCAL_S3_${prefix}_SECRET_ACCESS_KEY`],
    [`RCLONE_CONFIG_${side}_FORCE_PATH_STYLE`]: 'true',
  });
  const env = { RCLONE_CONFIG: join(work, 'rclone.conf'), ...remote('SRC', 'SOURCE'), ...remote('DST', 'DEST') };
  writeFileSync(env.RCLONE_CONFIG, '');
  // rclone's S3 client refuses AWS_CA_BUNDLE with its HTTP transport; loopback HTTP needs no CA
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  return measured('rclone', ['copy', ...args, '--s3-no-check-bucket', '--metadata'], env, base);
}

// ---------------------------------------------------------------- the full handler
const functionEnv = (srcBucket, dstBucket, tableName) => ({
  TABLE_NAME: tableName,
  DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/111122223333/bench-dlq.fifo',
  SOURCE_BUCKET: srcBucket,
  DESTINATIONS: JSON.stringify([{ id: 'bench', bucket: dstBucket, region: process.env.LOCAL_S3_DEST_REGION, secretArn: DEST_SECRET_ARN }]),
  SOURCE_S3_ENDPOINT: process.env.LOCAL_S3_SOURCE_ENDPOINT,
  DESTINATION_S3_ENDPOINT: process.env.LOCAL_S3_DEST_ENDPOINT,
  DYNAMODB_ENDPOINT: process.env.LOCAL_DYNAMODB_ENDPOINT,
  S3_FORCE_PATH_STYLE: 'true',
});
// The function's own credentials and region, as Lambda gives them; RGW 16 needs WHEN_REQUIRED.
const lambdaEnv = {
  AWS_ACCESS_KEY_ID: process.env.LOCAL_S3_SOURCE_ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY: process.env.LOCAL_S3_SOURCE_SECRET_ACCESS_KEY,
  AWS_REGION: process.env.LOCAL_S3_SOURCE_REGION,
  AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
  AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
  POWERTOOLS_LOG_LEVEL: 'WARN',
  POWERTOOLS_METRICS_DISABLED: 'true',
};
const secret = {
  user: 'bench',
  accesskey: process.env.LOCAL_S3_DEST_ACCESS_KEY_ID,
  secretaccesskey: process.env.LOCAL_S3_DEST_SECRET_ACCESS_KEY,
  partition: 'aws-us-gov',
  accountid: '210987654321',
  region: process.env.LOCAL_S3_DEST_REGION,
};

const changeMessage = (o, i) => ({
  v: 1,
  eventId: `bench-${i}`,
  eventTime: new Date().toISOString(),
  type: 'created',
  bucket: o.bucket,
  key: o.key,
  versionId: o.versionId,
  sequencer: (i + 1).toString(16).toUpperCase().padStart(18, '0'),
  etag: o.etag.replace(/"/g, ''),
  size: o.size,
});

/**
 * Spawns `workers` handler processes over the objects (batches of 10 distinct keys, dealt round
 * robin); each first converges BENCH_WARM_BATCHES (default 5) batches of warm-up keys of its own, then all start at once.
 */
async function handlerRun(objects, warmObjects, workers, env = {}) {
  const { dstBucket, tableName } = runnerJson('target', { table: true }).result;
  const batches = [];
  for (let i = 0; i < objects.length; i += BATCH) batches.push(objects.slice(i, i + BATCH).map((o, j) => changeMessage(o, i + j)));
  const shares = Array.from({ length: workers }, (_, w) => batches.filter((_, b) => b % workers === w));
  const procs = shares.map((share, w) => {
    const jobFile = join(work, `job-${w}.json`);
    const own = warmObjects.slice(w * BATCH * WARM_BATCHES, (w + 1) * BATCH * WARM_BATCHES);
    const warmup = Array.from({ length: WARM_BATCHES }, (_, b) => own.slice(b * BATCH, (b + 1) * BATCH).map((o, j) => changeMessage(o, b * BATCH + j)));
    writeFileSync(jobFile, JSON.stringify({ env: functionEnv(objects[0].bucket, dstBucket, tableName), secret, batches: share, warmup }));
    const child = spawn(process.execPath, [...WORKER_FLAGS, join(work, 'worker.js'), jobFile], { env: { ...process.env, ...lambdaEnv, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const ready = new Promise((resolve, reject) => {
      child.stdout.on('data', () => out.includes('ready\n') && resolve());
      child.on('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
    });
    const done = new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`worker exited with ${code}`)))));
    return { child, ready, done };
  });
  await Promise.all(procs.map((p) => p.ready));
  // The servers' CPU from "go" to the last result: not the warm-up, not the cleanup's deletes.
  const server = serverCpu();
  const started = process.hrtime.bigint();
  for (const p of procs) p.child.stdin.write('go\n');
  const results = await Promise.all(procs.map((p) => p.done));
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const serverUsed = cpuSince(server);
  runnerJson('cleanup', { dstBucket, tableName });
  const records = results.reduce((n, r) => n + r.records, 0);
  const failures = results.reduce((n, r) => n + r.failures, 0);
  if (failures > 0) throw new Error(`${failures} of ${records} records failed`);
  const counts = {};
  for (const r of results) for (const [k, v] of Object.entries(r.counts)) counts[k] = (counts[k] ?? 0) + v;
  return {
    wall,
    records,
    cpu: results.reduce((n, r) => n + r.cpuSeconds, 0),
    rssMiB: Math.max(...results.map((r) => r.rssMiB)),
    server: serverUsed,
    counts,
  };
}

/**
 * Deletes a large run's destination bucket and has RGW reclaim the space now: its garbage
 * collector would free the tail objects only minutes later, and a few GiB-sized runs in a row
 * would fill the test OSD (RGW then blocks every write).
 */
function dropLarge(dstBucket) {
  runnerJson('cleanup', { dstBucket });
  const conf = join(process.env.TEST_ENV_DIR ?? join(root, '.test-env'), 'ceph.conf');
  const gc = spawnSync('radosgw-admin', ['-c', conf, 'gc', 'process', '--include-all'], { encoding: 'utf8' });
  if (gc.status !== 0) console.error(`bench: radosgw-admin gc process failed (space is reclaimed later): ${(gc.stderr ?? '').slice(-500)}`);
}

// ---------------------------------------------------------------- cold start
/** A Secrets Manager stand-in on loopback for the bundle (it reads the secret over HTTP). */
async function secretsServer() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      res.end(JSON.stringify({ ARN: DEST_SECRET_ARN, Name: 'bench-dest', SecretString: JSON.stringify(secret) }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const COLD_SCRIPT = `
const c0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const { handler } = require(process.env.BENCH_BUNDLE);
const t1 = process.hrtime.bigint();
const c1 = process.cpuUsage(c0);
const record = (m) => ({ messageId: m.eventId, receiptHandle: 'r', body: JSON.stringify(m), attributes: { MessageGroupId: m.key, ApproximateReceiveCount: '1' }, messageAttributes: {} });
const ctx = { functionName: 'replicate', awsRequestId: 'cold', invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:replicate', memoryLimitInMB: '1024', functionVersion: '1', getRemainingTimeInMillis: () => 900000 };
const [first, second] = JSON.parse(process.env.BENCH_MESSAGES);
(async () => {
  const a = await handler({ Records: [record(first)] }, ctx);
  const t2 = process.hrtime.bigint();
  const b = await handler({ Records: [record(second)] }, ctx);
  const t3 = process.hrtime.bigint();
  if (a.batchItemFailures.length + b.batchItemFailures.length) throw new Error('cold records failed');
  const ms = (x, y) => Number(y - x) / 1e6;
  console.log(JSON.stringify({ loadMs: ms(t0, t1), loadCpuMs: (c1.user + c1.system) / 1000, firstMs: ms(t1, t2), secondMs: ms(t2, t3) }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

async function coldRun(objects, secretsUrl) {
  const bundlePath = join(root, 'build', 'replicate.js');
  const { dstBucket, tableName } = runnerJson('target', { table: true }).result;
  const env = {
    ...lambdaEnv,
    ...functionEnv(objects[0].bucket, dstBucket, tableName),
    SECRETS_MANAGER_ENDPOINT: secretsUrl,
    BENCH_BUNDLE: bundlePath,
    BENCH_MESSAGES: JSON.stringify(objects.slice(0, 2).map(changeMessage)),
  };
  // Not spawnSync: the child reads its secret from our loopback server, which needs our event loop.
  const started = process.hrtime.bigint();
  const { stdout } = await execFileAsync(process.execPath, ['--no-warnings', '-e', COLD_SCRIPT], { env: { ...process.env, ...env } });
  const processMs = Number(process.hrtime.bigint() - started) / 1e6;
  runnerJson('cleanup', { dstBucket, tableName });
  return { ...JSON.parse(stdout.trim().split('\n').pop()), processMs };
}

function emptyNodeMs() {
  const started = process.hrtime.bigint();
  spawnSync(process.execPath, ['-e', '0']);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

// ---------------------------------------------------------------- statistics and the table
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const samples = new Map(); // label -> number[]
const record = (label, value) => samples.set(label, [...(samples.get(label) ?? []), value]);
const fmt = (label, digits = 1) => {
  const xs = samples.get(label);
  if (!xs?.length) return '-';
  const f = (x) => x.toFixed(digits);
  return xs.length === 1 ? f(xs[0]) : `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
};
const ratio = (a, b) => {
  const xa = samples.get(a);
  const xb = samples.get(b);
  return xa?.length && xb?.length ? (median(xa) / median(xb)).toFixed(2) : '-';
};

// ---------------------------------------------------------------- the runs
const secrets = await secretsServer();
const secretsUrl = `http://127.0.0.1:${secrets.address().port}`;
try {
  const setSpecs = wanted.filter((s) => SETS[s]).map((s) => SETS[s]);
  const needSmall = wanted.includes('cold') && !wanted.includes('small');
  // Warm-up keys, 10 a worker: each handler process converges them before it is measured.
  const warm = wanted.includes('small') || wanted.includes('mib') ? [{ name: 'warm', size: 4 * 1024, count: BATCH * WARM_BATCHES * MAX_WORKERS }] : [];
  const specs = [...setSpecs, ...(needSmall ? [{ name: 'small', size: 4 * 1024, count: 10 }] : []), ...warm];
  console.log(`bench: ${REPS} repetitions; setting up ${specs.map((s) => `${s.count} x ${s.size >= MiB ? `${s.size / MiB} MiB` : `${s.size / 1024} KiB`}`).join(', ')} on the source`);
  const { sets } = runnerJson('setup', { sizes: specs }).result;
  const note = (label, value, unit) => {
    record(label, value);
    console.log(`bench: ${label}: ${value.toFixed(2)} ${unit}`);
  };
  const perRecord = {};

  for (let rep = 1; rep <= REPS; rep++) {
    console.log(`bench: repetition ${rep}`);
    for (const name of ['small', 'mib']) {
      if (!wanted.includes(name)) continue;
      const objects = sets[name];
      const rcloneRun = (transfers) => {
        const { dstBucket } = runnerJson('target', {}).result;
        const r = rclone([`src:${objects[0].bucket}/${name}/`, `dst:${dstBucket}/${name}/`, `--transfers=${transfers}`, `--checkers=${Math.max(8, transfers)}`]);
        runnerJson('cleanup', { dstBucket });
        note(`${name} rclone ${transfers}`, objects.length / r.wall, 'obj/s');
        record(`${name} rclone ${transfers} cpu`, (r.cpu / objects.length) * 1000);
        record(`${name} rclone ${transfers} rgw`, (r.server.rgw / objects.length) * 1000);
      };
      const ours = async (workers, label = String(workers), env = {}) => {
        const r = await handlerRun(objects, sets.warm, workers, env);
        note(`${name} ours ${label}`, r.records / r.wall, 'obj/s');
        record(`${name} ours ${label} cpu`, (r.cpu / r.records) * 1000);
        record(`${name} ours ${label} rgw`, (r.server.rgw / r.records) * 1000);
        record(`${name} ours ${label} dynalite`, (r.server.dynalite / r.records) * 1000);
        perRecord[name] = Object.fromEntries(Object.entries(r.counts).map(([k, v]) => [k, v / r.records]));
      };
      // Interleaved, and the order turns each repetition so no tool always runs on a warm server.
      // "serial": one record at a time, as the batch loop ran before RECORDS_IN_FLIGHT (the before figure).
      const steps = [
        () => ours(1),
        () => ours(8),
        ...(name === 'small' ? [() => ours(1, 'serial', { RECORDS_IN_FLIGHT: '1' })] : []),
        ...(hasRclone ? [() => rcloneRun(8), ...(name === 'small' ? [() => rcloneRun(1)] : [])] : []),
      ];
      for (let i = 0; i < steps.length; i++) await steps[(i + rep - 1) % steps.length]();
    }
    for (const name of ['1gib', '3gib']) {
      if (!wanted.includes(name)) continue;
      const [object] = sets[name];
      const gib = object.size / GiB;
      const job = (prefix, dstBucket) => ({ dstBucket, prefix, objects: [object], partsInFlight: PARTS_IN_FLIGHT, size: object.size, partSize: PART_SIZE });
      const oursRun = () => {
        const { dstBucket } = runnerJson('target', {}).result;
        const r = runnerJson('engine', job('engine', dstBucket));
        dropLarge(dstBucket);
        note(`${name} ours`, object.size / MiB / r.wall, 'MiB/s');
        record(`${name} ours cpu`, r.cpu / gib);
        record(`${name} ours rss`, r.rssMiB);
        record(`${name} ours server`, r.server.rgw / gib);
      };
      const rcloneRun = (label, flags) => {
        const { dstBucket } = runnerJson('target', {}).result;
        const r = rclone([`src:${object.bucket}/${name}/`, `dst:${dstBucket}/${name}/`, '--transfers=1', ...flags]);
        dropLarge(dstBucket);
        note(`${name} ${label}`, object.size / MiB / r.wall, 'MiB/s');
        record(`${name} ${label} cpu`, r.cpu / gib);
        record(`${name} ${label} rss`, r.rssMiB);
        record(`${name} ${label} server`, r.server.rgw / gib);
      };
      const uploadRun = () => {
        const { dstBucket } = runnerJson('target', {}).result;
        const r = runnerJson('upload', job('upload', dstBucket));
        dropLarge(dstBucket);
        note(`${name} upload-only`, object.size / MiB / r.wall, 'MiB/s');
        record(`${name} upload-only server`, r.server.rgw / gib);
      };
      const steps =
        name === '3gib'
          ? [oursRun]
          : [
              oursRun,
              ...(hasRclone
                ? [
                    () => rcloneRun('rclone defaults', []),
                    () => rcloneRun('rclone tuned', ['--s3-chunk-size=16M', '--s3-upload-concurrency=8', '--s3-disable-checksum']),
                  ]
                : []),
              uploadRun,
            ];
      for (let i = 0; i < steps.length; i++) await steps[(i + rep - 1) % steps.length]();
    }
    if (wanted.includes('cold')) {
      if (!existsSync(join(root, 'build', 'replicate.js'))) die('build/replicate.js is missing: run make build (make bench does)');
      for (let i = 0; i < 3; i++) {
        const r = await coldRun(sets.small.slice(i * 2), secretsUrl);
        note('cold load', r.loadMs, 'ms');
        record('cold load cpu', r.loadCpuMs);
        record('cold first', r.firstMs);
        record('cold second', r.secondMs);
        record('cold process', r.processMs);
        record('empty node', emptyNodeMs());
      }
    }
  }

  // ---------------------------------------------------------------- the table
  const rows = [];
  const row = (workload, ours, peer, r) => rows.push([workload, ours, peer, r]);
  if (wanted.includes('1gib')) {
    row('1 GiB object, MiB/s', fmt('1gib ours'), `rclone tuned ${fmt('1gib rclone tuned')}; defaults ${fmt('1gib rclone defaults')}`, ratio('1gib ours', '1gib rclone tuned'));
    row('  server write-only limit, MiB/s', fmt('1gib upload-only'), '', ratio('1gib ours', '1gib upload-only'));
    row('  client CPU s per GiB', fmt('1gib ours cpu', 2), `rclone tuned ${fmt('1gib rclone tuned cpu', 2)}; defaults ${fmt('1gib rclone defaults cpu', 2)}`, ratio('1gib ours cpu', '1gib rclone tuned cpu'));
    row('  server CPU s per GiB', fmt('1gib ours server', 1), `rclone tuned ${fmt('1gib rclone tuned server', 1)}`, '');
    row('  peak RSS MiB at 1 GiB', fmt('1gib ours rss', 0), `rclone tuned ${fmt('1gib rclone tuned rss', 0)}`, '');
  }
  if (wanted.includes('3gib')) row('  peak RSS MiB at 3 GiB', fmt('3gib ours rss', 0), '', wanted.includes('1gib') ? ratio('3gib ours rss', '1gib ours rss') : '');
  if (wanted.includes('small')) {
    row('1,000 x 4 KiB, 1 worker, obj/s', fmt('small ours 1'), `rclone 1 transfer ${fmt('small rclone 1')}`, ratio('small ours 1', 'small rclone 1'));
    row('  the same, records one at a time (before)', fmt('small ours serial'), `rclone 1 transfer ${fmt('small rclone 1')}`, ratio('small ours serial', 'small rclone 1'));
    row('  speed-up of records in flight (1 worker)', ratio('small ours 1', 'small ours serial'), '', '');
    row('1,000 x 4 KiB, 8 workers, obj/s', fmt('small ours 8'), `rclone 8 transfers ${fmt('small rclone 8')}`, ratio('small ours 8', 'small rclone 8'));
    row('  client CPU ms per record, 1 worker', fmt('small ours 1 cpu', 1), `rclone 1: ${fmt('small rclone 1 cpu', 1)} per object`, ratio('small ours 1 cpu', 'small rclone 1 cpu'));
    row('  client CPU ms per record, 8 workers', fmt('small ours 8 cpu', 1), `rclone 8: ${fmt('small rclone 8 cpu', 1)} per object`, ratio('small ours 8 cpu', 'small rclone 8 cpu'));
    row('  RGW CPU ms per record, 8 workers', fmt('small ours 8 rgw', 1), `rclone 8: ${fmt('small rclone 8 rgw', 1)} per object`, ratio('small ours 8 rgw', 'small rclone 8 rgw'));
    row('  dynalite CPU ms per record, 8 workers', fmt('small ours 8 dynalite', 1), '(rclone keeps no state)', '');
  }
  if (wanted.includes('mib')) {
    row('100 x 1 MiB, 1 worker, obj/s', fmt('mib ours 1'), '', '');
    row('100 x 1 MiB, 8 workers, obj/s', fmt('mib ours 8'), `rclone 8 transfers ${fmt('mib rclone 8')}`, ratio('mib ours 8', 'mib rclone 8'));
    row('  client CPU ms per record, 8 workers', fmt('mib ours 8 cpu', 1), `rclone 8: ${fmt('mib rclone 8 cpu', 1)} per object`, ratio('mib ours 8 cpu', 'mib rclone 8 cpu'));
  }
  for (const [name, counts] of Object.entries(perRecord)) {
    const sum = (prefix) => Object.entries(counts).filter(([k]) => k.startsWith(prefix)).reduce((n, [, v]) => n + v, 0);
    const detail = Object.entries(counts).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');
    row(`requests per record (${name}): ${(sum('S3 source') + sum('S3 destination') + sum('DynamoDB')).toFixed(2)}`, `source ${sum('S3 source').toFixed(2)}, destination ${sum('S3 destination').toFixed(2)}, DynamoDB ${sum('DynamoDB').toFixed(2)}`, detail, '');
  }
  if (wanted.includes('cold')) {
    row('loading build/replicate.js, ms (wall)', fmt('cold load', 0), `empty node process ${fmt('empty node', 0)} (whole process)`, '');
    row('  CPU ms of loading it', fmt('cold load cpu', 0), '', '');
    row('  first record / second record, ms', `${fmt('cold first', 0)} / ${fmt('cold second', 0)}`, `whole cold process ${fmt('cold process', 0)}`, '');
  }
  const header = ['workload (median, min–max)', 'ours', 'peer in the same run', 'ours / peer'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(`\n${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}\n${rows.map(line).join('\n')}`);
  console.log(`\n${new Date().toISOString().slice(0, 10)}, ${REPS} interleaved repetitions, one server session; ours: ${PART_SIZE / MiB} MiB parts, ${PARTS_IN_FLIGHT} in flight, RECORDS_IN_FLIGHT ${process.env.RECORDS_IN_FLIGHT ?? 'default'}; CPU is user + system of the client processes; the machine is shared, so compare ratios within a run.`);
  if (!hasRclone) console.log('(rclone not installed: its rows are left out)');
  runnerJson('cleanup', { srcBucket: Object.values(sets)[0][0].bucket });
} catch (err) {
  console.error(`bench: ${err.stack ?? err.message}`);
  process.exitCode = 1;
} finally {
  secrets.close();
  rmSync(work, { recursive: true, force: true });
}
