import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BatchWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { UploadCheckpoint, UploadCheckpointStore } from '../copy/types';
import { z } from 'zod';

/**
 * The table (DESIGN §5; the client drops undefined attributes): one partition per (destination, source object), holding
 *   STATE          the key's last applied state,
 *   V#<identity>   the version map: source version -> destination version,
 *   UPLOAD         an in-progress resumable multipart copy.
 */

const keyStateSchema = z.object({
  sequencer: z.string().optional(),
  /** Identity of the source version (or delete marker) that is current, as last converged. */
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
  /** The source version can never be copied: why. Cleared by a later successful copy. */
  unreplicable: z.string().optional(),
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

/** Every item of one key on one destination. */
export interface KeyItems {
  state?: KeyState;
  upload?: UploadCheckpoint;
  mappings: Map<string, VersionMapping>;
}

/** What one convergence writes at its end, in one BatchWriteItem where it fits. */
export interface KeyWrites {
  state?: KeyState;
  put: ReadonlyMap<string, VersionMapping>;
  remove: ReadonlySet<string>;
}

export type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

const STATE = 'STATE';
const UPLOAD = 'UPLOAD';
const MAPPING_PREFIX = 'V#';
export const BATCH_WRITE_LIMIT = 25;
const MAX_BATCH_ROUNDS = 8;
const mappingSk = (identity: string) => `${MAPPING_PREFIX}${identity}`;

/** The partition of one source object on one destination. */
export const partitionKey = (destinationId: string, bucket: string, key: string): string => `${destinationId}#${bucket}/${key}`;

/** Files one table item under its kind, validated: an item this code cannot read is an error, not a guess. */
export function addItem(items: KeyItems, item: Record<string, unknown>): void {
  const sk = String(item.sk);
  if (sk === STATE) items.state = keyStateSchema.parse(item);
  else if (sk === UPLOAD) items.upload = uploadCheckpointSchema.parse(item);
  else if (sk.startsWith(MAPPING_PREFIX)) items.mappings.set(sk.slice(MAPPING_PREFIX.length), versionMappingSchema.parse(item));
}

/** The sort keys of a key's STATE and UPLOAD items and of the map entries of these source identities. */
export function itemSortKeys(identities: Iterable<string>): string[] {
  return [STATE, UPLOAD, ...[...identities].map(mappingSk)];
}

/** One key's writes as BatchWriteItem requests: the state, the map entries put, those removed. */
export function writeRequests(pk: string, writes: KeyWrites): WriteRequest[] {
  const requests: WriteRequest[] = [];
  if (writes.state) requests.push({ PutRequest: { Item: { pk, sk: STATE, ...writes.state } } });
  for (const [identity, mapping] of writes.put) requests.push({ PutRequest: { Item: { pk, sk: mappingSk(identity), ...mapping } } });
  for (const identity of writes.remove) {
    if (!writes.put.has(identity)) requests.push({ DeleteRequest: { Key: { pk, sk: mappingSk(identity) } } });
  }
  return requests;
}

/** One BatchWriteItem of at most 25 requests; unprocessed items (throttling) sent again with backoff. */
export async function batchWrite(client: DynamoDBDocumentClient, tableName: string, requests: WriteRequest[]): Promise<void> {
  let pending = requests;
  for (let round = 0; pending.length > 0; round++) {
    if (round >= MAX_BATCH_ROUNDS) throw Object.assign(new Error(`${pending.length} state items still unprocessed`), { name: 'ThrottlingException' });
    if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** round)));
    const { UnprocessedItems } = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
    pending = UnprocessedItems?.[tableName] ?? [];
  }
}

/** Takes the items of many keys' writes and stores them in shared BatchWriteItem requests. */
export interface StateWriteSink {
  add(key: string, requests: WriteRequest[]): Promise<void>;
  /** Stores the key's pending items before they are read again. */
  settle(key: string): Promise<void>;
}

export class KeyStateStore {
  private readonly pk: string;

  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    destinationId: string,
    bucket: string,
    private readonly key: string,
    private readonly buffer?: StateWriteSink,
  ) {
    this.pk = partitionKey(destinationId, bucket, key);
  }

  /** All of the key's items in one Query (a page holds thousands of map entries). Validated, not cast. */
  public async readAll(): Promise<KeyItems> {
    // A re-plan reads what this key's earlier round wrote: pending shared writes go first.
    await this.buffer?.settle(this.key);
    const items: KeyItems = { mappings: new Map() };
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': this.pk },
          ConsistentRead: true,
          ...(startKey !== undefined && { ExclusiveStartKey: startKey }),
        }),
      );
      for (const item of page.Items ?? []) addItem(items, item);
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }

  /**
   * Writes the state and the map changes: BatchWriteItem, 25 items a request, unprocessed items
   * retried with backoff. Unconditional: a key's messages are serialized by its FIFO group, and
   * the plan is made from what both sides hold, so a lost race costs at most a re-plan. With a
   * shared StateWriteBuffer (a direct backfill) the items join other keys' in fewer requests.
   */
  public async write(writes: KeyWrites): Promise<void> {
    const requests = writeRequests(this.pk, writes);
    if (this.buffer) return this.buffer.add(this.key, requests);
    for (let start = 0; start < requests.length; start += BATCH_WRITE_LIMIT) await batchWrite(this.client, this.tableName, requests.slice(start, start + BATCH_WRITE_LIMIT));
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
