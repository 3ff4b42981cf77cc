import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KeyState, VersionMapping } from '../../src/aws/state';
import { KeyStateStore } from '../../src/aws/state';
import { readKeysItems, StateWriteBuffer } from '../../src/aws/state-batch';
import { createStateTable, dynamoDbClient, uniqueTableName } from '../helpers/local-env';

/**
 * The table for many keys at once, on dynalite: a direct backfill's writes shared between keys
 * in BatchWriteItem requests, and its reads of a hundred keys in one BatchGetItem.
 */

const BUCKET = 'src';
const DEST = 'gov';
const dynamo = dynamoDbClient();
const documents = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
const sent: Record<string, number> = {};
documents.middlewareStack.add(
  (next, context) => (args) => {
    sent[String(context.commandName)] = (sent[String(context.commandName)] ?? 0) + 1;
    return next(args);
  },
  { step: 'initialize', name: 'countCommands' },
);
const count = (name: string) => sent[name] ?? 0;

const state = (sourceVersion: string): KeyState => ({ sourceVersion, destinationVersionId: `d-${sourceVersion}`, deleteMarker: false, etag: '"e"', size: 1, updatedAt: '2026-12-01T00:00:00.000Z' });
const mapping = (destinationVersionId: string): VersionMapping => ({ destinationVersionId, deleteMarker: false, copiedAt: '2026-12-01T00:00:00.000Z' });
const keyName = (i: number) => `k/${String(i).padStart(3, '0')} é+%`;

let table: string;
beforeEach(async () => {
  table = await createStateTable(dynamo, uniqueTableName('batch'));
  for (const name of Object.keys(sent)) delete sent[name];
});
afterEach(() => dynamo.send(new DeleteTableCommand({ TableName: table })));

const storeOf = (key: string, buffer?: StateWriteBuffer) => new KeyStateStore(documents, table, DEST, BUCKET, key, buffer);

