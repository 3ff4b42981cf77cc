import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Endpoints } from '../config';
import type { DestinationConfig } from '../config';
import type { CredentialsCache } from './credentials';
import { destinationRegion, isCredentialsRejected } from './credentials';

/**
 * SDK clients, built once per cold start. Endpoints are overridable so the same code runs
 * against local servers; checksum modes come from the SDK's own AWS_REQUEST_CHECKSUM_CALCULATION
 * and AWS_RESPONSE_CHECKSUM_VALIDATION variables.
 */

// Transient throttling and 5xx: back off adaptively before the message itself fails.
const retry = { retryMode: 'adaptive', maxAttempts: 5 } as const;

export function sourceS3Client(endpoints: Endpoints): S3Client {
  return new S3Client({ ...retry, endpoint: endpoints.sourceS3, forcePathStyle: endpoints.forcePathStyle });
}

export function documentClient(endpoints: Endpoints): DynamoDBDocumentClient {
  const client = new DynamoDBClient({ ...retry, endpoint: endpoints.dynamodb });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function sqsClient(endpoints: Endpoints): SQSClient {
  return new SQSClient({ ...retry, endpoint: endpoints.sqs });
}

export function secretsClient(endpoints: Endpoints): SecretsManagerClient {
  return new SecretsManagerClient({ ...retry, endpoint: endpoints.secretsManager });
}

/**
 * Destination S3 clients, signed with the destination user's keys from the secret. A client is
 * rebuilt when the keys change; a request refused for its keys re-reads the secret once, so a
 * rotation needs no redeploy.
 */
export class DestinationClients {
  private readonly clients = new Map<string, { accessKeyId: string; client: S3Client }>();

  public constructor(
    private readonly credentials: CredentialsCache,
    private readonly endpoints: Endpoints,
  ) {}

  public async withClient<T>(destination: DestinationConfig, work: (client: S3Client) => Promise<T>): Promise<T> {
    try {
      return await work(await this.client(destination, false));
    } catch (error) {
      if (!isCredentialsRejected(error)) throw error;
      return work(await this.client(destination, true));
    }
  }

  private async client(destination: DestinationConfig, refresh: boolean): Promise<S3Client> {
    const credentials = await this.credentials.get(destination.secretArn, { refresh });
    const cached = this.clients.get(destination.id);
    if (cached && cached.accessKeyId === credentials.accessKeyId && !refresh) return cached.client;
    // The old client is not destroyed: requests of a failed attempt may still be draining.
    const client = new S3Client({
      ...retry,
      region: destinationRegion(credentials, destination.region),
      credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
      endpoint: this.endpoints.destinationS3,
      forcePathStyle: this.endpoints.forcePathStyle,
    });
    this.clients.set(destination.id, { accessKeyId: credentials.accessKeyId, client });
    return client;
  }
}
