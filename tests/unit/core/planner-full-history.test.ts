import type { DestinationEntry, KeyFacts, Mapping, SourceEntry } from '../../../src/core/facts';
import { formatAction } from '../../../src/core/format-plan';
import type { PlanOptions } from '../../../src/core/planner';
import { GAP, planKey } from '../../../src/core/planner';

/** A `--history all` backfill reads both histories whole and fills gaps in place; an event does neither. */

const at = (minute: number) => new Date(Date.UTC(2024, 0, 1, 0, minute));
const version = (id: string, minute: number, isLatest = false): SourceEntry => ({ kind: 'version', versionId: id, identity: id, etag: `"e-${id}"`, size: 10, lastModified: at(minute), isLatest });
const mirror = (id: string, of: string, minute: number, isLatest = false): DestinationEntry => ({ kind: 'version', versionId: id, etag: '"x"', size: 10, lastModified: at(minute), isLatest, replicaOf: of });
const options = (overrides: Partial<PlanOptions> = {}): PlanOptions => ({ mode: 'all', since: new Date(0), deleteMarkers: true, permanentDeletes: true, memoryBudgetBytes: 64 * 1024 * 1024, ...overrides });

function facts(source: SourceEntry[], destination: DestinationEntry[], map: Record<string, string>): KeyFacts {
  const mappings = new Map<string, Mapping>(Object.entries(map).map(([identity, destinationVersionId]) => [identity, { destinationVersionId, deleteMarker: false }]));
  return { destinationKey: 'k', source: { entries: source, complete: true }, destination: { versioned: true, entries: destination, complete: true }, mappings, goneAtSource: new Set() };
}
const steps = (f: KeyFacts, o: PlanOptions) => planKey(f, o).actions.map((a) => formatAction(a).split(':')[0]);

describe('planKey with the whole history (a --history all backfill)', () => {
  // A live event mirrored the current (v3) before the backfill: v1 and v2 are older than it.
  const liveFirst = facts([version('v3', 3, true), version('v2', 2), version('v1', 1)], [mirror('d3', 'v3', 10, true)], { v3: 'd3' });

  it('leaves an event-driven plan at the anchor: nothing below the newest mirror is looked at', () => {
    // Act / Assess
    expect(steps(liveFirst, options())).toEqual([]);
  });

  it('rewrites the history above the first missing version, so the destination holds all three in order; the old mirror goes once its copy is on top', () => {
    // Act
    const plan = planKey(liveFirst, options({ fullHistory: true }));

    // Assess
    expect(plan.actions.map((a) => (a.kind === 'copy' ? `copy ${a.entry.versionId}` : a.kind === 'delete-version' ? `delete ${a.versionId}` : a.kind))).toEqual([
      'copy v1',
      'copy v2',
      'copy v3',
      'delete d3',
    ]);
    // Should the copy of v3 prove impossible, d3 stays and stays on record.
    expect(plan.actions[2]).toMatchObject({ kind: 'copy', mirror: 'd3' });
    expect(plan.actions[3]).toMatchObject({ kind: 'delete-version', afterCopy: true, mirrorOf: 'v3' });
  });

  it('reports a gap under newer mirrors instead of rewriting them, when the plan is not a full-history one', () => {
    // Prepare: the map was lost; v2 never reached the destination (its unreplicable record went with the map)
    const gap = facts([version('v3', 3, true), version('v2', 2), version('v1', 1)], [mirror('d3', 'v3', 11, true), mirror('d1', 'v1', 10)], {});

    // Act
    const plan = planKey(gap, options());

    // Assess: the mirrors are kept and mapped, the gap is recorded (counted and shown until filled)
    expect(plan.actions.map((a) => a.kind)).toEqual(['map', 'unreplicable', 'map']);
    expect(plan.actions[1]).toMatchObject({ kind: 'unreplicable', reason: GAP, entry: { versionId: 'v2' } });
    expect(plan.status).toBe('unreplicable');
    expect(planKey(gap, options({ fullHistory: true })).actions.filter((a) => a.kind === 'copy').map((a) => a.kind === 'copy' && a.entry.versionId)).toEqual(['v2', 'v3']);
  });

  it('keeps telling of a gap once the anchor has moved above it, until a retry fills it', () => {
    // Prepare: the gap of v2 recorded; the map names d1 and d3 now
    const after = facts([version('v3', 3, true), version('v2', 2), version('v1', 1)], [mirror('d3', 'v3', 11, true), mirror('d1', 'v1', 10)], { v1: 'd1', v3: 'd3' });
    const mappings = new Map(after.mappings);
    mappings.set('v2', { deleteMarker: false, unreplicable: GAP });

    // Act
    const event = planKey({ ...after, mappings }, options());
    const retry = planKey({ ...after, mappings }, options({ retryUnreplicable: true }));

    // Assess
    expect(event.status).toBe('unreplicable');
    expect(event.actions).toEqual([expect.objectContaining({ kind: 'report', problem: 'unreplicable', identity: 'v2' })]);
    expect(retry.actions.filter((a) => a.kind === 'copy').map((a) => a.kind === 'copy' && a.entry.versionId)).toEqual(['v2', 'v3']);
  });

  it('leaves a gap a gap in a full backfill when permanent deletes are off (rewriting would only add copies)', () => {
    // Prepare
    const gap = facts([version('v3', 3, true), version('v2', 2), version('v1', 1)], [mirror('d3', 'v3', 11, true), mirror('d1', 'v1', 10)], { v1: 'd1', v3: 'd3' });

    // Act
    const plan = planKey(gap, options({ fullHistory: true, permanentDeletes: false }));

    // Assess
    expect(plan.actions.map((a) => a.kind)).toEqual(['unreplicable']);
  });
});
