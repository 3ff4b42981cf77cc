import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
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
import { PartBuffers } from '../copy/part-buffers';
import type { CopyRequest, CopyResult } from '../copy/types';
import { VersioningCache } from '../aws/destination';
import { sendToDlq } from '../aws/dlq';
import type { FailureNotice } from '../aws/notify';
import { notifyFailure } from '../aws/notify';
import { CopyCheckpointedError, PermanentError, classify, describeError, isResumable } from '../errors';
import type { ChangeMessage } from '../events';
import { parseChangeMessage } from '../events';
import type { Logger } from '@aws-lambda-powertools/logger';
import { METRIC, addMetric, logger, metrics, recordLogger } from '../observability';
import { runFifoBatch } from './fifo-batch';
import { KeyStateStore } from '../aws/state';

export interface ReplicateDependencies {
  config: ReplicateConfig;
  source: S3Client;
  documents: DynamoDBDocumentClient;
  sqs: SQSClient;
  destinations: DestinationClients;
  copy: (request: CopyRequest) => Promise<CopyResult>;
  /** Publishes failure notifications; needed when FAILURE_TOPIC_ARN is set. */
  sns?: SNSClient;
}

type Settled = PromiseSettledResult<void>;

/**
 * The replicate function: SQS FIFO batch in, one settled result per record out, which
 * sqs-partial-batch-failure turns into batchItemFailures. Records of different message groups
 * (keys) run concurrently, up to RECORDS_IN_FLIGHT; within a group they run in order, and after
 * a record fails the group's later records fail unprocessed so the key's order holds.
 */
