// The event-source mapping of the replicate function, for tests and the demo: what Lambda's
// SQS poller does with a FIFO queue, against a real SQS server (fauxqs).
import type { Message, MessageAttributeValue, SQSClient } from '@aws-sdk/client-sqs';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { lambdaContext } from './lambda';

/** One invocation of the function on a batch, as the Lambda runtime makes it. */
export type Invoke = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface PollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  invoke: Invoke;
  /** Records per invocation (Lambda's BatchSize; at most 10 for FIFO). */
  batchSize?: number;
  /** The function's timeout: the deadline its context reports. */
  functionTimeoutMs?: number;
  /** Invocations running at once (Lambda scales FIFO queues by message group). */
  concurrency?: number;
  region?: string;
}

/** What happened to one received record. */
export interface Delivery {
  messageId: string;
  receiveCount: number;
  /** acked: deleted after the invocation; failed: left to come back after the visibility timeout. */
  outcome: 'acked' | 'failed';
  /** Set on a message the function re-queued: the message it continues. */
  requeuedFrom?: string;
}

export interface PollerStats {
  receives: number;
  invocations: number;
  /** Invocations that threw (or answered something Lambda cannot read): the whole batch failed. */
  invocationErrors: number;
  records: number;
  /** Records received more than once (SQS redeliveries after a failure or a timeout). */
  redeliveries: number;
  acked: number;
  failed: number;
}

export interface DrainOptions {
  /** Give up (throw) after this long. */
  maxMs?: number;
  /** Give up (throw) after this many receives. */
  maxReceives?: number;
  /** Called for every delivery; throwing stops the drain (e.g. "failed too often"). */
  onDelivery?: (delivery: Delivery) => void;
  /** Stop as soon as this is true (checked between receives), even if the queue is not empty. */
  until?: () => boolean;
}

const MESSAGE_SYSTEM_ATTRIBUTES = ['All'] as const;

export class Poller {
  public readonly stats: PollerStats = { receives: 0, invocations: 0, invocationErrors: 0, records: 0, redeliveries: 0, acked: 0, failed: 0 };
  public readonly deliveries: Delivery[] = [];
  private queueArn: string | undefined;

  public constructor(private readonly options: PollerOptions) {}

