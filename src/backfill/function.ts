import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import { z } from 'zod';
import type { ReplicateConfig } from '../config';
import { ConfigError, InvalidEventError } from '../errors';
import { decodeObjectKey } from '../events';
import { logger } from '../observability';
import type { DestinationAccess } from './engine';
import { sendEntries } from './enqueue';
import { extrasPage } from './extras';
import { convergeEntry } from './messages';
import { listingPrefixes } from './pairs';
import type { BatchOutcome } from './report';
import { addExtra, count, emptyReport, readJson, summarizeMapRun, writeJson } from './report';

/**
 * The backfill function (third handler of the zip), the worker of the Step Functions state
 * machine. Three kinds of input:
 *  - a child batch of the Distributed Map ({Items, BatchInput}): one converge message per key,
 *    sent to the FIFO queue in the key's group with SendMessageBatch;
 *  - {action: "extras"}: one page of the destination compared with the source (keys only there);
 *  - {action: "report"}: the run's results summed from the Map Run's ResultWriter files and
 *    the extras pages, written to S3 as report.json.
 */
export interface BackfillDependencies {
  config: ReplicateConfig;
  sqs: SQSClient;
  source: S3Client;
  /** The bucket the reports go to: the state machine's results bucket, in the source account. */
  reports: S3Client;
  destinations: DestinationAccess;
}

const runId = z.string().regex(/^[A-Za-z0-9_.:-]{1,80}$/, 'must be 1-80 letters, digits, _ . : -');
// "default": the function's HISTORY_MODE and REPLICATE_SINCE (the state machine always sends a value).
const history = z.enum(['all', 'latest', 'default']).optional().transform((h) => (h === 'default' ? undefined : h));
const reportLocation = z.object({ bucket: z.string().min(3), prefix: z.string() });

const batchSchema = z.object({
  Items: z.array(z.object({ Key: z.string().min(1) }).loose()),
  BatchInput: z.object({
    runId,
    history,
    // S3 Inventory lists keys URL-encoded; ListObjectsV2 items come decoded.
    keyEncoding: z.enum(['url', 'none']).default('none'),
  }),
});

const extrasSchema = z.object({
  action: z.literal('extras'),
  runId,
  prefix: z.string().default(''),
  enqueue: z.boolean().default(false),
  history,
  report: reportLocation,
  cursor: z.object({ destination: z.number().int().nonnegative(), page: z.number().int().nonnegative(), token: z.string().optional(), sourceAfter: z.string().optional() }).optional(),
  totals: z.object({ compared: z.number().int(), extras: z.number().int(), enqueued: z.number().int() }).optional(),
});

const reportSchema = z.object({
  action: z.literal('report'),
  runId,
  report: reportLocation,
  map: z.object({ ResultWriterDetails: z.object({ Bucket: z.string(), Key: z.string() }) }).loose(),
  extras: z.object({ totals: z.object({ compared: z.number().int(), extras: z.number().int(), enqueued: z.number().int() }).optional() }).loose().optional(),
});

