import type { S3Client, StorageClass } from '@aws-sdk/client-s3';
import type { DestinationConfig, HistoryMode } from '../config';
import type { CopyRequest, CopyResult } from '../copy/types';
import { partSize, partsInFlight } from '../core/part-size';
import { destinationKey, nextSequencer, planCopies, triage } from '../core/plan';
import type { ListedVersion } from '../core/source-state';
import { currentState, isReplicaOf, replicaTag, versionIdentity } from '../core/source-state';
import type { DestinationCurrent } from '../aws/destination';
import { REPLICA_METADATA_KEY, currentDeleteMarker, deleteCurrent, deleteVersion, headCurrent, isGone, syncTags } from '../aws/destination';
import type { ChangeMessage } from '../events';
import { listSourceVersions, sourceTags } from '../aws/source';
import type { KeyState, KeyStateStore } from '../aws/state';
import { PermanentError, StateConflictError } from '../errors';

export type Action =
  | 'copied'
  | 'marker'
  | 'deleted'
  | 'tags'
  | 'in-sync'
  | `skipped:${'stale' | 'delete-markers-off' | 'lifecycle' | 'out-of-prefix'}`;

export interface Outcome {
  destination: string;
  action: Action;
  versionsCopied: number;
  bytes: number;
  destinationKey?: string;
  destinationVersionId?: string;
}

export interface ConvergeContext {
  source: S3Client;
  destination: DestinationConfig;
  destinationClient: S3Client;
  destinationVersioned: boolean;
  store: KeyStateStore;
  historyMode: HistoryMode;
  replicateSince: Date;
  copy: (request: CopyRequest) => Promise<CopyResult>;
  copyLimits: { partsInFlight: number; memoryBudgetBytes: number; checkpointMarginMs: number };
  remainingTimeMs: () => number;
  signal?: AbortSignal;
  now?: () => Date;
}

/**
 * Converges one key on one destination after a change (DESIGN §4): read the key's state, drop
 * obsolete or switched-off changes, apply version-specific deletes and tags, then make the
 * destination mirror the source's listing — missing versions copied oldest first, and the
 * destination's current made equal to the source's current. Every step is idempotent, so a
 * retry after a crash at any point converges too.
 */
export async function converge(change: ChangeMessage, ctx: ConvergeContext): Promise<Outcome> {
  const { destination: dest, store } = ctx;
  const key = destinationKey(change.key, dest.sourcePrefix, dest.destinationPrefix);
  if (key === undefined) return { ...emptyOutcome(dest.id, key), action: 'skipped:out-of-prefix' };

  let state = await store.getState();
  const verdict = triage(change, state?.sequencer, dest);
  if (!verdict.proceed) return { ...emptyOutcome(dest.id, key), action: `skipped:${verdict.skip}` };

  for (let attempt = 1; ; attempt++) {
    try {
      return await apply(change, ctx, key, state);
    } catch (error) {
      // The source moved under us (a version deleted or overwritten since it was listed), or
      // another writer advanced the key's state: read both again and re-plan, since the plan
      // depends only on what is there now. Not triage again: this change is not stale.
      if (attempt >= MAX_ATTEMPTS || !(isVanished(error) || error instanceof StateConflictError)) throw error;
      state = await store.getState();
    }
  }
}

const MAX_ATTEMPTS = 3;
const VANISHED = new Set(['NoSuchKey', 'NoSuchVersion', 'NotFound', 'PreconditionFailed']);

/** The source object or version named in a request is no longer what was listed. */
function isVanished(error: unknown): boolean {
  return error instanceof Error && VANISHED.has(error.name);
}

function emptyOutcome(destination: string, key: string | undefined): Outcome {
  return { destination, action: 'in-sync', versionsCopied: 0, bytes: 0, destinationKey: key };
}

