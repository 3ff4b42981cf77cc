// A key's life for the planner's property test: source operations one after another (puts,
// delete markers, permanent deletes: rollbacks and undeletes), each followed (or not yet) by a
// convergence that the model executes with a fault — a crash (destination changes made, map
// writes lost), running out of time (both kept), an SDK retry of a write the server had applied
// (two versions), a write whose answer was lost (re-planned at once) — and the map lost or
// restored from an older snapshot now and then. The destination that results is what the
// planner must converge in one fault-free plan.
import fc from 'fast-check';
import type { Mapping, SourceEntry } from '../../src/core/facts';
import type { Plan, PlanOptions } from '../../src/core/planner';
import { planKey } from '../../src/core/planner';
import { MiB, at } from './planner-facts';
import type { World } from './planner-model';
import { ModelError, cloneWorld, factsOf, lostMirrors } from './planner-model';
import { HUGE } from './planner-worlds';

const rarely = (weight = 4) => fc.oneof({ arbitrary: fc.constant(false), weight }, { arbitrary: fc.constant(true), weight: 1 });

const step = fc.record({
  op: fc.constantFrom('put', 'put', 'put', 'marker', 'delete', 'delete'),
  huge: rarely(15),
  denied: rarely(15),
  pick: fc.nat(),
  processed: fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 }),
  fault: fc.constantFrom('none', 'none', 'none', 'crash', 'out-of-time', 'retried-write', 'unknown-outcome'),
  faultAt: fc.nat(),
  table: fc.constantFrom('kept', 'kept', 'kept', 'kept', 'kept', 'kept', 'lost', 'restored'),
  restoreFrom: fc.nat(),
  /** The user changes the destination's settings before this step. */
  setting: fc.constantFrom('same', 'same', 'same', 'same', 'same', 'same', 'mode', 'delete-markers', 'permanent-deletes'),
  /** Some source version is archived (or its key denied) from this step on: its copies fail as unreplicable. */
  archive: fc.option(fc.nat(), { nil: undefined, freq: 8 }),
  /** A tag event of some version comes with this step's. */
  tags: fc.option(fc.nat(), { nil: undefined, freq: 4 }),
});

export const lives = fc.record({
  steps: fc.array(step, { minLength: 1, maxLength: 10 }),
  /** Listing page size: 100 reads these short histories whole; 2 makes the reader stop at the anchor. */
  pageSize: fc.constantFrom(100, 100, 100, 2),
  mode: fc.constantFrom<'all' | 'latest'>('all', 'all', 'latest'),
  deleteMarkers: fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 }),
  permanentDeletes: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
  /** The convergence after the life is a `--history all` backfill (both histories whole, gaps filled). */
  backfill: rarely(3),
});

export type Life = typeof lives extends fc.Arbitrary<infer T> ? T : never;
type Fault = Life['steps'][number]['fault'];

/**
 * Runs a plan as the executor and converge would, with one fault at action `at`. Map changes are
 * stored at the end, or when an error ends the run (out of time, a re-plan) — not on a crash.
 * Copies of `denied` versions fail as unreplicable (recorded, the next action runs).
 */
export function applyWithFault(world: World, plan: Plan, fault: Fault, at: number, denied: ReadonlySet<string>): 'done' | 'replan' {
  const map = new Map(world.map);
  const newId = (prefix: string) => `${prefix}${++world.written}`;
  const actions = plan.actions;
  // A crash can come anywhere; the time check runs only before an action that changes the destination.
  const changes = (i: number) => ['copy', 'put-marker', 'delete-version', 'delete-object', 'sync-tags'].includes(actions[i]!.kind);
  let stopAt = fault === 'crash' || fault === 'out-of-time' ? at % (actions.length + 1) : actions.length;
  if (fault === 'out-of-time') while (stopAt < actions.length && !changes(stopAt)) stopAt += 1;
  const failed = new Set<string>();
  for (let i = 0; i < stopAt; i++) {
    const action = actions[i]!;
    switch (action.kind) {
      case 'copy': {
        if (denied.has(action.entry.identity)) {
          // The record keeps the mirror the copy was to replace; what depended on the copy does not run.
          map.set(action.entry.identity, { ...(action.mirror !== undefined && { destinationVersionId: action.mirror }), deleteMarker: false, unreplicable: 'source-access-denied' });
          failed.add(action.entry.identity);
          if (world.upload?.sourceVersionId === action.entry.versionId) delete world.upload;
          break;
        }
        const landed = fault === 'retried-write' && i === at % actions.length ? 2 : 1;
        let versionId = '';
        for (let n = 0; n < landed; n++) {
          versionId = newId('w');
          world.destination.push({ kind: 'version', versionId, truth: action.entry.identity });
        }
        if (world.upload?.sourceVersionId === action.entry.versionId) delete world.upload;
        if (fault === 'unknown-outcome' && i === at % actions.length) {
          world.map = map; // converge stores what was done, then reads and plans again
          return 'replan';
        }
        map.set(action.entry.identity, { destinationVersionId: versionId, deleteMarker: false });
        break;
      }
      case 'put-marker': {
        const versionId = newId('wm');
        world.destination.push({ kind: 'marker', versionId, truth: action.entry.identity });
        map.set(action.entry.identity, { destinationVersionId: versionId, deleteMarker: true });
        break;
      }
      case 'delete-version':
        if (action.afterCopy && action.mirrorOf !== undefined && failed.has(action.mirrorOf)) break;
        world.destination = world.destination.filter((e) => e.versionId !== action.versionId);
        break;
      case 'abort-upload':
        delete world.upload;
        break;
      case 'map':
        map.set(action.identity, { ...(action.destinationVersionId !== undefined && { destinationVersionId: action.destinationVersionId }), deleteMarker: action.deleteMarker });
        break;
      case 'unmap':
        map.delete(action.identity);
        break;
      case 'unreplicable':
        map.set(action.entry.identity, { deleteMarker: false, unreplicable: action.reason });
        break;
      case 'sync-tags':
        if (action.destinationVersionId === undefined) throw new ModelError(`sync-tags of ${action.entry.identity} with no version id on a versioned destination`);
        // A mirror gone answers NoSuchVersion: the executor unmaps it (a map entry the plan trusted beyond the listing).
        if (!world.destination.some((e) => e.versionId === action.destinationVersionId)) map.delete(action.entry.identity);
        break;
      case 'delete-object':
      case 'report':
        break;
    }
  }
  // A crash in the middle of a copy leaves its multipart upload and UPLOAD item behind.
  const next = actions[stopAt];
  if (fault === 'crash' && next?.kind === 'copy' && !denied.has(next.entry.identity)) {
    world.upload = { uploadId: `upload-${world.written}`, sourceVersionId: next.entry.versionId, sourceEtag: next.entry.etag, destinationKey: world.destinationKey };
  }
  if (fault !== 'crash') world.map = map;
  return 'done';
}

