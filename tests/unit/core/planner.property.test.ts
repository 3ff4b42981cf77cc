import fc from 'fast-check';
import type { ActionKind, Plan, PlanOptions } from '../../../src/core/planner';
import { planKey } from '../../../src/core/planner';
import { formatPlan } from '../../../src/core/format-plan';
import type { World } from '../../helpers/planner-model';
import { applyPlan, changesIn, cloneWorld, countKinds, describeWorld, factsOf, lostMirrors, realGaps, violations } from '../../helpers/planner-model';
import { applyWithFault, live, lives } from '../../helpers/planner-life';
import { buildUnversionedWorld, buildWorld, scenarios, unversionedScenarios } from '../../helpers/planner-worlds';

// A fixed seed keeps CI deterministic; widen or vary a run with, for instance,
//   PLANNER_SEED=$RANDOM PLANNER_RUNS=100000 npx jest tests/unit/core/planner.property.test.ts
const RUNS = Number(process.env.PLANNER_RUNS ?? 2000);
const SEED = Number(process.env.PLANNER_SEED ?? 1);

/** Event hints and one-shot requests (a tag event, a retry the user asked for) do not carry over to a re-plan of the result. */
const replanOptions = ({ tagsChanged: _tags, retryUnreplicable: _retry, ...rest }: PlanOptions): PlanOptions => rest;

/**
 * Plans the world, runs the plan on it and plans again. Throws, with the whole case, when the
 * invariant does not hold after one plan or the second plan still has something to do (reports
 * of what is left in place on purpose — foreign objects, unreplicable versions, orphans with
 * permanent deletes off — are allowed: they are what `verify` must keep saying).
 */
function planTwice(world: World, options: PlanOptions, execute: (world: World, plan: Plan) => void = applyPlan, windowOnly = false): Plan {
  const before = cloneWorld(world);
  const plan = planKey(factsOf(world), options);
  execute(world, plan);
  const again = planKey(factsOf(world), replanOptions(options));
  // An unversioned destination keeps one object: overwriting it is the point. Below the anchor, history made under other settings stays.
  // A gap the plan reports (a version missing under newer mirrors) is left for a retry the user asks for.
  const invariant = violations(world, options, realGaps(before, plan)).filter((p) => !windowOnly || /^(top|upload|map)/.test(p));
  const problems = [...invariant, ...(world.versioned ? lostMirrors(before, world) : [])];
  const leftover = changesIn(again);
  if (problems.length > 0 || leftover.length > 0) {
    throw new Error(
      [
        `options: ${JSON.stringify({ ...options, since: options.since.toISOString() })}`,
        describeWorld(before),
        'plan:',
        ...formatPlan(plan),
        'after:',
        describeWorld(world),
        ...problems.map((p) => `VIOLATION ${p}`),
        ...formatPlan({ status: again.status, actions: leftover }).map((l) => `SECOND PLAN ${l}`),
      ].join('\n'),
    );
  }
  return plan;
}

