// The copy engine against the real local servers: RGW serves the source "partition" on one
// port and the destination on another, with a different user (tenant) on each side.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { S3Client, ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-s3';
import type { FinalizeRequestMiddleware } from '@smithy/types';
import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { build } from 'esbuild';
import { copyVersion } from '../../src/copy';
import type { CopyRequest, CopyResult, SourceVersion, UploadCheckpoint, UploadCheckpointStore } from '../../src/copy/types';
import { CopyCheckpointedError } from '../../src/errors';
import { createVersionedBucket, destS3Client, emptyAndDeleteBucket, sourceS3Client, uniqueBucketName } from '../helpers/local-env';

const MiB = 1024 * 1024;
const PART = 8 * MiB;

class MemoryCheckpoints implements UploadCheckpointStore {
  public saved: UploadCheckpoint | undefined;
  public load = (): Promise<UploadCheckpoint | undefined> => Promise.resolve(this.saved);
  public save = (c: UploadCheckpoint): Promise<void> => Promise.resolve(void (this.saved = c));
  public clear = (): Promise<void> => Promise.resolve(void (this.saved = undefined));
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function sha256OfObject(client: S3Client, bucket: string, key: string, versionId?: string): Promise<[string, number]> {
  const { Body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  const h = createHash('sha256');
  let n = 0;
  for await (const c of Body as AsyncIterable<Uint8Array>) {
    h.update(c);
    n += c.length;
  }
  return [h.digest('hex'), n];
}

/** Command names the client sends, with their input, recorded as they go out. */
function recordCommands(client: S3Client): { name: string; input: Record<string, unknown> }[] {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      sent.push({ name: context.commandName!, input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return sent;
}

describe('copyVersion between two local partitions', () => {
  let src: S3Client;
  let dst: S3Client;
  let srcBucket: string;
  let dstBucket: string;

  beforeAll(async () => {
    src = sourceS3Client();
    dst = destS3Client();
    srcBucket = await createVersionedBucket(src, uniqueBucketName('copy-src'));
    dstBucket = await createVersionedBucket(dst, uniqueBucketName('copy-dst'));
  });

  afterAll(async () => {
    await emptyAndDeleteBucket(src, srcBucket);
    await emptyAndDeleteBucket(dst, dstBucket);
    src.destroy();
    dst.destroy();
  });

  /** Put a source object and return it as the listing would describe it. */
  async function putSource(key: string, body: Buffer, extra: Record<string, unknown> = {}): Promise<SourceVersion> {
    const put = await src.send(new PutObjectCommand({ Bucket: srcBucket, Key: key, Body: body, ...extra }));
    return { bucket: srcBucket, key, versionId: put.VersionId!, etag: put.ETag!, size: body.length };
  }

  function request(version: SourceVersion, key: string, overrides: Partial<CopyRequest> = {}): CopyRequest {
    return {
      source: { client: src, version },
      destination: { client: dst, bucket: dstBucket, key },
      replicaMetadata: { 'replica-source': `${version.versionId}` },
      checkpoints: new MemoryCheckpoints(),
      partsInFlight: 4,
      remainingTimeMs: () => 600_000,
      checkpointMarginMs: 60_000,
      ...overrides,
    };
  }

  it('carries the content headers, user metadata and tags over', async () => {
    // Prepare
    const body = randomBytes(3000);
    const expires = new Date('2031-05-06T07:08:09Z');
    const version = await putSource('meta/ä file+1.txt', body, {
      ContentType: 'text/csv; charset=utf-8',
      CacheControl: 'no-cache',
      ContentDisposition: 'attachment; filename="x.csv"',
      ContentEncoding: 'identity',
      ContentLanguage: 'de-CH',
      Expires: expires,
      WebsiteRedirectLocation: '/other/page.html',
      Metadata: { team: 'Blue Team', 'x-case': 'MiXeD' },
      Tagging: 'k1=v1&space=a%20b&plus=%2B&uni=%C3%A9',
    });

    // Act
    const result = await copyVersion(request(version, 'copied/ä file+1.txt'));

    // Assess
    const head = await dst.send(new HeadObjectCommand({ Bucket: dstBucket, Key: 'copied/ä file+1.txt', VersionId: result.versionId }));
    expect(head).toMatchObject({
      ContentType: 'text/csv; charset=utf-8',
      CacheControl: 'no-cache',
      ContentDisposition: 'attachment; filename="x.csv"',
      ContentEncoding: 'identity',
      ContentLanguage: 'de-CH',
      Expires: expires,
      WebsiteRedirectLocation: '/other/page.html',
      Metadata: { team: 'Blue Team', 'x-case': 'MiXeD', 'replica-source': version.versionId },
      ContentLength: 3000,
      ETag: version.etag,
    });
    const tags = await dst.send(new GetObjectTaggingCommand({ Bucket: dstBucket, Key: 'copied/ä file+1.txt', VersionId: result.versionId }));
    expect(tags.TagSet?.sort((a, b) => a.Key!.localeCompare(b.Key!))).toEqual([
      { Key: 'k1', Value: 'v1' },
      { Key: 'plus', Value: '+' },
      { Key: 'space', Value: 'a b' },
      { Key: 'uni', Value: 'é' },
    ]);
    expect(await sha256OfObject(dst, dstBucket, 'copied/ä file+1.txt', result.versionId)).toEqual([sha256(body), 3000]);
    expect(result).toMatchObject({ etag: version.etag, bytes: 3000, parts: 1, resumed: false });
  });

  it('copies a zero-byte object without a content type', async () => {
    // Prepare
    const version = await putSource('empty', Buffer.alloc(0));
    const sourceHead = await src.send(new HeadObjectCommand({ Bucket: srcBucket, Key: 'empty' }));

    // Act
    const result = await copyVersion(request(version, 'empty'));

    // Assess
    const head = await dst.send(new HeadObjectCommand({ Bucket: dstBucket, Key: 'empty', VersionId: result.versionId }));
    expect(head.ContentLength).toBe(0);
    expect(head.ContentType).toBe(sourceHead.ContentType); // whatever default the server gives
    expect(head.ETag).toBe('"d41d8cd98f00b204e9800998ecf8427e"');
    expect(result).toMatchObject({ bytes: 0, parts: 1 });
  });

  it('copies a multipart object with its tags and the composite ETag the server computes', async () => {
    // Prepare
    const body = randomBytes(2 * PART + 4321);
    const version = await putSource('multi/tagged.bin', body, { ContentType: 'application/x-test', Tagging: 'a=1' });

    // Act
    const result = await copyVersion(request(version, 'multi/tagged.bin', { partsInFlight: 2 }));

    // Assess
    expect(result).toMatchObject({ bytes: body.length, parts: 3, resumed: false });
    expect(result.etag).toMatch(/^"[0-9a-f]{32}-3"$/);
    const head = await dst.send(new HeadObjectCommand({ Bucket: dstBucket, Key: 'multi/tagged.bin', VersionId: result.versionId }));
    expect(head.ContentType).toBe('application/x-test');
    const tags = await dst.send(new GetObjectTaggingCommand({ Bucket: dstBucket, Key: 'multi/tagged.bin', VersionId: result.versionId }));
    expect(tags.TagSet).toEqual([{ Key: 'a', Value: '1' }]);
    expect(await sha256OfObject(dst, dstBucket, 'multi/tagged.bin', result.versionId)).toEqual([sha256(body), body.length]);
  });

  it('has every part verified by the destination: a part whose bytes change after signing is refused', async () => {
    // Prepare: a destination client that flips one byte of part 2 after the request was signed
    const body = randomBytes(2 * PART + 99);
    const version = await putSource('multi/tampered.bin', body);
    const tampering = destS3Client();
    const tamper: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next, context) => (args) => {
      const request = args.request as { body?: unknown };
      const input = args.input as { PartNumber?: number };
      if (context.commandName === 'UploadPartCommand' && input.PartNumber === 2 && Buffer.isBuffer(request.body)) {
        const altered = Buffer.from(request.body);
        altered[1000] = altered[1000]! ^ 0xff;
        request.body = altered;
      }
        return next(args);
    };
    tampering.middlewareStack.addRelativeTo(tamper, { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'tamperAfterSigning' });

    // Act
    const copying = copyVersion({ ...request(version, 'multi/tampered.bin'), destination: { client: tampering, bucket: dstBucket, key: 'multi/tampered.bin' } });

    // Assess: the upload is refused, and no replica exists
    await expect(copying).rejects.toMatchObject({ name: 'XAmzContentSHA256Mismatch' });
    await expect(dst.send(new HeadObjectCommand({ Bucket: dstBucket, Key: 'multi/tampered.bin' }))).rejects.toMatchObject({ name: 'NotFound' });
    tampering.destroy();
  });

  it('resumes an interrupted copy, uploading only the missing parts, to a byte-identical object', async () => {
    // Prepare
    const body = randomBytes(5 * PART + 777);
    const version = await putSource('resume/big.bin', body);
    const checkpoints = new MemoryCheckpoints();
    const sent = recordCommands(dst);
    let partsStarted = 0;
    const first = request(version, 'resume/big.bin', {
      checkpoints,
      partsInFlight: 2,
      remainingTimeMs: () => (++partsStarted > 3 ? 1_000 : 600_000), // time runs short after 3 parts
    });

    // Act
    const interrupted = await copyVersion(first).catch((e: unknown) => e);
    const uploadId = checkpoints.saved?.uploadId;
    const listed = await dst.send(new ListPartsCommand({ Bucket: dstBucket, Key: 'resume/big.bin', UploadId: uploadId }));
    sent.length = 0;
    const result = await copyVersion(request(version, 'resume/big.bin', { checkpoints, partsInFlight: 2 }));

    // Assess
    expect(interrupted).toEqual(new CopyCheckpointedError(3, 6));
    expect(listed.Parts?.map((p) => p.PartNumber)).toEqual([1, 2, 3]);
    const uploadedAgain = sent.filter((c) => c.name === 'UploadPartCommand');
    expect(uploadedAgain.map((c) => c.input.PartNumber).sort()).toEqual([4, 5, 6]);
    expect(uploadedAgain.every((c) => c.input.UploadId === uploadId)).toBe(true);
    expect(sent.filter((c) => c.name === 'CreateMultipartUploadCommand')).toHaveLength(0);
    expect(result).toMatchObject({ resumed: true, parts: 6, bytes: body.length });
    expect(checkpoints.saved).toBeUndefined();
    expect(await sha256OfObject(dst, dstBucket, 'resume/big.bin', result.versionId)).toEqual([sha256(body), body.length]);
    dst.middlewareStack.remove('recordCommands');
  });

  it('aborts the upload of a stale checkpoint before copying afresh', async () => {
    // Prepare
    const old = await putSource('stale/obj.bin', randomBytes(PART + 10));
    const checkpoints = new MemoryCheckpoints();
    await copyVersion(request(old, 'stale/obj.bin', { checkpoints, remainingTimeMs: () => 0 })).catch(() => undefined);
    const staleUpload = checkpoints.saved!.uploadId;
    const body = randomBytes(PART + 20);
    const current = await putSource('stale/obj.bin', body);

    // Act
    const result = await copyVersion(request(current, 'stale/obj.bin', { checkpoints }));

    // Assess
    const uploads = await dst.send(new ListMultipartUploadsCommand({ Bucket: dstBucket, Prefix: 'stale/' }));
    expect((uploads.Uploads ?? []).map((u) => u.UploadId)).not.toContain(staleUpload);
    expect(result.resumed).toBe(false);
    expect(await sha256OfObject(dst, dstBucket, 'stale/obj.bin', result.versionId)).toEqual([sha256(body), body.length]);
  });

  it('fails with PreconditionFailed when a "null" version was overwritten since it was listed', async () => {
    // Prepare
    const bucket = uniqueBucketName('copy-unversioned');
    await createVersionedBucket(src, bucket);
    await src.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Suspended' } }));
    const put = await src.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'first' }));
    await src.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'second' }));
    const listed: SourceVersion = { bucket, key: 'k', versionId: 'null', etag: put.ETag!, size: 5 };

