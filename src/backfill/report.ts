import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { z } from 'zod';

/** At most this many keys are listed per outcome in a report; the counts are always complete. */
export const REPORT_KEY_LIMIT = 10_000;

/** A backfill run's results, like S3 Batch Operations' completion report: counts per outcome and the keys that failed. */
export interface RunReport {
  runId: string;
  sourceBucket: string;
  generatedAt: string;
  counts: Record<string, number>;
  failedKeys: { key: string; reason: string }[];
  extraKeys: string[];
  /** True when a key list was cut at REPORT_KEY_LIMIT. */
  truncated: boolean;
}

/** What one child batch of the Distributed Map returns (and the ResultWriter keeps). */
export const batchOutcomeSchema = z.object({
  keys: z.number().int(),
  enqueued: z.number().int(),
  failedKeys: z.array(z.object({ key: z.string(), reason: z.string() })),
});
export type BatchOutcome = z.infer<typeof batchOutcomeSchema>;

const manifestSchema = z.object({
  ResultFiles: z.object({
    SUCCEEDED: z.array(z.object({ Key: z.string() })).default([]),
    FAILED: z.array(z.object({ Key: z.string() })).default([]),
    PENDING: z.array(z.object({ Key: z.string() })).default([]),
  }),
});

// One child execution as the ResultWriter records it; Input and Output are JSON text.
const childResultSchema = z.object({
  Status: z.string().optional(),
  Input: z.string().optional(),
  Output: z.string().optional(),
  Error: z.string().optional(),
  Cause: z.string().optional(),
});
const childInputSchema = z.object({ Items: z.array(z.object({ Key: z.string() }).loose()) }).loose();

export async function readJson(s3: S3Client, bucket: string, key: string): Promise<unknown> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(await object.Body!.transformToString()) as unknown;
}

/**
 * Sums a Map Run's results: the manifest the ResultWriter wrote names one JSON file per status,
 * each an array of child executions. A failed child (its Lambda failed after retries) counts
 * every key of its batch as failed, with the error it gave.
 */
export async function summarizeMapRun(s3: S3Client, bucket: string, manifestKey: string, into: RunReport): Promise<void> {
  const manifest = manifestSchema.parse(await readJson(s3, bucket, manifestKey));
  const files = [...manifest.ResultFiles.SUCCEEDED, ...manifest.ResultFiles.FAILED, ...manifest.ResultFiles.PENDING];
  for (const file of files) {
    const children = z.array(childResultSchema).parse(await readJson(s3, bucket, file.Key));
    for (const child of children) addChild(child, into);
  }
}

function addChild(child: z.infer<typeof childResultSchema>, report: RunReport): void {
  if (child.Status === 'SUCCEEDED' && child.Output !== undefined) {
    const outcome = batchOutcomeSchema.parse(JSON.parse(child.Output));
    count(report, 'keys', outcome.keys);
    count(report, 'enqueued', outcome.enqueued);
    count(report, 'failed', outcome.failedKeys.length);
    for (const failed of outcome.failedKeys) addFailed(report, failed);
    return;
  }
  const input = child.Input === undefined ? undefined : childInputSchema.safeParse(JSON.parse(child.Input));
  const keys = input?.success ? input.data.Items.map((item) => item.Key) : [];
  count(report, 'childExecutionsFailed', 1);
  count(report, 'keys', keys.length);
  count(report, 'failed', keys.length);
  for (const key of keys) addFailed(report, { key, reason: child.Error ?? child.Status ?? 'unknown' });
}

export function count(report: RunReport, outcome: string, n: number): void {
  report.counts[outcome] = (report.counts[outcome] ?? 0) + n;
}

export function addFailed(report: RunReport, failed: { key: string; reason: string }): void {
  if (report.failedKeys.length < REPORT_KEY_LIMIT) report.failedKeys.push(failed);
  else report.truncated = true;
}

export function addExtra(report: RunReport, key: string): void {
  if (report.extraKeys.length < REPORT_KEY_LIMIT) report.extraKeys.push(key);
  else report.truncated = true;
}

export function emptyReport(runId: string, sourceBucket: string, now = new Date()): RunReport {
  return { runId, sourceBucket, generatedAt: now.toISOString(), counts: { keys: 0, enqueued: 0, failed: 0 }, failedKeys: [], extraKeys: [], truncated: false };
}

export async function writeJson(s3: S3Client, bucket: string, key: string, value: unknown): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value, null, 1), ContentType: 'application/json' }));
}