describe('planKey on random histories and crash leftovers', () => {
  const counts: Partial<Record<ActionKind, number>> = {};

  afterAll(() => {
    // The lead quotes these: how much of the planner the runs exercised.
    console.log(`planner property (seed ${SEED}, ${RUNS} runs): actions planned ${JSON.stringify(counts)}`);
  });

  it('reaches the invariant on a versioned destination in one plan, and a second plan changes nothing', () => {
    fc.assert(
      fc.property(scenarios, (scenario) => {
        // Prepare
        const { world, options } = buildWorld(scenario);

        // Act
        const plan = planTwice(world, options);

        // Assess (planTwice throws on a violation)
        countKinds(plan, counts);
      }),
      { numRuns: RUNS, seed: SEED },
    );

    // Assess: the generator reached every action a versioned destination can need.
    for (const kind of ['copy', 'put-marker', 'delete-version', 'sync-tags', 'abort-upload', 'map', 'unmap', 'unreplicable', 'report'] as const) {
      expect(counts[kind] ?? 0).toBeGreaterThan(0);
    }
  });

  it('with reads that stop at the anchor (long histories) never loses a mirror, matches the current and leaves nothing it read to a second plan', () => {
    fc.assert(
      fc.property(scenarios, fc.integer({ min: 1, max: 4 }), (scenario, pageSize) => {
        // Prepare: listing pages of 1 to 4 entries, so that the reader stops at the anchor as it does past its first 100.
        const { world, options } = buildWorld(scenario);
        const before = cloneWorld(world);
        // A `--history all` backfill reads both histories whole: only events stop at the anchor.
        const read = { pageSize: options.fullHistory ? 100 : pageSize, since: options.since, ...(options.removedAtSource !== undefined && { checkGone: [options.removedAtSource] }) };
        const facts = factsOf(world, read);

        // Act
        const plan = planKey(facts, options);
        applyPlan(world, plan);
        const again = planKey(factsOf(world, { pageSize: read.pageSize, since: options.since }), replanOptions(options));

        // Assess: below the anchor only what was read is the plan's business; deeper orphans wait for a deeper read (or their own event).
        const read1 = new Set(facts.destination.entries.map((e) => e.versionId));
        const unreached = new Set(again.actions.flatMap((a) => (a.kind === 'delete-version' && !read1.has(a.versionId) ? [a.versionId, a.mirrorOf ?? ''] : [])));
        const leftover = changesIn(again).filter((a) => !(a.kind === 'delete-version' && unreached.has(a.versionId)) && !(a.kind === 'unmap' && unreached.has(a.identity)));
        const problems = [...violations(world, options).filter((p) => /^(top|upload|map)/.test(p)), ...lostMirrors(before, world)];
        expect({ problems, leftover: formatPlan({ status: again.status, actions: leftover }) }).toEqual({ problems: [], leftover: [] });
      }),
      { numRuns: Math.ceil(RUNS / 2), seed: SEED },
    );
  });

  it('converges in one plan a key whose every convergence so far met a fault (crash, timeout, retried write, lost answer, lost or restored table, settings changed)', () => {
    const seen: Partial<Record<ActionKind, number>> = {};
    fc.assert(
      fc.property(lives, (life) => {
        // Prepare: the key's life so far, converged after each operation with a fault.
        const { world, options, denied, settingsChanged, lost } = live(life);

        // Act: the next convergence, without a fault.
        // After a change of settings only a backfill of the whole history answers for what lies below the anchor.
        const plan = planTwice(world, options, (w, p) => void applyWithFault(w, p, 'none', 0, denied), settingsChanged && options.fullHistory !== true);

        // Assess: no convergence of the life that ran to its end took the last mirror of a version the source has.
        expect(lost).toEqual([]);

        // Assess (planTwice throws on a violation)
        countKinds(plan, seen);
      }),
      { numRuns: RUNS, seed: SEED },
    );

    // Assess
    for (const kind of ['copy', 'put-marker', 'delete-version', 'map', 'unmap', 'unreplicable'] as const) expect(seen[kind] ?? 0).toBeGreaterThan(0);
    console.log(`planner key-life property (seed ${SEED}, ${RUNS} runs): actions in the final plans ${JSON.stringify(seen)}`);
  });

  it('reaches the invariant on an unversioned destination in one plan, and a second plan changes nothing', () => {
    const seen: Partial<Record<ActionKind, number>> = {};
    fc.assert(
      fc.property(unversionedScenarios, (scenario) => {
        // Prepare
        const { world, options } = buildUnversionedWorld(scenario);

        // Act
        const plan = planTwice(world, options);

        // Assess (planTwice throws on a violation)
        countKinds(plan, seen);
        countKinds(plan, counts);
      }),
      { numRuns: Math.ceil(RUNS / 4), seed: SEED },
    );

    // Assess
    for (const kind of ['copy', 'delete-object', 'map', 'unreplicable', 'report'] as const) expect(seen[kind] ?? 0).toBeGreaterThan(0);
  });
});
