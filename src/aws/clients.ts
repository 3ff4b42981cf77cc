import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Endpoints } from '../config';
import type { DestinationConfig } from '../config';
import type { CredentialsCache } from './credentials';
import { isThrottlingError, isTransientError } from '@smithy/core/retry';
import type { FinalizeHandler, FinalizeHandlerArguments, HandlerExecutionContext, MetadataBearer } from '@smithy/types';
import { CredentialsError, PermanentError, WriteOutcomeUnknownError } from '../errors';
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

export function snsClient(endpoints: Endpoints): SNSClient {
  return new SNSClient({ ...retry, endpoint: endpoints.sns });
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
    }
    try {
      return await work(await this.client(destination, true));
    } catch (error) {
      if (!isCredentialsRejected(error)) throw error;
      const name = error instanceof Error ? error.name : 'Error';
      // Keys just read that the destination does not know: a rotation under way (the old key
      // removed before the secret names the new one). Retried later, when the secret has caught up.
      if (UNKNOWN_KEY.has(name)) throw new CredentialsError(`the destination does not accept the keys in the secret (${name}): a key rotation may be under way`);
      // Known keys, refused: the destination denies this user, no retry can help.
      throw new PermanentError('destination-access-denied', `the destination refuses the destination user's keys, read afresh from the secret (${name})`);
    }
  }

  private async client(destination: DestinationConfig, refresh: boolean): Promise<S3Client> {
    const credentials = await this.credentials.get(destination.secretArn, { refresh });
    const cached = this.clients.get(destination.id);
    if (cached && cached.accessKeyId === credentials.accessKeyId && !refresh) return cached.client;
    let region: string;
    try {
      region = destinationRegion(credentials, destination.region);
    } catch (error) {
      this.credentials.forget(destination.secretArn); // a fixed secret is picked up at once
      throw error;
    }
    // The old client is not destroyed: requests of a failed attempt may still be draining.
    const client = new S3Client({
      ...retry,
      region,
      credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
      endpoint: this.endpoints.destinationS3,
      forcePathStyle: this.endpoints.forcePathStyle,
    });
    guardUncertainWrites(client);
    this.clients.set(destination.id, { accessKeyId: credentials.accessKeyId, client });
    return client;
  }
}

const UNKNOWN_KEY = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken']);

/** Writes that add a version: a retry after a lost answer would add a second one. */
const VERSION_ADDING = new Set(['PutObjectCommand', 'CompleteMultipartUploadCommand', 'DeleteObjectCommand', 'CopyObjectCommand']);

/**
 * Turns the failure of a version-adding write whose outcome is unknown (a 5xx, a reset or timeout
 * after the request left) into WriteOutcomeUnknownError, below the SDK's retry so that the SDK does
 * not retry it: the engine reads the key again instead (DESIGN §4, step 3). Throttling and refused
 * connections (the request never arrived) keep the SDK's retries. A DeleteObject with a VersionId
 * is idempotent and keeps them too.
 */
export function guardUncertainWrites(client: S3Client): void {
  client.middlewareStack.addRelativeTo(
    (next: FinalizeHandler<object, MetadataBearer>, context: HandlerExecutionContext) => async (args: FinalizeHandlerArguments<object>) => {
      const input = args.input as { VersionId?: string };
      if (!VERSION_ADDING.has(context.commandName ?? '') || (context.commandName === 'DeleteObjectCommand' && input.VersionId !== undefined)) return next(args);
      try {
        return await next(args);
      } catch (error) {
        if (isOutcomeUnknown(error)) throw new WriteOutcomeUnknownError(String(context.commandName).replace(/Command$/, ''), error);
        throw error;
      }
    },
    { relation: 'after', toMiddleware: 'retryMiddleware', name: 'guardUncertainWrites' },
  );
}

function isOutcomeUnknown(error: unknown): boolean {
  // Duck-typed: network errors come from Node's core, which may be another realm than ours.
  if (typeof error !== 'object' || error === null || !('name' in error)) return false;
  const failure = error as { name: string; code?: string; $metadata?: { httpStatusCode?: number } };
  if (failure.name === 'AbortError' || isThrottlingError(failure as never) || failure.code === 'ECONNREFUSED') return false;
  const status = failure.$metadata?.httpStatusCode;
  return (status !== undefined && status >= 500) || isTransientError(failure as never);
}
