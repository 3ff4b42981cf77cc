// One side of bench/copy.mjs, bundled by it with esbuild and run in its own process, so that
// each tool's peak RSS is its own. `node runner.js MODE JOB_JSON`; prints a JSON line.
//   setup:  create the buckets and the source objects (random bytes, streamed)
//   engine: copy every object with copyVersion (ours: stream, bounded buffers, no /tmp)
//   peer:   the approach of the scripts we replace: GetObject to a file in /tmp, then
//           lib-storage Upload from that file
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, GetObjectTaggingCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { copyVersion } from '../src/copy';
import type { SourceVersion, UploadCheckpoint } from '../src/copy/types';
import { createVersionedBucket, destS3Client, sourceS3Client, uniqueBucketName } from '../tests/helpers/local-env';

const MiB = 1024 * 1024;

interface Job {
  srcBucket: string;
  dstBucket: string;
  /** Destination key prefix of this run. */
  prefix: string;
  objects: SourceVersion[];
  partsInFlight: number;
}

function generated(size: number): Readable {
  let left = size;
  return new Readable({
    read() {
      if (left === 0) return void this.push(null);
      const n = Math.min(MiB, left);
      left -= n;
      this.push(randomBytes(n));
    },
  });
}

async function setup(spec: { sizes: { name: string; size: number; count: number }[] }): Promise<unknown> {
  const src = sourceS3Client();
  const dst = destS3Client();
  const srcBucket = await createVersionedBucket(src, uniqueBucketName('bench-src'));
  const dstBucket = await createVersionedBucket(dst, uniqueBucketName('bench-dst'));
  const sets: Record<string, SourceVersion[]> = {};
  for (const { name, size, count } of spec.sizes) {
    sets[name] = [];
    for (let i = 0; i < count; i++) {
      const key = `${name}/object-${i}.bin`;
      const up = new Upload({
        client: src,
        params: { Bucket: srcBucket, Key: key, Body: generated(size), ContentType: 'application/octet-stream', Metadata: { bench: name } },
        partSize: 16 * MiB,
        queueSize: 4,
      });
      const out = await up.done();
      sets[name].push({ bucket: srcBucket, key, versionId: out.VersionId!, etag: out.ETag!, size });
    }
  }
  return { srcBucket, dstBucket, sets };
}

async function engine(job: Job): Promise<number> {
  const src = sourceS3Client();
  const dst = destS3Client();
  let bytes = 0;
  for (const version of job.objects) {
    let saved: UploadCheckpoint | undefined;
    const result = await copyVersion({
      source: { client: src, version },
      destination: { client: dst, bucket: job.dstBucket, key: `${job.prefix}/${version.key}` },
      replicaMetadata: { 'replica-source': version.versionId },
      checkpoints: {
        load: () => Promise.resolve(saved),
        save: (c) => Promise.resolve(void (saved = c)),
        clear: () => Promise.resolve(void (saved = undefined)),
      },
      partsInFlight: job.partsInFlight,
      remainingTimeMs: () => 900_000,
      checkpointMarginMs: 60_000,
    });
    bytes += result.bytes;
  }
  return bytes;
}

async function peer(job: Job): Promise<number> {
  const src = sourceS3Client();
  const dst = destS3Client();
  const dir = mkdtempSync(join(tmpdir(), 'bench-peer-'));
  let bytes = 0;
  try {
    for (const version of job.objects) {
      const file = join(dir, 'object');
      const got = await src.send(new GetObjectCommand({ Bucket: version.bucket, Key: version.key, VersionId: version.versionId }));
      await pipeline(got.Body as Readable, createWriteStream(file));
      const { TagSet = [] } = await src.send(
        new GetObjectTaggingCommand({ Bucket: version.bucket, Key: version.key, VersionId: version.versionId }),
      );
      await new Upload({
        client: dst,
        params: {
          Bucket: job.dstBucket,
          Key: `${job.prefix}/${version.key}`,
          Body: createReadStream(file),
          ContentType: got.ContentType,
          Metadata: got.Metadata,
        },
        tags: TagSet,
        partSize: 8 * MiB,
        queueSize: job.partsInFlight,
      }).done();
      rmSync(file);
      bytes += version.size;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return bytes;
}

async function main(): Promise<void> {
  const [mode, json] = process.argv.slice(2);
  const input = JSON.parse(json ?? '{}') as Job & { sizes: { name: string; size: number; count: number }[] };
  if (mode === 'setup') return void process.stdout.write(`${JSON.stringify(await setup(input))}\n`);
  const started = process.hrtime.bigint();
  const bytes = mode === 'engine' ? await engine(input) : mode === 'peer' ? await peer(input) : NaN;
  if (Number.isNaN(bytes)) throw new Error(`unknown mode ${mode}: setup | engine | peer`);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`${JSON.stringify({ bytes, seconds })}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
