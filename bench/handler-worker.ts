// One "function instance" of bench/bench.mjs: the real replicate handler (createReplicateHandler
// with the product's own clients and copy engine) against the local servers, with DynamoDB
// bookkeeping on dynalite. SQS and Secrets Manager have no local server: their clients answer
// from a middleware instead of the network (SendMessage only happens on failures).
// `node worker.js JOB_FILE` (JSON): runs its warm-up batches, prints "ready", waits for a line on
// stdin (so that every worker starts at once), runs its batches one after another as one Lambda instance would, and prints a
// JSON line: records, failures, seconds, CPU, requests by side and operation, peak RSS.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { DestinationClients, documentClient, sourceS3Client } from '../src/aws/clients';
import { CredentialsCache } from '../src/aws/credentials';
import type { DestinationConfig } from '../src/config';
import { loadReplicateConfig } from '../src/config';
import { copyVersion } from '../src/copy/copy-version';
import type { ChangeMessage } from '../src/events';
import { createReplicateHandler } from '../src/functions/replicate-function';
import type { RequestCounts, WithStack } from './request-counter';
import { countRequests } from './request-counter';

interface Job {
  /** The function's environment (TABLE_NAME, DESTINATIONS, endpoints ...). */
  env: Record<string, string>;
  /** The destination user's secret document. */
  secret: Record<string, string>;
  batches: ChangeMessage[][];
  /** Run before "ready", not measured: a warm function has compiled its code paths already. */
  warmup: ChangeMessage[][];
}

/** Answers every request of `client` with `output`, counted, without a network round trip. */
function answering<C extends WithStack>(client: C, output: Record<string, unknown>, counts: RequestCounts, side: string): C {
  client.middlewareStack.add(
    (_next, ctx) => () => {
      const name = `${side} ${String(ctx.commandName).replace(/Command$/, '')}`;
      counts[name] = (counts[name] ?? 0) + 1;
      return Promise.resolve({ output: { ...output, $metadata: {} }, response: {} });
    },
    { step: 'initialize', priority: 'low', name: 'benchAnswer' },
  );
  return client;
}

class CountingDestinationClients extends DestinationClients {
  public constructor(
    credentials: CredentialsCache,
    endpoints: ConstructorParameters<typeof DestinationClients>[1],
    private readonly counts: RequestCounts,
  ) {
    super(credentials, endpoints);
  }

  public override withClient<T>(destination: DestinationConfig, work: (client: S3Client) => Promise<T>): Promise<T> {
    return super.withClient(destination, (client) => work(countRequests(client, this.counts, 'S3 destination')));
  }
}

let sequence = 0;
function sqsRecord(message: ChangeMessage): SQSRecord {
  const messageId = `bench-${process.pid}-${++sequence}`;
  return {
    messageId,
    receiptHandle: messageId,
    body: JSON.stringify(message),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'relay',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      SequenceNumber: String(sequence),
      MessageGroupId: createHash('sha256').update(`${message.bucket}/${message.key}`).digest('hex'),
      MessageDeduplicationId: messageId,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:replicate.fifo',
    awsRegion: 'us-east-1',
  };
}

function context(): Context {
  const deadline = Date.now() + 900_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'replicate',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:replicate',
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '1024',
    awsRequestId: `bench-${++sequence}`,
    logGroupName: '/aws/lambda/replicate',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The number of batchItemFailures in what the middy chain returned. */
function failedItems(response: unknown): number {
  return z.object({ batchItemFailures: z.array(z.object({ itemIdentifier: z.string() })) }).parse(response).batchItemFailures.length;
}

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as Job;
  const config = loadReplicateConfig({ ...process.env, ...job.env });
  const counts: RequestCounts = {};
  const source = countRequests(sourceS3Client(config.endpoints), counts, 'S3 source');
  const documents = countRequests(documentClient(config.endpoints), counts, 'DynamoDB');
  const fake = { region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } };
  const sqs = answering(new SQSClient(fake), { MessageId: 'bench' }, counts, 'SQS');
  const secrets = answering(new SecretsManagerClient(fake), { SecretString: JSON.stringify(job.secret) }, counts, 'SecretsManager');
  const handler = createReplicateHandler({
    config,
    source,
    documents,
    sqs,
    destinations: new CountingDestinationClients(new CredentialsCache(secrets, config.secretCacheTtlMs), config.endpoints, counts),
    copy: copyVersion,
  });

  for (const batch of job.warmup) failedItems(await handler({ Records: batch.map(sqsRecord) }, context()));
  for (const key of Object.keys(counts)) delete counts[key];
  process.stdout.write('ready\n');
  await once(process.stdin, 'data');
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let records = 0;
  let failures = 0;
  for (const batch of job.batches) {
    const response: unknown = await handler({ Records: batch.map(sqsRecord) }, context());
    records += batch.length;
    failures += failedItems(response);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  const rssMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ records, failures, seconds, cpuSeconds: (used.user + used.system) / 1e6, counts, rssMiB })}\n`);
  process.stdin.destroy();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
