import { randomUUID } from 'node:crypto';
import { enqueuePrefix } from '../../backfill/enqueue-run';
import type { BackfillHistory } from '../../backfill/messages';
import type { CliContext } from '../context';
import { EXIT } from '../context';

export interface EnqueueOptions {
  prefix: string;
  history: BackfillHistory | undefined;
  concurrency: number;
  runId?: string;
}

/**
 * `backfill --queue`: one converge message per key to the FIFO queue, in the key's group, so
 * the replicate function does the work serialized with the key's live events.
 */
export async function runEnqueue(ctx: CliContext, options: EnqueueOptions): Promise<number> {
  const { config, out } = ctx;
  if (config.queueUrl === undefined) {
    out.error('backfill --queue needs the main queue: set QUEUE_URL or --queue-url');
    return EXIT.usage;
  }
  const runId = options.runId ?? `cli-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
  const progress = out.progress('enqueue');
  const started = Date.now();
  const result = await enqueuePrefix(ctx.source, ctx.sqs, {
    runId,
    sourceBucket: config.sourceBucket,
    prefix: options.prefix,
    queueUrl: config.queueUrl,
    history: options.history,
    concurrency: options.concurrency,
    onKeys: (n) => progress.tick(n),
  }).finally(() => progress.stop());
  const seconds = (Date.now() - started) / 1000;
  out.line(`run ${runId}: ${result.enqueued} of ${result.keys} key(s) enqueued in ${seconds.toFixed(1)} s; watch \`verify\` reach zero as the queue drains`);
  for (const f of result.failed) out.line(`  failed: ${f.key} (${f.reason})`);
  out.result({ runId, ...result, seconds });
  return result.failed.length > 0 ? EXIT.differences : EXIT.done;
}
