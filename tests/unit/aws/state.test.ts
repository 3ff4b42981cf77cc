import { BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { UploadCheckpoint } from '../../../src/copy/types';
import { KeyStateStore } from '../../../src/aws/state';
import { offlineDocuments, TABLE_NAME } from '../../helpers/unit-builders';

const BUCKET = 'source-bucket';
const KEY = 'photos/my cat+1%=é.jpg';
const PK = `gov#${BUCKET}/${KEY}`;

describe('KeyStateStore', () => {
  const documents = offlineDocuments();
  const ddb = mockClient(documents);
  const store = () => new KeyStateStore(documents, TABLE_NAME, 'gov', BUCKET, KEY);
  const state = { sequencer: '00AB', sourceVersion: 'v2', destinationVersionId: 'd2', deleteMarker: false, etag: '"e2"', size: 5, updatedAt: '2024-01-01T00:00:00.000Z' };

  beforeEach(() => {
    ddb.reset();
  });

  describe('readAll', () => {
    it("reads every item of the key's partition in one consistent Query, validated", async () => {
      // Prepare
      ddb.on(QueryCommand).resolves({
        Items: [
          { pk: PK, sk: 'STATE', revision: 3, ...state },
          { pk: PK, sk: 'UPLOAD', uploadId: 'u1', partSize: 8388608, sourceVersionId: 'v3', sourceEtag: '"e3"', destinationKey: KEY, startedAt: '2024-01-01T00:00:00.000Z' },
          { pk: PK, sk: 'V#v1', destinationVersionId: 'd1', deleteMarker: false, copiedAt: '2024-01-01T00:00:00.000Z' },
          { pk: PK, sk: 'V#v2', deleteMarker: false, unreplicable: 'source-archived', copiedAt: '2024-01-01T00:00:00.000Z' },
        ],
      });

      // Act
      const items = await store().readAll();

      // Assess
      expect(ddb.commandCalls(QueryCommand)[0]!.args[0].input).toEqual({
        TableName: TABLE_NAME,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': PK },
        ConsistentRead: true,
      });
      expect(items.state).toEqual(state);
      expect(items.upload).toMatchObject({ uploadId: 'u1', sourceVersionId: 'v3' });
      expect([...items.mappings]).toEqual([
        ['v1', { destinationVersionId: 'd1', deleteMarker: false, copiedAt: '2024-01-01T00:00:00.000Z' }],
        ['v2', { deleteMarker: false, unreplicable: 'source-archived', copiedAt: '2024-01-01T00:00:00.000Z' }],
      ]);
    });

    it('follows LastEvaluatedKey to the last page', async () => {
      // Prepare
      ddb
        .on(QueryCommand)
        .resolvesOnce({ Items: [{ pk: PK, sk: 'V#v1', destinationVersionId: 'd1', deleteMarker: false, copiedAt: 't' }], LastEvaluatedKey: { pk: PK, sk: 'V#v1' } })
        .resolvesOnce({ Items: [{ pk: PK, sk: 'V#v2', destinationVersionId: 'd2', deleteMarker: true, copiedAt: 't' }] });

      // Act
      const items = await store().readAll();

      // Assess
      expect(ddb.commandCalls(QueryCommand)[1]!.args[0].input.ExclusiveStartKey).toEqual({ pk: PK, sk: 'V#v1' });
      expect([...items.mappings.keys()]).toEqual(['v1', 'v2']);
    });

    it('refuses an item it cannot read instead of guessing', async () => {
      // Prepare
      ddb.on(QueryCommand).resolves({ Items: [{ pk: PK, sk: 'STATE', deleteMarker: 'yes', updatedAt: 't' }] });

      // Act / Assess
      await expect(store().readAll()).rejects.toThrow(/deleteMarker/);
    });
  });

  describe('write', () => {
    it('writes the state, map puts and map removals in one BatchWriteItem', async () => {
      // Prepare
      ddb.on(BatchWriteCommand).resolves({});
      const mapping = { destinationVersionId: 'd3', deleteMarker: false, copiedAt: 't' };

      // Act
      await store().write({ state, put: new Map([['v3', mapping]]), remove: new Set(['v1']) });

      // Assess
      const calls = ddb.commandCalls(BatchWriteCommand);
      expect(calls).toHaveLength(1);
      expect(calls[0]!.args[0].input.RequestItems![TABLE_NAME]).toEqual([
        { PutRequest: { Item: { pk: PK, sk: 'STATE', ...state } } },
        { PutRequest: { Item: { pk: PK, sk: 'V#v3', ...mapping } } },
        { DeleteRequest: { Key: { pk: PK, sk: 'V#v1' } } },
      ]);
    });

    it('never puts and deletes one item in the same request (DynamoDB refuses it): the put wins', async () => {
      // Prepare
      ddb.on(BatchWriteCommand).resolves({});

      // Act
      await store().write({ put: new Map([['v1', { deleteMarker: false, copiedAt: 't' }]]), remove: new Set(['v1']) });

      // Assess
      expect(ddb.commandCalls(BatchWriteCommand)[0]!.args[0].input.RequestItems![TABLE_NAME]).toEqual([{ PutRequest: { Item: { pk: PK, sk: 'V#v1', deleteMarker: false, copiedAt: 't' } } }]);
    });

    it('splits into requests of 25 and sends unprocessed items again', async () => {
      // Prepare
      const put = new Map(Array.from({ length: 30 }, (_, i) => [`v${i}`, { destinationVersionId: `d${i}`, deleteMarker: false, copiedAt: 't' }] as const));
      ddb
        .on(BatchWriteCommand)
        .resolvesOnce({ UnprocessedItems: { [TABLE_NAME]: [{ PutRequest: { Item: { pk: PK, sk: 'V#v0' } } }] } })
        .resolves({});

      // Act
      await store().write({ put, remove: new Set() });

      // Assess
      const sizes = ddb.commandCalls(BatchWriteCommand).map((c) => c.args[0].input.RequestItems![TABLE_NAME]!.length);
      expect(sizes).toEqual([25, 1, 5]);
    });

    it('writes nothing when there is nothing to write', async () => {
      // Act
      await store().write({ put: new Map(), remove: new Set() });

      // Assess
      expect(ddb.commandCalls(BatchWriteCommand)).toHaveLength(0);
    });
  });

  describe('uploads', () => {
    const checkpoint: UploadCheckpoint = {
      uploadId: 'upload-1',
      partSize: 8 * 1024 * 1024,
      sourceVersionId: 'v1',
      sourceEtag: '"e1"',
      destinationKey: KEY,
      startedAt: '2024-01-01T00:00:00.000Z',
    };

    it('loads, saves and clears the UPLOAD item of the key', async () => {
      // Prepare
      ddb.on(GetCommand).resolves({ Item: { pk: PK, sk: 'UPLOAD', ...checkpoint } });
      ddb.on(PutCommand).resolves({});
      ddb.on(DeleteCommand).resolves({});
      const uploads = store().uploads();

      // Act
      const loaded = await uploads.load();
      await uploads.save(checkpoint);
      await uploads.clear();

      // Assess
      expect(loaded).toEqual(checkpoint);
      expect(ddb.commandCalls(GetCommand)[0]!.args[0].input).toEqual({ TableName: TABLE_NAME, Key: { pk: PK, sk: 'UPLOAD' }, ConsistentRead: true });
      expect(ddb.commandCalls(PutCommand)[0]!.args[0].input).toStrictEqual({ TableName: TABLE_NAME, Item: { pk: PK, sk: 'UPLOAD', ...checkpoint } });
      expect(ddb.commandCalls(DeleteCommand)[0]!.args[0].input).toStrictEqual({ TableName: TABLE_NAME, Key: { pk: PK, sk: 'UPLOAD' } });
    });
  });
});
