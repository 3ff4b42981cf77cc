import { z } from 'zod';
import { ConfigError } from './errors';

/**
 * Configuration comes from environment variables, read once at cold start. A missing or bad
 * value throws a ConfigError naming the variable, so a misconfigured function fails loudly
 * before it touches a message.
 */

/** "is required" when the variable is absent, else `rule`. */
const requiredOr = (rule: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : rule);

const bucketName = z.string({ error: requiredOr('must be an S3 bucket name') }).regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name');
const region = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as us-gov-west-1');

const destinationSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, _ . or -'),
  bucket: bucketName,
  region: region.optional(),
  secretArn: z.string().min(1),
  sourcePrefix: z.string().default(''),
  destinationPrefix: z.string().default(''),
  storageClass: z.string().regex(/^[A-Z_]+$/).optional(),
  kmsKeyId: z.string().min(1).optional(),
  deleteMarkers: z.boolean().default(true),
  permanentDeletes: z.boolean().default(true),
  lifecycleExpirations: z.boolean().default(false),
});

export type DestinationConfig = z.infer<typeof destinationSchema>;
export type HistoryMode = 'all' | 'latest';

export interface Endpoints {
  sourceS3?: string;
  destinationS3?: string;
  dynamodb?: string;
  sqs?: string;
  sns?: string;
  secretsManager?: string;
  forcePathStyle: boolean;
}

export interface ReplicateConfig {
  tableName: string;
  dlqUrl: string;
  /** The queue the function reads; lets a checkpointed copy come back at once. Optional. */
  queueUrl?: string;
  sourceBucket: string;
  destinations: readonly DestinationConfig[];
  historyMode: HistoryMode;
  replicateSince: Date;
  partsInFlight: number;
  /** Records of different keys (message groups) run at once within a batch. */
  recordsInFlight: number;
  checkpointMarginMs: number;
  secretCacheTtlMs: number;
  /** Memory the copy may use for part buffers. */
  copyMemoryBudgetBytes: number;
  /** SNS topic told of every record that is dead-lettered (or fails its last receive). */
  failureTopicArn?: string;
  /** The main queue's maxReceiveCount: a transient failure on this receive is the last one. */
  maxReceiveCount?: number;
  endpoints: Endpoints;
}

export interface RelayConfig {
  queueUrl: string;
  sourceBucket: string;
  endpoints: Endpoints;
}

type Env = Record<string, string | undefined>;

function read<T>(env: Env, name: string, schema: z.ZodType<T>): T {
  const raw = env[name] === '' ? undefined : env[name];
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(name, describe(parsed.error));
  return parsed.data;
}

/** Zod issues as "path: message", never echoing the value (it may be a secret). */
function describe(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

const required = z.string({ error: 'is required' }).min(1, 'is required');
const snsTopicArn = z.string().regex(/^arn:aws(-us-gov|-cn)?:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'must be an SNS topic ARN');
const url = z.url({ error: requiredOr('must be a URL') });
const flag = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true');
const positiveInt = (max: number) =>
  z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(max, `must be at most ${max}`);

function readEndpoints(env: Env): Endpoints {
  const optionalUrl = url.optional();
  return Object.freeze({
    sourceS3: read(env, 'SOURCE_S3_ENDPOINT', optionalUrl),
    destinationS3: read(env, 'DESTINATION_S3_ENDPOINT', optionalUrl),
    dynamodb: read(env, 'DYNAMODB_ENDPOINT', optionalUrl),
    sqs: read(env, 'SQS_ENDPOINT', optionalUrl),
    sns: read(env, 'SNS_ENDPOINT', optionalUrl),
    secretsManager: read(env, 'SECRETS_MANAGER_ENDPOINT', optionalUrl),
    forcePathStyle: read(env, 'S3_FORCE_PATH_STYLE', flag.optional()) ?? false,
  });
}

const destinationsSchema = z
  .string({ error: 'is required: a JSON array of destinations' })
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(destinationSchema, { error: 'must be a JSON array of destination objects' })
      .min(1, 'must name at least one destination')
      .refine((list) => new Set(list.map((d) => d.id)).size === list.length, 'destination ids must be unique'),
  );

export function loadReplicateConfig(env: Env): ReplicateConfig {
  const memoryMb = read(env, 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', positiveInt(10_240).optional()) ?? 1024;
  return Object.freeze({
    tableName: read(env, 'TABLE_NAME', required),
    dlqUrl: read(env, 'DLQ_URL', url),
    queueUrl: read(env, 'QUEUE_URL', url.optional()),
    sourceBucket: read(env, 'SOURCE_BUCKET', bucketName),
    destinations: Object.freeze(read(env, 'DESTINATIONS', destinationsSchema).map((d) => Object.freeze(d))),
    historyMode: read(env, 'HISTORY_MODE', z.enum(['all', 'latest'], { error: 'must be all or latest' }).optional()) ?? 'all',
    replicateSince: new Date(read(env, 'REPLICATE_SINCE', z.iso.datetime({ offset: true, error: 'must be an ISO-8601 timestamp' }).optional()) ?? 0),
    partsInFlight: read(env, 'PARTS_IN_FLIGHT', positiveInt(64).optional()) ?? 4,
    recordsInFlight: read(env, 'RECORDS_IN_FLIGHT', positiveInt(100).optional()) ?? 10,
    checkpointMarginMs: (read(env, 'CHECKPOINT_MARGIN_SECONDS', positiveInt(600).optional()) ?? 60) * 1000,
    secretCacheTtlMs: (read(env, 'SECRET_CACHE_TTL_SECONDS', positiveInt(86_400).optional()) ?? 300) * 1000,
    // Half the function's memory for part buffers; the rest is the runtime, SDK and sockets.
    copyMemoryBudgetBytes: Math.floor((memoryMb * 1024 * 1024) / 2),
    failureTopicArn: read(env, 'FAILURE_TOPIC_ARN', snsTopicArn.optional()),
    maxReceiveCount: read(env, 'MAX_RECEIVE_COUNT', positiveInt(1000).optional()),
    endpoints: readEndpoints(env),
  });
}

export function loadRelayConfig(env: Env): RelayConfig {
  return Object.freeze({
    queueUrl: read(env, 'QUEUE_URL', url),
    sourceBucket: read(env, 'SOURCE_BUCKET', bucketName),
    endpoints: readEndpoints(env),
  });
}
