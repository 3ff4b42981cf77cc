import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import type { KeyItems, StateWriteSink, WriteRequest } from './state';
import { addItem, BATCH_WRITE_LIMIT, batchWrite, itemSortKeys, partitionKey } from './state';

/**
 * The table for many keys at once (a direct backfill, verify): the items of a hundred keys in one
 * BatchGetItem instead of a Query each, and the writes of many keys in shared BatchWriteItem
 * requests instead of one each. The function keeps its per-key Query and write: a record's state
 * must be stored before its message is deleted.
 */

const BATCH_GET_LIMIT = 100;
const MAX_GET_ROUNDS = 8;

export interface KeyItemsRequest {
  key: string;
  /** The source identities whose map entries to read (the listed history). */
  identities: readonly string[];
}

/**
 * Reads, for each key, its STATE and UPLOAD items and the map entries of the named identities,
 * consistently, 100 items a request. A key absent from the table comes back with no items.
 */
export async function readKeysItems(
  client: DynamoDBDocumentClient,
  tableName: string,
  table: { destinationId: string; bucket: string },
  requests: readonly KeyItemsRequest[],
): Promise<Map<string, KeyItems>> {
  const byPk = new Map<string, KeyItems>();
  const result = new Map<string, KeyItems>();
  const keys: { pk: string; sk: string }[] = [];
  for (const request of requests) {
    const pk = partitionKey(table.destinationId, table.bucket, request.key);
    const items: KeyItems = { mappings: new Map() };
    byPk.set(pk, items);
    result.set(request.key, items);
    for (const sk of itemSortKeys(request.identities)) keys.push({ pk, sk });
  }
  const batches: { pk: string; sk: string }[][] = [];
  for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) batches.push(keys.slice(start, start + BATCH_GET_LIMIT));
  await Promise.all(
    batches.map(async (batch) => {
      let pending: Record<string, unknown>[] = batch;
      for (let round = 0; pending.length > 0; round++) {
        // Unprocessed keys come back under throttling or past 16 MB: back off before asking again.
        if (round >= MAX_GET_ROUNDS) throw Object.assign(new Error(`${pending.length} state items still unread`), { name: 'ThrottlingException' });
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** round)));
        const answer = await client.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }));
        for (const item of answer.Responses?.[tableName] ?? []) {
          const items = byPk.get(String(item.pk));
          if (items) addItem(items, item);
        }
        pending = answer.UnprocessedKeys?.[tableName]?.Keys ?? [];
      }
    }),
  );
  return result;
}

/**
 * Collects the writes of many keys and sends them 25 items a request, one request at a time so
 * that a key's later writes never overtake its earlier ones; a later write of the same item
 * replaces the pending one (BatchWriteItem refuses two requests for one item). A partial batch
 * waits at most `maxWaitMs`. `drain()` sends the rest and names the keys whose items could not be
 * stored: a crash before that loses the keys' state and map entries, which the next run rebuilds
 * from the replicas' metadata (a HEAD each) instead of copying again. `settle(key)` sends a key's
 * pending items before its items are read again (a re-plan), so the read sees its own writes.
 */
export class StateWriteBuffer implements StateWriteSink {
  private readonly pending = new Map<string, { key: string; request: WriteRequest }>();
  private readonly failed = new Map<string, string>();
  private pump: Promise<void> | undefined;
  private flushAll = false;
  private timer: NodeJS.Timeout | undefined;

  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: { maxWaitMs?: number; highWater?: number } = {},
  ) {}

  public async add(key: string, requests: WriteRequest[]): Promise<void> {
    for (const request of requests) this.pending.set(itemId(request), { key, request });
    if (this.pending.size >= BATCH_WRITE_LIMIT) this.kick(false);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.kick(true);
    }, this.options.maxWaitMs ?? 100);
    // Backpressure: the table is slower than the copies.
    if (this.pending.size >= (this.options.highWater ?? 1000)) await this.pump;
  }

  /** Sends the pending items of this key (and whatever shares their requests). */
  public async settle(key: string): Promise<void> {
    const holds = () => [...this.pending.values()].some((entry) => entry.key === key);
    while (holds() || this.pump) {
      this.kick(true);
      await this.pump;
    }
  }

  /** Sends everything pending; the keys whose items could not be stored, with the error. */
  public async drain(): Promise<Map<string, string>> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.pending.size > 0 || this.pump) {
      this.kick(true);
      await this.pump;
    }
    return this.failed;
  }

  private kick(all: boolean): void {
    this.flushAll ||= all;
    if (this.pump) return;
    this.pump = (async () => {
      while (this.pending.size >= BATCH_WRITE_LIMIT || (this.flushAll && this.pending.size > 0)) await this.send(this.take());
      this.flushAll = false;
    })().finally(() => (this.pump = undefined));
  }

  private take(): { key: string; request: WriteRequest }[] {
    const batch: { key: string; request: WriteRequest }[] = [];
    for (const [id, entry] of this.pending) {
      if (batch.length >= BATCH_WRITE_LIMIT) break;
      batch.push(entry);
      this.pending.delete(id);
    }
    return batch;
  }

  private async send(batch: { key: string; request: WriteRequest }[]): Promise<void> {
    try {
      await batchWrite(this.client, this.tableName, batch.map((b) => b.request));
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      for (const { key } of batch) this.failed.set(key, `state not recorded (${reason})`);
    }
  }
}

function itemId(request: WriteRequest): string {
  const item = request.PutRequest?.Item ?? request.DeleteRequest?.Key ?? {};
  return `${String(item.pk)}\u0000${String(item.sk)}`;
}