describe('StateWriteBuffer', () => {
  it("stores 40 keys' writes (120 items) in 5 shared requests, each item where a Query finds it", async () => {
    // Prepare
    const buffer = new StateWriteBuffer(documents, table, { maxWaitMs: 10_000 });

    // Act
    for (let i = 0; i < 40; i++) {
      await storeOf(keyName(i), buffer).write({ state: state(`v${i}`), put: new Map([[`v${i}`, mapping(`d-v${i}`)], [`w${i}`, mapping(`d-w${i}`)]]), remove: new Set() });
    }
    const failed = await buffer.drain();

    // Assess
    expect(failed.size).toBe(0);
    expect(count('BatchWriteItemCommand')).toBe(5); // ceil(120 / 25), not one a key
    for (const i of [0, 17, 39]) {
      const items = await storeOf(keyName(i)).readAll();
      expect(items.state).toEqual(state(`v${i}`));
      expect([...items.mappings.keys()].sort()).toEqual([`v${i}`, `w${i}`]);
    }
  });

  it('a later write of an item wins over a pending one and over one already sent', async () => {
    // Prepare
    const buffer = new StateWriteBuffer(documents, table, { maxWaitMs: 10_000 });
    const key = keyName(1);

    // Act: put, then remove, of one entry while both are pending; a state put twice around a flush.
    await storeOf(key, buffer).write({ state: state('v1'), put: new Map([['v1', mapping('d1')], ['v2', mapping('d2')]]), remove: new Set() });
    await storeOf(key, buffer).write({ put: new Map(), remove: new Set(['v2']) });
    for (let i = 0; i < 30; i++) await storeOf(keyName(100 + i), buffer).write({ state: state('x'), put: new Map(), remove: new Set() });
    await storeOf(key, buffer).write({ state: state('v3'), put: new Map([['v3', mapping('d3')]]), remove: new Set() });
    expect(await buffer.drain()).toEqual(new Map());

    // Assess
    const items = await storeOf(key).readAll();
    expect(items.state?.sourceVersion).toBe('v3');
    expect([...items.mappings.keys()].sort()).toEqual(['v1', 'v3']);
  });

  it('sends a partial batch after maxWaitMs without being drained', async () => {
    // Prepare
    const buffer = new StateWriteBuffer(documents, table, { maxWaitMs: 20 });

    // Act
    await storeOf(keyName(5), buffer).write({ state: state('v5'), put: new Map(), remove: new Set() });
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Assess
    expect(count('BatchWriteItemCommand')).toBe(1);
    expect((await storeOf(keyName(5)).readAll()).state?.sourceVersion).toBe('v5');
    expect(await buffer.drain()).toEqual(new Map());
  });

  it("settle(key) stores the key's pending items, so a Query of the key (a re-plan) sees its own writes", async () => {
    // Prepare
    const buffer = new StateWriteBuffer(documents, table, { maxWaitMs: 10_000 });
    await storeOf(keyName(9), buffer).write({ state: state('v9'), put: new Map([['v9', mapping('d9')]]), remove: new Set() });

    // Act: the key's own store, reading through the buffer.
    const items = await storeOf(keyName(9), buffer).readAll();

    // Assess
    expect(items.state?.sourceVersion).toBe('v9');
    expect([...items.mappings.keys()]).toEqual(['v9']);
    expect(await buffer.drain()).toEqual(new Map());
  });

  it('names every key whose items could not be stored, with the reason', async () => {
    // Prepare: a table that does not exist.
    const buffer = new StateWriteBuffer(documents, `${table}-missing`, { maxWaitMs: 10_000 });

    // Act
    for (let i = 0; i < 3; i++) await new KeyStateStore(documents, `${table}-missing`, DEST, BUCKET, keyName(i), buffer).write({ state: state('v'), put: new Map(), remove: new Set() });
    const failed = await buffer.drain();

    // Assess
    expect([...failed.keys()].sort()).toEqual([keyName(0), keyName(1), keyName(2)]);
    expect(failed.get(keyName(0))).toMatch(/^state not recorded \(ResourceNotFoundException/);
  });
});

describe('readKeysItems', () => {
  it('reads the state, upload and named map entries of 150 keys in 5 requests; unknown keys come back empty', async () => {
    // Prepare: 150 keys, each with its state and two map entries; one key also has an upload.
    for (let i = 0; i < 150; i++) {
      await storeOf(keyName(i)).write({ state: state(`v${i}`), put: new Map([[`v${i}`, mapping(`d-v${i}`)], [`old${i}`, mapping(`d-old${i}`)]]), remove: new Set() });
    }
    await storeOf(keyName(7)).uploads().save({ uploadId: 'u7', partSize: 8 << 20, sourceVersionId: 'v7', sourceEtag: '"e"', destinationKey: keyName(7), startedAt: '2026-12-01T00:00:00.000Z' });
    for (const name of Object.keys(sent)) delete sent[name];

    // Act: the map entries of each key's listed identity only (old<i> is not asked for).
    const requests = [...Array.from({ length: 150 }, (_, i) => ({ key: keyName(i), identities: [`v${i}`] })), { key: 'never/seen', identities: ['v'] }];
    const items = await readKeysItems(documents, table, { destinationId: DEST, bucket: BUCKET }, requests);

    // Assess
    expect(count('BatchGetItemCommand')).toBe(5); // 151 keys x 3 items, 100 a request
    expect(items.get(keyName(42))).toEqual({ state: state('v42'), mappings: new Map([['v42', mapping('d-v42')]]) });
    expect(items.get(keyName(7))?.upload?.uploadId).toBe('u7');
    expect(items.get('never/seen')).toEqual({ mappings: new Map() });
    // Another destination's items are not this one's.
    const other = await readKeysItems(documents, table, { destinationId: 'cn', bucket: BUCKET }, [{ key: keyName(1), identities: ['v1'] }]);
    expect(other.get(keyName(1))).toEqual({ mappings: new Map() });
  });
});
