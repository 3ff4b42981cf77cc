import type { DestinationEntry, KeyFacts, SourceEntry } from './facts';
import { partSize } from './part-size';

/**
 * The convergence planner (DESIGN §4, step 2): from one key's facts on both sides to the ordered
 * list of actions that makes the destination mirror the source. Pure: no SDK, no clock.
 *
 * Invariant, mode `all`: above the newest source entry already mirrored (the anchor), the
 * destination's history — versions and delete markers — is the source's, in order, each source
 * entry mirrored once. Mode `latest`: the destination's current mirrors the source's current.
 * Destination versions that mirror nothing that exists (orphans, duplicates a retried write left)
 * are deleted when permanent deletes are on, else reported. A version that can never be copied
 * is recorded unreplicable and skipped, so newer versions still replicate.
 */

export interface PlanOptions {
  mode: 'all' | 'latest';
  /** Source entries older than this are the backfill's (the current one is always in scope). */
  since: Date;
  deleteMarkers: boolean;
  permanentDeletes: boolean;
  /** Part buffers the copy may hold: a version whose one part does not fit can never be copied. */
  memoryBudgetBytes: number;
  /** A permanent delete of this source identity was reported: its mirror goes too, however deep. */
  removedAtSource?: string;
  /** A tag change of this source identity was reported: sync its mirror's tags. */
  tagsChanged?: string;
  /**
   * The whole history was read on both sides (a `--history all` backfill): no anchor shortcut, the
   * window is every entry since `since`, and a gap below newer mirrors is filled by rewriting the
   * history above it.
   */
  fullHistory?: boolean;
  /** Copy versions recorded unreplicable again (the user cleared the cause). */
  retryUnreplicable?: boolean;
  /** Also delete destination objects that carry no replica metadata (not ours). */
  deleteForeign?: boolean;
}

export type Action =
  | { kind: 'copy'; entry: SourceEntry; why: string; /** Its mirror further down, kept (and recorded) if this copy proves impossible. */ mirror?: string }
  | { kind: 'put-marker'; entry: SourceEntry; why: string }
  | { kind: 'delete-version'; versionId: string; mirrorOf?: string; why: string; /** Only once the copy of `mirrorOf` in this plan succeeded. */ afterCopy?: true }
  | { kind: 'delete-object'; why: string }
  | { kind: 'sync-tags'; entry: SourceEntry; destinationVersionId?: string; why: string }
  | { kind: 'abort-upload'; uploadId: string; destinationKey: string; why: string }
  | { kind: 'map'; identity: string; destinationVersionId?: string; deleteMarker: boolean; why: string }
  | { kind: 'unmap'; identity: string; why: string }
  | { kind: 'unreplicable'; entry: SourceEntry; reason: string; why: string }
  | { kind: 'report'; problem: 'orphan' | 'duplicate' | 'out-of-order' | 'foreign' | 'stray-marker' | 'unreplicable' | 'gap'; versionId?: string; identity?: string; why: string };

export type ActionKind = Action['kind'];

/** The record of an entry missing below newer mirrors (the reason of its `unreplicable` record). */
export const GAP = 'missing-below-newer-versions';

/** How a key stands, as `verify` counts it. */
export type KeyStatus = 'in-sync' | 'missing' | 'stale' | 'extra' | 'unreplicable';

export interface Plan {
  status: KeyStatus;
  actions: Action[];
}

/** Actions that change the destination; the rest is bookkeeping or a report. */
export const CHANGES: ReadonlySet<ActionKind> = new Set(['copy', 'put-marker', 'delete-version', 'delete-object', 'sync-tags', 'abort-upload']);

export function planKey(facts: KeyFacts, options: PlanOptions): Plan {
  const actions = facts.destination.versioned ? planVersioned(facts, options) : planUnversioned(facts, options);
  const upload = facts.upload;
  if (upload && !actions.some((a) => a.kind === 'copy' && isUploadOf(upload, a.entry, facts.destinationKey))) {
    actions.unshift({ kind: 'abort-upload', uploadId: upload.uploadId, destinationKey: upload.destinationKey, why: `its source version ${upload.sourceVersionId} is no longer to be copied` });
  }
  return { status: statusOf(facts, actions), actions };
}

