import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { UploadCheckpoint, UploadCheckpointStore } from '../copy/types';
import { z } from 'zod';
import { StateConflictError } from '../errors';

/**
 * The table (DESIGN §5; the client drops undefined attributes): one partition per (destination, source object), holding
 *   STATE          the key's last applied state,
 *   V#<identity>   the version map: source version -> destination version,
 *   UPLOAD         an in-progress resumable multipart copy.
 */

const keyStateSchema = z.object({
  /** Bumped on every write; the conditional write's guard against a concurrent advance. */
  revision: z.number().int(),
  sequencer: z.string().optional(),
  /** Identity of the source version (or delete marker) the destination's current mirrors. */
  sourceVersion: z.string().optional(),
  destinationVersionId: z.string().optional(),
  deleteMarker: z.boolean(),
  etag: z.string().optional(),
  size: z.number().optional(),
  updatedAt: z.string(),
});
export type KeyState = z.infer<typeof keyStateSchema>;

const versionMappingSchema = z.object({
  destinationVersionId: z.string().optional(),
  deleteMarker: z.boolean(),
  etag: z.string().optional(),
  size: z.number().optional(),
  copiedAt: z.string(),
});
export type VersionMapping = z.infer<typeof versionMappingSchema>;

const uploadCheckpointSchema = z.object({
  uploadId: z.string(),
  partSize: z.number().int().positive(),
  sourceVersionId: z.string(),
  sourceEtag: z.string(),
  destinationKey: z.string(),
  startedAt: z.string(),
}) satisfies z.ZodType<UploadCheckpoint>;

const STATE = 'STATE';
const UPLOAD = 'UPLOAD';
const BATCH_GET_LIMIT = 100;
const MAX_BATCH_ROUNDS = 8;
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
    return this.get(STATE, keyStateSchema);
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

  /** Which of these source versions are mirrored already: BatchGetItem, 100 keys a request. */
  public async mappedAmong(identities: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let start = 0; start < identities.length; start += BATCH_GET_LIMIT) {
      let keys: Record<string, unknown>[] = identities.slice(start, start + BATCH_GET_LIMIT).map((id) => ({ pk: this.pk, sk: mappingSk(id) }));
      for (let round = 0; keys.length > 0; round++) {
        // Unprocessed keys come back under throttling: back off before asking again, a few times.
        if (round >= MAX_BATCH_ROUNDS) throw Object.assign(new Error(`${keys.length} version-map keys still unprocessed`), { name: 'ThrottlingException' });
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** round)));
        const { Responses, UnprocessedKeys } = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true, ProjectionExpression: 'sk' } } }),
        );
        for (const item of Responses?.[this.tableName] ?? []) found.add(String(item.sk).slice('V#'.length));
        keys = UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return found;
  }

  public async getMapping(identity: string): Promise<VersionMapping | undefined> {
    return this.get(mappingSk(identity), versionMappingSchema);
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
      load: () => this.get(UPLOAD, uploadCheckpointSchema),
      save: async (checkpoint) => {
        await this.client.send(new PutCommand({ TableName: this.tableName, Item: { pk: this.pk, sk: UPLOAD, ...checkpoint } }));
      },
      clear: async () => {
        await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: this.pk, sk: UPLOAD } }));
      },
    };
  }

  /** Reads one item, validated: an item this code cannot read is an error, not a guess. */
  private async get<T>(sk: string, schema: z.ZodType<T>): Promise<T | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: this.pk, sk }, ConsistentRead: true }));
    return Item ? schema.parse(Item) : undefined;
  }
}
