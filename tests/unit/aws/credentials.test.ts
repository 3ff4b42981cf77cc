import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { CredentialsError, classify } from '../../../src/errors';
import type { DestinationCredentials } from '../../../src/aws/credentials';
import { CredentialsCache, destinationRegion, isCredentialsRejected, parseSecret } from '../../../src/aws/credentials';
import { ACCESS_KEY_ID, SECRET_ACCESS_KEY, secretDocument } from '../../helpers/builders';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:dest-abc';

function credentialsError(act: () => unknown): CredentialsError {
  try {
    act();
  } catch (error) {
    if (error instanceof CredentialsError) return error;
    throw error;
  }
  throw new Error('expected a CredentialsError');
}

describe('parseSecret', () => {
  it('maps the secret document to credentials', () => {
    // Prepare
    const text = JSON.stringify(secretDocument({ region: 'us-gov-east-1' }));

    // Act
    const credentials = parseSecret(text);

    // Assess
    expect(credentials).toEqual({
      user: 'partition-s3-replicate',
      accessKeyId: ACCESS_KEY_ID,
      secretAccessKey: SECRET_ACCESS_KEY,
      partition: 'aws-us-gov',
      accountId: '210987654321',
      region: 'us-gov-east-1',
    });
  });

  it('accepts each partition and a secret without region', () => {
    // Act
    const partitions = ['aws', 'aws-us-gov', 'aws-cn'].map((partition) => parseSecret(JSON.stringify(secretDocument({ partition }))));

    // Assess
    expect(partitions.map((c) => c.partition)).toEqual(['aws', 'aws-us-gov', 'aws-cn']);
    expect(partitions[0]?.region).toBeUndefined();
  });

  it('fails when the secret has no string value', () => {
    // Act
    const error = credentialsError(() => parseSecret(undefined));

    // Assess
    expect(error.message).toContain('no SecretString');
  });

  it('fails when the secret is not JSON, without echoing it', () => {
    // Prepare
    const text = `user=me accesskey=${ACCESS_KEY_ID} secretaccesskey=${SECRET_ACCESS_KEY}`;

    // Act
    const error = credentialsError(() => parseSecret(text));

    // Assess
    expect(error.message).toBe('the secret is not valid JSON');
    expect(error.cause).toBeUndefined();
  });

  it.each([['an array', [SECRET_ACCESS_KEY]], ['a string', SECRET_ACCESS_KEY], ['null', null]])('fails when the secret is %s', (_name, value) => {
    // Act
    const error = credentialsError(() => parseSecret(JSON.stringify(value)));

    // Assess
    expect(error.message).toBe('the secret is malformed: the secret must be a JSON object');
    expect(error.message).not.toContain(SECRET_ACCESS_KEY);
  });

  const SECRETISH = 'Zm9vYmFyYmF6c2VjcmV0LXZhbHVl';
  it.each([
    ['user', '', 'a non-empty string'],
    ['accesskey', 'akia-lowercase-key', 'an access key id (16-128 upper-case letters and digits)'],
    ['accesskey', 'AKIASHORT', 'an access key id (16-128 upper-case letters and digits)'],
    ['secretaccesskey', 'short', 'a secret access key (at least 16 characters)'],
    ['secretaccesskey', 1234567890123456, 'a secret access key (at least 16 characters)'],
    ['partition', 'aws-iso', 'one of aws, aws-us-gov, aws-cn'],
    ['accountid', '12345', 'a 12-digit account id'],
    ['accountid', 123456789012, 'a 12-digit account id'],
    ['region', 'GovCloud West', 'an AWS region such as us-gov-west-1'],
  ])('fails on a bad %s (%p), naming the field and the rule, never the value', (field, value, rule) => {
    // Prepare: the other fields hold secret-looking values that must not leak either
    const text = JSON.stringify(secretDocument({ [field]: value, ...(field !== 'secretaccesskey' && { secretaccesskey: SECRETISH }) }));

    // Act
    const error = credentialsError(() => parseSecret(text));

    // Assess
    expect(error.message).toBe(`the secret is malformed: "${field}" must be ${rule}`);
    expect(error.message).not.toContain(SECRETISH);
    if (String(value).length > 0) expect(error.message).not.toContain(String(value));
    expect(error.cause).toBeUndefined();
  });

  it.each(['user', 'accesskey', 'secretaccesskey', 'partition', 'accountid'])('fails when %s is missing', (field) => {
    // Prepare
    const document = secretDocument();
    delete document[field];

    // Act
    const error = credentialsError(() => parseSecret(JSON.stringify(document)));

    // Assess
    expect(error.message).toMatch(new RegExp(`^the secret is malformed: "${field}" must be `));
    expect(error.message).not.toContain(SECRET_ACCESS_KEY);
    expect(error.message).not.toContain(ACCESS_KEY_ID);
  });

  it('names every bad field once', () => {
    // Prepare
    const text = JSON.stringify({ user: 'u', accesskey: 'x', secretaccesskey: 'y', partition: 'mars', accountid: '1' });

    // Act
    const error = credentialsError(() => parseSecret(text));

    // Assess
    expect(error.message).toBe(
      'the secret is malformed: "accesskey" must be an access key id (16-128 upper-case letters and digits); ' +
        '"secretaccesskey" must be a secret access key (at least 16 characters); "partition" must be one of aws, aws-us-gov, aws-cn; ' +
        '"accountid" must be a 12-digit account id',
    );
  });
});