function isUploadOf(upload: NonNullable<KeyFacts['upload']>, entry: SourceEntry, destinationKey: string): boolean {
  return upload.sourceVersionId === entry.versionId && bare(upload.sourceEtag) === bare(entry.etag) && upload.destinationKey === destinationKey;
}

const bare = (etag: string) => etag.replace(/"/g, '');

/** A version whose buffer (the object itself, or one part of it) cannot fit in the budget: retrying cannot help. */
function tooLarge(entry: SourceEntry, options: PlanOptions): string | undefined {
  const part = partSize(entry.size);
  const buffer = Math.min(entry.size, part);
  if (entry.kind !== 'version' || buffer <= options.memoryBudgetBytes) return undefined;
  const neededMb = Math.ceil((2 * buffer) / (1024 * 1024)) + 256;
  return `${entry.size} bytes need a ${Math.ceil(buffer / (1024 * 1024))} MiB buffer: give the function at least ${neededMb} MB of memory`;
}

/** Copy a version, or record why it cannot be. */
function copyOrRecord(entry: SourceEntry, options: PlanOptions, why: string): Action {
  const reason = tooLarge(entry, options);
  if (reason) return { kind: 'unreplicable', entry, reason: 'insufficient-memory', why: reason };
  return entry.kind === 'marker' ? { kind: 'put-marker', entry, why } : { kind: 'copy', entry, why };
}

function planUnversioned(facts: KeyFacts, options: PlanOptions): Action[] {
  const actions: Action[] = [];
  const current = facts.source.entries.find((e) => e.isLatest);
  const object = facts.destination.entries[0];
  const ours = object !== undefined && typeof object.replicaOf === 'string';
  if (current?.kind === 'version') {
    const mapping = facts.mappings.get(current.identity);
    if (object?.replicaOf === current.identity) {
      if (!mapping || mapping.unreplicable) actions.push({ kind: 'map', identity: current.identity, deleteMarker: false, why: 'the destination object mirrors it but the map does not say so' });
      if (options.tagsChanged === current.identity) actions.push({ kind: 'sync-tags', entry: current, why: 'its tags changed at the source' });
      pushTagDrift(facts, current, undefined, actions);
    } else if (mapping?.unreplicable && !options.retryUnreplicable) {
      actions.push({ kind: 'report', problem: 'unreplicable', identity: current.identity, why: `the current version cannot be copied: ${mapping.unreplicable}` });
    } else {
      actions.push(copyOrRecord(current, options, object ? 'the destination object is another version' : 'the destination has no object'));
    }
  } else if (object) {
    const wanted = current?.kind === 'marker' ? options.deleteMarkers : options.permanentDeletes;
    if (wanted && (ours || options.deleteForeign)) {
      actions.push({ kind: 'delete-object', why: current ? 'the source object is deleted (a delete marker)' : 'the source object no longer exists' });
    } else if (wanted) {
      actions.push({ kind: 'report', problem: 'foreign', why: 'the destination object carries no replica metadata: left alone' });
    }
  }
  return actions;
}

/** A destination window entry and what it mirrors. */
interface Classified {
  entry: DestinationEntry;
  /** The source identity it mirrors, when known. */
  identity?: string;
  /** Known only through a HEAD: the map does not hold it yet. */
  unmapped: boolean;
}

function planVersioned(facts: KeyFacts, options: PlanOptions): Action[] {
  const { source, destination, mappings } = facts;
  const actions: Action[] = [];
  const present = new Set(destination.entries.map((e) => e.versionId));
  const mirrorOf = new Map<string, string>();
  for (const [identity, mapping] of mappings) if (mapping.destinationVersionId !== undefined) mirrorOf.set(mapping.destinationVersionId, identity);

  // A full-history plan (and a retry of what could not be copied) looks at everything.
  const whole = options.fullHistory === true || options.retryUnreplicable === true;
  // The anchor: the newest source entry whose mirror is on the destination. Above it, the window.
  const window: SourceEntry[] = [];
  let anchor: { entry: SourceEntry; destinationVersionId: string } | undefined;
  for (const entry of source.entries) {
    const mirror = mappings.get(entry.identity)?.destinationVersionId;
    if (!whole && mirror !== undefined && present.has(mirror)) {
      anchor = { entry, destinationVersionId: mirror };
      break;
    }
    if (!entry.isLatest && entry.lastModified < options.since) break;
    window.push(entry);
  }
  const known = new Set(source.entries.map((e) => e.identity));
  const isGone = (identity: string) => facts.goneAtSource.has(identity) || (source.complete && !known.has(identity));

  // The destination's entries above the anchor's mirror, oldest first, with what each mirrors.
  const above: Classified[] = [];
  for (const entry of destination.entries) {
    if (entry.versionId === anchor?.destinationVersionId) break;
    const mapped = mirrorOf.get(entry.versionId);
    const identity = mapped ?? (entry.kind === 'version' && typeof entry.replicaOf === 'string' ? entry.replicaOf : undefined);
    above.unshift({ entry, identity, unmapped: mapped === undefined });
  }
  const mirrored = new Set(above.map((c) => c.identity).filter((id) => id !== undefined));

  // What the window must hold on the destination, oldest first.
  const current = source.entries.find((e) => e.isLatest);
  const candidates = options.mode === 'all' ? window : window.filter((e) => e === current);
  const wanted: SourceEntry[] = [];
  for (const entry of [...candidates].reverse()) {
    if (entry.kind === 'marker' && !options.deleteMarkers) continue;
    // Recorded unreplicable: left where it is (its mirror, if a copy once succeeded, stays as it is:
    // it cannot be copied again in order). A record naming no mirror while one is found is stale.
    const record = mappings.get(entry.identity);
    const unreplicable = record?.unreplicable;
    if (unreplicable !== undefined && !options.retryUnreplicable && (record?.destinationVersionId !== undefined || !mirrored.has(entry.identity))) {
      actions.push({ kind: 'report', problem: 'unreplicable', identity: entry.identity, why: `version ${entry.versionId} cannot be copied: ${unreplicable}` });
      continue;
    }
    const reason = mirrored.has(entry.identity) ? undefined : tooLarge(entry, options);
    if (reason !== undefined) {
      actions.push({ kind: 'unreplicable', entry, reason: 'insufficient-memory', why: reason });
      continue;
    }
    wanted.push(entry);
  }

  // Walk the destination's window against what it must hold: keep what matches in order, remove the rest.
  let next = 0;
  // The anchor is mirrored already: another mirror of it above is a duplicate.
  // Which destination version mirrors each source entry that stays: the anchor's, then what is kept.
  const keeperOf = new Map<string, string>();
  for (const [identity, mapping] of mappings) {
    if (mapping.destinationVersionId !== undefined && present.has(mapping.destinationVersionId) && !wanted.some((w) => w.identity === identity)) keeperOf.set(identity, mapping.destinationVersionId);
  }
  if (anchor) keeperOf.set(anchor.entry.identity, anchor.destinationVersionId);
  const kept: Classified[] = [];
  /** Out-of-order mirrors: deleted once their copy on top exists, so a failed copy loses nothing. */
  const replaced = new Map<string, Classified>();
  const undeleted = new Map<string, Classified>();
  for (const item of above) {
    // A mirror of a wanted entry further on: the ones skipped are missing *inside* the history
    // (a lost unreplicable record, a version the destination's lifecycle expired). Filling them
    // in place would mean deleting and copying again everything above: only on request.
    // Rewriting needs deleting: with permanent deletes off, a gap stays one even in a full backfill.
    const ahead = (whole && options.permanentDeletes) || item.identity === undefined ? -1 : wanted.findIndex((w, i) => i > next && w.identity === item.identity && w.kind === item.entry.kind);
    if (ahead > next && !matches(item, wanted[next]!)) {
      for (const skipped of wanted.slice(next, ahead)) {
        // Recorded like a version that cannot be copied: counted, shown by verify and status, and
        // remembered once the anchor has moved above it; backfill --retry-unreplicable fills it.
        actions.push({ kind: 'unreplicable', entry: skipped, reason: GAP, why: `${skipped.kind} ${skipped.versionId} is missing below newer mirrors; backfill --retry-unreplicable rewrites the history above it` });
      }
      next = ahead;
    }
    const want = wanted[next];
    if (want && matches(item, want)) {
      if (mappings.get(want.identity)?.destinationVersionId !== item.entry.versionId) {
        actions.push({ kind: 'map', identity: want.identity, destinationVersionId: item.entry.versionId, deleteMarker: want.kind === 'marker', why: 'the destination already mirrors it; the map did not say so' });
      }
      keeperOf.set(want.identity, item.entry.versionId);
      next += 1;
      kept.push({ ...item, identity: want.identity });
      continue;
    }
    const id = item.identity;
    const problem = classify(item, id, keeperOf, wanted.slice(next), isGone);
    if (problem === undefined && id !== undefined) {
      // A mirror of an existing source entry we do not want here (older history, a mode change): keep it.
      if (mappings.get(id)?.destinationVersionId === undefined) {
        actions.push({ kind: 'map', identity: id, destinationVersionId: item.entry.versionId, deleteMarker: item.entry.kind === 'marker', why: 'the destination mirrors this older source entry; the map did not say so' });
      }
      keeperOf.set(id, item.entry.versionId);
      kept.push(item);
      continue;
    }
    const found: Problem = problem ?? 'foreign';
    const deletable = options.permanentDeletes && (found !== 'foreign' || options.deleteForeign === true);
    if (deletable && found === 'out-of-order' && id !== undefined && !replaced.has(id)) {
      replaced.set(id, item);
    } else if (deletable) {
      actions.push({ kind: 'delete-version', versionId: item.entry.versionId, ...(id !== undefined && { mirrorOf: id }), why: describeProblem(found, item) });
      if (id !== undefined && mappings.get(id)?.destinationVersionId === item.entry.versionId) {
        // The map named the second mirror: it names the one that stays, or nothing.
        const keeper = found === 'duplicate' ? keeperOf.get(id) : undefined;
        if (keeper !== undefined && keeper !== item.entry.versionId) actions.push({ kind: 'map', identity: id, destinationVersionId: keeper, deleteMarker: item.entry.kind === 'marker', why: 'the map named the mirror deleted as a duplicate' });
        else actions.push({ kind: 'unmap', identity: id, why: 'its mirror is deleted' });
      }
    } else {
      actions.push({ kind: 'report', problem: found, versionId: item.entry.versionId, ...(id !== undefined && { identity: id }), why: `${describeProblem(found, item)}; left in place` });
      kept.push(item);
      // Its copy in order goes on top; should that copy prove impossible, this mirror stays the one on record.
      if (found === 'out-of-order' && id !== undefined && !undeleted.has(id)) undeleted.set(id, item);
    }
  }

  // What is still missing goes on top, oldest first.
  const appended: SourceEntry[] = [];
  for (const entry of wanted.slice(next)) {
    const action = copyOrRecord(entry, options, entry.kind === 'marker' ? 'the destination lacks this delete marker' : next > 0 || anchor ? 'newer than the last mirrored entry' : 'not on the destination');
    const old = replaced.get(entry.identity) ?? undeleted.get(entry.identity);
    actions.push(action.kind === 'copy' && old !== undefined ? { ...action, mirror: old.entry.versionId } : action);
    if (action.kind !== 'unreplicable') appended.push(entry);
  }
  for (const [id, item] of replaced) {
    actions.push({ kind: 'delete-version', versionId: item.entry.versionId, mirrorOf: id, afterCopy: true, why: `${describeProblem('out-of-order', item)}; its copy in order replaces it` });
  }

  // The current must be on top even when entries that stay sit above its mirror.
  const top = kept.at(-1);
  const recorded = actions.some((a) => a.kind === 'unreplicable' && a.entry.identity === current?.identity);
  if (appended.length === 0 && current && top && !recorded && needsOnTop(current, top, options, mappings, keeperOf)) {
    const earlier = keeperOf.get(current.identity);
    const action = copyOrRecord(current, options, 'entries that stay sit above its mirror: the current must be on top');
    actions.push(action.kind === 'copy' && earlier !== undefined ? { ...action, mirror: earlier } : action);
    if (action.kind !== 'unreplicable') {
      appended.push(current);
      // Its mirror below them becomes a second one once the copy is on top.
      if (earlier !== undefined && options.permanentDeletes) {
        actions.push({ kind: 'delete-version', versionId: earlier, mirrorOf: current.identity, afterCopy: true, why: `${earlier} mirrors the current below entries that stay; the new copy on top replaces it` });
      }
    }
  }

  // Below the anchor (as far as it was read): mirrors of source entries that no longer exist, and
  // second mirrors of one entry. And the mirror of a version an event says was deleted, however deep.
  const handled = new Set(actions.flatMap((a) => (a.kind === 'delete-version' ? [a.versionId] : [])));
  const removeMirror = (versionId: string, id: string, problem: 'orphan' | 'duplicate', why: string) => {
    if (handled.has(versionId)) return;
    handled.add(versionId);
    if (options.permanentDeletes) {
      actions.push({ kind: 'delete-version', versionId, mirrorOf: id, why });
      if (mappings.get(id)?.destinationVersionId === versionId) actions.push({ kind: 'unmap', identity: id, why: 'its mirror is deleted' });
    } else {
      actions.push({ kind: 'report', problem, versionId, identity: id, why: `${why}; left in place` });
    }
  };
  const firstMirror = new Map<string, string>();
  const belowAnchor = anchor ? destination.entries.slice(destination.entries.findIndex((e) => e.versionId === anchor.destinationVersionId)) : [];
  for (const entry of belowAnchor) {
    const id = mirrorOf.get(entry.versionId) ?? (entry.kind === 'version' && typeof entry.replicaOf === 'string' ? entry.replicaOf : undefined);
    if (id === undefined) continue;
    if (isGone(id)) {
      removeMirror(entry.versionId, id, 'orphan', `${entry.kind} ${entry.versionId} mirrors source version ${id}, which no longer exists`);
      continue;
    }
    const mapped = mappings.get(id)?.destinationVersionId;
    const keeper = mapped !== undefined && present.has(mapped) ? mapped : (firstMirror.get(id) ?? entry.versionId);
    firstMirror.set(id, keeper);
    if (keeper !== entry.versionId) removeMirror(entry.versionId, id, 'duplicate', `${entry.kind} ${entry.versionId} is a second mirror of source version ${id}`);
  }
  // Map entries naming a destination entry that is not there: re-pointed at a mirror the
  // destination does hold, else dropped when the whole destination history was read; when their
  // source entry is gone too, the mirror may be deeper than read: deleted.
  const planned = new Set(actions.flatMap((a) => (a.kind === 'map' || a.kind === 'unmap' || a.kind === 'copy' || a.kind === 'put-marker' ? [a.kind === 'map' || a.kind === 'unmap' ? a.identity : a.entry.identity] : [])));
  const deletedNow = new Set(actions.flatMap((a) => (a.kind === 'delete-version' ? [a.versionId] : [])));
  for (const [identity, mapping] of mappings) {
    const mirror = mapping.destinationVersionId;
    if (mirror === undefined || present.has(mirror) || planned.has(identity) || identity === options.removedAtSource) continue;
    // Not among what was read is not missing, unless everything was read (or its source is gone).
    if (!destination.complete && !isGone(identity)) continue;
    if (isGone(identity)) {
      // Everything read and the mirror absent: only the entry is left. Read in part: it may be deeper.
      if (destination.complete) actions.push({ kind: 'unmap', identity, why: `its source entry and its mirror ${mirror} are both gone` });
      else removeMirror(mirror, identity, 'orphan', `${mirror} mirrors source version ${identity}, which no longer exists`);
      continue;
    }
    const held = destination.entries.find((e) => !deletedNow.has(e.versionId) && e.kind === (mapping.deleteMarker ? 'marker' : 'version') && (mirrorOf.get(e.versionId) ?? e.replicaOf) === identity);
    if (held) actions.push({ kind: 'map', identity, destinationVersionId: held.versionId, deleteMarker: mapping.deleteMarker, why: `its mirror ${mirror} is not on the destination; ${held.versionId} is` });
    else actions.push({ kind: 'unmap', identity, why: `its mirror ${mirror} is not on the destination` });
  }

  // Undeletable second mirrors of the current (permanent deletes off): the one on top is what
  // readers see, so the map, and any tag sync, name that one.
  const topItem = kept.at(-1);
  if (!options.permanentDeletes && appended.length === 0 && current && topItem?.identity === current.identity && keeperOf.get(current.identity) !== topItem.entry.versionId) {
    for (let i = actions.length - 1; i >= 0; i--) {
      const a = actions[i]!;
      if (a.kind === 'map' && a.identity === current.identity) actions.splice(i, 1);
    }
    if (mappings.get(current.identity)?.destinationVersionId !== topItem.entry.versionId) {
      actions.push({ kind: 'map', identity: current.identity, destinationVersionId: topItem.entry.versionId, deleteMarker: current.kind === 'marker', why: 'of its mirrors that stay, the one on top is the current' });
    }
    keeperOf.set(current.identity, topItem.entry.versionId);
  }

  const removed = options.removedAtSource;
  const removedMirror = removed !== undefined ? mappings.get(removed)?.destinationVersionId : undefined;
  if (removed !== undefined && removedMirror !== undefined && isGone(removed)) {
    removeMirror(removedMirror, removed, 'orphan', `${removedMirror} mirrors source version ${removed}, deleted at the source`);
  }

  // Records below the window (an older version that cannot be copied, a gap) still count.
  const reported = new Set(actions.flatMap((a) => (a.kind === 'report' || a.kind === 'unreplicable' ? [a.kind === 'report' ? (a.identity ?? '') : a.entry.identity] : [])));
  for (const [identity, mapping] of mappings) {
    if (mapping.unreplicable === undefined || reported.has(identity)) continue;
    if (isGone(identity)) {
      if (mapping.destinationVersionId === undefined && !actions.some((a) => (a.kind === 'unmap' || a.kind === 'map') && a.identity === identity)) {
        actions.push({ kind: 'unmap', identity, why: `the record of ${identity}, gone at the source, goes too` });
      }
      continue;
    }
    if (options.retryUnreplicable || (!known.has(identity) && source.complete)) continue;
    actions.push({ kind: 'report', problem: 'unreplicable', identity, why: `source entry ${identity} is recorded unreplicable: ${mapping.unreplicable}` });
  }

  // Tags: of a version whose tags changed, and of the current when the reader compared them.
  if (options.tagsChanged !== undefined) {
    const entry = source.entries.find((e) => e.identity === options.tagsChanged && e.kind === 'version');
    const mirror = entry && mirrorAfterPlan(entry, anchor, above, actions, mappings);
    if (entry && mirror !== undefined && !appended.includes(entry)) actions.push({ kind: 'sync-tags', entry, destinationVersionId: mirror, why: 'its tags changed at the source' });
  }
  if (current?.kind === 'version' && !appended.includes(current) && options.tagsChanged !== current.identity) {
    const mirror = mirrorAfterPlan(current, anchor, above, actions, mappings);
    if (mirror !== undefined) pushTagDrift(facts, current, mirror, actions);
  }
  return actions;
}

function needsOnTop(current: SourceEntry, top: Classified, options: PlanOptions, mappings: KeyFacts['mappings'], keeperOf: ReadonlyMap<string, string>): boolean {
  // Recorded unreplicable: nothing to put on top — unless the record is stale (a mirror was found
  // that the record does not name: the version was copied after all).
  const mapping = mappings.get(current.identity);
  if (mapping?.unreplicable !== undefined && !options.retryUnreplicable && (mapping.destinationVersionId !== undefined || !keeperOf.has(current.identity))) return false;
  if (current.kind === 'marker') return options.deleteMarkers && top.entry.kind !== 'marker';
  return top.identity !== current.identity;
}

function matches(item: Classified, want: SourceEntry): boolean {
  if (item.entry.kind !== want.kind) return false;
  if (item.identity === want.identity) return true;
  // A marker no map entry names: made by an attempt that died before recording it.
  return want.kind === 'marker' && item.unmapped;
}

type Problem = 'orphan' | 'duplicate' | 'out-of-order' | 'foreign' | 'stray-marker';

/** What is wrong with a destination entry that is not the next one wanted; undefined: nothing, keep it. */
function classify(item: Classified, id: string | undefined, kept: ReadonlyMap<string, string>, pending: readonly SourceEntry[], isGone: (id: string) => boolean): Problem | undefined {
  if (id === undefined) return item.entry.kind === 'marker' ? 'stray-marker' : 'foreign';
  if (kept.has(id) && kept.get(id) !== item.entry.versionId) return 'duplicate';
  if (pending.some((w) => w.identity === id)) return 'out-of-order';
  return isGone(id) ? 'orphan' : undefined;
}

function describeProblem(problem: Problem, item: Classified): string {
  const what = `${item.entry.kind} ${item.entry.versionId}`;
  switch (problem) {
    case 'orphan':
      return `${what} mirrors ${item.identity ? `source version ${item.identity}, which no longer exists` : 'nothing the map or its metadata names'}`;
    case 'duplicate':
      return `${what} is a second mirror of source version ${item.identity}`;
    case 'out-of-order':
      return `${what} mirrors ${item.identity} out of the source's order`;
    case 'foreign':
      return `${what} carries no replica metadata (not written by the replicator)`;
    case 'stray-marker':
      return `${what} is a delete marker the source's history does not have there`;
  }
}

/** The destination version mirroring `entry` once the plan has run, if it is there already. */
function mirrorAfterPlan(
  entry: SourceEntry,
  anchor: { entry: SourceEntry; destinationVersionId: string } | undefined,
  above: readonly Classified[],
  actions: readonly Action[],
  mappings: KeyFacts['mappings'],
): string | undefined {
  const deleted = new Set(actions.flatMap((a) => (a.kind === 'delete-version' ? [a.versionId] : [])));
  const mapped = actions.find((a) => a.kind === 'map' && a.identity === entry.identity);
  if (mapped?.kind === 'map') return mapped.destinationVersionId;
  if (anchor?.entry.identity === entry.identity) return anchor.destinationVersionId;
  const mappedNow = mappings.get(entry.identity)?.destinationVersionId;
  if (mappedNow !== undefined && !deleted.has(mappedNow) && above.some((c) => c.entry.versionId === mappedNow)) return mappedNow;
  const kept = above.find((c) => c.identity === entry.identity && !deleted.has(c.entry.versionId));
  if (kept) return kept.entry.versionId;
  // Below the window: the map says where (a gone version answers NoSuchVersion and is unmapped then).
  return mappings.get(entry.identity)?.destinationVersionId;
}

/** When the reader compared the currents' tags and they differ, sync them. */
function pushTagDrift(facts: KeyFacts, current: SourceEntry, destinationVersionId: string | undefined, actions: Action[]): void {
  const tags = facts.currentTags;
  if (!tags || sameTags(tags.source, tags.destination)) return;
  if (actions.some((a) => a.kind === 'sync-tags' && a.entry.identity === current.identity)) return;
  actions.push({ kind: 'sync-tags', entry: current, ...(destinationVersionId !== undefined && { destinationVersionId }), why: "the destination's tags differ from the source's" });
}

function sameTags(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => b[k] === a[k]);
}

function statusOf(facts: KeyFacts, actions: readonly Action[]): KeyStatus {
  const changes = actions.filter((a) => CHANGES.has(a.kind) && a.kind !== 'abort-upload');
  const sourceHasEntries = facts.source.entries.length > 0;
  if (!sourceHasEntries && facts.destination.entries.some((e) => e.kind === 'version')) return changes.length > 0 || actions.some((a) => a.kind === 'report') ? 'extra' : 'in-sync';
  if (changes.length > 0) {
    const destinationHasVersion = facts.destination.entries.some((e) => e.kind === 'version');
    return destinationHasVersion ? 'stale' : 'missing';
  }
  if (actions.some((a) => a.kind === 'unreplicable' || (a.kind === 'report' && a.problem === 'unreplicable'))) return 'unreplicable';
  return 'in-sync';
}
