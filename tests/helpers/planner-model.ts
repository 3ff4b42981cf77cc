// A model of one key on both sides for the planner's property test: the source's history, the
// destination's history with the truth about each entry (what it really mirrors), the version
// map and the UPLOAD item. `factsOf` reads it as src/engine/read-key.ts would; `applyPlan` runs a
// plan on it as src/engine/execute.ts would; `violations` checks the planner's invariant.
import type { KeyFacts, Mapping, PendingUpload, SourceEntry } from '../../src/core/facts';
import type { Action, ActionKind, Plan, PlanOptions } from '../../src/core/planner';

export interface ModelEntry {
  kind: 'version' | 'marker';
  versionId: string;
  /** The source identity it mirrors; null: written by someone else (no replica metadata); undefined: a marker put for nothing. */
  truth: string | null | undefined;
}

export interface World {
  /** Oldest first. */
  source: SourceEntry[];
  /** Oldest first. */
  destination: ModelEntry[];
  map: Map<string, Mapping>;
  upload?: PendingUpload;
  versioned: boolean;
  destinationKey: string;
  /** For the next destination version id (w<n>, wm<n>: ids no test uses). */
  written: number;
}

export function cloneWorld(world: World): World {
  return {
    ...world,
    source: world.source.map((e) => ({ ...e })),
    destination: world.destination.map((e) => ({ ...e })),
    map: new Map([...world.map].map(([k, v]) => [k, { ...v }])),
    ...(world.upload !== undefined && { upload: { ...world.upload } }),
  };
}

/** How the reader pages: by default one page holds the whole key (histories here are shorter than its first page of 100). */
export interface ReadShape {
  /** Entries a listing page holds. */
  pageSize: number;
  /** REPLICATE_SINCE, where the source's read stops. */
  since: Date;
  /** Identities an event says were deleted: the reader checks them. */
  checkGone?: readonly string[];
}

/**
 * The facts src/engine/read-key.ts gathers: both histories newest first, page by page, only as
 * deep as the anchor (the newest source entry whose mapped mirror was read) or REPLICATE_SINCE;
 * replicaOf from a HEAD of every version the map does not name; goneAtSource for identities the
 * replicas (or the event) name that the source listing lacks — the listing answers when it is
 * complete, a HEAD of the source version otherwise.
 */
export function factsOf(world: World, read: ReadShape = { pageSize: 100, since: new Date(0) }): KeyFacts {
  const named = new Map<string, string>();
  for (const [identity, mapping] of world.map) if (mapping.destinationVersionId !== undefined) named.set(mapping.destinationVersionId, identity);
  const newestFirst = <T>(list: readonly T[]) => [...list].reverse();
  const allSource = newestFirst(world.source).map((e, i) => ({ ...e, isLatest: i === 0 }));
  const allDestination = newestFirst(world.destination).map((e, i) => ({
    kind: e.kind,
    versionId: e.versionId,
    etag: e.kind === 'version' ? `"etag-${e.truth ?? 'foreign'}"` : '',
    size: e.kind === 'version' ? 100 : 0,
    lastModified: new Date(Date.UTC(2025, 0, 1) + (world.destination.length - i) * 1000),
    isLatest: i === 0,
    ...(e.kind === 'version' && (!world.versioned || !named.has(e.versionId)) && { replicaOf: typeof e.truth === 'string' ? e.truth : null }),
  }));
  const visible = world.versioned ? allDestination : allDestination.slice(0, 1);

  // Page both sides until the anchor (or REPLICATE_SINCE, or the end) is in sight: read-key's needsMore.
  let sourcePages = 1;
  let destinationPages = 1;
  const sourceRead = () => allSource.slice(0, sourcePages * read.pageSize);
  const destinationRead = () => (world.versioned ? visible.slice(0, destinationPages * read.pageSize) : visible);
  const sourceComplete = () => sourcePages * read.pageSize >= allSource.length;
  const destinationComplete = () => !world.versioned || destinationPages * read.pageSize >= visible.length;
  for (;;) {
    const need = needsMore(sourceRead(), sourceComplete(), destinationRead(), destinationComplete(), world.map, read.since);
    if (!need.source && !need.destination) break;
    if (need.source) sourcePages += 1;
    if (need.destination) destinationPages += 1;
  }
  const source = sourceRead();
  const destination = destinationRead();

  const listed = new Set(source.map((e) => e.identity));
  const exists = new Set(allSource.map((e) => e.identity));
  const candidates = new Set((read.checkGone ?? []).filter((id) => !listed.has(id)));
  for (const entry of destination) {
    const identity = named.get(entry.versionId) ?? (typeof entry.replicaOf === 'string' ? entry.replicaOf : undefined);
    if (identity !== undefined && !listed.has(identity)) candidates.add(identity);
  }
  const goneAtSource = new Set([...candidates].filter((id) => sourceComplete() || !exists.has(id)));
  return {
    destinationKey: world.destinationKey,
    source: { entries: source, complete: sourceComplete() },
    destination: { versioned: world.versioned, entries: destination, complete: destinationComplete() },
    mappings: new Map([...world.map].map(([k, v]) => [k, { ...v }])),
    goneAtSource,
    ...(world.upload !== undefined && { upload: { ...world.upload } }),
  };
}

