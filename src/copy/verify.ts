import { createHash } from 'node:crypto';

const MD5_HEX = /^[0-9a-f]{32}$/;

/** An ETag without its quotes, lower-cased. */
export function bareEtag(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '').toLowerCase();
}

/** True when an ETag is the MD5 of the object's bytes: single-part and not SSE-KMS. */
export function isPlainMd5Etag(etag: string | undefined, serverSideEncryption: string | undefined): boolean {
  return MD5_HEX.test(bareEtag(etag)) && !(serverSideEncryption ?? '').startsWith('aws:kms');
}

/**
 * The ETag S3 gives a multipart object: MD5 of the concatenated binary part MD5s, '-', part count.
 * Undefined when a part's ETag is not an MD5 (SSE-KMS), so there is nothing to compare.
 */
export function compositeEtag(partMd5Hexes: readonly string[]): string | undefined {
  if (!partMd5Hexes.every((h) => MD5_HEX.test(h))) return undefined;
  const hash = createHash('md5');
  for (const h of partMd5Hexes) hash.update(Buffer.from(h, 'hex'));
  return `${hash.digest('hex')}-${partMd5Hexes.length}`;
}
