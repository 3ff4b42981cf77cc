// One CLI run of bench/backfill.mjs, in its own process: `node runner.js MODE JOB_JSON` with MODE
// backfill or verify (JOB_JSON: tags, quick). Runs the CLI's own command (runConverge / runVerify) with the product's
// clients, counting every request by side and operation, and prints one JSON line: keys,
// seconds, the command's result, requests.
import type { S3Client } from '@aws-sdk/client-s3';
import { S3Client as S3 } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { documentClient, sourceS3Client, sqsClient } from '../src/aws/clients';
import type { DestinationAccess } from '../src/backfill/engine';
import { runConverge } from '../src/cli/commands/converge';
import { runVerify } from '../src/cli/commands/verify';
import type { CliContext } from '../src/cli/context';
import { memoryOutput } from '../src/cli/output';
import type { DestinationConfig } from '../src/config';
import { loadReplicateConfig } from '../src/config';
import type { RequestCounts } from './request-counter';
import { countRequests } from './request-counter';

const jobSchema = z.object({
  env: z.record(z.string(), z.string()),
  destination: z.object({ endpoint: z.string(), region: z.string(), accessKeyId: z.string(), secretAccessKey: z.string() }),
  concurrency: z.number().int().positive(),
  tags: z.boolean().default(true),
  quick: z.boolean().default(false),
});

const [mode, text] = process.argv.slice(2);
const job = jobSchema.parse(JSON.parse(text ?? ''));
const counts: RequestCounts = {};
const config = loadReplicateConfig(job.env);

/** The destination user's keys as the CLI's local credentials, its client counted. */
class CountedDestination implements DestinationAccess {
  private readonly client: S3Client = countRequests(
    new S3({ region: job.destination.region, endpoint: job.destination.endpoint, forcePathStyle: true, credentials: { accessKeyId: job.destination.accessKeyId, secretAccessKey: job.destination.secretAccessKey } }),
    counts,
    'S3 destination',
  );

  public withClient<T>(_destination: DestinationConfig, work: (client: S3Client) => Promise<T>): Promise<T> {
    return work(this.client);
  }
}

const out = memoryOutput(true);
const ctx: CliContext = {
  config,
  source: countRequests(sourceS3Client(config.endpoints), counts, 'S3 source'),
  sqs: sqsClient(config.endpoints),
  documents: countRequests(documentClient(config.endpoints), counts, 'DynamoDB'),
  destinations: new CountedDestination(),
  out,
};

const started = process.hrtime.bigint();
const code = mode === 'verify' ? await runVerify(ctx, { prefix: '', concurrency: job.concurrency, show: 10, tags: job.tags, quick: job.quick }) : await runConverge(ctx, { prefix: '', concurrency: job.concurrency, extras: false });
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(`${JSON.stringify({ code, seconds, result: out.results[0], requests: counts })}\n`);
