import { createHash } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { RelayConfig } from '../config';
import { InvalidEventError } from '../errors';
import { asciiJson, toChangeMessage } from '../events';
import { METRIC, addMetric, logger, metrics } from '../observability';

export interface RelayDependencies {
  config: RelayConfig;
  sqs: SQSClient;
}

/** The FIFO group of a key: raw keys break SQS's 128-character, limited-charset rule. */
export function messageGroupId(bucket: string, key: string): string {
  return createHash('sha256').update(`${bucket}/${key}`).digest('hex');
}

/**
 * The relay function, an EventBridge target: validates the S3 event, decodes the key, and
 * queues a change message in the key's FIFO group. Invalid events throw: EventBridge invokes
 * the function asynchronously, so Lambda retries them and then keeps them in the function's
 * on-failure destination (the relay DLQ), with the error.
 */
export function createRelayHandler(deps: RelayDependencies) {
  const relay = async (event: unknown): Promise<void> => {
    const decision = toChangeMessage(event);
    if (decision.action === 'ignore') {
      logger.info('event ignored', { detailType: decision.detailType });
      addMetric(METRIC.ignored, 1);
      return;
    }
    const { message } = decision;
    if (message.bucket !== deps.config.sourceBucket) {
      throw new InvalidEventError(`bucket ${message.bucket} is not the configured source bucket`);
    }
    const sent = await deps.sqs.send(
      new SendMessageCommand({
        QueueUrl: deps.config.queueUrl,
        MessageBody: asciiJson(message),
        MessageGroupId: messageGroupId(message.bucket, message.key),
        MessageDeduplicationId: message.eventId,
      }),
    );
    addMetric(METRIC.relayed, 1);
    logger.info('event relayed', { key: message.key, versionId: message.versionId, sequencer: message.sequencer, eventType: message.type, messageId: sent.MessageId });
  };

  return middy(relay).use(injectLambdaContext(logger, { resetKeys: true })).use(logMetrics(metrics));
}