async function apply(change: ChangeMessage, ctx: ConvergeContext, key: string, state: KeyState | undefined): Promise<Outcome> {
  const { destination: dest, store } = ctx;
  const outcome = emptyOutcome(dest.id, key);
  const target = { client: ctx.destinationClient, bucket: dest.bucket, key };
  const now = ctx.now ?? (() => new Date());

  // A version-specific change that is already mirrored is applied to its mapped version.
  if (change.versionId !== undefined && change.versionId !== 'null') {
    const mapping = await store.getMapping(change.versionId);
    if (change.type === 'permanentDelete' && mapping) {
      const deletable = dest.permanentDeletes && ctx.destinationVersioned && mapping.destinationVersionId !== undefined;
      if (deletable) {
        await deleteVersion(target.client, target.bucket, key, mapping.destinationVersionId!);
        outcome.action = 'deleted';
      }
      await store.deleteMapping(change.versionId);
    }
    // Versioned destinations only: an unversioned one holds just the current object. A version
    // deleted since its tags changed makes the change obsolete: converge what is there instead.
    if (change.type === 'tags' && ctx.destinationVersioned && mapping && !mapping.deleteMarker) {
      const tags = await sourceTags(ctx.source, change.bucket, change.key, change.versionId).catch((error: unknown) => {
        if (isVanished(error)) return undefined;
        throw error;
      });
      // A mapped destination version that is gone (the destination's lifecycle) is unmapped.
      const synced = tags !== undefined && (await syncTags(target.client, target.bucket, key, mapping.destinationVersionId, tags).then(
        () => true,
        async (error: unknown) => {
          if (!isGone(error)) throw error;
          await store.deleteMapping(change.versionId!);
          return false;
        },
      ));
      if (synced) return { ...outcome, action: 'tags', destinationVersionId: mapping.destinationVersionId };
    }
  }

  // An unversioned destination holds one object per key: only the current version matters.
  const mode = ctx.destinationVersioned ? ctx.historyMode : 'latest';
  // Page through the history only as far as the copy plan walks: to the newest mirrored version
  // (or REPLICATE_SINCE) in mode all, to the current one in mode latest. Keeps a key with a long
  // history cheap: an event costs a page or two, not the whole history.
  const mapped = new Set<string>();
  const listing = await listSourceVersions(ctx.source, change.bucket, change.key, async (page) => {
    const candidates = mode === 'latest' ? page.versions.filter((v) => v.isLatest) : page.versions;
    for (const id of await store.mappedAmong(candidates.map(versionIdentity))) mapped.add(id);
    return mode === 'latest' || page.versions.some((v) => mapped.has(versionIdentity(v)) || (v.lastModified < ctx.replicateSince && !v.isLatest));
  });
  const copies = planCopies({ listing, mode, since: ctx.replicateSince, isMapped: (id) => mapped.has(id) });

  let current: DestinationCurrent = await headCurrent(target.client, target.bucket, key);
  const copyOne = async (version: ListedVersion) => {
    const tag = replicaTag(version);
    // A replica already there means an earlier attempt copied it and died before the map write.
    const done = current.exists && isReplicaOf(current.replicaOf, version);
    const result = done ? { versionId: current.exists ? current.versionId : undefined, bytes: 0 } : await copyVersion(ctx, change, version, key, tag);
    if (!done) {
      outcome.versionsCopied += 1;
      outcome.bytes += result.bytes;
    }
    await store.putMapping(versionIdentity(version), { destinationVersionId: result.versionId, deleteMarker: false, etag: version.etag, size: version.size, copiedAt: now().toISOString() });
    current = { exists: true, versionId: result.versionId, replicaOf: tag };
  };
  for (const version of copies) await copyOne(version);

  const source = currentState(listing);
  if (source.kind === 'version') {
    const inSync = current.exists && isReplicaOf(current.replicaOf, source.version);
    // The destination's current differs (e.g. a marker was undone at the source): copy it again.
    if (!inSync) await copyOne(source.version);
    // A tag change not handled above (unversioned destination or source): re-sync the current's.
    else if (change.type === 'tags' && outcome.versionsCopied === 0 && current.exists) {
      const tags = await sourceTags(ctx.source, change.bucket, change.key, source.version.versionId);
      await syncTags(target.client, target.bucket, key, ctx.destinationVersioned ? current.versionId : undefined, tags);
      outcome.action = 'tags';
    }
  } else {
    const wanted = source.kind === 'marker' ? dest.deleteMarkers : dest.permanentDeletes;
    if (wanted && current.exists) {
      const markerVersionId = await deleteCurrent(target.client, target.bucket, key);
      if (source.kind === 'marker' && ctx.destinationVersioned) {
        await store.putMapping(source.marker.versionId, { destinationVersionId: markerVersionId, deleteMarker: true, copiedAt: now().toISOString() });
      }
      outcome.action = source.kind === 'marker' && ctx.destinationVersioned ? 'marker' : 'deleted';
      current = { exists: false };
    } else if (wanted && source.kind === 'marker' && ctx.destinationVersioned && !(await store.getMapping(source.marker.versionId))) {
      // A marker made by an attempt that died before recording it: map it, so that a later
      // undelete at the source removes it instead of copying the version again on top.
      const markerVersionId = await currentDeleteMarker(target.client, target.bucket, key);
      if (markerVersionId !== undefined) {
        await store.putMapping(source.marker.versionId, { destinationVersionId: markerVersionId, deleteMarker: true, copiedAt: now().toISOString() });
      }
    }
  }
  if (outcome.versionsCopied > 0) outcome.action = 'copied';

  await store.putState(
    {
      sequencer: nextSequencer(state?.sequencer, change),
      sourceVersion: source.kind === 'version' ? versionIdentity(source.version) : source.kind === 'marker' ? source.marker.versionId : undefined,
      destinationVersionId: current.exists ? current.versionId : undefined,
      deleteMarker: source.kind !== 'version',
      etag: source.kind === 'version' ? source.version.etag : undefined,
      size: source.kind === 'version' ? source.version.size : undefined,
      updatedAt: now().toISOString(),
    },
    state?.revision,
  );
  return { ...outcome, destinationVersionId: current.exists ? current.versionId : undefined };
}

