// `make test-faults`: every experiment (or FAULT_EXPERIMENTS) with several seeds (FAULT_SEEDS),
// FAULT_OPS operations each, then the table of what was injected and what was found. Exits 1 if
// any count that must be zero is not. Replay one run: FAULT_EXPERIMENTS=crash FAULT_SEEDS=7 make test-faults
import './silent';
import '../helpers/quiet-powertools';
import { fork } from 'node:child_process';
import type { ExperimentName, RunStats } from './experiments';
import { EXPERIMENTS, runExperiment, violations } from './experiments';

function list(name: string, fallback: string): string[] {
  return (process.env[name] || fallback).split(',').map((s) => s.trim()).filter(Boolean);
}

function parseSettings(): { experiments: ExperimentName[]; seeds: number[]; operations: number } {
  const experiments = list('FAULT_EXPERIMENTS', EXPERIMENTS.join(','));
  for (const e of experiments) if (!(EXPERIMENTS as readonly string[]).includes(e)) throw new Error(`FAULT_EXPERIMENTS: unknown experiment ${e} (known: ${EXPERIMENTS.join(', ')})`);
  const seeds = list('FAULT_SEEDS', '1,2,3').map(Number);
  if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new Error('FAULT_SEEDS must be a comma-separated list of whole numbers');
  const operations = Number(process.env.FAULT_OPS || 200);
  if (!Number.isInteger(operations) || operations < 1 || operations > 10_000) throw new Error('FAULT_OPS must be a whole number from 1 to 10000');
  return { experiments: experiments as ExperimentName[], seeds, operations };
}

const fmt = (record: Record<string, number>) =>
  Object.entries(record)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || '-';

/** The table of the issue: one row per run. */
export function table(runs: readonly RunStats[]): string {
  const header = ['experiment', 'seed', 'ops', 'events', 'faults injected', 'invocations', 'retries', 'requeues', 'dead-lettered (redriven)', 'diverged', 'dup', 'orphan', 'dangling map', 'no reason', 'lost', 'peak RSS', 's'];
  const rows = runs.map((r) => [
    r.experiment,
    String(r.seed),
    String(r.operations),
    String(r.events),
    fmt(r.faults),
    String(r.invocations),
    String(r.retries),
    String(r.requeues),
    `${fmt(r.deadLettered)}${r.redriven > 0 ? ` (${r.redriven})` : ''}`,
    String(r.keysDiverged),
    String(r.duplicateVersions),
    String(r.orphanVersions),
    `${r.danglingMapEntries}/${r.mapEntries}`,
    String(r.dlqWithoutReason),
    String(r.lostEvents),
    `${r.peakRssMiB} MiB`,
    String(r.seconds),
  ]);
  const lines = [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`);
  return lines.join('\n');
}

export async function main(): Promise<number> {
  const { experiments, seeds, operations } = parseSettings();
  const runs: RunStats[] = [];
  for (const experiment of experiments) {
    for (const seed of seeds) {
      console.log(`fault run: ${experiment}, seed ${seed}, ${operations} operations (replay: FAULT_EXPERIMENTS=${experiment} FAULT_SEEDS=${seed} FAULT_OPS=${operations} make test-faults)`);
      const stats = await runInItsOwnProcess(experiment, seed, operations);
      runs.push(stats);
      const bad = violations(stats);
      const extra = Object.entries(stats.extra).map(([k, n]) => `${k} ${n}`);
      console.log(`  ${bad === 0 ? 'ok' : `${bad} VIOLATIONS`} in ${stats.seconds} s${extra.length ? `; ${extra.join(', ')}` : ''}`);
      for (const line of stats.details.slice(0, 12)) console.log(`    ${line}`);
    }
  }
  console.log(`\n${table(runs)}\n`);
  console.log('dead-lettered: DLQ messages by reason; (redriven): of them, sent back to the queue once the faults stopped, as an operator would, before the checks.');
  console.log('dup/orphan: destination versions that copy one source version twice / copy none; dangling map: version-map entries pointing at no destination version (of all entries); no reason: DLQ messages without a reason attribute; lost: relayed events neither done nor dead-lettered.');
  const total = runs.reduce((n, r) => n + violations(r), 0);
  console.log(total === 0 ? `fault suite: ${runs.length} runs, every invariant held` : `fault suite: ${total} violations in ${runs.filter((r) => violations(r) > 0).length} of ${runs.length} runs`);
  return total === 0 ? 0 : 1;
}

interface OneRun {
  experiment: ExperimentName;
  seed: number;
  operations: number;
}

/** Each run in a process of its own: its peak RSS is its own, and a crash ends only that run. */
function runInItsOwnProcess(experiment: ExperimentName, seed: number, operations: number): Promise<RunStats> {
  const one: OneRun = { experiment, seed, operations };
  return new Promise<RunStats>((resolve, reject) => {
    let stats: RunStats | undefined;
    const child = fork(__filename, [], { env: { ...process.env, FAULT_ONE: JSON.stringify(one) }, stdio: 'inherit' });
    child.on('message', (message: RunStats) => (stats = message));
    child.once('exit', (code) => (stats ? resolve(stats) : reject(new Error(`the ${experiment} run (seed ${seed}) ended with ${code} and no result`))));
  });
}

if (process.env.FAULT_ONE && require.main === module) {
  const one = JSON.parse(process.env.FAULT_ONE) as OneRun;
  void runExperiment(one.experiment, one.seed, { operations: one.operations }).then(
    (stats) => process.send?.(stats, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
