// Access to the local servers started by scripts/test-env (see docs/CONTRACTS.md):
// validated LOCAL_* variables, clients for each side, and bucket/table fixtures.
import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  AbortMultipartUploadCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';

export type Side = 'source' | 'dest';

export interface S3Side {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** RGW tenant of this side's user (its bucket namespace); other tenants' buckets are "tenant:bucket". */
  tenant: string | undefined;
}

export interface LocalEnv {
  source: S3Side;
  dest: S3Side;
  dynamodbEndpoint: string;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: integration tests need the local servers: run \`make test\` or scripts/test-env/run.sh npx jest ...`,
    );
  }
  return value;
}

function url(name: string): string {
  const value = required(name);
  const parsed = new URL(value); // throws on garbage
  if (parsed.hostname !== '127.0.0.1') throw new Error(`${name}=${value}: the local servers listen on 127.0.0.1 only`);
  return value;
}

let cached: LocalEnv | undefined;

/** The LOCAL_* variables, validated once. */
export function localEnv(): LocalEnv {
  cached ??= {
    source: {
      endpoint: url('LOCAL_S3_SOURCE_ENDPOINT'),
      region: required('LOCAL_S3_SOURCE_REGION'),
      accessKeyId: required('LOCAL_S3_SOURCE_ACCESS_KEY_ID'),
      secretAccessKey: required('LOCAL_S3_SOURCE_SECRET_ACCESS_KEY'),
      tenant: process.env.LOCAL_S3_SOURCE_TENANT,
    },
    dest: {
      endpoint: url('LOCAL_S3_DEST_ENDPOINT'),
      region: required('LOCAL_S3_DEST_REGION'),
      accessKeyId: required('LOCAL_S3_DEST_ACCESS_KEY_ID'),
      secretAccessKey: required('LOCAL_S3_DEST_SECRET_ACCESS_KEY'),
      tenant: process.env.LOCAL_S3_DEST_TENANT,
    },
    dynamodbEndpoint: url('LOCAL_DYNAMODB_ENDPOINT'),
  };
  return cached;
}

/** Client options for one side; `credentialsOf` lets a test sign with the other side's keys. */
export function s3Config(side: Side, credentialsOf: Side = side) {
  const env = localEnv();
  const { endpoint, region } = env[side];
  const { accessKeyId, secretAccessKey } = env[credentialsOf];
  return {
    endpoint,
    region,
    credentials: { accessKeyId, secretAccessKey },
    forcePathStyle: true, // no virtual-host DNS for 127.0.0.1
    // RGW 16 rejects the SDK's default aws-chunked trailing checksums on streamed bodies
    requestChecksumCalculation: 'WHEN_REQUIRED' as const,
    responseChecksumValidation: 'WHEN_REQUIRED' as const,
  };
}

export function sourceS3Client(): S3Client {
  return new S3Client(s3Config('source'));
}

export function destS3Client(): S3Client {
  return new S3Client(s3Config('dest'));
}

export function dynamoDbClient(): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: localEnv().dynamodbEndpoint,
    region: localEnv().source.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, // dynalite ignores them
  });
}

/** A valid, unique bucket name: lower case, at most 63 characters. */
export function uniqueBucketName(prefix = 'test'): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '') || 'test';
  const suffix = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  return `${clean.slice(0, 62 - suffix.length)}-${suffix}`;
}

/** A fresh unique name: table names are global to the dynalite server. */
export function uniqueTableName(prefix = 'state'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export async function createVersionedBucket(client: S3Client, name: string): Promise<string> {
  await client.send(new CreateBucketCommand({ Bucket: name }));
  await client.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }));
  return name;
}

/** Delete every version, delete marker and unfinished multipart upload, then the bucket. */
export async function emptyAndDeleteBucket(client: S3Client, name: string): Promise<void> {
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  for (;;) {
    const page = await client.send(new ListObjectVersionsCommand({ Bucket: name, KeyMarker, VersionIdMarker }));
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({
      Key: v.Key!,
      VersionId: v.VersionId,
    }));
    if (objects.length > 0) {
      const result = await client.send(new DeleteObjectsCommand({ Bucket: name, Delete: { Objects: objects, Quiet: true } }));
      if (result.Errors?.length) throw new Error(`emptying ${name}: ${JSON.stringify(result.Errors)}`);
    }
    if (!page.IsTruncated) break;
    ({ NextKeyMarker: KeyMarker, NextVersionIdMarker: VersionIdMarker } = page);
  }
  const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: name }));
  for (const u of uploads.Uploads ?? []) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: name, Key: u.Key!, UploadId: u.UploadId! }));
  }
  await client.send(new DeleteBucketCommand({ Bucket: name }));
}

/** The replicate engine's state table: pk (S) hash, sk (S) range, on-demand. */
export async function createStateTable(client: DynamoDBClient, name: string): Promise<string> {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return name;
}
