// The short fault run inside `make test`: each experiment that leaves the shared servers alone
// (the S3 server kill runs only in `make test-faults`), a few operations, fixed seeds. The full
// suite is `make test-faults`; a failing seed here replays there with FAULT_SEEDS.
import { restoreLogLevelEnv } from './silent';
import '../helpers/quiet-powertools';
import type { ExperimentName } from './experiments';
import { runExperiment } from './experiments';

afterAll(restoreLogLevelEnv);

const RUNS: [ExperimentName, number][] = [
  ['proxy', 11],
  ['crash', 12],
  ['rotation', 13],
  ['table-loss', 14],
];

describe.each(RUNS)('short fault run: %s, seed %i', (experiment, seed) => {
  it('injects faults and still loses no event and keeps every key equal, with no duplicate, orphan or dangling version', async () => {
    const stats = await runExperiment(experiment, seed, { operations: 10, keys: 8, maxDrainMs: 90_000 });

    const injected = Object.values(stats.faults).reduce((a, b) => a + b, 0);
    expect({ seed, experiment, injected: injected > 0, events: stats.events >= 10 }).toEqual({ seed, experiment, injected: true, events: true });
    expect({
      keysDiverged: stats.keysDiverged,
      duplicateVersions: stats.duplicateVersions,
      orphanVersions: stats.orphanVersions,
      danglingMapEntries: stats.danglingMapEntries,
      dlqWithoutReason: stats.dlqWithoutReason,
      lostEvents: stats.lostEvents,
      details: stats.details,
    }).toEqual({ keysDiverged: 0, duplicateVersions: 0, orphanVersions: 0, danglingMapEntries: 0, dlqWithoutReason: 0, lostEvents: 0, details: [] });
    expect(stats.mapEntries).toBeGreaterThan(0);
  });
});
