import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type {
  GetObjectCommandInput,
  GetObjectCommandOutput,
  S3ClientResolvedConfig,
  ServiceInputTypes,
  ServiceOutputTypes,
} from '@aws-sdk/client-s3';
import { GetObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { AwsStub } from 'aws-sdk-client-mock';
import type { CopyRequest, UploadCheckpoint, UploadCheckpointStore } from '../../../src/copy/types';

export const MiB = 1024 * 1024;

/** An S3 client that never reaches the network: tests mock the instance. */
export function offlineClient(): S3Client {
  return new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
}

/** Deterministic bytes that differ from part to part. */
export function bytesOf(size: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    b[i] = x >>> 16;
  }
  return b;
}

export const md5Hex = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');
export const md5Base64 = (b: Uint8Array): string => createHash('md5').update(b).digest('base64');

/** An S3 error as the SDK throws it (no class exists for some codes, e.g. AccessDenied). */
export function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });
}

/** An in-memory UPLOAD item, with the order of its calls in `log`. */
export class MemoryCheckpoints implements UploadCheckpointStore {
  public constructor(
    public saved: UploadCheckpoint | undefined = undefined,
    public readonly log: string[] = [],
  ) {}
  public load(): Promise<UploadCheckpoint | undefined> {
    this.log.push('load');
    return Promise.resolve(this.saved);
  }
  public save(checkpoint: UploadCheckpoint): Promise<void> {
    this.log.push('save');
    this.saved = checkpoint;
    return Promise.resolve();
  }
  public clear(): Promise<void> {
    this.log.push('clear');
    this.saved = undefined;
    return Promise.resolve();
  }
}

/**
 * Serve one source version from memory: GetObject honours Range and returns `headers` with each
 * response, as S3 does for ranged reads too.
 */
export function serveSource(
  mock: AwsStub<ServiceInputTypes, ServiceOutputTypes, S3ClientResolvedConfig>,
  data: Buffer,
  headers: Partial<GetObjectCommandOutput> = {},
): void {
  mock.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => {
    const m = /^bytes=(\d+)-(\d+)$/.exec(input.Range ?? '');
    const slice = m ? data.subarray(Number(m[1]), Number(m[2]) + 1) : data;
    return { ETag: `"${md5Hex(data)}"`, ...headers, ContentLength: slice.length, Body: Readable.from([Buffer.from(slice)]) };
  });
}

export function copyRequest(
  source: S3Client,
  dest: S3Client,
  data: Buffer,
  overrides: Partial<CopyRequest> = {},
): CopyRequest {
  return {
    source: {
      client: source,
      version: { bucket: 'src-bucket', key: 'dir/file name.bin', versionId: 'v-src-1', etag: `"${md5Hex(data)}"`, size: data.length },
    },
    destination: { client: dest, bucket: 'dst-bucket', key: 'mirror/dir/file name.bin' },
    replicaMetadata: { 'replica-of': 'v-src-1' },
    checkpoints: new MemoryCheckpoints(),
    partsInFlight: 4,
    remainingTimeMs: () => 600_000,
    checkpointMarginMs: 60_000,
    ...overrides,
  };
}
