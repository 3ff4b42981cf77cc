/**
 * Runs `worker` on the items of an async iterable with at most `concurrency` at once, pulling
 * items only as workers free up (a listing is read as fast as it is worked, never whole). The
 * first failure stops new work and is rethrown once the running items end.
 */
export async function forEachConcurrent<T>(items: AsyncIterable<T>, concurrency: number, worker: (item: T) => Promise<void>): Promise<void> {
  const iterator = items[Symbol.asyncIterator]();
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    // An async generator queues concurrent next() calls: each item goes to exactly one lane.
    while (failure === undefined) {
      const next = await iterator.next();
      if (next.done) return;
      try {
        await worker(next.value);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  if (failure !== undefined) throw failure.error;
}

/** Groups an async iterable's items into arrays of at most `size`. */
export async function* chunks<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let chunk: T[] = [];
  for await (const item of items) {
    chunk.push(item);
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}