function needsMore(
  source: readonly SourceEntry[],
  sourceComplete: boolean,
  destination: readonly { versionId: string }[],
  destinationComplete: boolean,
  map: ReadonlyMap<string, Mapping>,
  since: Date,
): { source: boolean; destination: boolean } {
  const present = new Set(destination.map((e) => e.versionId));
  let waitingForMirror = false;
  for (const entry of source) {
    const mirror = map.get(entry.identity)?.destinationVersionId;
    if (mirror !== undefined && present.has(mirror)) return { source: false, destination: false };
    if (mirror !== undefined && !destinationComplete) waitingForMirror = true;
    if (!entry.isLatest && entry.lastModified < since) return { source: false, destination: !destinationComplete };
    if (waitingForMirror) return { source: false, destination: true };
  }
  return { source: !sourceComplete, destination: !destinationComplete };
}

/** Something the executor could not do as planned: a model failure, not a planner choice. */
export class ModelError extends Error {}

/** Runs a plan on the model as the executor would (every copy succeeds). */
export function applyPlan(world: World, plan: Plan): void {
  const newId = (prefix: string) => `${prefix}${++world.written}`;
  for (const action of plan.actions) {
    switch (action.kind) {
      case 'copy': {
        if (!world.versioned) {
          world.destination = [];
        }
        const versionId = world.versioned ? newId('w') : 'null';
        world.destination.push({ kind: 'version', versionId, truth: action.entry.identity });
        world.map.set(action.entry.identity, { ...(world.versioned && { destinationVersionId: versionId }), deleteMarker: false });
        if (world.upload?.sourceVersionId === action.entry.versionId) delete world.upload; // completed by the copy
        break;
      }
      case 'put-marker': {
        if (!world.versioned) throw new ModelError('put-marker on an unversioned destination');
        const versionId = newId('wm');
        world.destination.push({ kind: 'marker', versionId, truth: action.entry.identity });
        world.map.set(action.entry.identity, { destinationVersionId: versionId, deleteMarker: true });
        break;
      }
      case 'delete-version':
        world.destination = world.destination.filter((e) => e.versionId !== action.versionId);
        break;
      case 'delete-object':
        if (world.versioned) throw new ModelError('delete-object on a versioned destination');
        world.destination = [];
        break;
      case 'sync-tags': {
        if (world.versioned && action.destinationVersionId === undefined) throw new ModelError(`sync-tags of ${action.entry.identity} with no version id on a versioned destination`);
        // A mirror gone answers NoSuchVersion: the executor unmaps it.
        if (world.versioned && !world.destination.some((e) => e.versionId === action.destinationVersionId)) world.map.delete(action.entry.identity);
        break;
      }
      case 'abort-upload':
        delete world.upload;
        break;
      case 'map':
        world.map.set(action.identity, { ...(action.destinationVersionId !== undefined && { destinationVersionId: action.destinationVersionId }), deleteMarker: action.deleteMarker });
        break;
      case 'unmap':
        world.map.delete(action.identity);
        break;
      case 'unreplicable':
        world.map.set(action.entry.identity, { deleteMarker: false, unreplicable: action.reason });
        break;
      case 'report':
        break;
    }
  }
}

