// Benchmark: our copy engine against the approach it replaces (GetObject to /tmp, then
// lib-storage Upload) and, when installed, rclone, copying the same objects between the two
// local "partitions" of scripts/test-env (loopback only). Run it through the harness:
//   scripts/test-env/run.sh node bench/copy.mjs        (or `make bench`)
// BENCH_SIZES=small,200mib limits the sets (default: small,200mib,1gib). Prints MB/s (wall time
// of each tool's own process, and in-process copy time for the Node tools) and peak RSS
// (GNU time's max RSS of that process). Numbers only: nothing here asserts a timing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const MiB = 1024 * 1024;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SETS = {
  small: { name: 'small', size: 1 * MiB, count: 50 },
  '200mib': { name: '200mib', size: 200 * MiB, count: 1 },
  '1gib': { name: '1gib', size: 1024 * MiB, count: 1 },
};
const PARTS_IN_FLIGHT = 4;
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

function die(message) {
  console.error(`bench: ${message}`);
  process.exit(1);
}

for (const name of ['LOCAL_S3_SOURCE_ENDPOINT', 'LOCAL_S3_DEST_ENDPOINT']) {
  if (!process.env[name]) die(`${name} is not set: run through scripts/test-env/run.sh (make bench)`);
  if (new URL(process.env[name]).hostname !== '127.0.0.1') die(`${name} must be a loopback address`);
}
const wanted = (process.env.BENCH_SIZES ?? 'small,200mib,1gib').split(',').map((s) => SETS[s] ?? die(`unknown set ${s}`));

const work = mkdtempSync(join(tmpdir(), 'bench-copy-'));
const runner = join(work, 'runner.js');
await build({
  entryPoints: [join(root, 'bench/copy-runner.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  outfile: runner,
  logLevel: 'warning',
});

/** Run a command under GNU time; returns its stdout, wall seconds and peak RSS (MiB). */
function measured(command, args, env = {}, base = process.env) {
  const stats = join(work, 'time.txt');
  const [cmd, argv] = TIME ? [TIME, ['-f', '%e %M', '-o', stats, command, ...args]] : [command, args];
  const started = process.hrtime.bigint();
  const run = spawnSync(cmd, argv, { env: { ...base, ...env }, encoding: 'utf8', maxBuffer: 64 * MiB });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) throw new Error(`${command} ${args[0] ?? ''} failed (${run.status}): ${run.stderr.slice(-2000)}`);
  const [, maxKb] = TIME ? readFileSync(stats, 'utf8').trim().split(/\s+/).slice(-2).map(Number) : [wall, NaN];
  return { stdout: run.stdout, wall, rssMiB: maxKb / 1024 };
}

function node(mode, job) {
  const out = measured(process.execPath, [runner, mode, JSON.stringify(job)]);
  const last = out.stdout.trim().split('\n').pop();
  return { ...out, result: JSON.parse(last) };
}

function rclone(set, job) {
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
  const args = [
    'copy',
    `src:${job.srcBucket}/${set.name}/`,
    `dst:${job.dstBucket}/rclone/${set.name}/`,
    '--transfers=1', // one object at a time, as the other two
    `--s3-upload-concurrency=${PARTS_IN_FLIGHT}`,
    '--s3-chunk-size=8M',
    '--s3-upload-cutoff=8M',
    '--s3-no-check-bucket',
    '--metadata',
  ];
  // rclone's S3 client refuses AWS_CA_BUNDLE with its HTTP transport; loopback HTTP needs no CA
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  return measured('rclone', args, env, base);
}

const hasRclone = spawnSync('rclone', ['version'], { encoding: 'utf8' }).status === 0;
try {
  console.log(`bench: setting up ${wanted.map((s) => `${s.count} x ${s.size / MiB} MiB`).join(', ')} on the source`);
  const setup = JSON.parse(execFileSync(process.execPath, [runner, 'setup', JSON.stringify({ sizes: wanted })], { encoding: 'utf8' }).trim().split('\n').pop());
  const rows = [];
  for (const set of wanted) {
    const objects = setup.sets[set.name];
    const total = objects.reduce((n, o) => n + o.size, 0);
    const job = (prefix) => ({ srcBucket: setup.srcBucket, dstBucket: setup.dstBucket, prefix, objects, partsInFlight: PARTS_IN_FLIGHT });
    const row = (tool, r) => {
      const inProcess = r.result ? `${(total / 1e6 / r.result.seconds).toFixed(1)}` : '-';
      rows.push([set.name, tool, (total / 1e6 / r.wall).toFixed(1), inProcess, r.rssMiB.toFixed(0)]);
      console.log(`bench: ${set.name} ${tool}: ${r.wall.toFixed(2)} s, peak RSS ${r.rssMiB.toFixed(0)} MiB`);
    };
    row('engine (ours)', node('engine', job('engine')));
    row('peer: /tmp + lib-storage', node('peer', job('peer')));
    if (hasRclone) row('rclone', rclone(set, job('rclone')));
  }
  const header = ['set', 'tool', 'MB/s (wall)', 'MB/s (in-process)', 'peak RSS MiB'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(`\n${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}\n${rows.map(line).join('\n')}`);
  if (!hasRclone) console.log('(rclone not installed: its row is left out)');
  console.log(`parts in flight ${PARTS_IN_FLIGHT}, part size 8 MiB, objects copied one at a time; peak RSS is the whole process's`);
} catch (err) {
  console.error(`bench: ${err.message}`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
