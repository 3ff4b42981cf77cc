import type { SQSClient } from '@aws-sdk/client-sqs';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { QueueEntry } from './messages';

/** SQS takes at most 10 entries per SendMessageBatch. */
export const SQS_BATCH_LIMIT = 10;
const MAX_ROUNDS = 5;

export interface EnqueueResult {
  sent: number;
  /** Entries SQS refused every time, with the reason it gave (no body: it may be long). */
  failed: { groupId: string; index: number; code: string; message: string }[];
}

/**
 * Sends entries with SendMessageBatch, 10 at a time. Entries SQS reports as failed (throttling,
 * a transient fault) are sent again after a backoff, a few times; entries that still fail, or
 * that SQS refuses as the sender's fault, are returned, never dropped silently.
 */
export async function sendEntries(sqs: SQSClient, queueUrl: string, entries: readonly QueueEntry[], sleep = defaultSleep): Promise<EnqueueResult> {
  const result: EnqueueResult = { sent: 0, failed: [] };
  for (let start = 0; start < entries.length; start += SQS_BATCH_LIMIT) {
    let pending = entries.slice(start, start + SQS_BATCH_LIMIT).map((entry, i) => ({ entry, index: start + i }));
    for (let round = 1; pending.length > 0; round++) {
      const response = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: pending.map(({ entry, index }) => ({
            Id: String(index),
            MessageBody: entry.body,
            MessageGroupId: entry.groupId,
            MessageDeduplicationId: entry.deduplicationId,
          })),
        }),
      );
      result.sent += response.Successful?.length ?? 0;
      const failures = new Map((response.Failed ?? []).map((f) => [f.Id, f]));
      const retry: typeof pending = [];
      for (const item of pending) {
        const failure = failures.get(String(item.index));
        if (failure === undefined) continue;
        if (failure.SenderFault !== true && round < MAX_ROUNDS) retry.push(item);
        else result.failed.push({ groupId: item.entry.groupId, index: item.index, code: failure.Code ?? 'unknown', message: failure.Message ?? '' });
      }
      pending = retry;
      if (pending.length > 0) await sleep(Math.min(2000, 100 * 2 ** round));
    }
  }
  return result;
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
