import type { S3Client } from '@aws-sdk/client-s3';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
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
  /** Source keys whose destination object exists while the source has no current object. */
  extras: string[];
  /** Destination keys compared in this page. */
  compared: number;
  /** Absent when the destination listing is done. */
  next?: ExtrasCursor;
  requests: number;
}

/**
 * One page of the search for extras: a page of the destination's current objects, and the
 * source's current objects over the same key range (both in key order, so the source listing
 * resumes where the previous page stopped). A key present only on the destination is an extra:
 * a replica whose source was deleted (or a foreign object). Its converge decides what to do.
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
  const present = new Set<string>();
  let after = cursor.sourceAfter;
  if (last !== undefined) {
    // The source's keys up to the page's last key (StartAfter is exclusive, so pages chain).
    let token: string | undefined;
    for (let done = false; !done; ) {
      requests++;
      const src = await source.client.send(
        new ListObjectsV2Command({ Bucket: source.bucket, Prefix: prefixes.source || undefined, EncodingType: 'url', StartAfter: token === undefined ? after : undefined, ContinuationToken: token, MaxKeys: pageSize }),
      );
      for (const o of src.Contents ?? []) {
        const key = decodeObjectKey(o.Key ?? '');
        if (Buffer.compare(Buffer.from(key), Buffer.from(last)) > 0) {
          done = true;
          break;
        }
        present.add(key);
      }
      token = src.NextContinuationToken;
      if (!src.IsTruncated) done = true;
    }
    after = last;
  }
  return {
    extras: wanted.filter((key) => !present.has(key)),
    compared: wanted.length,
    ...(page.IsTruncated && page.NextContinuationToken !== undefined && { next: { token: page.NextContinuationToken, ...(after !== undefined && { sourceAfter: after }) } }),
    requests,
  };
}