export function createBackfillHandler(deps: BackfillDependencies) {
  const { config } = deps;
  const queueUrl = config.queueUrl;
  if (queueUrl === undefined) throw new ConfigError('QUEUE_URL', 'is required by the backfill function');

  const enqueueBatch = async (input: z.infer<typeof batchSchema>): Promise<BatchOutcome> => {
    const keys = [...new Set(input.Items.map((item) => (input.BatchInput.keyEncoding === 'url' ? decodeObjectKey(item.Key) : item.Key)))];
    const now = new Date();
    const entries = keys.map((key) => convergeEntry(input.BatchInput.runId, config.sourceBucket, key, input.BatchInput.history, { now }));
    const result = await sendEntries(deps.sqs, queueUrl, entries);
    const failedKeys = result.failed.map((f) => ({ key: keys[f.index]!, reason: f.code }));
    logger.info('backfill batch', { runId: input.BatchInput.runId, keys: keys.length, enqueued: result.sent, failed: failedKeys.length });
    return { keys: keys.length, enqueued: result.sent, failedKeys };
  };

  const findExtras = async (input: z.infer<typeof extrasSchema>) => {
    const cursor = input.cursor ?? { destination: 0, page: 0 };
    const totals = input.totals ?? { compared: 0, extras: 0, enqueued: 0 };
    const destination = config.destinations[cursor.destination];
    if (destination === undefined) return { ...input, cursor: undefined, totals, done: true };
    const prefixes = listingPrefixes(input.prefix, destination);
    const page = prefixes === undefined
      ? { extras: [], deleted: [], compared: 0, next: undefined }
      : await deps.destinations.withClient(destination, (client) =>
          extrasPage({ client: deps.source, bucket: config.sourceBucket }, { client, bucket: destination.bucket }, prefixes, destination, { token: cursor.token, sourceAfter: cursor.sourceAfter }),
        );
    totals.compared += page.compared;
    totals.extras += page.extras.length;
    if (page.extras.length > 0) {
      await writeJson(deps.reports, input.report.bucket, `${input.report.prefix}${input.runId}/extras/${destination.id}/${String(cursor.page).padStart(8, '0')}.json`, page.extras);
    }
    // Keys deleted at the source converge always (a marker to mirror); extras only on request.
    const toConverge = [...page.deleted, ...(input.enqueue ? page.extras : [])];
    if (toConverge.length > 0) {
      const sent = await sendEntries(deps.sqs, queueUrl, toConverge.map((key) => convergeEntry(input.runId, config.sourceBucket, key, input.history)));
      totals.enqueued += sent.sent;
    }
    const next = page.next !== undefined
      ? { destination: cursor.destination, page: cursor.page + 1, ...page.next }
      : { destination: cursor.destination + 1, page: 0 };
    const done = page.next === undefined && cursor.destination + 1 >= config.destinations.length;
    logger.info('backfill extras page', { runId: input.runId, destination: destination.id, compared: page.compared, extras: page.extras.length, done });
    return { ...input, cursor: done ? undefined : next, totals, done };
  };

  const writeReport = async (input: z.infer<typeof reportSchema>) => {
    const report = emptyReport(input.runId, config.sourceBucket);
    await summarizeMapRun(deps.reports, input.map.ResultWriterDetails.Bucket, input.map.ResultWriterDetails.Key, report);
    const extras = input.extras?.totals;
    if (extras !== undefined) {
      count(report, 'extras', extras.extras);
      count(report, 'extrasEnqueued', extras.enqueued);
      for (const destination of config.destinations) {
        for (let page = 0; ; page++) {
          const keys = await readJson(deps.reports, input.report.bucket, `${input.report.prefix}${input.runId}/extras/${destination.id}/${String(page).padStart(8, '0')}.json`).catch(notFoundAsUndefined);
          if (keys === undefined) break;
          for (const key of z.array(z.string()).parse(keys)) addExtra(report, key);
        }
      }
    }
    const key = `${input.report.prefix}${input.runId}/report.json`;
    await writeJson(deps.reports, input.report.bucket, key, report);
    logger.info('backfill report', { runId: input.runId, counts: report.counts, report: `s3://${input.report.bucket}/${key}` });
    // The execution's output: the counts and where the keys are, never the key lists (size limit).
    return { report: { bucket: input.report.bucket, key }, counts: report.counts, failed: report.counts.failed ?? 0 };
  };

  const handle = async (event: unknown) => {
    const batch = batchSchema.safeParse(event);
    if (batch.success) return enqueueBatch(batch.data);
    const action = typeof event === 'object' && event !== null && 'action' in event ? event.action : undefined;
    if (action === 'extras') return findExtras(parse(extrasSchema, event));
    if (action === 'report') return writeReport(parse(reportSchema, event));
    throw new InvalidEventError(`not a backfill input: ${z.prettifyError(batch.error)}`);
  };

  return middy(handle).use(injectLambdaContext(logger, { resetKeys: true }));
}

function parse<T>(schema: z.ZodType<T>, event: unknown): T {
  const parsed = schema.safeParse(event);
  if (!parsed.success) throw new InvalidEventError(`not a backfill input: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** A page number past the last one written reads as "no more pages". Only NoSuchKey, nothing else. */
function notFoundAsUndefined(error: unknown): undefined {
  if (error instanceof Error && error.name === 'NoSuchKey') return undefined;
  throw error;
}