  /** One receive and, if it brought records, one invocation. Returns the number of records. */
  public async pollOnce(waitTimeSeconds = 0, onDelivery?: (delivery: Delivery) => void): Promise<number> {
    const { sqs, queueUrl } = this.options;
    this.stats.receives += 1;
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: this.options.batchSize ?? 10,
        WaitTimeSeconds: waitTimeSeconds,
        MessageSystemAttributeNames: [...MESSAGE_SYSTEM_ATTRIBUTES],
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = Messages ?? [];
    if (messages.length === 0) return 0;
    const arn = this.queueArn ?? (await this.arn());
    const records = messages.map((m) => toRecord(m, arn, this.options.region ?? 'us-east-1'));
    const failed = await this.invoke(records);
    for (const record of records) {
      const receiveCount = Number(record.attributes.ApproximateReceiveCount);
      if (receiveCount > 1) this.stats.redeliveries += 1;
      const requeuedFrom = record.messageAttributes.requeuedFrom?.stringValue;
      const delivery: Delivery = {
        messageId: record.messageId,
        receiveCount,
        outcome: failed.has(record.messageId) ? 'failed' : 'acked',
        ...(requeuedFrom !== undefined && { requeuedFrom }),
      };
      this.deliveries.push(delivery);
      if (delivery.outcome === 'acked') {
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle }));
        this.stats.acked += 1;
      } else {
        this.stats.failed += 1;
      }
      onDelivery?.(delivery);
    }
    return records.length;
  }

  /**
   * Polls until the queue holds no message (visible, in flight or delayed). Failed records come
   * back after the queue's visibility timeout; the queue's redrive policy moves a record received
   * more than maxReceiveCount times to its DLQ. Bounded in time and receives.
   */
  public async drain({ maxMs = 120_000, maxReceives = 5_000, onDelivery, until }: DrainOptions = {}): Promise<void> {
    const deadline = Date.now() + maxMs;
    const worker = async (): Promise<void> => {
      for (;;) {
        if (until?.()) return;
        if (Date.now() > deadline) throw new Error(`the queue did not drain within ${maxMs} ms (${JSON.stringify(this.stats)})`);
        if (this.stats.receives >= maxReceives) throw new Error(`the queue did not drain within ${maxReceives} receives`);
        // A short receive first; long-poll only while records wait out their visibility timeout.
        if ((await this.pollOnce(0, onDelivery)) > 0) continue;
        if (await this.isEmpty()) return;
        await this.pollOnce(1, onDelivery);
      }
    };
    await Promise.all(Array.from({ length: this.options.concurrency ?? 1 }, worker));
  }

  /** No message visible, in flight or delayed. */
  public async isEmpty(): Promise<boolean> {
    const counts = await queueCounts(this.options.sqs, this.options.queueUrl);
    return counts.visible + counts.inFlight + counts.delayed === 0;
  }

  /** Invokes the function; returns the ids of the records that failed (all of them if it threw). */
  private async invoke(records: SQSRecord[]): Promise<Set<string>> {
    const all = new Set(records.map((r) => r.messageId));
    this.stats.invocations += 1;
    this.stats.records += records.length;
    const started = Date.now();
    const timeoutMs = this.options.functionTimeoutMs ?? 900_000;
    try {
      const response = await this.options.invoke({ Records: records }, lambdaContext(() => Math.max(0, started + timeoutMs - Date.now())));
      const failures = response?.batchItemFailures ?? [];
      const ids = new Set(failures.map((f) => f.itemIdentifier));
      // Lambda fails the whole batch when a reported id is not one of the batch's.
      if ([...ids].some((id) => !all.has(id))) {
        this.stats.invocationErrors += 1;
        return all;
      }
      return ids;
    } catch {
      this.stats.invocationErrors += 1;
      return all;
    }
  }

  private async arn(): Promise<string> {
    const { Attributes } = await this.options.sqs.send(new GetQueueAttributesCommand({ QueueUrl: this.options.queueUrl, AttributeNames: ['QueueArn'] }));
    this.queueArn = Attributes?.QueueArn ?? 'arn:aws:sqs:us-east-1:000000000000:unknown';
    return this.queueArn;
  }
}

export async function queueCounts(sqs: SQSClient, queueUrl: string): Promise<{ visible: number; inFlight: number; delayed: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

/** Every message the queue holds now, received and deleted (bounded): for DLQs and leftovers. */
export async function takeAll(sqs: SQSClient, queueUrl: string, maxMessages = 10_000): Promise<Message[]> {
  const taken: Message[] = [];
  while (taken.length < maxMessages) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] }),
    );
    if (Messages.length === 0) break;
    for (const m of Messages) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
      taken.push(m);
    }
  }
  return taken;
}

/** Makes a received message visible again at once (a receive that was not meant for it). */
export async function release(sqs: SQSClient, queueUrl: string, message: Message): Promise<void> {
  await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }));
}

/** A received SQS message as Lambda hands it to the function. */
export function toRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const a = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
      SentTimestamp: a.SentTimestamp ?? '0',
      SenderId: a.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? '0',
      ...(a.SequenceNumber !== undefined && { SequenceNumber: a.SequenceNumber }),
      ...(a.MessageGroupId !== undefined && { MessageGroupId: a.MessageGroupId }),
      ...(a.MessageDeduplicationId !== undefined && { MessageDeduplicationId: a.MessageDeduplicationId }),
    },
    messageAttributes: toRecordAttributes(message.MessageAttributes ?? {}),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

function toRecordAttributes(attributes: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      {
        dataType: value.DataType ?? 'String',
        ...(value.StringValue !== undefined && { stringValue: value.StringValue }),
        ...(value.BinaryValue !== undefined && { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
        stringListValues: value.StringListValues ?? [],
        binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
      },
    ]),
  );
}
