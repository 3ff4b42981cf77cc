const MiB = 1024 * 1024;
const MAX_PARTS = 10_000;
const MIN_PART_SIZE = 8 * MiB;
const MAX_PART_SIZE = 5 * 1024 * MiB;

/**
 * Part size for a multipart copy: at least 8 MiB, and large enough that the object fits in
 * S3's 10,000 parts, rounded up to a whole MiB.
 */
export function partSize(objectSize: number): number {
  const needed = Math.max(MIN_PART_SIZE, Math.ceil(objectSize / MAX_PARTS));
  return Math.min(MAX_PART_SIZE, Math.ceil(needed / MiB) * MiB);
}

/** How many parts an object of this size is cut into (at least 1, for 0-byte objects too). */
export function partCount(objectSize: number, size = partSize(objectSize)): number {
  return Math.max(1, Math.ceil(objectSize / size));
}

/**
 * Parts in flight so that buffers stay within the memory budget: memory ~= part size x parts
 * in flight, and at least one part must fit.
 */
export function partsInFlight(configured: number, size: number, memoryBudgetBytes: number): number {
  return Math.max(1, Math.min(configured, Math.floor(memoryBudgetBytes / size)));
}
