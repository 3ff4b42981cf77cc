import { S3Client } from '@aws-sdk/client-s3';
import type { ReplicateConfig, DestinationConfig } from '../config';
import { loadReplicateConfig } from '../config';
import { DestinationClients, secretsClient } from '../aws/clients';
import { CredentialsCache } from '../aws/credentials';
import { ConfigError } from '../errors';
import type { DestinationAccess } from '../backfill/engine';

/**
 * The CLI's configuration: the replicate function's own environment variables (the module's
 * `cli_environment` output prints them), each overridable by a flag. Flags win; errors name
 * both the variable and its flag.
 */
export const FLAG_OF_VARIABLE = {
  SOURCE_BUCKET: 'source-bucket',
  TABLE_NAME: 'table',
  QUEUE_URL: 'queue-url',
  DLQ_URL: 'dlq-url',
  DESTINATIONS: 'destinations',
  HISTORY_MODE: 'history-mode',
  REPLICATE_SINCE: 'replicate-since',
} as const;
type Variable = keyof typeof FLAG_OF_VARIABLE;

export type Flags = Partial<Record<(typeof FLAG_OF_VARIABLE)[Variable], string>>;

export function loadCliConfig(env: Record<string, string | undefined>, flags: Flags): ReplicateConfig {
  const merged = { ...env };
  for (const [variable, flag] of Object.entries(FLAG_OF_VARIABLE)) {
    const value = flags[flag];
    if (value !== undefined) merged[variable] = value;
  }
  try {
    return loadReplicateConfig(merged);
  } catch (error) {
    if (error instanceof ConfigError && error.variable in FLAG_OF_VARIABLE) {
      throw new ConfigError(`${error.variable} (or --${FLAG_OF_VARIABLE[error.variable as Variable]})`, error.message.slice(error.variable.length + 2), { cause: error });
    }
    throw error;
  }
}

/**
 * Destination credentials for local use instead of the keys in the secret: a named profile of
 * the shared config files, or keys in DESTINATION_AWS_ACCESS_KEY_ID /
 * DESTINATION_AWS_SECRET_ACCESS_KEY (environment only: a flag would show in the process list).
 */
export class LocalDestinations implements DestinationAccess {
  private readonly clients = new Map<string, S3Client>();

  public constructor(
    private readonly credentials: { profile: string } | { accessKeyId: string; secretAccessKey: string },
    private readonly config: ReplicateConfig,
  ) {}

  public withClient<T>(destination: DestinationConfig, work: (client: S3Client) => Promise<T>): Promise<T> {
    let client = this.clients.get(destination.id);
    if (client === undefined) {
      client = new S3Client({
        retryMode: 'adaptive',
        maxAttempts: 5,
        ...('profile' in this.credentials ? { profile: this.credentials.profile } : { credentials: this.credentials }),
        ...(destination.region !== undefined && { region: destination.region }),
        endpoint: this.config.endpoints.destinationS3,
        forcePathStyle: this.config.endpoints.forcePathStyle,
      });
      this.clients.set(destination.id, client);
    }
    return work(client);
  }
}

/** The destination clients of the CLI: local credentials when given, else the secret's keys, as the function reads them. */
export function destinationAccess(config: ReplicateConfig, profile: string | undefined, env: Record<string, string | undefined>): DestinationAccess {
  if (profile !== undefined) return new LocalDestinations({ profile }, config);
  const accessKeyId = env.DESTINATION_AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.DESTINATION_AWS_SECRET_ACCESS_KEY;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new ConfigError(accessKeyId === undefined ? 'DESTINATION_AWS_ACCESS_KEY_ID' : 'DESTINATION_AWS_SECRET_ACCESS_KEY', 'is required when the other destination key variable is set');
  }
  if (accessKeyId !== undefined && secretAccessKey !== undefined) return new LocalDestinations({ accessKeyId, secretAccessKey }, config);
  return new DestinationClients(new CredentialsCache(secretsClient(config.endpoints), config.secretCacheTtlMs), config.endpoints);
}