describe('destinationRegion', () => {
  const credentials = (overrides: Partial<DestinationCredentials> = {}): DestinationCredentials => ({
    user: 'u',
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    partition: 'aws-us-gov',
    accountId: '210987654321',
    ...overrides,
  });

  it.each([
    ['aws', 'us-east-1'],
    ['aws-us-gov', 'us-gov-west-1'],
    ['aws-cn', 'cn-north-1'],
  ] as const)('defaults to the region of partition %s', (partition, region) => {
    // Act
    const result = destinationRegion(credentials({ partition }), undefined);

    // Assess
    expect(result).toBe(region);
  });

  it('prefers the secret region to the partition default', () => {
    // Act
    const result = destinationRegion(credentials({ region: 'us-gov-east-1' }), undefined);

    // Assess
    expect(result).toBe('us-gov-east-1');
  });

  it('prefers the configured region to the secret region', () => {
    // Act
    const result = destinationRegion(credentials({ partition: 'aws-cn', region: 'cn-north-1' }), 'cn-northwest-1');

    // Assess
    expect(result).toBe('cn-northwest-1');
  });

  it.each([
    ['aws-us-gov', 'us-east-1', undefined],
    ['aws', 'us-gov-west-1', undefined],
    ['aws', 'cn-north-1', undefined],
    ['aws-cn', undefined, 'eu-west-1'],
  ] as const)('refuses partition %s with region %s / secret region %s', (partition, configured, secretRegion) => {
    // Act
    const error = credentialsError(() => destinationRegion(credentials({ partition, region: secretRegion }), configured));

    // Assess
    expect(error.message).toBe(`region ${configured ?? secretRegion} is not in the secret's partition ${partition}`);
    expect(error.message).not.toContain(SECRET_ACCESS_KEY);
  });
});

