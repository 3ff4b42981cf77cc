import { createHash } from 'node:crypto';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { sendEntries } from './enqueue';

export interface RedriveOptions {
  dlqUrl: string;
  queueUrl: string;
  dryRun: boolean;
  /** Stop after this many messages (default: until the DLQ answers empty). */
  limit?: number;
  /** How long received messages stay hidden while we work on them. */
  visibilitySeconds?: number;
  onMessage?: (message: RedrivenMessage) => void;
}

export interface RedrivenMessage {
  messageId: string;
  groupId: string;
  /** The key, when the body is a change message (it may not be: a malformed body is dead-lettered too). */
  key?: string;
  reason?: string;
}

export interface RedriveResult {
  moved: number;
  /** Dry run: messages seen and left in the DLQ. */
  seen: number;
  failed: number;
}

/**
 * Moves DLQ messages back to the main queue, each in its own FIFO group, so a key's redriven
 * message is ordered with its later live events. Each message is sent, then deleted from the DLQ:
 * a crash between the two leaves a duplicate, which the replicate function converges harmlessly,
 * never a loss. A dry run receives every message, reports it and makes it visible again.
 */
export async function redrive(sqs: SQSClient, options: RedriveOptions): Promise<RedriveResult> {
  const result: RedriveResult = { moved: 0, seen: 0, failed: 0 };
  const held: Message[] = [];
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  try {
    while (result.seen + result.moved + result.failed < limit) {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: options.dlqUrl,
          MaxNumberOfMessages: Math.min(10, limit - result.seen - result.moved - result.failed),
          WaitTimeSeconds: 1,
          VisibilityTimeout: options.visibilitySeconds ?? 60,
          MessageSystemAttributeNames: ['MessageGroupId'],
          MessageAttributeNames: ['reason'],
        }),
      );
      if (!Messages || Messages.length === 0) break;
      for (const m of Messages) options.onMessage?.(describe(m));
      if (options.dryRun) {
        held.push(...Messages);
        result.seen += Messages.length;
        continue;
      }
      const sent = await sendEntries(
        sqs,
        options.queueUrl,
        Messages.map((m) => ({
          body: m.Body ?? '',
          groupId: m.Attributes?.MessageGroupId ?? 'unknown',
          // Unique per DLQ message: a redriven message is never taken for its original.
          deduplicationId: createHash('sha256').update(`redrive\n${m.MessageId ?? ''}`).digest('hex'),
        })),
      );
      const failedIndexes = new Set(sent.failed.map((f) => f.index));
      const done = Messages.filter((_, i) => !failedIndexes.has(i));
      if (done.length > 0) {
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: options.dlqUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
      }
      result.moved += done.length;
      result.failed += failedIndexes.size;
      held.push(...Messages.filter((_, i) => failedIndexes.has(i)));
    }
  } finally {
    await release(sqs, options.dlqUrl, held);
  }
  return result;
}

/** Makes messages we only looked at (dry run) or could not move visible again at once. */
async function release(sqs: SQSClient, dlqUrl: string, messages: Message[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const batch = messages.slice(i, i + 10);
    await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: dlqUrl, Entries: batch.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })) }));
  }
}

function describe(message: Message): RedrivenMessage {
  let key: string | undefined;
  try {
    const body: unknown = JSON.parse(message.Body ?? '');
    if (typeof body === 'object' && body !== null && 'key' in body && typeof body.key === 'string') key = body.key;
  } catch {
    // not JSON: reported without a key
  }
  return {
    messageId: message.MessageId ?? '',
    groupId: message.Attributes?.MessageGroupId ?? 'unknown',
    ...(key !== undefined && { key }),
    ...(message.MessageAttributes?.reason?.StringValue !== undefined && { reason: message.MessageAttributes.reason.StringValue }),
  };
}