/** What a destination entry stands for once the plan ran: a marker the map names is that marker's mirror. */
function labelOf(world: World, entry: ModelEntry, mappedBy: ReadonlyMap<string, string>): string | null | undefined {
  if (entry.kind === 'marker') return mappedBy.get(entry.versionId) ?? entry.truth;
  return entry.truth;
}

/**
 * The source entries the destination must mirror, oldest first: since REPLICATE_SINCE (and the
 * current), markers when they are mirrored, not those recorded unreplicable nor the gaps given.
 */
export function inScope(world: World, options: PlanOptions, gaps: ReadonlySet<string> = new Set()): SourceEntry[] {
  const newest = world.source.at(-1);
  return world.source.filter(
    (e) => (e === newest || e.lastModified >= options.since) && (e.kind === 'version' || options.deleteMarkers) && world.map.get(e.identity)?.unreplicable === undefined && !gaps.has(e.identity),
  );
}

/**
 * The gaps a plan reported that are real: a source entry missing under a mirror of a newer one
 * that was on the destination before the plan (a replica whose metadata names it, or a marker
 * put for it). A gap "found" under a marker put for nothing would leave a copyable version out.
 */
export function realGaps(before: World, plan: Plan): Set<string> {
  const order = new Map(before.source.map((e, i) => [e.identity, i]));
  const newestMirrored = Math.max(-1, ...before.destination.map((e) => (typeof e.truth === 'string' ? (order.get(e.truth) ?? -1) : -1)));
  const reported = plan.actions.flatMap((a) => (a.kind === 'report' && a.problem === 'gap' && a.identity !== undefined ? [a.identity] : []));
  return new Set(reported.filter((id) => (order.get(id) ?? Infinity) < newestMirrored));
}

/** Every way the destination falls short of the planner's invariant. Empty when it holds. */
export function violations(world: World, options: PlanOptions, gaps: ReadonlySet<string> = new Set()): string[] {
  const problems: string[] = [];
  const mappedBy = new Map<string, string>();
  for (const [identity, mapping] of world.map) if (mapping.destinationVersionId !== undefined) mappedBy.set(mapping.destinationVersionId, identity);
  const exists = new Set(world.source.map((e) => e.identity));
  const labels = world.destination.map((e) => labelOf(world, e, mappedBy));
  const scope = inScope(world, options, gaps);
  const newest = world.source.at(-1);

  if (world.upload !== undefined) problems.push(`upload of ${world.upload.sourceVersionId} left behind`);
  for (const [identity, mapping] of world.map) {
    if (mapping.destinationVersionId === undefined) continue;
    const entry = world.destination.find((e) => e.versionId === mapping.destinationVersionId);
    if (!entry) problems.push(`map ${identity} -> ${mapping.destinationVersionId}, which the destination does not hold`);
    else if (entry.kind === 'version' && entry.truth !== identity) problems.push(`map ${identity} -> ${mapping.destinationVersionId}, which mirrors ${String(entry.truth)}`);
  }

  if (!world.versioned) {
    const object = world.destination[0];
    if (newest?.kind === 'version' && scope.includes(newest) && object?.truth !== newest.identity) problems.push(`the destination object mirrors ${String(object?.truth)}, not the current ${newest.identity}`);
    const deletable = object !== undefined && (typeof object.truth === 'string' || options.deleteForeign === true);
    if (newest?.kind === 'marker' && options.deleteMarkers && deletable) problems.push('the source is delete-marked but the destination object is there');
    if (newest === undefined && options.permanentDeletes && deletable) problems.push('the source has nothing but the destination object is there');
    return problems;
  }

  const top = world.destination.at(-1);
  const topLabel = top && labelOf(world, top, mappedBy);
  if (options.mode === 'latest') {
    if (newest?.kind === 'version' && scope.includes(newest) && topLabel !== newest.identity) problems.push(`top is ${String(topLabel)}, not the current ${newest.identity}`);
    if (newest?.kind === 'marker' && options.deleteMarkers && top?.kind !== 'marker') problems.push(`top is ${String(topLabel)}, not a delete marker like the source's current`);
    return problems;
  }

  // The current can only be matched when it can be copied, and, for a delete marker, when markers are mirrored.
  const last = scope.at(-1);
  const matchable = newest !== undefined && scope.includes(newest);
  // Delete markers carry nothing: any marker on top makes the key deleted, as at the source.
  const topMatches = last?.kind === 'marker' ? top?.kind === 'marker' : topLabel === last?.identity;
  if (last !== undefined && matchable && !topMatches) problems.push(`top is ${String(topLabel)}, not ${last.identity}`);
  if (!options.permanentDeletes) return problems;

  const inScopeIds = new Set(scope.map((e) => e.identity));
  const mirrored = labels.filter((l): l is string => typeof l === 'string' && inScopeIds.has(l));
  const wanted = scope.map((e) => e.identity);
  if (mirrored.join(',') !== wanted.join(',')) problems.push(`mirrors [${mirrored.join(',')}], source [${wanted.join(',')}]`);
  const seen = new Set<string>();
  world.destination.forEach((entry, i) => {
    const label = labels[i];
    if (label === null) return; // foreign: left alone
    if (label === undefined) return void problems.push(`stray marker ${entry.versionId}`);
    if (!exists.has(label)) problems.push(`orphan ${entry.versionId} mirrors ${label}, gone at the source`);
    if (seen.has(label)) problems.push(`duplicate ${entry.versionId} mirrors ${label} again`);
    seen.add(label);
  });
  return problems;
}

