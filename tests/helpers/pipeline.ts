import './quiet-powertools';
import { createHash, randomBytes } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Message, SendMessageCommandInput, SendMessageCommandOutput } from '@aws-sdk/client-sqs';
import { CreateQueueCommand, DeleteMessageCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { DestinationClients, documentClient, sourceS3Client } from '../../src/aws/clients';
import type { ReplicateConfig } from '../../src/config';
import { loadRelayConfig, loadReplicateConfig } from '../../src/config';
import { copyVersion } from '../../src/copy/copy-version';
import type { CopyRequest, CopyResult } from '../../src/copy/types';
import { CredentialsCache } from '../../src/aws/credentials';
import { REPLICA_METADATA_KEY } from '../../src/aws/destination';
import { createRelayHandler } from '../../src/functions/relay-function';
import { createReplicateHandler } from '../../src/functions/replicate-function';
import { lambdaContext, sqsRecord } from './lambda';
import {
  createStateTable,
  createVersionedBucket,
  destS3Client,
  dynamoDbClient,
  emptyAndDeleteBucket,
  localEnv,
  sourceS3Client as testSourceClient,
  uniqueBucketName,
  uniqueTableName,
} from './local-env';
import type { DrainOptions, Invoke, PollerOptions } from './poller';
import { Poller, release, toRecord } from './poller';

/**
 * The product's two handlers wired as Lambda runs them, against the real local servers: S3 on
 * Ceph RGW (two "partitions"), DynamoDB on dynalite, the FIFO queue and its DLQ on fauxqs, read by
 * the event-source-mapping poller of ./poller. Secrets Manager has no local server here, so its
 * client is an aws-sdk-client-mock instance.
 */

export interface PipelineOptions {
  historyMode?: 'all' | 'latest';
  replicateSince?: string;
  destination?: Record<string, unknown>;
  /** Wraps the copy engine, e.g. to crash after it. */
  copy?: (request: CopyRequest, real: typeof copyVersion) => Promise<CopyResult>;
  /** The JSON the secret holds; default: the destination user's real keys. */
  secret?: () => string;
  versionedDestination?: boolean;
  /** Where the function (not the test's own clients) reaches S3 and DynamoDB, e.g. a fault proxy. */
  endpoints?: { sourceS3?: string; destinationS3?: string; dynamodb?: string };
  /** More function environment (e.g. CHECKPOINT_MARGIN_SECONDS). */
  functionEnv?: Record<string, string>;
  /** The main queue's visibility timeout (default 1 s, so failed records come back fast). */
  visibilityTimeoutSeconds?: number;
  /** The main queue's redrive policy (default 100: deliver's maxRounds decides first). */
  maxReceiveCount?: number;
}

export interface Pipeline {
  sourceBucket: string;
  destBucket: string;
  tableName: string;
  source: S3Client;
  dest: S3Client;
  config: ReplicateConfig;
  /** The environment the replicate function was configured with (for a function in another process). */
  functionEnv: Record<string, string>;
  /** The DLQ sends of the replicate function (permanent failures), with their MessageAttributes. */
  dlq: SendMessageCommandInput[];
  secretReads: () => number;
  /** The real SQS client (fauxqs) and the queues of this pipeline. */
  sqs: SQSClient;
  queueUrl: string;
  dlqUrl: string;
  /** Relay one EventBridge event to the queue and take it off again: the record the poller would deliver. */
  relay(event: unknown): Promise<SQSRecord>;
  /** Relay one EventBridge event to the queue and leave it there; returns the SQS message id. */
  send(event: unknown): Promise<string>;
  /** One replicate invocation on a batch. */
  replicate(records: SQSRecord[], remainingMs?: () => number): Promise<SQSBatchResponse>;
  /**
   * Messages the replicate function re-queued since the last call, as SQS would deliver them; they
   * are taken off the real queue before the next replicate() or drain().
   */
  takeRequeued(): SQSRecord[];
  /** A poller on this pipeline's queue; by default it invokes the in-process replicate handler. */
  poller(options?: Partial<Omit<PollerOptions, 'sqs' | 'queueUrl'>> & { invoke?: Invoke }): Poller;
  /** Poll the queue until it is empty, through the real queue and the poller. */
  drain(options?: DrainOptions & { batchSize?: number }): Promise<Poller>;
  /** Relay all events, then drain the queue (failures come back after the visibility timeout). */
  deliver(events: unknown[], options?: { batchSize?: number; maxRounds?: number }): Promise<void>;
  cleanup(): Promise<void>;
}

/** The fauxqs endpoint that scripts/test-env started. */
export function localSqsEndpoint(): string {
  const value = process.env.LOCAL_SQS_ENDPOINT;
  if (!value) throw new Error('LOCAL_SQS_ENDPOINT is not set: the tests need the local servers: run `make test` or scripts/test-env/run.sh npx jest ...');
  if (new URL(value).hostname !== '127.0.0.1') throw new Error(`LOCAL_SQS_ENDPOINT=${value}: the local servers listen on 127.0.0.1 only`);
  return value;
}

/** An SQS client for fauxqs; it ignores credentials, the SDK still wants some. */
export function localSqsClient(): SQSClient {
  return new SQSClient({ endpoint: localSqsEndpoint(), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

/** A FIFO queue and its FIFO DLQ (redrive after maxReceiveCount receives), uniquely named. */
export async function createFifoQueues(sqs: SQSClient, { visibilityTimeoutSeconds = 1, maxReceiveCount = 100 } = {}): Promise<{ queueUrl: string; dlqUrl: string }> {
  const name = `replicate-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const { QueueUrl: dlqUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq.fifo`, Attributes: { FifoQueue: 'true' } }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
  const { QueueUrl: queueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}.fifo`,
      Attributes: {
        FifoQueue: 'true',
        VisibilityTimeout: String(visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount }),
      },
    }),
  );
  return { queueUrl: queueUrl!, dlqUrl: dlqUrl! };
}

export async function createPipeline(options: PipelineOptions = {}): Promise<Pipeline> {
  const env = localEnv();
  // The function's own credentials and region come from the environment, as in Lambda.
  process.env.AWS_ACCESS_KEY_ID = env.source.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = env.source.secretAccessKey;
  process.env.AWS_REGION = env.source.region;
  process.env.AWS_REQUEST_CHECKSUM_CALCULATION = 'WHEN_REQUIRED';
  process.env.AWS_RESPONSE_CHECKSUM_VALIDATION = 'WHEN_REQUIRED';

  const source = testSourceClient();
  const dest = destS3Client();
  const sourceBucket = await createVersionedBucket(source, uniqueBucketName('src'));
  const destBucket = uniqueBucketName('dst');
  if (options.versionedDestination === false) {
    const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
    await dest.send(new CreateBucketCommand({ Bucket: destBucket }));
  } else {
    await createVersionedBucket(dest, destBucket);
  }
  const tableName = await createStateTable(dynamoDbClient(), uniqueTableName());

  const sqs = localSqsClient();
  const { queueUrl, dlqUrl } = await createFifoQueues(sqs, options);
  // Record what was sent (the DLQ sends, the relay's message ids); the messages still go to fauxqs.
  const dlq: SendMessageCommandInput[] = [];
  const sends: { input: SendMessageCommandInput; output: SendMessageCommandOutput }[] = [];
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'SendMessageCommand') {
        const input = args.input as SendMessageCommandInput;
        if (input.QueueUrl === dlqUrl) dlq.push(input);
        else sends.push({ input, output: result.output });
      }
      return result;
    },
    { step: 'initialize', name: 'recordSends' },
  );

  const functionEnv: Record<string, string> = {
    TABLE_NAME: tableName,
    DLQ_URL: dlqUrl,
    QUEUE_URL: queueUrl,
    SOURCE_BUCKET: sourceBucket,
    DESTINATIONS: JSON.stringify([
      { id: 'gov', bucket: destBucket, region: env.dest.region, secretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:dest', ...options.destination },
    ]),
    HISTORY_MODE: options.historyMode ?? 'all',
    REPLICATE_SINCE: options.replicateSince ?? '2000-01-01T00:00:00Z',
    SOURCE_S3_ENDPOINT: options.endpoints?.sourceS3 ?? env.source.endpoint,
    DESTINATION_S3_ENDPOINT: options.endpoints?.destinationS3 ?? env.dest.endpoint,
    DYNAMODB_ENDPOINT: options.endpoints?.dynamodb ?? env.dynamodbEndpoint,
    SQS_ENDPOINT: localSqsEndpoint(),
    S3_FORCE_PATH_STYLE: 'true',
    ...options.functionEnv,
  };
  const config = loadReplicateConfig(functionEnv);

  const secrets = new SecretsManagerClient({ region: 'us-east-1' });
  const secretsMock = mockClient(secrets);
  const realSecret = () =>
    JSON.stringify({ user: 'replicator', accesskey: env.dest.accessKeyId, secretaccesskey: env.dest.secretAccessKey, partition: 'aws-us-gov', accountid: '222233334444' });
  secretsMock.on(GetSecretValueCommand).callsFake(() => ({ SecretString: (options.secret ?? realSecret)() }));

  const copy = options.copy ? (request: CopyRequest) => options.copy!(request, copyVersion) : copyVersion;
  const replicateHandler = createReplicateHandler({
    config,
    source: sourceS3Client(config.endpoints),
    documents: documentClient(config.endpoints),
    sqs,
    destinations: new DestinationClients(new CredentialsCache(secrets, config.secretCacheTtlMs), config.endpoints),
    copy,
  });
  const relayHandler = createRelayHandler({ config: loadRelayConfig({ QUEUE_URL: queueUrl, SOURCE_BUCKET: sourceBucket, SQS_ENDPOINT: localSqsEndpoint() }), sqs });
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const invokeInProcess: Invoke = async (event, context) => (await replicateHandler(event, context)) as unknown as SQSBatchResponse;

  /** Receives (bounded) until `wanted` says yes; the others are made visible again. */
  const receiveWhere = async (wanted: (m: Message) => boolean, maxReceives: number): Promise<Message[]> => {
    const taken: Message[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < maxReceives; i++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] }),
      );
      const fresh = Messages.filter((m) => !seen.has(m.MessageId!));
      for (const m of Messages) {
        seen.add(m.MessageId!);
        if (wanted(m)) {
          await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
          taken.push(m);
        } else {
          await release(sqs, queueUrl, m);
        }
      }
      if (fresh.length === 0) break;
    }
    return taken;
  };

  const send = async (event: unknown): Promise<{ input: SendMessageCommandInput; messageId: string }> => {
    const before = sends.length;
    await relayHandler(event, lambdaContext());
    const sent = sends[before];
    if (!sent) throw new Error('the relay sent nothing');
    return { input: sent.input, messageId: sent.output.MessageId! };
  };

  // Re-queues handed out by takeRequeued(): off the real queue before the next async step.
  let requeuedSeen = 0;
  const takenOff = new Set<string>();
  const settle = async () => {
    if (takenOff.size === 0) return;
    await receiveWhere((m) => takenOff.has(m.MessageId!), 20);
    takenOff.clear();
  };

  const pipeline: Pipeline = {
    sourceBucket,
    destBucket,
    tableName,
    source,
    dest,
    config,
    functionEnv,
    dlq,
    sqs,
    queueUrl,
    dlqUrl,
    secretReads: () => secretsMock.commandCalls(GetSecretValueCommand).length,
    takeRequeued() {
      const requeues = sends.filter((s) => s.input.MessageAttributes?.requeues !== undefined);
      const fresh = requeues.slice(requeuedSeen);
      requeuedSeen = requeues.length;
      return fresh.map(({ input, output }) => {
        takenOff.add(output.MessageId!);
        const record = sqsRecord(input.MessageBody!, input.MessageGroupId!, output.MessageId);
        const requeued = input.MessageAttributes!.requeues!.StringValue!;
        return { ...record, messageAttributes: { requeues: { stringValue: requeued, dataType: 'Number', stringListValues: [], binaryListValues: [] } } };
      });
    },
    async send(event) {
      return (await send(event)).messageId;
    },
    async relay(event) {
      const { input, messageId } = await send(event);
      const [message] = await receiveWhere((m) => m.MessageId === messageId, 20);
      // Not on the queue: a duplicate SQS dropped (same deduplication id within 5 minutes).
      if (!message) return sqsRecord(input.MessageBody!, input.MessageGroupId!, messageId);
      return toRecord(message, queueArn, 'us-east-1');
    },
    async replicate(records, remainingMs) {
      await settle();
      return (await replicateHandler({ Records: records }, lambdaContext(remainingMs))) as unknown as SQSBatchResponse;
    },
    poller(pollerOptions = {}) {
      return new Poller({ sqs, queueUrl, invoke: invokeInProcess, functionTimeoutMs: 900_000, ...pollerOptions });
    },
    async drain({ batchSize = 10, ...drainOptions } = {}) {
      await settle();
      const poller = pipeline.poller({ batchSize });
      await poller.drain(drainOptions);
      return poller;
    },
    async deliver(events, { batchSize = 10, maxRounds = 20 } = {}) {
      for (const event of events) await send(event);
      // A round is one receive of a message: failing more often than maxRounds stops the test.
      await pipeline.drain({
        batchSize,
        onDelivery: (d) => {
          if (d.outcome === 'failed' && d.receiveCount >= maxRounds) throw new Error(`message ${d.messageId} still failing after ${maxRounds} rounds`);
        },
      });
    },
    async cleanup() {
      await emptyAndDeleteBucket(source, sourceBucket).catch(() => undefined);
      await emptyAndDeleteBucket(dest, destBucket).catch(() => undefined);
      for (const url of [queueUrl, dlqUrl]) await sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
    },
  };
  return pipeline;
}

export interface ObjectSnapshot {
  sha256: string;
  size: number;
  contentType?: string;
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  websiteRedirectLocation?: string;
  metadata: Record<string, string>;
  tags: Record<string, string>;
}

/** The current object of a key, or null when it is absent or delete-marked. */
export async function currentObject(client: S3Client, bucket: string, key: string, versionId?: string): Promise<ObjectSnapshot | null> {
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of object.Body as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
    const { TagSet } = await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: object.VersionId }));
    const metadata = { ...object.Metadata };
    delete metadata[REPLICA_METADATA_KEY];
    return {
      sha256: hash.digest('hex'),
      size,
      contentType: object.ContentType,
      cacheControl: object.CacheControl,
      contentDisposition: object.ContentDisposition,
      contentEncoding: object.ContentEncoding,
      contentLanguage: object.ContentLanguage,
      websiteRedirectLocation: object.WebsiteRedirectLocation,
      metadata,
      tags: Object.fromEntries((TagSet ?? []).map((t) => [t.Key!, t.Value!])),
    };
  } catch (error) {
    if (error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound')) return null;
    throw error;
  }
}

/** Object versions (not markers) of exactly `key`, oldest first, as [versionId, sha256 of body]. */
export async function versionHistory(client: S3Client, bucket: string, key: string): Promise<string[]> {
  const { Versions } = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
  const own = (Versions ?? []).filter((v) => v.Key === key).reverse();
  const hashes: string[] = [];
  for (const v of own) hashes.push((await currentObject(client, bucket, key, v.VersionId))!.sha256);
  return hashes;
}

/** The source version each destination version is a replica of, oldest first. */
export async function replicaSources(client: S3Client, bucket: string, key: string): Promise<string[]> {
  const { Versions } = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
  const own = (Versions ?? []).filter((v) => v.Key === key).reverse();
  const sources: string[] = [];
  for (const v of own) {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: v.VersionId }));
    sources.push((head.Metadata?.[REPLICA_METADATA_KEY] ?? '?').split(';')[0]!);
  }
  return sources;
}

/** Source object versions of `key`, oldest first. */
export async function sourceVersionIds(client: S3Client, bucket: string, key: string): Promise<string[]> {
  const { Versions } = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
  return (Versions ?? []).filter((v) => v.Key === key).reverse().map((v) => v.VersionId!);
}
