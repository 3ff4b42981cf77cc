import { randomUUID } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import type { DestinationClients } from '../aws/clients';
import type { DestinationConfig, ReplicateConfig } from '../config';
import type { Outcome } from '../engine/converge';
import { converge } from '../engine/converge';
import type { CopyRequest, CopyResult } from '../copy/types';
import { VersioningCache } from '../aws/destination';
import { sendToDlq } from '../aws/dlq';
import { CopyCheckpointedError, PermanentError, classify, describeError } from '../errors';
import type { ChangeMessage } from '../events';
import { parseChangeMessage } from '../events';
import { METRIC, addMetric, logger, metrics } from '../observability';
import { KeyStateStore } from '../aws/state';

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
  const { config } = deps;

  const processBatch = async (event: SQSEvent, context: Context, options?: { signal?: AbortSignal }): Promise<Settled[]> => {
    const failedGroups = new Set<string>();
    const results: Settled[] = [];
    // The checkpoint margin never takes more than a quarter of the invocation (short timeouts).
    const marginMs = Math.min(config.checkpointMarginMs, context.getRemainingTimeInMillis() / 4);
    for (const [index, record] of event.Records.entries()) {
      const group = record.attributes.MessageGroupId ?? record.messageId;
      if (failedGroups.has(group)) {
        results.push({ status: 'rejected', reason: new Error('not processed: an earlier message of the same key failed in this batch') });
        continue;
      }
      try {
        // Too little time to start: hand the record back at once instead of timing out the batch.
        // The first record always runs, so every invocation makes progress.
        if (index > 0 && context.getRemainingTimeInMillis() < marginMs) await requeue(record, 'no time left in this invocation', false);
        else await processRecord(record, context, marginMs, options?.signal);
        results.push({ status: 'fulfilled', value: undefined });
      } catch (error) {
        failedGroups.add(group);
        results.push({ status: 'rejected', reason: error });
      }
    }
    return results;
  };

  const processRecord = async (record: SQSRecord, context: Context, marginMs: number, signal: AbortSignal | undefined): Promise<void> => {
    const started = Date.now();
    logger.appendKeys({ messageId: record.messageId });
    try {
      const change = parseChangeMessage(record.body);
      logger.appendKeys({ key: change.key, versionId: change.versionId, sequencer: change.sequencer, eventType: change.type });
      if (change.bucket !== config.sourceBucket) {
        throw new PermanentError('unknown-bucket', `bucket ${change.bucket} is not the configured source bucket`);
      }
      // Each destination on its own: one destination's failure does not hold up the others.
      const failures: unknown[] = [];
      for (const destination of config.destinations) {
        logger.appendKeys({ destination: destination.id });
        try {
          report(await convergeOn(destination, change, context, marginMs, signal), change, started);
        } catch (error) {
          failures.push(error);
          logger.error('replication outcome', { action: 'failed', permanent: classify(error) !== undefined, durationMs: Date.now() - started, error: describeError(error) });
        }
      }
      logger.removeKeys(['destination']);
      if (failures.length > 0) throw decisive(failures);
    } catch (error) {
      await handleFailure(record, error, started);
    } finally {
      logger.removeKeys(['messageId', 'key', 'versionId', 'sequencer', 'eventType', 'destination']);
    }
  };

  const convergeOn = (destination: DestinationConfig, change: ChangeMessage, context: Context, marginMs: number, signal: AbortSignal | undefined) =>
    deps.destinations.withClient(destination, async (client) =>
      converge(change, {
        source: deps.source,
        destination,
        destinationClient: client,
        destinationVersioned: await versioning.isVersioned(client, destination.bucket, destination.id),
        store: new KeyStateStore(deps.documents, config.tableName, destination.id, change.bucket, change.key),
        historyMode: config.historyMode,
        replicateSince: config.replicateSince,
        copy: deps.copy,
        copyLimits: { partsInFlight: config.partsInFlight, memoryBudgetBytes: config.copyMemoryBudgetBytes, checkpointMarginMs: marginMs },
        remainingTimeMs: () => context.getRemainingTimeInMillis(),
        ...(signal !== undefined && { signal }),
      }),
    );

  /** Permanent: to the DLQ and acked. Checkpointed: re-queued. Anything else: rethrown, so SQS redelivers it. */
  const handleFailure = async (record: SQSRecord, error: unknown, started: number): Promise<void> => {
    const durationMs = Date.now() - started;
    const permanent = classify(error);
    if (permanent) {
      await sendToDlq(deps.sqs, config.dlqUrl, record, permanent);
      addMetric(METRIC.failures, 1);
      logger.error('message disposition', { action: 'dead-lettered', reason: permanent.reason, durationMs, error: describeError(error) });
      return;
    }
    if (error instanceof CopyCheckpointedError) {
      logger.warn('message disposition', { action: 'checkpointed', partsDone: error.partsDone, partsTotal: error.partsTotal, durationMs });
      await requeue(record, error.message);
      return;
    }
    addMetric(METRIC.failures, 1);
    logger.error('message disposition', { action: 'retry', durationMs, error: describeError(error) });
    throw error;
  };

  /**
   * Sends the record again to the queue, in its key's group, and acks this copy: a checkpointed
   * copy resumes in the next invocation instead of after the visibility timeout, and spends no
   * receive (a huge object needs many invocations, more than maxReceiveCount allows). Checkpoints
   * count towards a cap, so a copy that never progresses still ends in the DLQ; a record only
   * waiting for time does not. Without QUEUE_URL the record just fails.
   */
  const requeue = async (record: SQSRecord, why: string, counts = true): Promise<void> => {
    const requeues = Number(record.messageAttributes.requeues?.stringValue ?? '0');
    const next = counts ? requeues + 1 : requeues;
    if (config.queueUrl === undefined || requeues >= MAX_REQUEUES) throw new Error(`${why} (not re-queued: ${config.queueUrl === undefined ? 'no QUEUE_URL' : `${requeues} re-queues already`})`);
    await deps.sqs.send(
      new SendMessageCommand({
        QueueUrl: config.queueUrl,
        MessageBody: record.body,
        MessageGroupId: record.attributes.MessageGroupId,
        MessageDeduplicationId: `${record.messageId}:${randomUUID()}`,
        MessageAttributes: {
          requeues: { DataType: 'Number', StringValue: String(next) },
          requeuedFrom: { DataType: 'String', StringValue: record.messageId },
        },
      }),
    );
    logger.info('message disposition', { action: 'requeued', reason: why, requeues: next, messageId: record.messageId });
  };

  return middy(processBatch)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(sqsPartialBatchFailure({ logger: (reason: unknown, record: SQSRecord) => logger.debug('batch item failed', { messageId: record.messageId, error: describeError(reason) }) }));
}

/** 5 TiB at 100 MB/s is about 15 hours: 200 re-queues of 15 minutes leave room to spare. */
const MAX_REQUEUES = 200;

/**
 * Which failure decides a record's fate when several destinations failed: a transient one
 * (the whole message is retried), else a checkpoint (re-queued), else the first permanent one.
 */
function decisive(failures: unknown[]): unknown {
  const transient = failures.filter((f) => classify(f) === undefined);
  return transient.find((f) => !(f instanceof CopyCheckpointedError)) ?? transient[0] ?? failures[0];
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