describe('CredentialsCache', () => {
  const client = new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const secrets = mockClient(client);
  let clock: number;
  const now = () => clock;

  beforeEach(() => {
    secrets.reset();
    clock = 1_000_000;
  });

  const secretString = (accesskey: string) => ({ SecretString: JSON.stringify(secretDocument({ accesskey })) });

  it('reads the secret once within the TTL', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves(secretString('AKIAFIRST0000000'));
    const cache = new CredentialsCache(client, 60_000, now);

    // Act
    const first = await cache.get(SECRET_ARN);
    clock += 59_999;
    const second = await cache.get(SECRET_ARN);

    // Assess
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: SECRET_ARN });
    expect(first.accessKeyId).toBe('AKIAFIRST0000000');
    expect(second).toBe(first);
  });

  it('reads the secret again once the TTL has passed', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolvesOnce(secretString('AKIAFIRST0000000')).resolvesOnce(secretString('AKIASECOND000000'));
    const cache = new CredentialsCache(client, 60_000, now);

    // Act
    const first = await cache.get(SECRET_ARN);
    clock += 60_000;
    const second = await cache.get(SECRET_ARN);

    // Assess
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
    expect(first.accessKeyId).toBe('AKIAFIRST0000000');
    expect(second.accessKeyId).toBe('AKIASECOND000000');
  });

  it('re-reads the secret within the TTL when asked to refresh, and restarts the TTL', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolvesOnce(secretString('AKIAFIRST0000000')).resolvesOnce(secretString('AKIASECOND000000'));
    const cache = new CredentialsCache(client, 60_000, now);
    await cache.get(SECRET_ARN);
    clock += 50_000;

    // Act
    const refreshed = await cache.get(SECRET_ARN, { refresh: true });
    clock += 50_000;
    const cached = await cache.get(SECRET_ARN);

    // Assess
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
    expect(refreshed.accessKeyId).toBe('AKIASECOND000000');
    expect(cached).toBe(refreshed);
  });

  it('caches each secret on its own', async () => {
    // Prepare
    const other = `${SECRET_ARN}-other`;
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves(secretString('AKIAFIRST0000000'));
    secrets.on(GetSecretValueCommand, { SecretId: other }).resolves(secretString('AKIAOTHER0000000'));
    const cache = new CredentialsCache(client, 60_000, now);

    // Act
    const a = await cache.get(SECRET_ARN);
    const b = await cache.get(other);
    await cache.get(SECRET_ARN);
    await cache.get(other);

    // Assess
    expect(a.accessKeyId).toBe('AKIAFIRST0000000');
    expect(b.accessKeyId).toBe('AKIAOTHER0000000');
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('does not cache a malformed secret', async () => {
    // Prepare
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify(secretDocument({ accountid: 'nope' })) })
      .resolvesOnce(secretString('AKIAFIXED0000000'));
    const cache = new CredentialsCache(client, 60_000, now);

    // Act
    const failure = await cache.get(SECRET_ARN).catch((error: unknown) => error);
    const fixed = await cache.get(SECRET_ARN);

    // Assess
    expect(failure).toBeInstanceOf(CredentialsError);
    expect(fixed.accessKeyId).toBe('AKIAFIXED0000000');
  });

  it('lets a Secrets Manager error through', async () => {
    // Prepare
    const denied = new Error('not authorized to read the secret');
    denied.name = 'AccessDeniedException';
    secrets.on(GetSecretValueCommand).rejects(denied);
    const cache = new CredentialsCache(client, 60_000, now);

    // Act
    const failure = await cache.get(SECRET_ARN).catch((error: unknown) => error);

    // Assess
    expect(failure).toBe(denied);
  });

  it('says the one-time key step is pending, as a transient failure, while the secret has no value', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT", $metadata: {} }));
    const cache = new CredentialsCache(client, 60_000, now);

    // Act
    const failure = await cache.get(SECRET_ARN).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(CredentialsError);
    expect((failure as Error).message).toMatch(/one-time access key step is pending/);
    expect(classify(failure)).toBeUndefined();
  });
});

describe('isCredentialsRejected', () => {
  const s3Error = (name: string) => new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 403 }, message: name });

  it.each(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'AccessDenied', 'Unknown'])('is true for %s', (name) => {
    // Act
    const result = isCredentialsRejected(s3Error(name));

    // Assess
    expect(result).toBe(true);
  });

  it.each([
    ['NoSuchBucket', 404],
    ['SlowDown', 503],
  ])('is false for %s', (name, status) => {
    // Act
    const result = isCredentialsRejected(new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name }));

    // Assess
    expect(result).toBe(false);
  });

  it('is false for something that is not an Error', () => {
    // Act
    const result = isCredentialsRejected({ name: 'InvalidAccessKeyId' });

    // Assess
    expect(result).toBe(false);
  });
});
