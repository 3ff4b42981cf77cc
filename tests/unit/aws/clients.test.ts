import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { S3Client } from '@aws-sdk/client-s3';
import { CompleteMultipartUploadCommand, DeleteObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client as RealS3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DestinationClients, guardUncertainWrites } from '../../../src/aws/clients';
import type { DestinationConfig, Endpoints } from '../../../src/config';
import { CredentialsCache } from '../../../src/aws/credentials';
import { CredentialsError, PermanentError, WriteOutcomeUnknownError, classify } from '../../../src/errors';
import { secretDocument } from '../../helpers/builders';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:dest-abc';
const OLD_KEY = 'AKIAOLDKEY000000';
const NEW_KEY = 'AKIANEWKEY000000';
const OLD_SECRET = 'old-secret-access-key-0000';
const NEW_SECRET = 'new-secret-access-key-1111';
const TTL_MS = 300_000;

const destination: DestinationConfig = {
  id: 'gov',
  bucket: 'dest-bucket',
  region: 'us-gov-east-1',
  secretArn: SECRET_ARN,
  sourcePrefix: '',
  destinationPrefix: '',
  deleteMarkers: true,
  permanentDeletes: true,
  lifecycleExpirations: false,
};
const endpoints: Endpoints = { destinationS3: 'http://127.0.0.1:7481', forcePathStyle: true };

const s3Error = (name: string, status = 403) => new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: `${name} (test)` });
const keysOf = async (client: S3Client) => {
  const { accessKeyId, secretAccessKey } = await client.config.credentials();
  return { accessKeyId, secretAccessKey };
};