/** Source versions that still exist and had a mirror before the plan but none after: a plan must never lose one. */
export function lostMirrors(before: World, after: World): string[] {
  const exists = new Set(after.source.map((e) => e.identity));
  const mirrored = (world: World) => new Set(world.destination.filter((e) => e.kind === 'version' && typeof e.truth === 'string').map((e) => e.truth as string));
  const now = mirrored(after);
  return [...mirrored(before)].filter((id) => exists.has(id) && !now.has(id)).map((id) => `the only mirror of ${id} was deleted`);
}

/** Actions a second plan may still hold: reports of what is left in place on purpose. */
export function changesIn(plan: Plan): Action[] {
  return plan.actions.filter((a) => a.kind !== 'report');
}

export function countKinds(plan: Plan, into: Partial<Record<ActionKind, number>>): void {
  for (const action of plan.actions) into[action.kind] = (into[action.kind] ?? 0) + 1;
}

/** A short text of the destination, oldest first, for failure messages. */
export function describeWorld(world: World): string {
  const source = world.source.map((e) => `${e.identity}${e.kind === 'marker' ? '(m)' : ''}@${e.lastModified.toISOString().slice(11, 16)}`).join(' ');
  const destination = world.destination.map((e) => `${e.versionId}${e.kind === 'marker' ? '(m)' : ''}=${String(e.truth)}`).join(' ');
  const map = [...world.map].map(([k, v]) => `${k}->${v.destinationVersionId ?? (v.unreplicable ? `!${v.unreplicable}` : '-')}`).join(' ');
  return `source: ${source}\ndestination: ${destination}\nmap: ${map}${world.upload ? `\nupload: ${world.upload.sourceVersionId}` : ''}`;
}

/** A world written like the unit tests' facts: both sides newest first, the map by identity. */
export function worldOf(spec: { source: SourceEntry[]; destination: { kind: 'version' | 'marker'; versionId: string; of: string | null }[]; map?: Record<string, string | Mapping>; upload?: PendingUpload; versioned?: boolean }): World {
  const kinds = new Map(spec.destination.map((d) => [d.versionId, d.kind]));
  return {
    source: [...spec.source].reverse().map((e) => ({ ...e })),
    destination: [...spec.destination].reverse().map((d) => ({ kind: d.kind, versionId: d.versionId, truth: d.of === null && d.kind === 'marker' ? undefined : d.of })),
    map: new Map(Object.entries(spec.map ?? {}).map(([identity, v]) => [identity, typeof v === 'string' ? { destinationVersionId: v, deleteMarker: kinds.get(v) === 'marker' } : v])),
    ...(spec.upload !== undefined && { upload: spec.upload }),
    versioned: spec.versioned ?? true,
    destinationKey: 'photos/cat.jpg',
    written: 0,
  };
}
