import type { S3Client } from '@aws-sdk/client-s3';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { listVersionsPage } from '../aws/listing';
import { decodeObjectKey } from '../events';
import type { PrefixMapping } from './pairs';

/** Where the scan of one destination stands between two invocations. */
export interface ExtrasCursor {
  /** The destination listing's continuation token; absent on the first page. */
  token?: string;
  /** The last source key already compared: the source listing resumes after it. */
  sourceAfter?: string;
}

export interface ExtrasPage {
  /** Source keys the destination has and the source has no trace of: extras. */
  extras: string[];
  /** Source keys the destination has while the source's current entry is a delete marker: to converge. */
  deleted: string[];
  /** Destination keys compared in this page. */
  compared: number;
  /** Absent when the destination listing is done. */
  next?: ExtrasCursor;
  requests: number;
}

/**
 * One page of the search for keys the destination has and the source does not: a page of the
 * destination's current objects, and the source's versions and markers over the same key range
 * (both in key order, so the source listing resumes where the previous page stopped). A key the
 * source has no trace of is an extra (a replica whose source was removed, or a foreign object);
 * a key whose source current is a delete marker is merely not converged yet.
 */
export async function extrasPage(
  source: { client: S3Client; bucket: string },
  destination: { client: S3Client; bucket: string },
  prefixes: { source: string; destination: string },
  mapping: PrefixMapping,
  cursor: ExtrasCursor,
  pageSize = 1000,
): Promise<ExtrasPage> {
  let requests = 1;
  const page = await destination.client.send(
    new ListObjectsV2Command({ Bucket: destination.bucket, Prefix: prefixes.destination || undefined, EncodingType: 'url', ContinuationToken: cursor.token, MaxKeys: pageSize }),
  );
  const wanted = (page.Contents ?? []).map((o) => mapping.sourcePrefix + decodeObjectKey(o.Key ?? '').slice(mapping.destinationPrefix.length));
  const last = wanted.at(-1);
  // The source's keys over the page's range, with or without a current object.
  const current = new Set<string>();
  const known = new Set<string>();
  let after = cursor.sourceAfter;
  if (last !== undefined) {
    // KeyMarker without a version id marker: the listing starts after that key, so pages chain.
    let marker: { keyMarker: string; versionIdMarker?: string } | undefined = after === undefined ? undefined : { keyMarker: after };
    for (let done = false; !done; ) {
      requests++;
      const src = await listVersionsPage(source.client, { bucket: source.bucket, prefix: prefixes.source, ...marker, maxKeys: pageSize });
      for (const entry of src.entries) {
        if (Buffer.compare(Buffer.from(entry.key), Buffer.from(last)) > 0) {
          done = true;
          break;
        }
        known.add(entry.key);
        if (entry.isLatest && entry.kind === 'version') current.add(entry.key);
      }
      const lastEntry = src.entries.at(-1);
      if (!src.truncated || lastEntry === undefined) done = true;
      else marker = { keyMarker: lastEntry.key, versionIdMarker: lastEntry.versionId };
    }
    after = last;
  }
  return {
    extras: wanted.filter((key) => !known.has(key)),
    deleted: wanted.filter((key) => known.has(key) && !current.has(key)),
    compared: wanted.length,
    ...(page.IsTruncated && page.NextContinuationToken !== undefined && { next: { token: page.NextContinuationToken, ...(after !== undefined && { sourceAfter: after }) } }),
    requests,
  };
}