export function createReplicateHandler(input: ReplicateDependencies) {
  const versioning = new VersioningCache();
  const { config } = input;
  // Concurrent records share one budget of part buffers: half the function's memory in all.
  const buffers = new PartBuffers(config.copyMemoryBudgetBytes);
  const deps: ReplicateDependencies = { ...input, copy: (request) => input.copy({ ...request, buffers }) };

  const processBatch = async (event: SQSEvent, context: Context, options?: { signal?: AbortSignal }): Promise<Settled[]> => {
    // Every request of every record in flight listens on the invocation's one signal (removing its
    // listener when it ends): dozens at once is expected, not a leak, and Node's warning would be a
    // non-JSON line in the function's log.
    if (options?.signal) setMaxListeners(0, options.signal);
    // The checkpoint margin never takes more than a quarter of the invocation (short timeouts).
    const marginMs = Math.min(config.checkpointMarginMs, context.getRemainingTimeInMillis() / 4);
    return runFifoBatch(event.Records, {
      groupOf: (record) => record.attributes.MessageGroupId ?? record.messageId,
      concurrency: config.recordsInFlight,
      process: async (record, index) => {
        // Too little time to start: hand the record back at once instead of timing out the batch.
        // The first record always runs, so every invocation makes progress.
        if (index > 0 && context.getRemainingTimeInMillis() < marginMs) await requeue(record, 'no time left in this invocation', recordLogger(record), false);
        else await processRecord(record, context, marginMs, options?.signal);
      },
    });
  };

  const processRecord = async (record: SQSRecord, context: Context, marginMs: number, signal: AbortSignal | undefined): Promise<void> => {
    const started = Date.now();
    // Records run concurrently: each has its own logger, so keys never mix between records.
    const log = recordLogger(record);
    const failed: string[] = [];
    try {
      const change = parseChangeMessage(record.body);
      log.appendKeys({ key: change.key, versionId: change.versionId, sequencer: change.sequencer, eventType: change.type });
      if (change.bucket !== config.sourceBucket) {
        throw new PermanentError('unknown-bucket', `bucket ${change.bucket} is not the configured source bucket`);
      }
      // Each destination on its own: one destination's failure does not hold up the others.
      const failures: unknown[] = [];
      for (const destination of config.destinations) {
        try {
          report(await convergeOn(destination, change, context, marginMs, signal, log), change, started, log);
        } catch (error) {
          failures.push(error);
          failed.push(destination.id);
          log.error('replication outcome', { destination: destination.id, action: 'failed', permanent: classify(error) !== undefined, durationMs: Date.now() - started, error: describeError(error) });
        }
      }
      if (failures.length > 0) throw decisive(failures);
    } catch (error) {
      await handleFailure(record, error, started, log, failed);
    }
  };

  const convergeOn = (destination: DestinationConfig, change: ChangeMessage, context: Context, marginMs: number, signal: AbortSignal | undefined, log: Logger) =>
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
        onUnreplicable: (entry, reason) => {
          addMetric(METRIC.unreplicable, 1);
          log.warn('unreplicable version', { destination: destination.id, sourceVersionId: entry.versionId, size: entry.size, reason });
        },
        onReport: (action) => log.warn('left in place', { destination: destination.id, problem: action.problem, destinationVersionId: action.versionId, why: action.why }),
      }),
    );

  /** Permanent: to the DLQ and acked. Checkpointed: re-queued. Anything else: rethrown, so SQS redelivers it. */
  const handleFailure = async (record: SQSRecord, error: unknown, started: number, log: Logger, failed: string[]): Promise<void> => {
    const durationMs = Date.now() - started;
    const permanent = classify(error);
    if (permanent) {
      await sendToDlq(deps.sqs, config.dlqUrl, record, permanent);
      addMetric(METRIC.failures, 1);
      log.error('message disposition', { action: 'dead-lettered', reason: permanent.reason, durationMs, error: describeError(error) });
      await notify(record, 'dead-lettered', permanent.reason, error, failed, log);
      return;
    }
    if (isResumable(error)) {
      const progress = error instanceof CopyCheckpointedError ? { partsDone: error.partsDone, partsTotal: error.partsTotal } : { progress: error.message };
      log.warn('message disposition', { action: 'checkpointed', ...progress, durationMs });
      await requeue(record, error.message, log);
      return;
    }
    addMetric(METRIC.failures, 1);
    log.error('message disposition', { action: 'retry', durationMs, error: describeError(error) });
    // SQS moves the record to the DLQ after this receive: say so now, with the last error.
    const receives = Number(record.attributes.ApproximateReceiveCount ?? '1');
    if (config.maxReceiveCount !== undefined && receives >= config.maxReceiveCount) {
      await notify(record, 'retries-exhausted', error instanceof Error ? error.name : 'Error', error, failed, log);
    }
    throw error;
  };

  /** One notification per failed record, when a topic is configured; its own failure is only logged. */
  const notify = async (record: SQSRecord, disposition: FailureNotice['disposition'], reason: string, error: unknown, failed: string[], log: Logger): Promise<void> => {
    if (config.failureTopicArn === undefined || deps.sns === undefined) return;
    let key = '(unreadable message)';
    let bucket = '';
    try {
      ({ key, bucket } = parseChangeMessage(record.body));
    } catch {
      // The notice says what the message is, even when it cannot be read.
    }
    const described = describeError(error);
    try {
      await notifyFailure(deps.sns, config.failureTopicArn, {
        key,
        bucket,
        destinations: failed.length > 0 ? failed : config.destinations.map((d) => d.id),
        disposition,
        reason,
        error: `${String(described.name)}: ${String(described.message)}`,
        attempts: Number(record.attributes.ApproximateReceiveCount ?? '1'),
        messageId: record.messageId,
        time: new Date().toISOString(),
      });
    } catch (notifyError) {
      log.warn('failure notification not sent', { error: describeError(notifyError) });
    }
  };

  /**
   * Sends the record again to the queue, in its key's group, and acks this copy: a checkpointed
   * copy resumes in the next invocation instead of after the visibility timeout, and spends no
   * receive (a huge object needs many invocations, more than maxReceiveCount allows). Checkpoints
   * count towards a cap, so a copy that never progresses still ends in the DLQ; a record only
   * waiting for time does not. Without QUEUE_URL the record just fails.
   */
  const requeue = async (record: SQSRecord, why: string, log: Logger, counts = true): Promise<void> => {
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
    log.info('message disposition', { action: 'requeued', reason: why, requeues: next, messageId: record.messageId });
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
  return transient.find((f) => !isResumable(f)) ?? transient[0] ?? failures[0];
}

/** One outcome line per record and destination, and its metrics. */
function report(outcome: Outcome, change: ChangeMessage, started: number, log: Logger): void {
  const durationMs = Date.now() - started;
  const lagMs = Date.now() - Date.parse(change.eventTime);
  log.info('replication outcome', { ...outcome, durationMs, lagMs });
  if (outcome.action.startsWith('skipped:')) {
    addMetric(METRIC.skipped, 1);
    return;
  }
  addMetric(METRIC.objectsReplicated, outcome.versionsCopied);
  addMetric(METRIC.bytesReplicated, outcome.bytes);
  addMetric(METRIC.replicationLatency, lagMs);
}
