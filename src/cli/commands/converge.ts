import { formatPlan } from '../../core/format-plan';
import type { KeyStatus } from '../../core/planner';
import { StateWriteBuffer } from '../../aws/state-batch';
import { KeyEngine } from '../../backfill/engine';
import type { CliContext } from '../context';
import { EXIT } from '../context';
import { forEachPair, listedOf, sameHistories } from './pairs';

export interface ConvergeOptions {
  prefix: string;
  history?: 'all' | 'latest';
  concurrency: number;
  /** reconcile: also visit keys only the destination has. */
  extras: boolean;
  deleteExtras?: boolean;
  force?: boolean;
  retryUnreplicable?: boolean;
  /** Skip keys whose listed histories match entry for entry (a rerun after an interruption). */
  quick?: boolean;
}

export interface Tally {
  destination: string;
  keys: number;
  /** What was done, per key: copied, marker, deleted, tags, in-sync. */
  outcomes: Record<string, number>;
  versionsCopied: number;
  bytes: number;
  /** Keys the run could not finish, and those it left different (extras not deleted, unreplicable versions). */
  failed: { key: string; error: string }[];
  left: { key: string; status: KeyStatus; plan: string[] }[];
}

export interface ConvergeResult {
  seconds: number;
  destinations: Tally[];
  unfinished: number;
}

const LEFT_LIMIT = 1000;

/**
 * `backfill` (direct) and `reconcile`: the replicate function's engine on every key under the
 * prefix, `concurrency` at a time. Resumable by construction: a key in sync plans nothing, so a
 * rerun after an interruption does only what is left. A key that fails is reported and the run
 * goes on. Keys only on the destination (reconcile) are planned without executing unless
 * --delete-extras, and even then only replicas are deleted unless --force.
 */
export async function runConverge(ctx: CliContext, options: ConvergeOptions): Promise<number> {
  const mode = options.history ?? ctx.config.historyMode;
  const tallies: Tally[] = [];
  const started = Date.now();
  for (const destination of ctx.config.destinations) {
    const tally: Tally = { destination: destination.id, keys: 0, outcomes: {}, versionsCopied: 0, bytes: 0, failed: [], left: [] };
    const progress = ctx.out.progress(`${options.extras ? 'reconcile' : 'backfill'} ${destination.id}`);
    // The keys' state and map entries go to the table in shared batches, drained at the end.
    const writes = new StateWriteBuffer(ctx.documents, ctx.config.tableName);
    const engine = new KeyEngine({ ...ctx, writes });
    await forEachPair(ctx, destination, options.prefix, options.concurrency, async (pair) => {
      const onlyAtDestination = pair.source === undefined;
      if (onlyAtDestination && !options.extras) return;
      tally.keys += 1;
      if (options.quick === true && sameHistories(pair, mode)) {
        tally.outcomes['in-sync'] = (tally.outcomes['in-sync'] ?? 0) + 1;
        progress.tick();
        return;
      }
      const act = !onlyAtDestination || options.deleteExtras === true;
      try {
        const result = await engine.run(
          destination,
          {
            key: pair.key,
            listed: listedOf(pair),
            ...(pair.items !== undefined && { prefetched: pair.items }),
            compareTags: true,
            ...(options.history !== undefined && { history: options.history }),
            ...(options.retryUnreplicable === true && { retryUnreplicable: true }),
            ...(onlyAtDestination && { deleteForeign: options.force === true }),
            dryRun: !act,
          },
          // Extras are deleted on request even where the destination keeps deletes off.
          onlyAtDestination && act ? { permanentDeletes: true } : {},
        );
        const { outcome, plan } = result;
        const done = act ? outcome.action : 'in-sync';
        tally.outcomes[done] = (tally.outcomes[done] ?? 0) + 1;
        tally.versionsCopied += act ? outcome.versionsCopied : 0;
        tally.bytes += act ? outcome.bytes : 0;
        // What stays different after this run: a plan that was not executed, or reports only.
        const remaining = act ? plan.actions.filter((a) => a.kind === 'report' || a.kind === 'unreplicable') : plan.actions;
        if (remaining.length > 0 && tally.left.length < LEFT_LIMIT) tally.left.push({ key: pair.key, status: plan.status, plan: formatPlan({ ...plan, actions: remaining }) });
      } catch (error) {
        tally.failed.push({ key: pair.key, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      }
      progress.tick();
    }, { read: (requests) => engine.prefetch(destination, requests), wanted: (pair) => options.quick !== true || !sameHistories(pair, mode) })
      .finally(() => progress.stop())
      .finally(async () => {
        for (const [key, error] of await writes.drain()) tally.failed.push({ key, error });
      });
    tallies.push(tally);
  }
  const seconds = (Date.now() - started) / 1000;
  let unfinished = 0;
  for (const t of tallies) {
    unfinished += t.failed.length + t.left.length;
    const outcomes = Object.entries(t.outcomes).map(([k, n]) => `${n} ${k}`).join(', ') || 'nothing';
    ctx.out.line(`destination ${t.destination}: ${t.keys} key(s) in ${seconds.toFixed(1)} s: ${outcomes}; ${t.versionsCopied} version(s), ${t.bytes} bytes copied`);
    for (const f of t.failed) ctx.out.line(`  failed  ${JSON.stringify(f.key)}: ${f.error}`);
    for (const l of t.left) {
      ctx.out.line(`  left    ${JSON.stringify(l.key)} (${l.status})`);
      for (const line of l.plan) ctx.out.line(`      ${line}`);
    }
  }
  if (unfinished > 0) ctx.out.line(`${unfinished} key(s) left to do: rerun to resume (keys in sync are skipped), or see \`status KEY\``);
  const result: ConvergeResult = { seconds, destinations: tallies, unfinished };
  ctx.out.result(result);
  return unfinished === 0 ? EXIT.done : EXIT.differences;
}
