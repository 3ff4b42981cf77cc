import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { SQS_BATCH_LIMIT, sendEntries } from './enqueue';
import type { KeyEntries } from './listing';
import { listKeys } from './listing';
import type { BackfillHistory } from './messages';
import { convergeEntry } from './messages';
import { chunks, forEachConcurrent } from './pool';

export interface EnqueueRun {
  runId: string;
  sourceBucket: string;
  prefix: string;
  queueUrl: string;
  history: BackfillHistory | undefined;
  /** SendMessageBatch requests in flight. */
  concurrency: number;
  onKeys?: (n: number) => void;
  onRequest?: () => void;
}

export interface EnqueueRunResult {
  keys: number;
  enqueued: number;
  failed: { key: string; reason: string }[];
}

/**
 * Queue mode of the backfill: one converge message per key under the prefix (every key with any
 * version or delete marker: a key whose current entry is a marker needs its marker mirrored),
 * each in the key's FIFO group so it stays ordered with the key's live events.
 */
export async function enqueuePrefix(source: S3Client, sqs: SQSClient, run: EnqueueRun): Promise<EnqueueRunResult> {
  const result: EnqueueRunResult = { keys: 0, enqueued: 0, failed: [] };
  const keys = (async function* () {
    for await (const page of listKeys(source, run.sourceBucket, { prefix: run.prefix, ...(run.onRequest && { onRequest: run.onRequest }) })) yield* page;
  })();
  await forEachConcurrent(chunks<KeyEntries>(keys, SQS_BATCH_LIMIT), run.concurrency, async (batch) => {
    const first = result.keys;
    result.keys += batch.length;
    const entries = batch.map((k, i) => convergeEntry(run.runId, run.sourceBucket, k.key, run.history, { n: first + i }));
    run.onRequest?.();
    const sent = await sendEntries(sqs, run.queueUrl, entries);
    result.enqueued += sent.sent;
    for (const f of sent.failed) result.failed.push({ key: batch[f.index]!.key, reason: f.code });
    run.onKeys?.(batch.length);
  });
  return result;
}
