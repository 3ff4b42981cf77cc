import { IntegrityError } from '../errors';

/**
 * Read a response body into one buffer of exactly `length` bytes, the start of `into` when given
 * (a reused part buffer: freed 8 MiB buffers do not reliably go back to the OS, so reusing them
 * is what keeps RSS at part size x parts in flight). A body longer or shorter than announced is
 * an IntegrityError.
 */
export async function readBody(body: unknown, length: number, what: string, into?: Buffer): Promise<Buffer> {
  if (into && into.length < length) throw new RangeError(`${what}: buffer of ${into.length} bytes for ${length}`);
  const buffer = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
  let filled = 0;
  if (body !== undefined && body !== null) {
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      if (filled + chunk.length > length) {
        (body as { destroy?: () => void }).destroy?.();
        throw new IntegrityError(`${what}: read more than the expected ${length} bytes`);
      }
      buffer.set(chunk, filled);
      filled += chunk.length;
    }
  }
  if (filled !== length) throw new IntegrityError(`${what}: read ${filled} bytes, expected ${length}`);
  return buffer;
}
