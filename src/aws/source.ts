import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectTaggingCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import type { Tag } from '@aws-sdk/client-s3';
import type { SourceListing } from '../core/source-state';
import { SourceAccessDeniedError } from '../errors';

/**
 * Reads the source's state of one key: its versions and delete markers, newest first, page by
 * page until `enough` says the caller has what it needs (or the key's entries end).
 * ListObjectVersions (not HeadObject) because it shows delete markers reliably.
 */
export async function listSourceVersions(
  client: S3Client,
  bucket: string,
  key: string,
  /** Sees every page's entries of the key; true stops the listing there. */
  enough: (page: SourceListing) => Promise<boolean> | boolean = () => false,
): Promise<SourceListing> {
  const listing: SourceListing = { versions: [], deleteMarkers: [] };
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  for (;;) {
    const page = await denyAsPermanent(
      client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker })),
      `list versions of ${key}`,
    );
    let passedKey = false;
    const own: SourceListing = { versions: [], deleteMarkers: [] };
    for (const v of page.Versions ?? []) {
      if (v.Key !== key) { passedKey ||= v.Key! > key; continue; }
      own.versions.push({ versionId: v.VersionId ?? 'null', etag: v.ETag ?? '', size: v.Size ?? 0, lastModified: v.LastModified ?? new Date(0), isLatest: v.IsLatest === true });
    }
    for (const m of page.DeleteMarkers ?? []) {
      if (m.Key !== key) { passedKey ||= m.Key! > key; continue; }
      own.deleteMarkers.push({ versionId: m.VersionId ?? 'null', lastModified: m.LastModified ?? new Date(0), isLatest: m.IsLatest === true });
    }
    listing.versions.push(...own.versions);
    listing.deleteMarkers.push(...own.deleteMarkers);
    // Every page goes through `enough` (the caller learns from it), even the last one.
    const satisfied = await enough(own);
    // Keys come sorted: once the listing is past our key, longer keys sharing the prefix follow.
    if (satisfied || passedKey || !page.IsTruncated) return listing;
    if (page.NextKeyMarker === keyMarker && page.NextVersionIdMarker === versionIdMarker) {
      throw new Error(`the listing of ${key} does not advance past ${keyMarker}/${versionIdMarker}`);
    }
    keyMarker = page.NextKeyMarker;
    versionIdMarker = page.NextVersionIdMarker;
  }
}

/** The tags of one source version. */
export async function sourceTags(client: S3Client, bucket: string, key: string, versionId: string): Promise<Tag[]> {
  const { TagSet } = await denyAsPermanent(
    client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: versionId })),
    `read tags of ${key}`,
  );
  return TagSet ?? [];
}

async function denyAsPermanent<T>(request: Promise<T>, what: string): Promise<T> {
  try {
    return await request;
  } catch (error) {
    if (error instanceof Error && error.name === 'AccessDenied') {
      throw new SourceAccessDeniedError(`access denied to ${what} in the source bucket`, { cause: error });
    }
    throw error;
  }
}