function copyVersion(ctx: ConvergeContext, change: ChangeMessage, version: ListedVersion, key: string, tag: string): Promise<CopyResult> {
  const size = partSize(version.size);
  if (size > ctx.copyLimits.memoryBudgetBytes) {
    // One part must fit in the buffer budget (half the function's memory); retrying cannot help.
    const neededMb = Math.ceil((2 * size) / (1024 * 1024)) + 256;
    return Promise.reject(
      new PermanentError('insufficient-memory', `${version.size} bytes need ${size / (1024 * 1024)} MiB parts: give the function at least ${neededMb} MB of memory`),
    );
  }
  return ctx.copy({
    source: { client: ctx.source, version: { bucket: change.bucket, key: change.key, versionId: version.versionId, etag: version.etag, size: version.size } },
    destination: {
      client: ctx.destinationClient,
      bucket: ctx.destination.bucket,
      key,
      ...(ctx.destination.storageClass !== undefined && { storageClass: ctx.destination.storageClass as StorageClass }),
      ...(ctx.destination.kmsKeyId !== undefined && { kmsKeyId: ctx.destination.kmsKeyId }),
    },
    replicaMetadata: { [REPLICA_METADATA_KEY]: tag },
    checkpoints: ctx.store.uploads(),
    partsInFlight: partsInFlight(ctx.copyLimits.partsInFlight, size, ctx.copyLimits.memoryBudgetBytes),
    remainingTimeMs: ctx.remainingTimeMs,
    checkpointMarginMs: ctx.copyLimits.checkpointMarginMs,
    ...(ctx.signal !== undefined && { signal: ctx.signal }),
  });
}
