import type { S3Client, StorageClass } from '@aws-sdk/client-s3';
import type { DestinationConfig } from '../config';
import { abortUpload } from '../copy/abort-upload';
import type { CopyRequest, CopyResult } from '../copy/types';
import type { SourceEntry } from '../core/facts';
import { partSize, partsInFlight } from '../core/part-size';
import type { Action, ActionKind, Plan } from '../core/planner';
import { CHANGES } from '../core/planner';
import { replicaTag } from '../core/source-state';
import { REPLICA_METADATA_KEY, deleteCurrent, deleteVersion, isGone, syncTags } from '../aws/destination';
import { sourceTags } from '../aws/source';
import type { KeyStateStore, VersionMapping } from '../aws/state';
import { OutOfTimeError, WriteOutcomeUnknownError, classify } from '../errors';

/**
 * Step 3 of a convergence (DESIGN §4): runs a plan's actions in order. Each is idempotent; the
 * remaining time is checked before each one that changes the destination. Map changes are
 * collected in `writes` and stored by the caller with the key's state, in one batch: a crash
 * before that loses nothing, since the next read identifies the replicas by their metadata.
 */

export interface ExecuteContext {
  source: { client: S3Client; bucket: string; key: string };
  destination: DestinationConfig;
  destinationClient: S3Client;
  destinationKey: string;
  store: KeyStateStore;
  copy: (request: CopyRequest) => Promise<CopyResult>;
  copyLimits: { partsInFlight: number; memoryBudgetBytes: number; checkpointMarginMs: number };
  remainingTimeMs: () => number;
  signal?: AbortSignal;
  now: () => Date;
  /** Told of every version recorded unreplicable (log line and metric). */
  onUnreplicable?: (entry: SourceEntry, reason: string) => void;
  /** Told of every report (orphans left in place, foreign objects...). */
  onReport?: (action: Extract<Action, { kind: 'report' }>) => void;
}

/** Map changes to store with the key's state. */
export interface MapWrites {
  put: Map<string, VersionMapping>;
  remove: Set<string>;
}

export interface Execution {
  done: Partial<Record<ActionKind, number>>;
  versionsCopied: number;
  bytes: number;
}

/** The key must be read and planned again: the source moved, or a write's outcome is unknown. */
export class ReplanError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ReplanError';
  }
}

export async function executePlan(plan: Plan, ctx: ExecuteContext, writes: MapWrites): Promise<Execution> {
  const execution: Execution = { done: {}, versionsCopied: 0, bytes: 0 };
  const put = (identity: string, mapping: VersionMapping) => {
    writes.remove.delete(identity);
    writes.put.set(identity, mapping);
  };
  const remove = (identity: string) => {
    writes.put.delete(identity);
    writes.remove.add(identity);
  };
  const target = { client: ctx.destinationClient, bucket: ctx.destination.bucket, key: ctx.destinationKey };

  /** Copies that proved impossible here: what depended on them does not run. */
  const failedCopies = new Set<string>();
  for (const action of plan.actions) {
    if (action.kind === 'delete-version' && action.afterCopy && action.mirrorOf !== undefined && failedCopies.has(action.mirrorOf)) continue;
    if (changesDestination(action) && ctx.remainingTimeMs() < ctx.copyLimits.checkpointMarginMs) {
      throw new OutOfTimeError(`${count(execution)} of ${plan.actions.length} actions done for ${ctx.destinationKey}`);
    }
    switch (action.kind) {
      case 'copy': {
        const result = await copyEntry(ctx, action.entry, action.mirror);
        if (result === 'unreplicable') {
          failedCopies.add(action.entry.identity);
          execution.done.unreplicable = (execution.done.unreplicable ?? 0) + 1;
          continue;
        }
        put(action.entry.identity, { destinationVersionId: result.versionId, deleteMarker: false, etag: action.entry.etag, size: action.entry.size, copiedAt: ctx.now().toISOString() });
        execution.versionsCopied += 1;
        execution.bytes += result.bytes;
        break;
      }
      case 'put-marker': {
        const markerVersionId = await uncertain(() => deleteCurrent(target.client, target.bucket, target.key));
        put(action.entry.identity, { ...(markerVersionId !== undefined && { destinationVersionId: markerVersionId }), deleteMarker: true, copiedAt: ctx.now().toISOString() });
        break;
      }
      case 'delete-version':
        await deleteVersion(target.client, target.bucket, target.key, action.versionId);
        break;
      case 'delete-object':
        await deleteCurrent(target.client, target.bucket, target.key);
        break;
      case 'sync-tags':
        await syncTagsOf(ctx, action.entry, action.destinationVersionId, remove);
        break;
      case 'abort-upload':
        await abortUpload(target.client, { bucket: target.bucket, key: action.destinationKey, uploadId: action.uploadId }, ctx.signal);
        await ctx.store.uploads().clear();
        break;
      case 'map':
        put(action.identity, { ...(action.destinationVersionId !== undefined && { destinationVersionId: action.destinationVersionId }), deleteMarker: action.deleteMarker, copiedAt: ctx.now().toISOString() });
        break;
      case 'unmap':
        remove(action.identity);
        break;
      case 'unreplicable':
        recordUnreplicable(ctx, action.entry, action.reason, put, undefined);
        break;
      case 'report':
        ctx.onReport?.(action);
        break;
    }
    execution.done[action.kind] = (execution.done[action.kind] ?? 0) + 1;
  }
  return execution;

  async function copyEntry(context: ExecuteContext, entry: SourceEntry, mirror: string | undefined): Promise<CopyResult | 'unreplicable'> {
    try {
      return await uncertain(() => context.copy(copyRequest(context, entry)));
    } catch (error) {
      const reason = unreplicableReason(error);
      if (reason === undefined) throw error;
      // A copy that can never succeed leaves nothing behind, and does not hold up newer versions.
      const saved = await context.store.uploads().load();
      if (saved?.sourceVersionId === entry.versionId) {
        await abortUpload(target.client, { bucket: target.bucket, key: saved.destinationKey, uploadId: saved.uploadId }, context.signal);
        await context.store.uploads().clear();
      }
      recordUnreplicable(context, entry, reason, put, mirror);
      return 'unreplicable';
    }
  }
}