/**
 * Lives a key, converging after each operation (with faults); returns the world and the options to
 * converge it with. After a change of settings the history below the anchor is whatever the old
 * settings made it (a mode `latest` stretch has gaps): only the window above it is the planner's.
 */
export function live(life: Life): { world: World; options: PlanOptions; denied: Set<string>; settingsChanged: boolean; lost: string[] } {
  const world: World = { source: [], destination: [], map: new Map(), versioned: true, destinationKey: 'photos/cat.jpg', written: 0 };
  let options: PlanOptions = { mode: life.mode, since: new Date(0), deleteMarkers: life.deleteMarkers, permanentDeletes: life.permanentDeletes, memoryBudgetBytes: 64 * MiB };
  const denied = new Set<string>();
  const snapshots: Map<string, Mapping>[] = [];
  const lost: string[] = [];
  life.steps.forEach((s, i) => {
    if (s.setting === 'mode') options = { ...options, mode: options.mode === 'all' ? 'latest' : 'all' };
    if (s.setting === 'delete-markers') options = { ...options, deleteMarkers: !options.deleteMarkers };
    if (s.setting === 'permanent-deletes') options = { ...options, permanentDeletes: !options.permanentDeletes };
    let removedAtSource: string | undefined;
    if (s.op === 'delete' && world.source.length > 0) {
      removedAtSource = world.source[s.pick % world.source.length]!.identity;
      world.source = world.source.filter((e) => e.identity !== removedAtSource);
    } else if (s.op !== 'delete') {
      const id = `${s.op === 'marker' ? 'm' : 'v'}${i + 1}`;
      const entry: SourceEntry = { kind: s.op === 'marker' ? 'marker' : 'version', versionId: id, identity: id, etag: s.op === 'marker' ? '' : `"etag-${id}"`, size: s.op === 'marker' ? 0 : s.huge ? HUGE : 100, lastModified: at(i + 1), isLatest: false };
      world.source.push(entry);
      if (s.denied && entry.kind === 'version') denied.add(id);
    }
    snapshots.push(new Map(world.map));
    if (s.table === 'lost') world.map = new Map();
    if (s.table === 'restored') world.map = new Map(snapshots[s.restoreFrom % snapshots.length]);
    const versions = world.source.filter((e) => e.kind === 'version');
    if (s.archive !== undefined && versions.length > 0) denied.add(versions[s.archive % versions.length]!.identity);
    if (!s.processed) return;
    const tagged = s.tags === undefined || world.source.length === 0 ? undefined : world.source[s.tags % world.source.length]!.identity;
    const stepOptions = { ...options, ...(removedAtSource !== undefined && { removedAtSource }), ...(tagged !== undefined && { tagsChanged: tagged }) };
    // converge re-plans after a lost answer, a few times.
    for (let round = 0; round < 4; round++) {
      const plan = planKey(factsOf(world, { pageSize: life.pageSize, since: options.since, ...(removedAtSource !== undefined && { checkGone: [removedAtSource] }) }), stepOptions);
      const before = cloneWorld(world);
      const fault = round === 0 ? s.fault : 'none';
      const result = applyWithFault(world, plan, fault, s.faultAt, denied);
      // A convergence that ran to its end never takes the last mirror of a version the source still has.
      if (fault === 'none') lost.push(...lostMirrors(before, world).map((l) => `step ${i + 1}: ${l}`));
      if (result === 'done') break;
    }
  });
  return { world, options: { ...options, ...(life.backfill && { fullHistory: true }) }, denied, settingsChanged: life.steps.some((s) => s.setting !== 'same'), lost };
}
