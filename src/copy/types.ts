import type { S3Client, StorageClass } from '@aws-sdk/client-s3';
import type { PartBuffers } from './part-buffers';

/** One pinned source object version: what the copy reads. */
export interface SourceVersion {
  bucket: string;
  key: string;
  /** The version id to pin every read to; "null" for an unversioned or suspended bucket's object. */
  versionId: string;
  /** The ETag from the listing, quoted as S3 returns it; every read is made with If-Match on it. */
  etag: string;
  size: number;
}

/** Where the copy writes, with the destination's own options. */
export interface DestinationTarget {
  client: S3Client;
  bucket: string;
  key: string;
  /** Overrides the source's storage class when set. */
  storageClass?: StorageClass;
  /** SSE-KMS key for the destination; without it the bucket's default encryption applies. */
  kmsKeyId?: string;
}

/** An in-progress multipart copy, saved so that the next invocation can resume it. */
export interface UploadCheckpoint {
  uploadId: string;
  partSize: number;
  sourceVersionId: string;
  sourceEtag: string;
  destinationKey: string;
  startedAt: string;
}

/** Persists the one in-progress upload of a (destination, key); the UPLOAD item in the table. */
export interface UploadCheckpointStore {
  load(): Promise<UploadCheckpoint | undefined>;
  save(checkpoint: UploadCheckpoint): Promise<void>;
  clear(): Promise<void>;
}

export interface CopyRequest {
  source: { client: S3Client; version: SourceVersion };
  destination: DestinationTarget;
  /** Extra user metadata written on the replica (the replica marker key). */
  replicaMetadata: Record<string, string>;
  checkpoints: UploadCheckpointStore;
  /** Parts read and uploaded at once; memory ~= part size x this. */
  partsInFlight: number;
  /** The part-buffer budget shared by every copy in the process; without it, this copy's own. */
  buffers?: PartBuffers;
  /** Milliseconds left in this invocation. */
  remainingTimeMs: () => number;
  /** Stop starting parts when less than this is left, checkpoint and throw CopyCheckpointedError. */
  checkpointMarginMs: number;
  signal?: AbortSignal;
}

export interface CopyResult {
  /** The destination's version id of the new object; undefined when the bucket is unversioned. */
  versionId: string | undefined;
  etag: string;
  bytes: number;
  parts: number;
  /** True when the copy continued an upload that an earlier invocation started. */
  resumed: boolean;
}
