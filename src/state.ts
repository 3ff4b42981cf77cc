import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { UploadCheckpoint, UploadCheckpointStore } from './copy/types';
import { StateConflictError } from './errors';

/**
 * The table (DESIGN §5; the client drops undefined attributes): one partition per (destination, source object), holding
 *   STATE          the key's last applied state,
 *   V#<identity>   the version map: source version -> destination version,
 *   UPLOAD         an in-progress resumable multipart copy.
 */

export interface KeyState {
  /** Bumped on every write; the conditional write's guard against a concurrent advance. */
  revision: number;
  sequencer?: string;
  /** Identity of the source version (or delete marker) the destination's current mirrors. */
  sourceVersion?: string;
  destinationVersionId?: string;
  deleteMarker: boolean;
  etag?: string;
  size?: number;
  updatedAt: string;
}

export interface VersionMapping {
  destinationVersionId?: string;
  deleteMarker: boolean;
  etag?: string;
  size?: number;
  copiedAt: string;
}

const STATE = 'STATE';
const UPLOAD = 'UPLOAD';
const mappingSk = (identity: string) => `V#${identity}`;

export class KeyStateStore {
  private readonly pk: string;

  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    destinationId: string,
    bucket: string,
    key: string,
  ) {
    this.pk = `${destinationId}#${bucket}/${key}`;
  }

  public async getState(): Promise<KeyState | undefined> {
    return this.get<KeyState>(STATE);
  }

  /** Writes the new state unless another writer advanced it since `previousRevision`. */
  public async putState(state: Omit<KeyState, 'revision'>, previousRevision: number | undefined): Promise<void> {
    const revision = (previousRevision ?? 0) + 1;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: this.pk, sk: STATE, ...state, revision },
          ConditionExpression: previousRevision === undefined ? 'attribute_not_exists(pk)' : 'revision = :previous',
          ...(previousRevision !== undefined && { ExpressionAttributeValues: { ':previous': previousRevision } }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new StateConflictError('the key state changed while this change was applied; retrying', { cause: error });
      }
      throw error;
    }
  }

  /** Identities of every source version mirrored so far (the version map's keys). */
  public async mappedIdentities(): Promise<Set<string>> {
    const identities = new Set<string>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': this.pk, ':prefix': 'V#' },
          ProjectionExpression: 'sk',
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) identities.add(String(item.sk).slice(2));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return identities;
  }

  public async getMapping(identity: string): Promise<VersionMapping | undefined> {
    return this.get<VersionMapping>(mappingSk(identity));
  }

  public async putMapping(identity: string, mapping: VersionMapping): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { pk: this.pk, sk: mappingSk(identity), ...mapping } }),
    );
  }

  public async deleteMapping(identity: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: this.pk, sk: mappingSk(identity) } }));
  }

  /** The UPLOAD item as the copy engine's checkpoint store. */
  public uploads(): UploadCheckpointStore {
    return {
      load: () => this.get<UploadCheckpoint>(UPLOAD),
      save: async (checkpoint) => {
        await this.client.send(new PutCommand({ TableName: this.tableName, Item: { pk: this.pk, sk: UPLOAD, ...checkpoint } }));
      },
      clear: async () => {
        await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: this.pk, sk: UPLOAD } }));
      },
    };
  }

  private async get<T>(sk: string): Promise<T | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: this.pk, sk }, ConsistentRead: true }));
    if (!Item) return undefined;
    const { pk: _pk, sk: _sk, ...rest } = Item;
    return rest as T;
  }
}
