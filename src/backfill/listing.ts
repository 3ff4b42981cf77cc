import type { S3Client } from '@aws-sdk/client-s3';
import { listVersionsPage } from '../aws/listing';
import type { HistoryEntry } from '../core/facts';

/** Every entry of one key, versions and delete markers interleaved newest first, as S3 lists them. */
export interface KeyEntries {
  key: string;
  entries: HistoryEntry[];
}

export interface ListingOptions {
  prefix?: string;
  /** Entries per request (S3's maximum and default is 1000). */
  pageSize?: number;
  /** Called once per request: the request counter of the bench. */
  onRequest?: () => void;
}

/**
 * Lists a bucket's versions and delete markers under a prefix, page by page, and yields whole
 * keys in key order: a key whose entries continue on the next page is held back until they end.
 * Each page comes from listVersionsPage (EncodingType=url, keys decoded, S3's order kept). The next
 * page starts after the page's last entry, taken from the entries themselves: S3 URL-encodes
 * NextKeyMarker under EncodingType=url, Ceph RGW does not, so decoding it would misread a key
 * holding "+" or "%" on one of them. The next page is requested as soon as this one arrives.
 */
export async function* listKeys(client: S3Client, bucket: string, options: ListingOptions = {}): AsyncGenerator<KeyEntries[]> {
  const request = (marker?: { keyMarker: string; versionIdMarker: string }) => {
    options.onRequest?.();
    const page = listVersionsPage(client, { bucket, prefix: options.prefix ?? '', ...marker, ...(options.pageSize !== undefined && { maxKeys: options.pageSize }) });
    // Settled here too: a consumer that stops early never leaves the read-ahead unhandled.
    page.catch(() => undefined);
    return page;
  };
  let carried: KeyEntries | undefined;
  let next = request();
  for (;;) {
    const page = await next;
    const keys: KeyEntries[] = carried ? [carried] : [];
    for (const { key, ...entry } of page.entries) {
      const last = keys.at(-1);
      if (last?.key === key) last.entries.push(entry);
      else keys.push({ key, entries: [entry] });
    }
    if (!page.truncated) {
      if (keys.length > 0) yield keys;
      return;
    }
    const lastEntry = page.entries.at(-1);
    if (lastEntry === undefined) throw new Error(`the listing of ${bucket} is truncated but returned no entry`);
    // The next page is read while this one is worked on (one page ahead, never more).
    next = request({ keyMarker: lastEntry.key, versionIdMarker: lastEntry.versionId });
    // The last key may go on in the next page: hold it back.
    carried = keys.pop();
    if (keys.length > 0) yield keys;
  }
}
