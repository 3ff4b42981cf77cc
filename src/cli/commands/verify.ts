import type { KeyStatus } from '../../core/planner';
import { formatPlan } from '../../core/format-plan';
import { KeyEngine } from '../../backfill/engine';
import type { CliContext } from '../context';
import { EXIT } from '../context';
import { forEachPair, listedOf, sameHistories } from './pairs';

export interface VerifyOptions {
  prefix: string;
  history?: 'all' | 'latest';
  concurrency: number;
  /** Differing keys printed (all are counted). */
  show: number;
  /** Compare the current versions' tags too (two requests a key). */
  tags: boolean;
  /**
   * Trust the listings as rclone check does: a key whose two histories match entry for entry
   * (kind, size, ETag) is in sync without reading its table items or tags; any other key gets
   * the full plan.
   */
  quick?: boolean;
}

export const STATUSES: readonly KeyStatus[] = ['in-sync', 'missing', 'stale', 'extra', 'unreplicable'];

export interface KeyReport {
  key: string;
  status: KeyStatus | 'failed';
  plan: string[];
}

export interface DestinationReport {
  destination: string;
  counts: Record<KeyStatus | 'failed', number>;
  /** The differing keys, at most `show`. */
  keys: KeyReport[];
}

export interface VerifyResult {
  differences: number;
  destinations: DestinationReport[];
}

/**
 * `verify`: per key, the plan a convergence would execute, without changing anything (a dry
 * run of the replicate function's own engine: same reads, same planner). Counts per status and
 * the differing keys with their plans. Exit 1 when any key differs or could not be read.
 */
export async function runVerify(ctx: CliContext, options: VerifyOptions): Promise<number> {
  const engine = new KeyEngine(ctx);
  const mode = options.history ?? ctx.config.historyMode;
  const reports: DestinationReport[] = [];
  for (const destination of ctx.config.destinations) {
    const report: DestinationReport = { destination: destination.id, counts: { 'in-sync': 0, missing: 0, stale: 0, extra: 0, unreplicable: 0, failed: 0 }, keys: [] };
    const progress = ctx.out.progress(`verify ${destination.id}`);
    await forEachPair(ctx, destination, options.prefix, options.concurrency, async (pair) => {
      let entry: KeyReport;
      if (options.quick === true && sameHistories(pair, mode)) {
        report.counts['in-sync'] += 1;
        progress.tick();
        return;
      }
      try {
        const { plan } = await engine.run(destination, {
          key: pair.key,
          listed: listedOf(pair),
          ...(pair.items !== undefined && { prefetched: pair.items }),
          compareTags: options.tags,
          dryRun: true,
          ...(options.history !== undefined && { history: options.history }),
        });
        entry = { key: pair.key, status: plan.status, plan: formatPlan(plan) };
      } catch (error) {
        entry = { key: pair.key, status: 'failed', plan: [error instanceof Error ? `${error.name}: ${error.message}` : String(error)] };
      }
      report.counts[entry.status] += 1;
      if (entry.status !== 'in-sync' && report.keys.length < options.show) report.keys.push(entry);
      progress.tick();
    }, { read: (requests) => engine.prefetch(destination, requests), wanted: (pair) => options.quick !== true || !sameHistories(pair, mode) }).finally(() => progress.stop());
    report.keys.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    reports.push(report);
  }
  const differences = reports.reduce((n, r) => n + Object.entries(r.counts).reduce((m, [status, c]) => m + (status === 'in-sync' ? 0 : c), 0), 0);
  for (const r of reports) {
    const total = Object.values(r.counts).reduce((a, b) => a + b, 0);
    ctx.out.line(`destination ${r.destination}: ${total} key(s): ${STATUSES.map((s) => `${r.counts[s]} ${s}`).join(', ')}${r.counts.failed > 0 ? `, ${r.counts.failed} failed to read` : ''}`);
    for (const k of r.keys) {
      ctx.out.line(`  ${k.status.padEnd(12)} ${JSON.stringify(k.key)}`);
      for (const line of k.plan) ctx.out.line(`      ${line}`);
    }
  }
  ctx.out.line(differences === 0 ? 'verify: 0 differences' : `verify: ${differences} difference(s)`);
  const result: VerifyResult = { differences, destinations: reports };
  ctx.out.result(result);
  return differences === 0 ? EXIT.done : EXIT.differences;
}

