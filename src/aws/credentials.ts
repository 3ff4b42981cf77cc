import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { CredentialsError } from '../errors';

/**
 * The destination IAM user's keys, kept in a Secrets Manager secret of the source account
 * (DESIGN §7). Validated field by field; messages name fields, never values.
 */

export const PARTITION_DEFAULT_REGION = { aws: 'us-east-1', 'aws-us-gov': 'us-gov-west-1', 'aws-cn': 'cn-north-1' } as const;
export type Partition = keyof typeof PARTITION_DEFAULT_REGION;

const secretSchema = z.object({
  user: z.string().min(1),
  accesskey: z.string().regex(/^[A-Z0-9]{16,128}$/),
  secretaccesskey: z.string().min(16),
  partition: z.enum(['aws', 'aws-us-gov', 'aws-cn']),
  accountid: z.string().regex(/^\d{12}$/),
  region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/).optional(),
});

export interface DestinationCredentials {
  user: string;
  accessKeyId: string;
  secretAccessKey: string;
  partition: Partition;
  accountId: string;
  region?: string;
}

const FIELD_RULES: Record<string, string> = {
  user: 'a non-empty string',
  accesskey: 'an access key id (16-128 upper-case letters and digits)',
  secretaccesskey: 'a secret access key (at least 16 characters)',
  partition: 'one of aws, aws-us-gov, aws-cn',
  accountid: 'a 12-digit account id',
  region: 'an AWS region such as us-gov-west-1',
};

/** Parses the secret's JSON text. Throws CredentialsError naming the bad fields only. */
export function parseSecret(text: string | undefined): DestinationCredentials {
  if (text === undefined) throw new CredentialsError('the secret has no SecretString (set its value to the JSON document)');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CredentialsError('the secret is not valid JSON');
  }
  const parsed = secretSchema.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => String(issue.path[0] ?? '')))];
    const detail = fields.map((f) => (f in FIELD_RULES ? `"${f}" must be ${FIELD_RULES[f]}` : 'the secret must be a JSON object')).join('; ');
    throw new CredentialsError(`the secret is malformed: ${detail}`);
  }
  const s = parsed.data;
  return { user: s.user, accessKeyId: s.accesskey, secretAccessKey: s.secretaccesskey, partition: s.partition, accountId: s.accountid, region: s.region };
}

/** The partition a region belongs to. */
export function partitionOfRegion(region: string): Partition {
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('cn-')) return 'aws-cn';
  return 'aws';
}

/**
 * The region to sign destination requests for: the destination's configured region, else the
 * secret's, else the partition's default. It must lie in the secret's partition.
 */
export function destinationRegion(credentials: DestinationCredentials, configuredRegion: string | undefined): string {
  const region = configuredRegion ?? credentials.region ?? PARTITION_DEFAULT_REGION[credentials.partition];
  if (partitionOfRegion(region) !== credentials.partition) {
    throw new CredentialsError(`region ${region} is not in the secret's partition ${credentials.partition}`);
  }
  return region;
}

/** Reads secrets through a TTL cache, so a rotation is picked up without a redeploy. */
export class CredentialsCache {
  private readonly entries = new Map<string, { credentials: DestinationCredentials; readAt: number }>();

  public constructor(
    private readonly client: SecretsManagerClient,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  public async get(secretArn: string, options: { refresh?: boolean } = {}): Promise<DestinationCredentials> {
    const cached = this.entries.get(secretArn);
    if (cached && !options.refresh && this.now() - cached.readAt < this.ttlMs) return cached.credentials;
    let SecretString: string | undefined;
    try {
      ({ SecretString } = await this.client.send(new GetSecretValueCommand({ SecretId: secretArn })));
    } catch (error) {
      // Before the one-time key step the secret exists without a value: wait for it, do not dead-letter.
      if (error instanceof Error && error.name === 'ResourceNotFoundException') {
        throw new CredentialsError('the destination secret has no value yet: the one-time access key step is pending (see the README, "Onboarding")');
      }
      throw error;
    }
    const credentials = parseSecret(SecretString);
    this.entries.set(secretArn, { credentials, readAt: this.now() });
    return credentials;
  }

  /** Drops a cached secret that turned out unusable, so the next read fetches it again. */
  public forget(secretArn: string): void {
    this.entries.delete(secretArn);
  }
}

const AUTH_ERRORS = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'AccessDenied']);

/**
 * True for the errors a rotated or wrong key gives: worth one re-read of the secret. Any 403
 * counts: HEAD responses have no body, so the SDK cannot name the error (`Unknown`, `Forbidden`).
 */
export function isCredentialsRejected(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return AUTH_ERRORS.has(error.name) || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 403;
}
