import type { SNSClient } from '@aws-sdk/client-sns';
import { PublishCommand } from '@aws-sdk/client-sns';

/**
 * One notification per failed record (DESIGN §8): what failed, where and why, for the people who
 * must act on it. The DLQ alarm says that something is there; this says what. No key values or
 * error bodies: the reason and the error's name and message only.
 */
export interface FailureNotice {
  key: string;
  bucket: string;
  destinations: string[];
  /** dead-lettered (to the DLQ at once) or retries-exhausted (SQS's redrive moves it). */
  disposition: 'dead-lettered' | 'retries-exhausted';
  reason: string;
  error: string;
  attempts: number;
  messageId: string;
  time: string;
}

export async function notifyFailure(client: SNSClient, topicArn: string, notice: FailureNotice): Promise<void> {
  const subject = `partition-s3-replicate: ${notice.disposition} ${notice.reason}`.slice(0, 100);
  await client.send(
    new PublishCommand({
      TopicArn: topicArn,
      Subject: subject.replace(/[^\x20-\x7e]/g, '?'),
      Message: JSON.stringify(notice, null, 2),
      MessageAttributes: {
        reason: { DataType: 'String', StringValue: notice.reason || '-' },
        disposition: { DataType: 'String', StringValue: notice.disposition },
      },
    }),
  );
}
