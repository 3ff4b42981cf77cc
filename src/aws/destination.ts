import type { S3Client, Tag } from '@aws-sdk/client-s3';
import {
  DeleteObjectCommand,
  DeleteObjectTaggingCommand,
  GetBucketVersioningCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectTaggingCommand,
} from '@aws-sdk/client-s3';

/** The metadata key every replica carries: which source version (and bytes) it holds. */
export const REPLICA_METADATA_KEY = 'partition-replica-of';

export type DestinationCurrent =
  | { exists: true; versionId: string | undefined; replicaOf: string | undefined }
  | { exists: false };

/** What the destination's current object is. A 404 means absent or delete-marked: both are "not there". */
export async function headCurrent(client: S3Client, bucket: string, key: string): Promise<DestinationCurrent> {
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { exists: true, versionId: head.VersionId, replicaOf: head.Metadata?.[REPLICA_METADATA_KEY] };
  } catch (error) {
    if (error instanceof Error && (error.name === 'NotFound' || error.name === 'NoSuchKey')) return { exists: false };
    throw error;
  }
}

/** The version id of the key's current entry when that entry is a delete marker. */
export async function currentDeleteMarker(client: S3Client, bucket: string, key: string): Promise<string | undefined> {
  // With Prefix = key the key's own entries come first, newest first: one entry is enough.
  const page = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
  return page.DeleteMarkers?.find((m) => m.Key === key && m.IsLatest)?.VersionId;
}

/** Deletes the current object: a delete marker in a versioned bucket. Returns the marker's version id. */
export async function deleteCurrent(client: S3Client, bucket: string, key: string): Promise<string | undefined> {
  const result = await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  return result.VersionId;
}

/** Permanently deletes one version; an already-gone version is fine (idempotent). */
export async function deleteVersion(client: S3Client, bucket: string, key: string, versionId: string): Promise<void> {
  try {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  } catch (error) {
    if (!isGone(error)) throw error;
  }
}

/** The destination object or version is not there (e.g. expired by the destination's lifecycle). */
export function isGone(error: unknown): boolean {
  return error instanceof Error && (error.name === 'NoSuchVersion' || error.name === 'NoSuchKey' || error.name === 'NotFound');
}

/** Makes the tags of one destination version equal to `tags`. */
export async function syncTags(client: S3Client, bucket: string, key: string, versionId: string | undefined, tags: Tag[]): Promise<void> {
  if (tags.length === 0) {
    await client.send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  } else {
    await client.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: versionId, Tagging: { TagSet: tags } }));
  }
}

/**
 * Whether a destination bucket keeps versions, cached for the container's life per destination
 * (one bucket name may exist in two partitions).
 */
export class VersioningCache {
  private readonly known = new Map<string, Promise<boolean>>();

  /** One GetBucketVersioning a destination, shared by the keys that ask at once; a failure is not kept. */
  public isVersioned(client: S3Client, bucket: string, destinationId: string = bucket): Promise<boolean> {
    const cached = this.known.get(destinationId);
    if (cached !== undefined) return cached;
    const asking = client.send(new GetBucketVersioningCommand({ Bucket: bucket })).then(({ Status }) => Status === 'Enabled');
    this.known.set(destinationId, asking);
    asking.catch(() => this.known.delete(destinationId));
    return asking;
  }
}
