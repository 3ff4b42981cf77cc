import { createHash } from 'node:crypto';

/** MD5 of a buffer as raw bytes: hex for ETag comparisons, base64 for Content-MD5. */
export function md5(data: Uint8Array): Buffer {
  return createHash('md5').update(data).digest();
}
