// One side of bench/bench.mjs, bundled by it with esbuild and run in its own process, so that
// each tool's peak RSS is its own. `node runner.js MODE JOB_JSON`; prints a JSON line.
//   setup:  create the source bucket and objects (random bytes; big ones streamed)
//   target: a fresh destination bucket (and state table) for one run
//   cleanup: delete a run's destination bucket (and table), or the source bucket
//   engine: copy every object with copyVersion (ours: stream, bounded buffers, no /tmp)
//   upload: the server's write-only limit: the engine's multipart upload from one buffer
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { Upload } from '@aws-sdk/lib-storage';
import { copyVersion } from '../src/copy';
import type { SourceVersion, UploadCheckpoint } from '../src/copy/types';
import {
  createStateTable,
  createVersionedBucket,
  destS3Client,
  emptyAndDeleteBucket,
  dynamoDbClient,
  sourceS3Client,
  uniqueBucketName,
  uniqueTableName,
} from '../tests/helpers/local-env';

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

async function putOne(src: S3Client, srcBucket: string, key: string, size: number, name: string): Promise<SourceVersion> {
  if (size >= 8 * MiB) {
    const up = new Upload({
      client: src,
      params: { Bucket: srcBucket, Key: key, Body: generated(size), ContentType: 'application/octet-stream', Metadata: { bench: name } },
      partSize: 16 * MiB,
      queueSize: 4,
    });
    const out = await up.done();
    return { bucket: srcBucket, key, versionId: out.VersionId!, etag: out.ETag!, size };
  }
  const out = await src.send(new PutObjectCommand({ Bucket: srcBucket, Key: key, Body: randomBytes(size), ContentType: 'application/octet-stream', Metadata: { bench: name } }));
  return { bucket: srcBucket, key, versionId: out.VersionId!, etag: out.ETag!, size };
}

async function setup(spec: { sizes: { name: string; size: number; count: number }[] }): Promise<unknown> {
  const src = sourceS3Client();
  const srcBucket = await createVersionedBucket(src, uniqueBucketName('bench-src'));
  const sets: Record<string, SourceVersion[]> = {};
  for (const { name, size, count } of spec.sizes) {
    const objects: SourceVersion[] = new Array<SourceVersion>(count);
    let next = 0;
    // Small objects are written 16 at a time; big ones one at a time (each is multipart already).
    const writer = async () => {
      for (let i = next++; i < count; i = next++) objects[i] = await putOne(src, srcBucket, `${name}/object-${String(i).padStart(5, '0')}.bin`, size, name);
    };
    await Promise.all(Array.from({ length: size >= 8 * MiB ? 1 : 16 }, writer));
    sets[name] = objects;
  }
  return { srcBucket, sets };
}

/** Buckets (and a state table) for one run; each run writes into fresh ones. */
async function target(spec: { table?: boolean }): Promise<unknown> {
  const dstBucket = await createVersionedBucket(destS3Client(), uniqueBucketName('bench-dst'));
  const tableName = spec.table ? await createStateTable(dynamoDbClient(), uniqueTableName('bench')) : undefined;
  return { dstBucket, tableName };
}

/** Deletes a run's destination bucket (and table), or the source bucket: the OSD has a fixed size. */
async function cleanup(spec: { dstBucket?: string; srcBucket?: string; tableName?: string }): Promise<unknown> {
  if (spec.dstBucket) await emptyAndDeleteBucket(destS3Client(), spec.dstBucket);
  if (spec.srcBucket) await emptyAndDeleteBucket(sourceS3Client(), spec.srcBucket);
  if (spec.tableName) await dynamoDbClient().send(new DeleteTableCommand({ TableName: spec.tableName }));
  return {};
}

/**
 * The server's limit for writes alone: the same multipart upload as the engine (part size, parts
 * in flight, signed payload hash) from one buffer filled once, with no source read.
 */
async function uploadOnly(job: Job & { size: number; partSize: number }): Promise<number> {
  const dst = destS3Client();
  const key = `${job.prefix}/upload-only.bin`;
  const body = randomBytes(job.partSize);
  const { UploadId } = await dst.send(new CreateMultipartUploadCommand({ Bucket: job.dstBucket, Key: key }));
  const total = Math.ceil(job.size / job.partSize);
  const parts: { PartNumber: number; ETag: string }[] = [];
  let next = 1;
  const worker = async () => {
    for (let n = next++; n <= total; n = next++) {
      const out = await dst.send(new UploadPartCommand({ Bucket: job.dstBucket, Key: key, UploadId, PartNumber: n, Body: body, ContentLength: body.length }));
      parts.push({ PartNumber: n, ETag: out.ETag! });
    }
  };
  await Promise.all(Array.from({ length: job.partsInFlight }, worker));
  parts.sort((a, b) => a.PartNumber - b.PartNumber);
  await dst.send(new CompleteMultipartUploadCommand({ Bucket: job.dstBucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
  return total * job.partSize;
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

async function main(): Promise<void> {
  const [mode, json] = process.argv.slice(2);
  const input = JSON.parse(json ?? '{}') as Job & { sizes: { name: string; size: number; count: number }[]; size: number; partSize: number; table?: boolean; tableName?: string };
  if (mode === 'setup') return void process.stdout.write(`${JSON.stringify(await setup(input))}\n`);
  if (mode === 'target') return void process.stdout.write(`${JSON.stringify(await target(input))}\n`);
  if (mode === 'cleanup') return void process.stdout.write(`${JSON.stringify(await cleanup(input))}\n`);
  const started = process.hrtime.bigint();
  const bytes = mode === 'engine' ? await engine(input) : mode === 'upload' ? await uploadOnly(input) : NaN;
  if (Number.isNaN(bytes)) throw new Error(`unknown mode ${mode}: setup | target | engine | upload`);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`${JSON.stringify({ bytes, seconds })}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