describe('DestinationClients.withClient', () => {
  const secretsClient = new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const secrets = mockClient(secretsClient);
  let clock: number;
  let clients: DestinationClients;

  beforeEach(() => {
    // Prepare: the secret holds the old keys, then (after a rotation) the new ones
    secrets.reset();
    secrets
      .on(GetSecretValueCommand, { SecretId: SECRET_ARN })
      .resolvesOnce({ SecretString: JSON.stringify(secretDocument({ accesskey: OLD_KEY, secretaccesskey: OLD_SECRET })) })
      .resolves({ SecretString: JSON.stringify(secretDocument({ accesskey: NEW_KEY, secretaccesskey: NEW_SECRET })) });
    clock = 0;
    clients = new DestinationClients(new CredentialsCache(secretsClient, TTL_MS, () => clock), endpoints);
  });

  it('runs the work once with a client signed by the secret keys, for the destination region and endpoint', async () => {
    // Prepare
    const work = jest.fn((client: S3Client) => Promise.resolve(client));

    // Act
    const client = await clients.withClient(destination, work);

    // Assess
    expect(work).toHaveBeenCalledTimes(1);
    expect(await keysOf(client)).toEqual({ accessKeyId: OLD_KEY, secretAccessKey: OLD_SECRET });
    expect(await client.config.region()).toBe('us-gov-east-1');
    expect(client.config.forcePathStyle).toBe(true);
    expect(await client.config.endpoint?.()).toMatchObject({ hostname: '127.0.0.1', port: 7481, protocol: 'http:' });
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('reuses the client while the cached keys are unchanged', async () => {
    // Act
    const first = await clients.withClient(destination, (client) => Promise.resolve(client));
    clock += TTL_MS - 1;
    const second = await clients.withClient(destination, (client) => Promise.resolve(client));

    // Assess
    expect(second).toBe(first);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('builds a new client when the secret read after the TTL holds new keys', async () => {
    // Act
    const first = await clients.withClient(destination, (client) => Promise.resolve(client));
    clock += TTL_MS;
    const second = await clients.withClient(destination, (client) => Promise.resolve(client));

    // Assess
    expect(second).not.toBe(first);
    expect((await keysOf(second)).accessKeyId).toBe(NEW_KEY);
  });

  it.each(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken'])('re-reads the secret once on %s and retries with the new keys', async (name) => {
    // Prepare
    const seen: S3Client[] = [];
    const work = jest.fn((client: S3Client) => {
      seen.push(client);
      return seen.length === 1 ? Promise.reject(s3Error(name)) : Promise.resolve('done');
    });

    // Act
    const result = await clients.withClient(destination, work);

    // Assess
    expect(result).toBe('done');
    expect(work).toHaveBeenCalledTimes(2);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
    expect(await keysOf(seen[0]!)).toEqual({ accessKeyId: OLD_KEY, secretAccessKey: OLD_SECRET });
    expect(await keysOf(seen[1]!)).toEqual({ accessKeyId: NEW_KEY, secretAccessKey: NEW_SECRET });
  });

  it('keeps the client built from the new keys for later work', async () => {
    // Prepare
    let calls = 0;
    const retried = await clients.withClient(destination, (client) => (++calls === 1 ? Promise.reject(s3Error('InvalidAccessKeyId')) : Promise.resolve(client)));

    // Act
    const later = await clients.withClient(destination, (client) => Promise.resolve(client));

    // Assess
    expect(later).toBe(retried);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it.each([
    ['NoSuchBucket', s3Error('NoSuchBucket', 404)],
    ['SlowDown', s3Error('SlowDown', 503)],
    ['a plain Error', new Error('socket hang up')],
  ])('does not retry on %s', async (_name, failure) => {
    // Prepare
    const work = jest.fn(() => Promise.reject(failure));

    // Act
    const error = await clients.withClient(destination, work).catch((e: unknown) => e);

    // Assess
    expect(error).toBe(failure);
    expect(work).toHaveBeenCalledTimes(1);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it.each([
    ['AccessDenied', s3Error('AccessDenied')],
    ['a bodyless 403 of a HEAD (the SDK names it Unknown)', s3Error('Unknown')],
    ['a bodyless 403 named Forbidden', s3Error('Forbidden')],
  ])('re-reads the secret once and retries on %s', async (_name, failure) => {
    // Prepare
    const work = jest.fn().mockRejectedValueOnce(failure).mockResolvedValueOnce('done');

    // Act
    const result = await clients.withClient(destination, work);

    // Assess
    expect(result).toBe('done');
    expect(work).toHaveBeenCalledTimes(2);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('dead-letters a second refusal (AccessDenied) of keys just read, without a third attempt', async () => {
    // Prepare
    const work = jest.fn().mockRejectedValueOnce(s3Error('AccessDenied')).mockRejectedValueOnce(s3Error('AccessDenied'));

    // Act
    const error = await clients.withClient(destination, work).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ reason: 'destination-access-denied' });
    expect(work).toHaveBeenCalledTimes(2);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('retries later, not dead-letters, when keys just read are unknown to the destination (a rotation under way)', async () => {
    // Prepare: the old key removed before the secret names the new one
    const work = jest.fn().mockRejectedValueOnce(s3Error('InvalidAccessKeyId')).mockRejectedValueOnce(s3Error('InvalidAccessKeyId'));

    // Act
    const error = await clients.withClient(destination, work).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(CredentialsError);
    expect(classify(error)).toBeUndefined();
    expect((error as Error).message).toMatch(/rotation/);
    expect(work).toHaveBeenCalledTimes(2);
  });

  it('reads a secret again at once after it named a region outside its partition, instead of caching it', async () => {
    // Act
    await clients.withClient({ ...destination, region: 'us-east-1' }, () => Promise.resolve('never')).catch(() => undefined);
    await clients.withClient(destination, () => Promise.resolve('ok'));

    // Assess
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('fails without running the work when the region is outside the secret partition', async () => {
    // Prepare: the secret is for aws-us-gov, the destination says us-east-1
    const work = jest.fn(() => Promise.resolve('never'));

    // Act
    const error = await clients.withClient({ ...destination, region: 'us-east-1' }, work).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(CredentialsError);
    expect(work).not.toHaveBeenCalled();
  });
});

describe('guardUncertainWrites', () => {
  /** A server on 127.0.0.1 that reads each request, counts it, and drops the connection without an answer. */
  async function droppingServer() {
    const hits: string[] = [];
    const server = createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      req.resume();
      req.on('end', () => res.socket?.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new RealS3Client({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIAEXAMPLE000000000', secretAccessKey: 'exampleSecretAccessKey0000000000000000000' },
      maxAttempts: 3,
      retryMode: 'adaptive',
    });
    guardUncertainWrites(client);
    return { hits, client, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }

  it.each([
    ['PutObject', () => new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'x' })],
    ['DeleteObject without a version id (a delete marker)', () => new DeleteObjectCommand({ Bucket: 'b', Key: 'k' })],
    ['CompleteMultipartUpload', () => new CompleteMultipartUploadCommand({ Bucket: 'b', Key: 'k', UploadId: 'u', MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"e"' }] } })],
  ])('sends %s once and reports its outcome unknown when the answer is lost', async (_name, command) => {
    // Prepare
    const server = await droppingServer();
    try {
      // Act
      const error = await server.client.send(command() as never).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(WriteOutcomeUnknownError);
      expect(server.hits).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('keeps the SDK retries of idempotent requests (a version delete, a read)', async () => {
    // Prepare
    const server = await droppingServer();
    try {
      // Act
      const deleted = await server.client.send(new DeleteObjectCommand({ Bucket: 'b', Key: 'k', VersionId: 'v1' })).catch((e: unknown) => e);
      const read = await server.client.send(new HeadObjectCommand({ Bucket: 'b', Key: 'k' })).catch((e: unknown) => e);

      // Assess
      expect(deleted).not.toBeInstanceOf(WriteOutcomeUnknownError);
      expect(read).not.toBeInstanceOf(WriteOutcomeUnknownError);
      expect(server.hits).toHaveLength(6);
    } finally {
      await server.close();
    }
  });
});
