import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { UploadCheckpoint } from '../../src/copy/types';
import { StateConflictError } from '../../src/errors';
import { KeyStateStore } from '../../src/state';
import { conditionalCheckFailed, offlineDocuments, s3Error, TABLE_NAME } from '../helpers/unit-builders';

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

  describe('getState', () => {
    it('reads the STATE item of the <destination>#<bucket>/<key> partition with a consistent read', async () => {
      // Prepare
      ddb.on(GetCommand).resolves({ Item: { pk: PK, sk: 'STATE', revision: 3, ...state } });

      // Act
      const result = await store().getState();

      // Assess
      expect(ddb).toHaveReceivedCommandTimes(GetCommand, 1);
      expect(ddb.commandCalls(GetCommand)[0]!.args[0].input).toEqual({ TableName: TABLE_NAME, Key: { pk: PK, sk: 'STATE' }, ConsistentRead: true });
      expect(result).toEqual({ revision: 3, ...state });
    });

    it('returns undefined when the key has no state yet', async () => {
      // Prepare
      ddb.on(GetCommand).resolves({});

      // Act
      const result = await store().getState();

      // Assess
      expect(result).toBeUndefined();
    });
  });

  describe('putState', () => {
    it('writes revision 1 only if the item does not exist yet when there was no previous state', async () => {
      // Prepare
      ddb.on(PutCommand).resolves({});

      // Act
      await store().putState(state, undefined);

      // Assess
      expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
      expect(ddb.commandCalls(PutCommand)[0]!.args[0].input).toStrictEqual({
        TableName: TABLE_NAME,
        Item: { pk: PK, sk: 'STATE', ...state, revision: 1 },
        ConditionExpression: 'attribute_not_exists(pk)',
      });
    });

    it('writes the next revision on condition that the stored revision is still the one read', async () => {
      // Prepare
      ddb.on(PutCommand).resolves({});

      // Act
      await store().putState(state, 4);

      // Assess
      expect(ddb.commandCalls(PutCommand)[0]!.args[0].input).toStrictEqual({
        TableName: TABLE_NAME,
        Item: { pk: PK, sk: 'STATE', ...state, revision: 5 },
        ConditionExpression: 'revision = :previous',
        ExpressionAttributeValues: { ':previous': 4 },
      });
    });

    it('turns a failed condition into StateConflictError carrying the cause', async () => {
      // Prepare
      const refused = conditionalCheckFailed();
      ddb.on(PutCommand).rejects(refused);

      // Act
      const error = await store().putState(state, 4).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(StateConflictError);
      expect((error as Error).cause).toBe(refused);
    });

    it('rethrows any other error as it is', async () => {
      // Prepare
      const throttled = s3Error('ProvisionedThroughputExceededException', 400);
      ddb.on(PutCommand).rejects(throttled);

      // Act
      const error = await store().putState(state, 4).catch((e: unknown) => e);

      // Assess
      expect(error).toBe(throttled);
    });
  });

  describe('version map', () => {
    it('reads the V#<identity> item with a consistent read', async () => {
      // Prepare
      ddb.on(GetCommand).resolves({ Item: { pk: PK, sk: 'V#v1', destinationVersionId: 'd1', deleteMarker: false, copiedAt: 'now' } });

      // Act
      const mapping = await store().getMapping('v1');

      // Assess
      expect(ddb.commandCalls(GetCommand)[0]!.args[0].input).toEqual({ TableName: TABLE_NAME, Key: { pk: PK, sk: 'V#v1' }, ConsistentRead: true });
      expect(mapping).toEqual({ destinationVersionId: 'd1', deleteMarker: false, copiedAt: 'now' });
    });

    it('writes a mapping unconditionally under V#<identity>', async () => {
      // Prepare
      ddb.on(PutCommand).resolves({});
      const mapping = { destinationVersionId: 'd1', deleteMarker: false, etag: '"e1"', size: 7, copiedAt: '2024-01-01T00:00:00.000Z' };

      // Act
      await store().putMapping('null@1704067200000@e1', mapping);

      // Assess
      expect(ddb.commandCalls(PutCommand)[0]!.args[0].input).toStrictEqual({
        TableName: TABLE_NAME,
        Item: { pk: PK, sk: 'V#null@1704067200000@e1', ...mapping },
      });
    });

    it('deletes a mapping by its key', async () => {
      // Prepare
      ddb.on(DeleteCommand).resolves({});

      // Act
      await store().deleteMapping('v1');

      // Assess
      expect(ddb.commandCalls(DeleteCommand)[0]!.args[0].input).toStrictEqual({ TableName: TABLE_NAME, Key: { pk: PK, sk: 'V#v1' } });
    });

    it('collects mapped identities over every page of a consistent V# query', async () => {
      // Prepare
      const lastKey = { pk: PK, sk: 'V#v2' };
      ddb
        .on(QueryCommand)
        .resolvesOnce({ Items: [{ sk: 'V#v1' }, { sk: 'V#v2' }], LastEvaluatedKey: lastKey })
        .resolvesOnce({ Items: [{ sk: 'V#null@1704067200000@e1' }] });

      // Act
      const identities = await store().mappedIdentities();

      // Assess
      expect(identities).toEqual(new Set(['v1', 'v2', 'null@1704067200000@e1']));
      const queries = ddb.commandCalls(QueryCommand).map((call) => call.args[0].input);
      expect(queries).toHaveLength(2);
      const expected = {
        TableName: TABLE_NAME,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': PK, ':prefix': 'V#' },
        ProjectionExpression: 'sk',
        ConsistentRead: true,
      };
      expect(queries[0]).toEqual(expected);
      expect(queries[0]!.ExclusiveStartKey).toBeUndefined();
      expect(queries[1]).toEqual({ ...expected, ExclusiveStartKey: lastKey });
    });

    it('returns an empty set for a key with no mappings', async () => {
      // Prepare
      ddb.on(QueryCommand).resolves({ Items: [] });

      // Act
      const identities = await store().mappedIdentities();

      // Assess
      expect(identities.size).toBe(0);
      expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 1);
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
