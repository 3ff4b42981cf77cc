/**
 * The FIFO rule of one SQS batch, with message groups run concurrently: records of one group
 * (one key) run one after another in batch order, and once one fails the group's later records
 * fail unprocessed, so the key's order holds; different groups are independent and run at most
 * `concurrency` at once. Results come back in batch order, one per record, for
 * sqs-partial-batch-failure.
 */
export async function runFifoBatch<R>(
  records: readonly R[],
  options: {
    groupOf: (record: R) => string;
    concurrency: number;
    process: (record: R, index: number) => Promise<void>;
  },
): Promise<PromiseSettledResult<void>[]> {
  const groups = new Map<string, number[]>();
  for (const [index, record] of records.entries()) {
    const group = options.groupOf(record);
    const members = groups.get(group);
    if (members) members.push(index);
    else groups.set(group, [index]);
  }

  const results: PromiseSettledResult<void>[] = new Array<PromiseSettledResult<void>>(records.length);
  const runGroup = async (indexes: readonly number[]): Promise<void> => {
    let failed = false;
    for (const index of indexes) {
      if (failed) {
        results[index] = { status: 'rejected', reason: new Error(NOT_PROCESSED) };
        continue;
      }
      try {
        await options.process(records[index]!, index);
        results[index] = { status: 'fulfilled', value: undefined };
      } catch (reason) {
        failed = true;
        results[index] = { status: 'rejected', reason };
      }
    }
  };

  // Groups start in the order of their first record, so a batch's oldest work goes first.
  const queue = [...groups.values()];
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) await runGroup(next);
  };
  const workers = Math.min(Math.max(1, Math.floor(options.concurrency) || 1), queue.length);
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}

export const NOT_PROCESSED = 'not processed: an earlier message of the same key failed in this batch';
