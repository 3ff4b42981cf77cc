import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import type { DestinationClients } from './clients';
import type { ReplicateConfig } from './config';
import type { Outcome } from './converge';
import { converge } from './converge';
import type { CopyRequest, CopyResult } from './copy/types';
import { VersioningCache } from './destination';
import { sendToDlq } from './dlq';
import { CopyCheckpointedError, PermanentError } from './errors';
import type { ChangeMessage } from './events';
import { parseChangeMessage } from './events';
import { METRIC, addMetric, logger, metrics } from './observability';
import { KeyStateStore } from './state';

export interface ReplicateDependencies {
  config: ReplicateConfig;
  source: S3Client;
  documents: DynamoDBDocumentClient;
  sqs: SQSClient;
  destinations: DestinationClients;
  copy: (request: CopyRequest) => Promise<CopyResult>;
}

type Settled = PromiseSettledResult<void>;

/**
 * The replicate function: SQS FIFO batch in, one settled result per record out, which
 * sqs-partial-batch-failure turns into batchItemFailures. Records run in order; after a record
 * fails, the later records of its message group (its key) are failed unprocessed so the key's
 * order holds, while other keys go on.
 */
export function createReplicateHandler(deps: ReplicateDependencies) {
  const versioning = new VersioningCache();

  const processBatch = async (event: SQSEvent, context: Context, options?: { signal?: AbortSignal }): Promise<Settled[]> => {
    const failedGroups = new Set<string>();
    const results: Settled[] = [];
    for (const record of event.Records) {
      const group = record.attributes.MessageGroupId ?? record.messageId;
      if (failedGroups.has(group)) {
        results.push({ status: 'rejected', reason: new Error('not processed: an earlier message of the same key failed in this batch') });
        continue;
      }
      try {
        await processRecord(record, context, options?.signal);
        results.push({ status: 'fulfilled', value: undefined });
      } catch (error) {
        failedGroups.add(group);
        results.push({ status: 'rejected', reason: error });
      }
    }
    return results;
  };

  const processRecord = async (record: SQSRecord, context: Context, signal: AbortSignal | undefined): Promise<void> => {
    const started = Date.now();
    logger.appendKeys({ messageId: record.messageId });
    try {
      const change = parseChangeMessage(record.body);
      logger.appendKeys({ key: change.key, versionId: change.versionId, sequencer: change.sequencer, eventType: change.type });
      if (change.bucket !== deps.config.sourceBucket) {
        throw new PermanentError('unknown-bucket', `bucket ${change.bucket} is not the configured source bucket`);
      }
      for (const destination of deps.config.destinations) {
        logger.appendKeys({ destination: destination.id });
        const outcome = await deps.destinations.withClient(destination, async (client) =>
          converge(change, {
            source: deps.source,
            destination,
            destinationClient: client,
            destinationVersioned: await versioning.isVersioned(client, destination.bucket, destination.id),
            store: new KeyStateStore(deps.documents, deps.config.tableName, destination.id, change.bucket, change.key),
            historyMode: deps.config.historyMode,
            replicateSince: deps.config.replicateSince,
            copy: deps.copy,
            copyLimits: {
              partsInFlight: deps.config.partsInFlight,
              memoryBudgetBytes: deps.config.copyMemoryBudgetBytes,
              checkpointMarginMs: deps.config.checkpointMarginMs,
            },
            remainingTimeMs: () => context.getRemainingTimeInMillis(),
            ...(signal !== undefined && { signal }),
          }),
        );
        report(outcome, change, started);
      }
    } catch (error) {
      await handleFailure(record, error, started);
    } finally {
      logger.removeKeys(['messageId', 'key', 'versionId', 'sequencer', 'eventType', 'destination']);
    }
  };

  /** Permanent: to the DLQ and acked. Anything else: rethrown, so SQS redelivers it. */
  const handleFailure = async (record: SQSRecord, error: unknown, started: number): Promise<void> => {
    const durationMs = Date.now() - started;
    if (error instanceof PermanentError) {
      await sendToDlq(deps.sqs, deps.config.dlqUrl, record, error);
      addMetric(METRIC.failures, 1);
      logger.error('replication outcome', { action: 'dead-lettered', reason: error.reason, durationMs, error });
      return;
    }
    if (error instanceof CopyCheckpointedError) {
      logger.warn('replication outcome', { action: 'checkpointed', partsDone: error.partsDone, partsTotal: error.partsTotal, durationMs });
      await comeBackSoon(record);
      throw error;
    }
    addMetric(METRIC.failures, 1);
    logger.error('replication outcome', { action: 'failed', durationMs, error });
    throw error;
  };

  /** A checkpointed copy should resume at once, not after the long visibility timeout. */
  const comeBackSoon = async (record: SQSRecord): Promise<void> => {
    if (deps.config.queueUrl === undefined) return;
    await deps.sqs
      .send(new ChangeMessageVisibilityCommand({ QueueUrl: deps.config.queueUrl, ReceiptHandle: record.receiptHandle, VisibilityTimeout: 0 }))
      .catch((error: unknown) => logger.warn('could not shorten the visibility timeout of a checkpointed copy', { error }));
  };

  return middy(processBatch)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(sqsPartialBatchFailure({ logger: (reason: unknown, record: SQSRecord) => logger.debug('batch item failed', { messageId: record.messageId, reason }) }));
}

/** One outcome line per record and destination, and its metrics. */
function report(outcome: Outcome, change: ChangeMessage, started: number): void {
  const durationMs = Date.now() - started;
  const lagMs = Date.now() - Date.parse(change.eventTime);
  logger.info('replication outcome', { ...outcome, durationMs, lagMs });
  if (outcome.action.startsWith('skipped:')) {
    addMetric(METRIC.skipped, 1);
    return;
  }
  addMetric(METRIC.objectsReplicated, outcome.versionsCopied);
  addMetric(METRIC.bytesReplicated, outcome.bytes);
  addMetric(METRIC.replicationLatency, lagMs);
}
