import { formatAction, formatPlan } from '../../../src/core/format-plan';
import type { Action } from '../../../src/core/planner';
import { planKey } from '../../../src/core/planner';
import { copyOf, keyFacts, marker, options, version } from '../../helpers/planner-facts';

describe('formatPlan', () => {
  it('prints one line per action, in order, each with its reason', () => {
    // Prepare: a rollback (v2 deleted) with a marker and a newer version to mirror.
    const facts = keyFacts({ source: [version('v4'), marker('m3'), version('v1')], destination: [copyOf('d2', 'v2'), copyOf('d1', 'v1')], map: { v1: 'd1', v2: 'd2' } });
    const plan = planKey(facts, options());

    // Act
    const lines = formatPlan(plan);

    // Assess
    expect(lines).toHaveLength(plan.actions.length);
    expect(lines).toEqual([
      `delete destination version d2: ${plan.actions[0]!.why}`,
      'unmap v2: its mirror is deleted',
      'put delete marker for m3: the destination lacks this delete marker',
      `copy v4 (100 bytes): ${plan.actions[3]!.why}`,
    ]);
    expect(lines[0]).toContain('v2');
  });

  it('prints nothing for a plan with nothing to do', () => {
    // Act
    const lines = formatPlan({ status: 'in-sync', actions: [] });

    // Assess
    expect(lines).toEqual([]);
  });
});

describe('formatAction', () => {
  const v2 = { ...version('v2'), isLatest: true };
  const m3 = marker('m3');

  it.each<[string, Action, string]>([
    ['copy', { kind: 'copy', entry: v2, why: 'newer than the last mirrored entry' }, 'copy v2 (100 bytes): newer than the last mirrored entry'],
    ['put-marker', { kind: 'put-marker', entry: m3, why: 'the destination lacks this delete marker' }, 'put delete marker for m3: the destination lacks this delete marker'],
    ['delete-version', { kind: 'delete-version', versionId: 'd9', mirrorOf: 'v9', why: 'it mirrors v9, deleted' }, 'delete destination version d9: it mirrors v9, deleted'],
    ['delete-object', { kind: 'delete-object', why: 'the source object is deleted' }, 'delete destination object: the source object is deleted'],
    ['sync-tags onto a version', { kind: 'sync-tags', entry: v2, destinationVersionId: 'd2', why: 'its tags changed' }, 'sync tags of v2 onto d2: its tags changed'],
    ['sync-tags of the current object', { kind: 'sync-tags', entry: v2, why: 'its tags changed' }, 'sync tags of v2: its tags changed'],
    ['abort-upload', { kind: 'abort-upload', uploadId: 'up-1', destinationKey: 'k', why: 'no longer to be copied' }, 'abort upload up-1: no longer to be copied'],
    ['map', { kind: 'map', identity: 'v2', destinationVersionId: 'd2', deleteMarker: false, why: 'already mirrored' }, 'map v2 -> d2: already mirrored'],
    ['map without a version id', { kind: 'map', identity: 'v2', deleteMarker: false, why: 'unversioned' }, 'map v2 -> (current): unversioned'],
    ['unmap', { kind: 'unmap', identity: 'v2', why: 'its mirror is deleted' }, 'unmap v2: its mirror is deleted'],
    ['unreplicable', { kind: 'unreplicable', entry: v2, reason: 'insufficient-memory', why: 'give it more memory' }, 'record v2 unreplicable (insufficient-memory): give it more memory'],
    ['report with a version', { kind: 'report', problem: 'foreign', versionId: 'f1', why: 'not ours; left in place' }, 'report foreign f1: not ours; left in place'],
    ['report without one', { kind: 'report', problem: 'unreplicable', identity: 'v2', why: 'cannot be copied' }, 'report unreplicable: cannot be copied'],
  ])('prints %s', (_name, action, line) => {
    // Act
    const printed = formatAction(action);

    // Assess
    expect(printed).toBe(line);
  });
});