    // Act
    const error = await copyVersion(request(listed, 'null-version')).catch((e: unknown) => e as { name: string });

    // Assess
    expect(error).toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    await emptyAndDeleteBucket(src, bucket);
  });

  it('copies 200 MiB with a peak RSS growth under 128 MiB (measured in a child process)', async () => {
    // Prepare
    const size = 200 * MiB;
    const body = randomBytes(size);
    const version = await putSource('memory/200mib.bin', body);
    const digest = sha256(body);
    const dir = mkdtempSync(join(tmpdir(), 'copy-rss-'));
    const script = join(dir, 'child.js');
    const bundled = await build({
      stdin: { contents: CHILD, resolveDir: join(__dirname, '..', '..'), loader: 'ts' },
      bundle: true,
      platform: 'node',
      target: 'node20',
      write: false,
      logLevel: 'error',
    });
    writeFileSync(script, bundled.outputFiles[0]!.text);

    // Act
    const { stdout } = await promisify(execFile)(process.execPath, [script], {
      env: { ...localVariables(), COPY_CHILD: JSON.stringify({ version, bucket: dstBucket, key: 'memory/200mib.bin' }) },
      maxBuffer: MiB,
    });
    rmSync(dir, { recursive: true, force: true });

    // Assess
    const { baseline, peak, result } = JSON.parse(stdout) as { baseline: number; peak: number; result: CopyResult };
    const growth = (peak - baseline) / MiB;
    console.log(`200 MiB copy: RSS baseline ${(baseline / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB, growth ${growth.toFixed(0)} MiB`);
    expect(growth).toBeLessThan(128);
    expect(result).toMatchObject({ bytes: size, parts: 25 });
    expect(await sha256OfObject(dst, dstBucket, 'memory/200mib.bin', result.versionId)).toEqual([digest, size]);
  });
});

