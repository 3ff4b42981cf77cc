/**
 * Run `work` for each part number with at most `concurrency` at once (memory ~= part size x
 * concurrency). Before starting each part it asks `shouldStop()`; once true, no part starts, the
 * ones in flight finish, and it resolves with `stopped: true`. After a failure no part starts
 * either, and the first error is thrown once the parts in flight have settled.
 */
export async function runPartPool(
  partNumbers: readonly number[],
  concurrency: number,
  shouldStop: () => boolean,
  work: (partNumber: number) => Promise<void>,
): Promise<{ stopped: boolean }> {
  let next = 0;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < partNumbers.length && !failure && !stopped) {
      if (shouldStop()) {
        stopped = true;
        return;
      }
      const partNumber = partNumbers[next++]!;
      try {
        await work(partNumber);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers = Math.min(Math.max(1, Math.floor(concurrency) || 1), partNumbers.length);
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure) throw failure.error;
  return { stopped };
}
