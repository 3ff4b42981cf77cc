import { Command, InvalidArgumentError, Option } from 'commander';
import { documentClient, sourceS3Client, sqsClient } from '../aws/clients';
import { ConfigError } from '../errors';
import { runConverge } from './commands/converge';
import { runEnqueue } from './commands/enqueue';
import { runRedrive } from './commands/redrive';
import { runStatus } from './commands/status';
import { runVerify } from './commands/verify';
import type { CliContext } from './context';
import { EXIT } from './context';
import { consoleOutput } from './output';
import type { Flags } from './settings';
import { destinationAccess, loadCliConfig } from './settings';

/**
 * partition-s3-replicate: verify, backfill, reconcile, status and redrive, with the replicate
 * function's configuration (its environment variables, or flags). Source credentials come from
 * the usual AWS chain (AWS_PROFILE, ...); destination credentials from the secret, as the
 * function reads them, or from --destination-profile for local use. Exit status 0 only when
 * nothing is left to do.
 */

const positive = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number of at least 1`);
  return n;
};

interface GlobalOptions {
  json?: boolean;
  progress: boolean;
  sourceBucket?: string;
  table?: string;
  queueUrl?: string;
  dlqUrl?: string;
  destinations?: string;
  historyMode?: string;
  replicateSince?: string;
  destinationProfile?: string;
  destination?: string;
}

function context(program: Command): CliContext {
  const options = program.opts<GlobalOptions>();
  const flags: Flags = {
    'source-bucket': options.sourceBucket,
    table: options.table,
    'queue-url': options.queueUrl,
    'dlq-url': options.dlqUrl,
    destinations: options.destinations,
    'history-mode': options.historyMode,
    'replicate-since': options.replicateSince,
  };
  let config = loadCliConfig(process.env, flags);
  if (options.destination !== undefined) {
    const only = config.destinations.filter((d) => d.id === options.destination);
    if (only.length === 0) throw new ConfigError('--destination', `names no destination of DESTINATIONS (${config.destinations.map((d) => d.id).join(', ')})`);
    config = { ...config, destinations: only };
  }
  return {
    config,
    source: sourceS3Client(config.endpoints),
    sqs: sqsClient(config.endpoints),
    documents: documentClient(config.endpoints),
    destinations: destinationAccess(config, options.destinationProfile, process.env),
    out: consoleOutput({ json: options.json === true, progress: options.progress }),
  };
}

export function buildProgram(run: (code: number) => void): Command {
  const program = new Command('partition-s3-replicate')
    .description('Verify, backfill and reconcile a cross-partition S3 replica; inspect a key; redrive the DLQ.')
    .option('--json', 'print one JSON document (for scripts)')
    .option('--no-progress', 'no progress bar on stderr')
    .option('--source-bucket <bucket>', 'the source bucket (SOURCE_BUCKET)')
    .option('--table <name>', 'the state table (TABLE_NAME)')
    .option('--queue-url <url>', 'the FIFO queue (QUEUE_URL)')
    .option('--dlq-url <url>', 'the dead-letter queue (DLQ_URL)')
    .option('--destinations <json>', 'the destinations, as the function takes them (DESTINATIONS)')
    .option('--history-mode <mode>', 'all or latest (HISTORY_MODE)')
    .option('--replicate-since <time>', 'ISO-8601 boundary of live replication (REPLICATE_SINCE)')
    .option('--destination <id>', 'work on this destination only')
    .option('--destination-profile <profile>', 'destination credentials from this AWS profile instead of the secret (local use)')
    .showHelpAfterError()
    // Before the subcommands, which inherit it: errors come back to main() as exit codes.
    .exitOverride();

  const history = new Option('--history <history>', 'latest: the current version; all: every version, older ones too (default: the function\'s HISTORY_MODE and REPLICATE_SINCE)').choices(['latest', 'all']);
  const concurrency = new Option('--concurrency <n>', 'keys worked on at once').argParser(positive('--concurrency')).default(16);
  const act = (work: (ctx: CliContext) => Promise<number>) => async () => run(await work(context(program)));

  program
    .command('verify')
    .description('list both sides and show, per key, the plan a convergence would execute; changes nothing. Exit 1 when anything differs')
    .option('--prefix <prefix>', 'only keys under this source prefix', '')
    .addOption(history)
    .addOption(concurrency)
    .option('--show <n>', 'differing keys printed (all are counted)', positive('--show'), 100)
    .option('--no-tags', "do not compare the current versions' tags (saves two requests a key)")
    .option('--quick', 'keys whose listed histories match (kind, size, ETag) count as in sync without reading the table or tags, as rclone check does')
    .action(function (this: Command) {
      const o = this.opts<{ prefix: string; history?: 'all' | 'latest'; concurrency: number; show: number; tags: boolean; quick?: boolean }>();
      return act((ctx) => runVerify(ctx, o))();
    });

  program
    .command('backfill')
    .description('converge every key under the prefix: directly (bounded concurrency, a rerun skips what is in sync) or, with --queue, one message per key to the FIFO queue')
    .option('--prefix <prefix>', 'only keys under this source prefix', '')
    .addOption(history)
    .addOption(concurrency)
    .addOption(new Option('--retry-unreplicable', 'copy again versions recorded unreplicable (after fixing the cause); not with --queue').conflicts('queue'))
    .addOption(new Option('--quick', 'skip keys whose listed histories match (kind, size, ETag): a fast rerun; not with --queue').conflicts('queue'))
    .option('--queue', 'send one converge message per key to the queue instead of converging here (production)')
    .option('--run-id <id>', 'name of the run (queue mode): reusing it within 5 minutes sends nothing twice')
    .action(function (this: Command) {
      const o = this.opts<{ prefix: string; history?: 'all' | 'latest'; concurrency: number; queue?: boolean; runId?: string; retryUnreplicable?: boolean; quick?: boolean }>();
      return act((ctx) => (o.queue ? runEnqueue(ctx, { prefix: o.prefix, history: o.history, concurrency: o.concurrency, ...(o.runId !== undefined && { runId: o.runId }) }) : runConverge(ctx, { ...o, extras: false })))();
    });

  program
    .command('reconcile')
    .description('backfill, plus the keys only the destination has: reported, deleted with --delete-extras (replicas only, unless --force)')
    .option('--prefix <prefix>', 'only keys under this source prefix', '')
    .addOption(history)
    .addOption(concurrency)
    .option('--delete-extras', 'delete destination keys the source does not have (only objects carrying the replica metadata key)')
    .option('--force', 'with --delete-extras: also delete destination objects that are not replicas')
    .option('--retry-unreplicable', 'copy again versions recorded unreplicable (after fixing the cause)')
    .action(function (this: Command) {
      const o = this.opts<{ prefix: string; history?: 'all' | 'latest'; concurrency: number; deleteExtras?: boolean; force?: boolean; retryUnreplicable?: boolean }>();
      return act((ctx) => runConverge(ctx, { ...o, extras: true }))();
    });

  program
    .command('status')
    .description("one key: the source's history, the destination's, the map entries, the state and the plan")
    .argument('<key>', 'the source key')
    .addOption(history)
    .action(function (this: Command, key: string) {
      const o = this.opts<{ history?: 'all' | 'latest' }>();
      return act((ctx) => runStatus(ctx, key, o))();
    });

  program
    .command('redrive')
    .description('move DLQ messages back to the main queue, each in its key group')
    .option('--dry-run', 'list the messages, move nothing')
    .option('--limit <n>', 'move at most this many', positive('--limit'))
    .action(function (this: Command) {
      const o = this.opts<{ dryRun?: boolean; limit?: number }>();
      return act((ctx) => runRedrive(ctx, { dryRun: o.dryRun === true, ...(o.limit !== undefined && { limit: o.limit }) }))();
    });

  return program;
}

/** Runs the CLI; configuration and usage errors exit 2 with their message (never a value: it may be a secret). */
export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.done;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof Error && 'exitCode' in error && typeof error.exitCode === 'number') return error.exitCode === 0 ? 0 : EXIT.usage;
    if (error instanceof ConfigError) {
      process.stderr.write(`partition-s3-replicate: ${error.message}\n`);
      return EXIT.usage;
    }
    const described = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    process.stderr.write(`partition-s3-replicate: ${described}\n`);
    return EXIT.differences;
  }
}
