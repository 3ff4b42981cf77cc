import { redrive } from '../../backfill/redrive';
import type { CliContext } from '../context';
import { EXIT } from '../context';

export interface RedriveOptions {
  dryRun: boolean;
  limit?: number;
}

/** `redrive`: DLQ messages back to the main queue, each in its key's group; `--dry-run` only lists them. */
export async function runRedrive(ctx: CliContext, options: RedriveOptions): Promise<number> {
  const { config, out } = ctx;
  if (config.queueUrl === undefined) {
    out.error('redrive needs the main queue: set QUEUE_URL or --queue-url');
    return EXIT.usage;
  }
  const messages: { messageId: string; key?: string; reason?: string }[] = [];
  const result = await redrive(ctx.sqs, {
    dlqUrl: config.dlqUrl,
    queueUrl: config.queueUrl,
    dryRun: options.dryRun,
    ...(options.limit !== undefined && { limit: options.limit }),
    onMessage: (m) => {
      messages.push(m);
      out.line(`${options.dryRun ? 'would move' : 'moving'} ${m.messageId}  ${m.key ?? '(no key)'}${m.reason !== undefined ? `  reason: ${m.reason}` : ''}`);
    },
  });
  out.line(options.dryRun ? `${result.seen} message(s) in the DLQ (dry run: nothing moved; a FIFO queue shows one message per key group at a time)` : `${result.moved} message(s) moved to the main queue, ${result.failed} failed`);
  out.result({ dryRun: options.dryRun, ...result, messages });
  // Something left to do: messages still in the DLQ (dry run) or that could not be moved.
  return result.failed > 0 || result.seen > 0 ? EXIT.differences : EXIT.done;
}
