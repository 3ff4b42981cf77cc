import type { S3Client } from '@aws-sdk/client-s3';
import type { DestinationConfig, HistoryMode } from '../config';
import type { CopyRequest, CopyResult } from '../copy/types';
import type { KeyFacts, SourceEntry } from '../core/facts';
import type { Action, ActionKind, KeyStatus, Plan } from '../core/planner';
import { planKey } from '../core/planner';
import { destinationKey, nextSequencer, triage } from '../core/triage';
import type { KeyState, KeyStateStore } from '../aws/state';
import type { ChangeMessage } from '../events';
import type { Execution, MapWrites } from './execute';
import { ReplanError, executePlan } from './execute';
import type { ReadKeyRequest } from './read-key';
import { readKey } from './read-key';

/**
 * One key on one destination, from an event or from the backfill: read both sides, plan, execute
 * (DESIGN §4). The plan depends only on what both sides hold, so any order of events, duplicates
 * and retries after a crash at any point converge. A write whose answer was lost, or a source
 * that changed under a copy, makes it read and plan again, a few times, before giving up for now.
 */

export type Summary = 'copied' | 'marker' | 'deleted' | 'tags' | 'in-sync' | `skipped:${'stale' | 'delete-markers-off' | 'lifecycle' | 'out-of-prefix'}`;

export interface Outcome {
  destination: string;
  action: Summary;
  status?: KeyStatus;
  versionsCopied: number;
  bytes: number;
  /** How many actions of each kind ran (or would run, in a dry run). */
  actions?: Partial<Record<ActionKind, number>>;
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
  onUnreplicable?: (entry: SourceEntry, reason: string) => void;
  onReport?: (action: Extract<Action, { kind: 'report' }>) => void;
}

export interface KeyRequest {
  bucket: string;
  key: string;
  /** Overrides the function's HISTORY_MODE; `all` also walks past REPLICATE_SINCE (a full backfill). */
  history?: HistoryMode;
  /** The event's hint: this source version was permanently deleted. */
  removedAtSource?: string;
  /** The event's hint: the tags of this source identity changed. */
  tagsChanged?: string;
  compareTags?: boolean;
  /** Both histories from a bulk listing (verify, backfill): the first read lists nothing per key. */
  listed?: ReadKeyRequest['listed'];
  /** The key's table items read in bulk with the listing (see readKey). */
  prefetched?: ReadKeyRequest['prefetched'];
  retryUnreplicable?: boolean;
  deleteForeign?: boolean;
  /** Plan only: nothing is written anywhere. */
  dryRun?: boolean;
}

export interface KeyResult {
  outcome: Outcome;
  plan: Plan;
  facts: KeyFacts;
  state?: KeyState;
}

const MAX_ROUNDS = 4;

/** Converges the key an event names: obsolete and switched-off changes are skipped first. */
export async function converge(change: ChangeMessage, ctx: ConvergeContext): Promise<Outcome> {
  const dest = ctx.destination;
  const key = destinationKey(change.key, dest.sourcePrefix, dest.destinationPrefix);
  if (key === undefined) return { destination: dest.id, action: 'skipped:out-of-prefix', versionsCopied: 0, bytes: 0 };
  const { outcome } = await convergeKey(
    {
      bucket: change.bucket,
      key: change.key,
      ...(change.type === 'converge' && change.history !== undefined && { history: change.history }),
      ...(change.type === 'converge' && { compareTags: true }),
      ...(change.type === 'tags' && change.versionId !== undefined && { tagsChanged: change.versionId }),
      ...(change.type === 'permanentDelete' && change.versionId !== undefined && change.versionId !== 'null' && { removedAtSource: change.versionId }),
    },
    ctx,
    change,
  );
  return outcome;
}

