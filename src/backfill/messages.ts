import { createHash } from 'node:crypto';
import type { ChangeMessage } from '../events';
import { asciiJson } from '../events';
import { messageGroupId } from '../functions/relay-function';

/** How far back a backfill mirrors: the function's own mode, or every version / only the current. */
export type BackfillHistory = 'all' | 'latest';

/** One SQS entry of a backfill: "converge this key", in the key's FIFO group (serialized with its live events). */
export interface QueueEntry {
  body: string;
  groupId: string;
  deduplicationId: string;
}

/**
 * The message of one key of run `runId`. The deduplication id is unique per run and key
 * (a rerun of the same run within SQS's 5-minute window sends nothing twice) and hashed, since
 * keys are up to 1024 bytes and SQS takes 128 characters.
 */
export function convergeEntry(runId: string, bucket: string, key: string, history: BackfillHistory | undefined, options: { n?: number; now?: Date } = {}): QueueEntry {
  const deduplicationId = createHash('sha256').update(`backfill\n${runId}\n${bucket}/${key}`).digest('hex');
  const message: ChangeMessage = {
    v: 1,
    // n: the key's number in a run that counts them (the CLI); else the key's hash, unique too.
    eventId: `backfill:${runId}:${options.n ?? deduplicationId.slice(0, 16)}`,
    eventTime: (options.now ?? new Date()).toISOString(),
    type: 'converge',
    bucket,
    key,
    ...(history !== undefined && { history }),
  };
  return {
    body: asciiJson(message),
    groupId: messageGroupId(bucket, key),
    deduplicationId,
  };
}