/** Only the LOCAL_* variables: the child must not inherit Jest's settings. */
function localVariables(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('LOCAL_')));
}

/** Runs one copy in its own process and prints its RSS at start and at peak. */
const CHILD = `
import { readFileSync } from 'node:fs';
import { copyVersion } from './src/copy';
import { destS3Client, sourceS3Client } from './tests/helpers/local-env';

const input = JSON.parse(process.env.COPY_CHILD!);
let saved: unknown;
const checkpoints = {
  load: async () => saved as never,
  save: async (c: unknown) => void (saved = c),
  clear: async () => void (saved = undefined),
};
async function main(): Promise<void> {
  const source = sourceS3Client();
  const dest = destS3Client();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const result = await copyVersion({
    source: { client: source, version: input.version },
    destination: { client: dest, bucket: input.bucket, key: input.key },
    replicaMetadata: {},
    checkpoints,
    partsInFlight: 4,
    remainingTimeMs: () => 600_000,
    checkpointMarginMs: 60_000,
  });
  clearInterval(timer);
  // VmHWM, not getrusage's maxRSS: Linux carries maxRSS over from the forking parent (Jest).
  const hwm = /VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  peak = Math.max(peak, process.memoryUsage().rss, Number(hwm?.[1] ?? 0) * 1024);
  process.stdout.write(JSON.stringify({ baseline, peak, result }));
  source.destroy();
  dest.destroy();
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
`;
