import type { SQSClient } from '@aws-sdk/client-sqs';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { PermanentError } from '../errors';

/**
 * Sends a message that can never succeed to the DLQ at once, with the reason as message
 * attributes, so it neither loops until maxReceiveCount nor holds up its key.
 */
export async function sendToDlq(client: SQSClient, dlqUrl: string, record: SQSRecord, error: PermanentError): Promise<void> {
  const text = (value: string) => ({ DataType: 'String', StringValue: value.slice(0, 1024) || '-' });
  await client.send(
    new SendMessageCommand({
      QueueUrl: dlqUrl,
      MessageBody: record.body,
      // The DLQ of a FIFO queue is FIFO too: keep the key's group, dedupe on the original id.
      MessageGroupId: record.attributes.MessageGroupId ?? 'unknown',
      MessageDeduplicationId: record.messageId,
      MessageAttributes: {
        reason: text(error.reason),
        error: text(`${error.name}: ${error.message}`),
        sourceMessageId: text(record.messageId),
        failedAt: text(new Date().toISOString()),
      },
    }),
  );
}