/** Read → plan → execute for one key; `change` (an event) adds the stale check and the sequencer. */
export async function convergeKey(request: KeyRequest, ctx: ConvergeContext, change?: ChangeMessage): Promise<KeyResult> {
  const dest = ctx.destination;
  const key = destinationKey(request.key, dest.sourcePrefix, dest.destinationPrefix);
  if (key === undefined) throw new Error(`${request.key} is outside the source prefix ${dest.sourcePrefix} of destination ${dest.id}`);
  const now = ctx.now ?? (() => new Date());
  const mode = ctx.destinationVersioned ? (request.history ?? ctx.historyMode) : 'latest';
  const since = request.history === 'all' ? new Date(0) : ctx.replicateSince;
  const total: Execution = { done: {}, versionsCopied: 0, bytes: 0 };

  for (let round = 1; ; round++) {
    const { facts, items } = await readKey({
      source: { client: ctx.source, bucket: request.bucket, key: request.key },
      destination: { client: ctx.destinationClient, bucket: dest.bucket, key, versioned: ctx.destinationVersioned },
      store: ctx.store,
      since,
      ...(request.compareTags !== undefined && { compareTags: request.compareTags }),
      // A re-plan reads again: what was listed is out of date once the plan has run in part.
      ...(round === 1 && request.listed !== undefined && { listed: request.listed }),
      ...(round === 1 && request.prefetched !== undefined && { prefetched: request.prefetched }),
      ...(request.removedAtSource !== undefined && { checkGone: [request.removedAtSource] }),
      ...(request.history === 'all' && { fullHistory: true }),
      remainingTimeMs: ctx.remainingTimeMs,
      marginMs: ctx.copyLimits.checkpointMarginMs,
      ...(ctx.signal !== undefined && { signal: ctx.signal }),
    });
    const base = { destination: dest.id, destinationKey: key };
    if (change && round === 1) {
      const verdict = triage(change, items.state?.sequencer, dest);
      if (!verdict.proceed) return { outcome: { ...base, action: `skipped:${verdict.skip}`, versionsCopied: 0, bytes: 0 }, plan: { status: 'in-sync', actions: [] }, facts, ...(items.state && { state: items.state }) };
    }
    // Tags changed on a version that is the source's "null" version: its identity is by time and ETag.
    const tagsChanged = request.tagsChanged === 'null' ? facts.source.entries.find((e) => e.versionId === 'null')?.identity : request.tagsChanged;
    const plan = planKey(facts, {
      mode,
      since,
      deleteMarkers: dest.deleteMarkers,
      permanentDeletes: dest.permanentDeletes,
      memoryBudgetBytes: ctx.copyLimits.memoryBudgetBytes,
      ...(tagsChanged !== undefined && { tagsChanged }),
      ...(request.removedAtSource !== undefined && { removedAtSource: request.removedAtSource }),
      ...(request.history === 'all' && mode === 'all' && { fullHistory: true }),
      ...(request.retryUnreplicable !== undefined && { retryUnreplicable: request.retryUnreplicable }),
      ...(request.deleteForeign !== undefined && { deleteForeign: request.deleteForeign }),
    });
    if (request.dryRun) {
      const planned = countActions(plan.actions);
      return { outcome: { ...base, action: summarize(planned), status: plan.status, versionsCopied: planned.copy ?? 0, bytes: 0, actions: planned }, plan, facts, ...(items.state && { state: items.state }) };
    }

    const writes: MapWrites = { put: new Map(), remove: new Set() };
    let execution: Execution | undefined;
    try {
      execution = await executePlan(
        plan,
        {
          source: { client: ctx.source, bucket: request.bucket, key: request.key },
          destination: dest,
          destinationClient: ctx.destinationClient,
          destinationKey: key,
          store: ctx.store,
          copy: ctx.copy,
          copyLimits: ctx.copyLimits,
          remainingTimeMs: ctx.remainingTimeMs,
          now,
          ...(ctx.signal !== undefined && { signal: ctx.signal }),
          ...(ctx.onUnreplicable !== undefined && { onUnreplicable: ctx.onUnreplicable }),
          ...(ctx.onReport !== undefined && { onReport: ctx.onReport }),
        },
        writes,
      );
    } catch (error) {
      // What was done is recorded even when the rest failed: the next attempt starts from there.
      await ctx.store.write(writes);
      if (error instanceof ReplanError && round < MAX_ROUNDS) continue;
      if (error instanceof ReplanError) throw new Error(`${request.key} did not settle after ${MAX_ROUNDS} plans: ${error.message}`, { cause: error });
      throw error;
    }
    accumulate(total, execution);
    const state = stateAfter(facts, writes, change, items.state, now);
    await ctx.store.write({ ...writes, state });
    return {
      outcome: { ...base, action: summarize(total.done), status: plan.status, versionsCopied: total.versionsCopied, bytes: total.bytes, actions: total.done, ...(state.destinationVersionId !== undefined && { destinationVersionId: state.destinationVersionId }) },
      plan,
      facts,
      state,
    };
  }
}

function countActions(actions: readonly Action[]): Partial<Record<ActionKind, number>> {
  const counts: Partial<Record<ActionKind, number>> = {};
  for (const action of actions) counts[action.kind] = (counts[action.kind] ?? 0) + 1;
  return counts;
}

function accumulate(total: Execution, execution: Execution): void {
  for (const [kind, n] of Object.entries(execution.done) as [ActionKind, number][]) total.done[kind] = (total.done[kind] ?? 0) + n;
  total.versionsCopied += execution.versionsCopied;
  total.bytes += execution.bytes;
}

/** The one word of the outcome line: the most significant thing done. */
function summarize(done: Partial<Record<ActionKind, number>>): Summary {
  if (done.copy) return 'copied';
  if (done['put-marker']) return 'marker';
  if (done['delete-version'] || done['delete-object']) return 'deleted';
  if (done['sync-tags']) return 'tags';
  return 'in-sync';
}

/** The STATE item after a convergence: what is current on both sides, and the newest sequencer applied. */
function stateAfter(facts: KeyFacts, writes: MapWrites, change: ChangeMessage | undefined, previous: KeyState | undefined, now: () => Date): KeyState {
  const current = facts.source.entries.find((e) => e.isLatest);
  const mirror = current ? (writes.put.get(current.identity) ?? facts.mappings.get(current.identity)) : undefined;
  const sequencer = change ? nextSequencer(previous?.sequencer, change) : previous?.sequencer;
  return {
    ...(sequencer !== undefined && { sequencer }),
    ...(current !== undefined && { sourceVersion: current.identity }),
    ...(mirror?.destinationVersionId !== undefined && { destinationVersionId: mirror.destinationVersionId }),
    deleteMarker: current?.kind !== 'version',
    ...(current?.kind === 'version' && { etag: current.etag, size: current.size }),
    updatedAt: now().toISOString(),
  };
}
