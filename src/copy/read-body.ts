import { IntegrityError } from '../errors';

/**
 * Read a response body into one buffer of exactly `length` bytes: the buffer is allocated once,
 * so memory stays at one part, and a body longer or shorter than announced is an IntegrityError.
 */
export async function readBody(body: unknown, length: number, what: string): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
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
