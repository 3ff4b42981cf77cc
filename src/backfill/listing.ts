import type { S3Client } from '@aws-sdk/client-s3';
import { ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import type { ListedDeleteMarker, ListedVersion } from '../core/source-state';
import { decodeObjectKey } from '../events';

/** Every entry of one key, newest first (S3's order within a key). */
export interface KeyEntries {
  key: string;
  versions: ListedVersion[];
  deleteMarkers: ListedDeleteMarker[];
}

export interface ListingOptions {
  prefix?: string;
  /** Entries per request (S3's maximum and default is 1000). */
  pageSize?: number;
  /** Called once per request: the request counter of the bench and the progress bar. */
  onRequest?: () => void;
}

/**
 * Lists a bucket's versions and delete markers under a prefix, page by page, and yields whole
 * keys in key order: a key whose entries continue on the next page is held back until they end.
 * Keys are requested with EncodingType=url (a raw key may hold characters XML cannot carry) and
 * decoded here, form-style, which reads both S3's "+" and RGW's "%20" for a space.
 */
export async function* listKeys(client: S3Client, bucket: string, options: ListingOptions = {}): AsyncGenerator<KeyEntries[]> {
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  let carried: KeyEntries | undefined;
  for (;;) {
    options.onRequest?.();
    const page = await client.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: options.prefix || undefined, EncodingType: 'url', MaxKeys: options.pageSize, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }),
    );
    const keys = groupByKey(page.Versions ?? [], page.DeleteMarkers ?? []);
    if (carried !== undefined) {
      const first = keys[0];
      if (first?.key === carried.key) {
        carried.versions.push(...first.versions);
        carried.deleteMarkers.push(...first.deleteMarkers);
        keys[0] = carried;
      } else keys.unshift(carried);
    }
    if (!page.IsTruncated) {
      if (keys.length > 0) yield keys;
      return;
    }
    // The last key may go on in the next page: hold it back.
    carried = keys.pop();
    if (keys.length > 0) yield keys;
    const next = nextMarkers(page.NextKeyMarker, page.NextVersionIdMarker, carried);
    if (next.keyMarker === keyMarker && next.versionIdMarker === versionIdMarker) {
      throw new Error(`the listing of ${bucket} does not advance past ${String(keyMarker)}`);
    }
    ({ keyMarker, versionIdMarker } = next);
  }
}

interface RawEntry {
  Key?: string;
  VersionId?: string;
  IsLatest?: boolean;
  LastModified?: Date;
  ETag?: string;
  Size?: number;
}

function groupByKey(versions: RawEntry[], markers: RawEntry[]): KeyEntries[] {
  const byKey = new Map<string, KeyEntries>();
  const entry = (raw: RawEntry) => {
    const key = decodeObjectKey(raw.Key ?? '');
    let found = byKey.get(key);
    if (found === undefined) byKey.set(key, (found = { key, versions: [], deleteMarkers: [] }));
    return found;
  };
  for (const v of versions) {
    entry(v).versions.push({ versionId: v.VersionId ?? 'null', etag: v.ETag ?? '', size: v.Size ?? 0, lastModified: v.LastModified ?? new Date(0), isLatest: v.IsLatest === true });
  }
  for (const m of markers) entry(m).deleteMarkers.push({ versionId: m.VersionId ?? 'null', lastModified: m.LastModified ?? new Date(0), isLatest: m.IsLatest === true });
  // Binary order of UTF-8 bytes, as S3 sorts keys.
  return [...byKey.values()].sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
}

/**
 * The next request's markers. S3 URL-encodes NextKeyMarker under EncodingType=url, RGW does not;
 * so the key marker is taken from the page's own (decoded) entry whose version id is
 * NextVersionIdMarker: that is the last entry returned, whatever the server's encoding.
 */
function nextMarkers(nextKeyMarker: string | undefined, nextVersionIdMarker: string | undefined, last: KeyEntries | undefined) {
  const holdsMarker = last !== undefined && [...last.versions, ...last.deleteMarkers].some((e) => e.versionId === nextVersionIdMarker);
  return { keyMarker: holdsMarker ? last.key : nextKeyMarker === undefined ? undefined : decodeObjectKey(nextKeyMarker), versionIdMarker: nextVersionIdMarker };
}
