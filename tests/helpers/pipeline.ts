import './quiet-powertools';
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SendMessageCommandInput } from '@aws-sdk/client-sqs';
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
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

/**
 * The product's two handlers wired as Lambda runs them, against the real local servers: S3 on
 * Ceph RGW (two "partitions"), DynamoDB on dynalite. SQS and Secrets Manager have no local
 * server here, so their clients are aws-sdk-client-mock instances that record what was sent.
 */

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/replicate.fifo';
const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/replicate-dlq.fifo';

export interface PipelineOptions {
  historyMode?: 'all' | 'latest';
  replicateSince?: string;
  destination?: Record<string, unknown>;
  /** Wraps the copy engine, e.g. to crash after it. */
  copy?: (request: CopyRequest, real: typeof copyVersion) => Promise<CopyResult>;
  /** The JSON the secret holds; default: the destination user's real keys. */
  secret?: () => string;
  versionedDestination?: boolean;
}

export interface Pipeline {
  sourceBucket: string;
  destBucket: string;
  source: S3Client;
  dest: S3Client;
  config: ReplicateConfig;
  dlq: SendMessageCommandInput[];
  secretReads: () => number;
  /** Relay one EventBridge event; returns the SQS record the queue would deliver. */
  relay(event: unknown): Promise<SQSRecord>;
  /** One replicate invocation on a batch. */
  replicate(records: SQSRecord[], remainingMs?: () => number): Promise<SQSBatchResponse>;
  /** Messages the replicate function re-queued since the last call, as SQS would deliver them. */
  takeRequeued(): SQSRecord[];
  /** Relay all events, then deliver them as SQS FIFO would (in batches, failures redelivered). */
  deliver(events: unknown[], options?: { batchSize?: number; maxRounds?: number }): Promise<void>;
  cleanup(): Promise<void>;
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

  const functionEnv = {
    TABLE_NAME: tableName,
    DLQ_URL,
    QUEUE_URL,
    SOURCE_BUCKET: sourceBucket,
    DESTINATIONS: JSON.stringify([
      { id: 'gov', bucket: destBucket, region: env.dest.region, secretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:dest', ...options.destination },
    ]),
    HISTORY_MODE: options.historyMode ?? 'all',
    REPLICATE_SINCE: options.replicateSince ?? '2000-01-01T00:00:00Z',
    SOURCE_S3_ENDPOINT: env.source.endpoint,
    DESTINATION_S3_ENDPOINT: env.dest.endpoint,
    DYNAMODB_ENDPOINT: env.dynamodbEndpoint,
    S3_FORCE_PATH_STYLE: 'true',
  };
  const config = loadReplicateConfig(functionEnv);

  const sqs = new SQSClient({ region: 'us-east-1' });
  const sqsMock = mockClient(sqs);
  const queued: SendMessageCommandInput[] = [];
  const dlq: SendMessageCommandInput[] = [];
  sqsMock.on(SendMessageCommand).callsFake((input: SendMessageCommandInput) => {
    (input.QueueUrl === DLQ_URL ? dlq : queued).push(input);
    return { MessageId: `m-${queued.length + dlq.length}` };
  });
  sqsMock.on(ChangeMessageVisibilityCommand).resolves({});

  const secrets = new SecretsManagerClient({ region: 'us-east-1' });
  const secretsMock = mockClient(secrets);
  const realSecret = () =>
    JSON.stringify({ user: 'replicator', accesskey: env.dest.accessKeyId, secretaccesskey: env.dest.secretAccessKey, partition: 'aws-us-gov', accountid: '222233334444' });
  secretsMock.on(GetSecretValueCommand).callsFake(() => ({ SecretString: (options.secret ?? realSecret)() }));

  // Messages the relay sent are delivered by the tests; those sent by replicate are re-queues.
  let requeuedSeen = 0;
  const requeues = () => queued.filter((input) => input.MessageAttributes?.requeues !== undefined);
  const copy = options.copy ? (request: CopyRequest) => options.copy!(request, copyVersion) : copyVersion;
  const replicateHandler = createReplicateHandler({
    config,
    source: sourceS3Client(config.endpoints),
    documents: documentClient(config.endpoints),
    sqs,
    destinations: new DestinationClients(new CredentialsCache(secrets, config.secretCacheTtlMs), config.endpoints),
    copy,
  });
  const relayHandler = createRelayHandler({ config: loadRelayConfig({ QUEUE_URL, SOURCE_BUCKET: sourceBucket }), sqs });

  const pipeline: Pipeline = {
    sourceBucket,
    destBucket,
    source,
    dest,
    config,
    dlq,
    secretReads: () => secretsMock.commandCalls(GetSecretValueCommand).length,
    takeRequeued() {
      const fresh = requeues().slice(requeuedSeen);
      requeuedSeen += fresh.length;
      return fresh.map((input) => {
        const record = sqsRecord(input.MessageBody!, input.MessageGroupId!);
        const requeued = input.MessageAttributes!.requeues!.StringValue!;
        return { ...record, messageAttributes: { requeues: { stringValue: requeued, dataType: 'Number', stringListValues: [], binaryListValues: [] } } };
      });
    },
    async relay(event) {
      const before = queued.length;
      await relayHandler(event, lambdaContext());
      const sent = queued[before];
      if (!sent) throw new Error('the relay sent nothing');
      return sqsRecord(sent.MessageBody!, sent.MessageGroupId!);
    },
    async replicate(records, remainingMs) {
      return (await replicateHandler({ Records: records }, lambdaContext(remainingMs))) as unknown as SQSBatchResponse;
    },
    async deliver(events, { batchSize = 10, maxRounds = 20 } = {}) {
      let pending: SQSRecord[] = [];
      for (const event of events) pending.push(await pipeline.relay(event));
      for (let round = 0; pending.length > 0; round++) {
        if (round >= maxRounds) throw new Error(`${pending.length} messages still failing after ${maxRounds} rounds`);
        const failed: SQSRecord[] = [];
        for (let i = 0; i < pending.length; i += batchSize) {
          const batch = pending.slice(i, i + batchSize);
          const { batchItemFailures } = await pipeline.replicate(batch);
          const ids = new Set(batchItemFailures.map((f) => f.itemIdentifier));
          failed.push(...batch.filter((r) => ids.has(r.messageId)));
        }
        pending = [...failed, ...pipeline.takeRequeued()];
      }
    },
    async cleanup() {
      await emptyAndDeleteBucket(source, sourceBucket).catch(() => undefined);
      await emptyAndDeleteBucket(dest, destBucket).catch(() => undefined);
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
