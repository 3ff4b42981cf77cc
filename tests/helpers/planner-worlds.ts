// Random keys for the planner's property test: a source history, and a destination built by a
// model of what replication and its faults leave behind — a correctly mirrored prefix of the
// history, then crash leftovers (a copy never mapped, a retried write's duplicate, a loose or
// stray marker, a foreign version), permanent deletes at the source since (orphans), a lost or
// restored map, unreplicable records and a pending upload.
import fc from 'fast-check';
import type { Mapping, SourceEntry } from '../../src/core/facts';
import type { PlanOptions } from '../../src/core/planner';
import { MiB, at } from './planner-facts';
import type { ModelEntry, World } from './planner-model';

/** Too large for the 64 MiB part budget: its parts are about 105 MiB. */
export const HUGE = 1024 * 1024 * MiB;
const BUDGET = 64 * MiB;

const rarely = (weight = 4) => fc.oneof({ arbitrary: fc.constant(false), weight }, { arbitrary: fc.constant(true), weight: 1 });

export const scenarios = fc.record({
  ops: fc.array(fc.record({ marker: rarely(3), gap: fc.integer({ min: 1, max: 5 }), huge: rarely(12) }), { minLength: 1, maxLength: 12 }),
  mirrored: fc.nat(),
  sinceAt: fc.option(fc.nat(), { nil: undefined }),
  unreplicable: fc.array(fc.nat(), { maxLength: 2 }),
  deletedAtSource: fc.array(fc.nat(), { maxLength: 4 }),
  unmappedCopy: rarely(2),
  duplicate: fc.constantFrom('none', 'none', 'mapped-top', 'mapped-bottom'),
  strayMarker: rarely(),
  foreign: fc.option(fc.nat(), { nil: undefined, freq: 3 }),
  // The table recreated (all lost), or restored from an older backup (the newest entries lost).
  mapLoss: fc.constantFrom('none', 'none', 'all', 'newest'),
  mapLossCount: fc.nat(),
  upload: fc.option(fc.nat(), { nil: undefined, freq: 3 }),
  removedAtSource: rarely(1),
  tagsChanged: fc.option(fc.nat(), { nil: undefined, freq: 3 }),
  mode: fc.constantFrom<'all' | 'latest'>('all', 'all', 'latest'),
  deleteMarkers: fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 }),
  permanentDeletes: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
  retryUnreplicable: rarely(),
  deleteForeign: rarely(),
  /** A `--history all` backfill: both histories read whole, no anchor. */
  fullHistory: rarely(),
});

export type Scenario = typeof scenarios extends fc.Arbitrary<infer T> ? T : never;

