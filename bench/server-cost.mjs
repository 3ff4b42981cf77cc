// What the local S3 server (Ceph RGW and its OSD) spends on the requests of one small-object
// replication, without our engine: a bare SDK loop sends, per key, the requests of a create as
// the replicate handler sends them (source and destination ListObjectVersions, GetObject,
// PutObject), or only GetObject + PutObject (what rclone sends per object), 10 keys in flight,
// 1,000 keys of 4 KiB, into a fresh versioned bucket. Prints the server's CPU milliseconds per
// key, RGW and OSD, medians (min-max) of BENCH_REPS (default 3) interleaved repetitions.
// Loopback only; numbers only. Run through the harness:
//   scripts/test-env/run.sh node bench/server-cost.mjs     (make bench-server)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const REPS = Number(process.env.BENCH_REPS ?? 3);
const KEYS = 1000;
const IN_FLIGHT = 10;
const env = process.env;
for (const name of ['LOCAL_S3_SOURCE_ENDPOINT', 'LOCAL_S3_DEST_ENDPOINT']) {
  if (!env[name]) throw new Error(`${name} is not set: run through scripts/test-env/run.sh`);
  if (new URL(env[name]).hostname !== '127.0.0.1') throw new Error(`${name} must be a loopback address`);
}

const side = (prefix) =>
  new S3Client({
    endpoint: env[`LOCAL_S3_${prefix}_ENDPOINT`],
    region: env[`LOCAL_S3_${prefix}_REGION`],
    credentials: { accessKeyId: env[`LOCAL_S3_${prefix}_ACCESS_KEY_ID`], secretAccessKey: env[`LOCAL_S3_${prefix}_SECRET_ACCESS_KEY`] },
    forcePathStyle: true,
  });
const [source, dest] = [side('SOURCE'), side('DEST')];

/** CPU seconds (user + system) of the RGW and OSD processes so far. */
function serverCpu() {
  const dir = env.TEST_ENV_DIR ?? join(root, '.test-env');
  const of = (name) => {
    const pid = readFileSync(join(dir, 'run', `${name}.pid`), 'utf8').trim();
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  return { rgw: of('client.rgw.a'), osd: of('osd.0') };
}

let serial = 0;
async function versionedBucket(client) {
  const Bucket = `bench-cost-${Date.now().toString(36)}-${serial++}`;
  await client.send(new CreateBucketCommand({ Bucket }));
  await client.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  return Bucket;
}

// The sequence, in its own process (the measuring process stays idle).
const SEQUENCE = `
const { S3Client, GetObjectCommand, PutObjectCommand, ListObjectVersionsCommand } = require('@aws-sdk/client-s3');
const [srcBucket, dstBucket, keys, inFlight, withListings] = process.argv.slice(1);
const client = (p) => new S3Client({ endpoint: process.env['LOCAL_S3_' + p + '_ENDPOINT'], region: process.env['LOCAL_S3_' + p + '_REGION'], forcePathStyle: true,
  credentials: { accessKeyId: process.env['LOCAL_S3_' + p + '_ACCESS_KEY_ID'], secretAccessKey: process.env['LOCAL_S3_' + p + '_SECRET_ACCESS_KEY'] },
  requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
(async () => {
  const [src, dst] = [client('SOURCE'), client('DEST')];
  let next = 0;
  await Promise.all(Array.from({ length: Number(inFlight) }, async () => {
    while (next < Number(keys)) {
      const Key = 'obj/' + String(next++).padStart(6, '0');
      if (withListings === 'yes') await Promise.all([src, dst].map((c, i) => c.send(new ListObjectVersionsCommand({ Bucket: i ? dstBucket : srcBucket, Prefix: Key, MaxKeys: 100 }))));
      const got = await src.send(new GetObjectCommand({ Bucket: srcBucket, Key }));
      await dst.send(new PutObjectCommand({ Bucket: dstBucket, Key, Body: Buffer.from(await got.Body.transformToByteArray()), Metadata: { 'partition-replica-of': 'bench;0' } }));
    }
  }));
})();
`;

async function run(srcBucket, withListings) {
  const dstBucket = await versionedBucket(dest);
  // Let the bucket creation's own work settle before measuring.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const before = serverCpu();
  const started = process.hrtime.bigint();
  await new Promise((resolve, reject) =>
    spawn(process.execPath, ['--no-warnings', '-e', SEQUENCE, srcBucket, dstBucket, String(KEYS), String(IN_FLIGHT), withListings ? 'yes' : 'no'], { cwd: root, env, stdio: 'inherit' }).on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`the sequence exited with ${code}`)),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const after = serverCpu();
  return { perSecond: KEYS / seconds, rgw: ((after.rgw - before.rgw) * 1000) / KEYS, osd: ((after.osd - before.osd) * 1000) / KEYS };
}

const srcBucket = await versionedBucket(source);
const body = Buffer.alloc(4096, 1);
for (let i = 0; i < KEYS; i += 32) {
  await Promise.all(Array.from({ length: Math.min(32, KEYS - i) }, (_, j) => source.send(new PutObjectCommand({ Bucket: srcBucket, Key: `obj/${String(i + j).padStart(6, '0')}`, Body: body }))));
}
const results = { listings: [], plain: [] };
for (let rep = 0; rep < REPS; rep++) {
  // Interleaved, the order turned each repetition.
  for (const withListings of rep % 2 === 0 ? [true, false] : [false, true]) results[withListings ? 'listings' : 'plain'].push(await run(srcBucket, withListings));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs, digits = 1) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)})`;
console.log(`server CPU per key, ${KEYS} x 4 KiB, ${IN_FLIGHT} in flight, ${REPS} repetitions (median, min-max):`);
for (const [label, rs] of [['2 ListObjectVersions + GetObject + PutObject (a create, as the handler sends it)', results.listings], ['GetObject + PutObject (rclone per object)', results.plain]]) {
  console.log(`  ${label}: RGW ${fmt(rs.map((r) => r.rgw))} ms + OSD ${fmt(rs.map((r) => r.osd))} ms = ${fmt(rs.map((r) => r.rgw + r.osd))} ms; ${fmt(rs.map((r) => r.perSecond), 0)} keys/s`);
}
const extra = median(results.listings.map((r) => r.rgw + r.osd)) - median(results.plain.map((r) => r.rgw + r.osd));
console.log(`  the two listings: ${extra.toFixed(1)} ms of server CPU per key`);