function changesDestination(action: Action): boolean {
  return CHANGES.has(action.kind);
}

function count(execution: Execution): number {
  return Object.values(execution.done).reduce((a, b) => a + b, 0);
}

/** The record keeps the version's existing mirror, if any: a failed copy on top must not lose it. */
function recordUnreplicable(ctx: ExecuteContext, entry: SourceEntry, reason: string, put: (identity: string, mapping: VersionMapping) => void, mirror: string | undefined): void {
  put(entry.identity, { ...(mirror !== undefined && { destinationVersionId: mirror }), deleteMarker: entry.kind === 'marker', unreplicable: reason, etag: entry.etag, size: entry.size, copiedAt: ctx.now().toISOString() });
  ctx.onUnreplicable?.(entry, reason);
}

/** Source reads that can never succeed, and destination refusals of this one object. */
const UNREPLICABLE_DESTINATION_FAULTS = new Set(['MetadataTooLarge', 'KeyTooLongError', 'EntityTooLarge', 'InvalidTag']);

function unreplicableReason(error: unknown): string | undefined {
  const permanent = classify(error);
  if (!permanent) return undefined;
  if (['source-access-denied', 'source-archived', 'source-sse-c', 'insufficient-memory'].includes(permanent.reason)) return permanent.reason;
  if (UNREPLICABLE_DESTINATION_FAULTS.has(permanent.reason)) return permanent.reason;
  return undefined;
}

/**
 * A write whose outcome is unknown, or a source version that changed while it was copied, is
 * not retried here: the key is read again and planned afresh.
 */
async function uncertain<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof WriteOutcomeUnknownError) throw new ReplanError(error.message);
    if (error instanceof Error && SOURCE_MOVED.has(error.name)) throw new ReplanError(`the source changed during the copy (${error.name})`);
    throw error;
  }
}

const SOURCE_MOVED = new Set(['NoSuchKey', 'NoSuchVersion', 'PreconditionFailed']);

async function syncTagsOf(ctx: ExecuteContext, entry: SourceEntry, destinationVersionId: string | undefined, remove: (identity: string) => void): Promise<void> {
  const tags = await sourceTags(ctx.source.client, ctx.source.bucket, ctx.source.key, entry.versionId).catch((error: unknown) => {
    if (error instanceof Error && SOURCE_MOVED.has(error.name)) return undefined; // deleted since: the next plan sees it
    throw error;
  });
  if (tags === undefined) return;
  try {
    await syncTags(ctx.destinationClient, ctx.destination.bucket, ctx.destinationKey, destinationVersionId, tags);
  } catch (error) {
    // The mirror is gone (the destination's lifecycle, a hand delete): unmapped, copied again next time.
    if (!isGone(error)) throw error;
    remove(entry.identity);
  }
}

function copyRequest(ctx: ExecuteContext, entry: SourceEntry): CopyRequest {
  const size = partSize(entry.size);
  return {
    source: { client: ctx.source.client, version: { bucket: ctx.source.bucket, key: ctx.source.key, versionId: entry.versionId, etag: entry.etag, size: entry.size } },
    destination: {
      client: ctx.destinationClient,
      bucket: ctx.destination.bucket,
      key: ctx.destinationKey,
      ...(ctx.destination.storageClass !== undefined && { storageClass: ctx.destination.storageClass as StorageClass }),
      ...(ctx.destination.kmsKeyId !== undefined && { kmsKeyId: ctx.destination.kmsKeyId }),
    },
    replicaMetadata: { [REPLICA_METADATA_KEY]: replicaTag(entry) },
    checkpoints: ctx.store.uploads(),
    partsInFlight: partsInFlight(ctx.copyLimits.partsInFlight, size, ctx.copyLimits.memoryBudgetBytes),
    remainingTimeMs: ctx.remainingTimeMs,
    checkpointMarginMs: ctx.copyLimits.checkpointMarginMs,
    ...(ctx.signal !== undefined && { signal: ctx.signal }),
  };
}