/** The world a scenario describes, and the options of the plan to make on it. */
export function buildWorld(s: Scenario): { world: World; options: PlanOptions } {
  let minute = 0;
  const history: SourceEntry[] = s.ops.map((op, i) => {
    minute += op.gap;
    const id = `${op.marker ? 'm' : 'v'}${i + 1}`;
    return { kind: op.marker ? 'marker' : 'version', versionId: id, identity: id, etag: op.marker ? '' : `"etag-${id}"`, size: op.marker ? 0 : op.huge ? HUGE : 100, lastModified: at(minute), isLatest: false };
  });
  const n = history.length;
  const since = s.sinceAt === undefined ? new Date(0) : history[s.sinceAt % n]!.lastModified;
  const k = s.mirrored % (n + 1);
  const unreplicable = new Set(s.unreplicable.map((i) => i % n));

  const destination: ModelEntry[] = [];
  const map = new Map<string, Mapping>();
  let generated = 0;
  const nextId = (prefix: string) => `${prefix}${++generated}`;

  // The prefix replication mirrored: entries since `since`, and the one that was current then.
  for (let i = 0; i < k; i++) {
    const entry = history[i]!;
    if (entry.lastModified < since && i !== k - 1) continue;
    if (entry.kind === 'marker' && !s.deleteMarkers) continue;
    if (entry.kind === 'version' && (unreplicable.has(i) || entry.size === HUGE)) {
      map.set(entry.identity, { deleteMarker: false, unreplicable: entry.size === HUGE ? 'insufficient-memory' : 'source-archived' });
      continue;
    }
    const versionId = nextId(entry.kind === 'marker' ? 'gm' : 'g');
    destination.push({ kind: entry.kind, versionId, truth: entry.identity });
    map.set(entry.identity, { destinationVersionId: versionId, deleteMarker: entry.kind === 'marker' });
  }

  // Crash leftovers, on top of what was mirrored.
  // A retried write's duplicate lands right above the write it repeats: the newest copy.
  const lastCopy = destination.at(-1)?.kind === 'version' ? destination.at(-1) : undefined;
  if (s.duplicate !== 'none' && lastCopy && typeof lastCopy.truth === 'string') {
    const versionId = nextId('g');
    destination.push({ kind: 'version', versionId, truth: lastCopy.truth });
    if (s.duplicate === 'mapped-top') map.set(lastCopy.truth, { destinationVersionId: versionId, deleteMarker: false });
  }
  const next = history[k];
  if (s.unmappedCopy && next !== undefined && (next.kind === 'version' ? next.size !== HUGE : s.deleteMarkers)) {
    destination.push({ kind: next.kind, versionId: nextId(next.kind === 'marker' ? 'gm' : 'g'), truth: next.identity });
  }
  if (s.strayMarker) destination.push({ kind: 'marker', versionId: nextId('gm'), truth: undefined });
  if (s.foreign !== undefined) destination.splice(s.foreign % (destination.length + 1), 0, { kind: 'version', versionId: nextId('f'), truth: null });

  // Versions that failed to copy after the crash.
  for (const i of unreplicable) if (i >= k && history[i]!.kind === 'version') map.set(history[i]!.identity, { deleteMarker: false, unreplicable: 'source-access-denied' });

  // The map lost (state table recreated), or restored from an older backup.
  const mapped = destination.filter((e) => typeof e.truth === 'string' && map.get(e.truth)?.destinationVersionId === e.versionId).map((e) => e.truth as string);
  if (s.mapLoss === 'all') map.clear();
  if (s.mapLoss === 'newest') for (const id of mapped.slice(mapped.length - (s.mapLossCount % (mapped.length + 1)))) map.delete(id);

  // Permanent deletes at the source since: their mirrors are orphans now.
  const deleted = new Set(s.deletedAtSource.map((i) => history[i % n]!.identity));
  const source = history.filter((e) => !deleted.has(e.identity));

  const uploadOf = s.upload === undefined ? undefined : history[s.upload % n]!;
  const world: World = {
    source,
    destination,
    map,
    versioned: true,
    destinationKey: 'photos/cat.jpg',
    written: 0,
    ...(uploadOf?.kind === 'version' && { upload: { uploadId: 'upload-1', sourceVersionId: uploadOf.versionId, sourceEtag: uploadOf.etag, destinationKey: 'photos/cat.jpg' } }),
  };
  const removed = [...deleted][0];
  const tagged = s.tagsChanged === undefined || source.length === 0 ? undefined : source[s.tagsChanged % source.length]!.identity;
  const options: PlanOptions = {
    mode: s.mode,
    since,
    deleteMarkers: s.deleteMarkers,
    permanentDeletes: s.permanentDeletes,
    memoryBudgetBytes: BUDGET,
    ...(s.removedAtSource && removed !== undefined && { removedAtSource: removed }),
    ...(tagged !== undefined && { tagsChanged: tagged }),
    ...(s.retryUnreplicable && { retryUnreplicable: true }),
    ...(s.deleteForeign && { deleteForeign: true }),
    ...(s.fullHistory && { fullHistory: true }),
  };
  return { world, options };
}

/** An unversioned destination: at most one object, ours (a copy of some source entry, maybe deleted since) or foreign. */
export const unversionedScenarios = fc.record({
  ops: fc.array(fc.record({ marker: rarely(3), huge: rarely(12) }), { minLength: 0, maxLength: 6 }),
  deletedAtSource: fc.array(fc.nat(), { maxLength: 3 }),
  object: fc.constantFrom('none', 'copy', 'foreign'),
  copyOf: fc.nat(),
  mapped: fc.boolean(),
  deleteMarkers: fc.boolean(),
  permanentDeletes: fc.boolean(),
  deleteForeign: rarely(),
});

export type UnversionedScenario = typeof unversionedScenarios extends fc.Arbitrary<infer T> ? T : never;

export function buildUnversionedWorld(s: UnversionedScenario): { world: World; options: PlanOptions } {
  const history: SourceEntry[] = s.ops.map((op, i) => {
    const id = `${op.marker ? 'm' : 'v'}${i + 1}`;
    return { kind: op.marker ? 'marker' : 'version', versionId: id, identity: id, etag: op.marker ? '' : `"etag-${id}"`, size: op.marker ? 0 : op.huge ? HUGE : 100, lastModified: at(i + 1), isLatest: false };
  });
  const versions = history.filter((e) => e.kind === 'version');
  const copied = versions.length > 0 ? versions[s.copyOf % versions.length] : undefined;
  const destination: ModelEntry[] = [];
  const map = new Map<string, Mapping>();
  if (s.object === 'foreign') destination.push({ kind: 'version', versionId: 'null', truth: null });
  if (s.object === 'copy' && copied) {
    destination.push({ kind: 'version', versionId: 'null', truth: copied.identity });
    if (s.mapped) map.set(copied.identity, { deleteMarker: false });
  }
  const deleted = new Set(s.deletedAtSource.map((i) => history[i % Math.max(1, history.length)]?.identity));
  const world: World = { source: history.filter((e) => !deleted.has(e.identity)), destination, map, versioned: false, destinationKey: 'photos/cat.jpg', written: 0 };
  const options: PlanOptions = {
    mode: 'latest',
    since: new Date(0),
    deleteMarkers: s.deleteMarkers,
    permanentDeletes: s.permanentDeletes,
    memoryBudgetBytes: BUDGET,
    ...(s.deleteForeign && { deleteForeign: true }),
  };
  return { world, options };
}
