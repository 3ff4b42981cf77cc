import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { BatchGetCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { UploadCheckpoint } from '../../../src/copy/types';
import { StateConflictError } from '../../../src/errors';
import { KeyStateStore } from '../../../src/aws/state';
import { conditionalCheckFailed, offlineDocuments, s3Error, TABLE_NAME } from '../../helpers/unit-builders';

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

    it('asks for the given identities with consistent BatchGetItem requests of at most 100 keys', async () => {
      // Prepare: 150 candidates, two of them mapped
      const ids = Array.from({ length: 150 }, (_, i) => `v${i}`);
      ddb.on(BatchGetCommand).callsFake((input: BatchGetCommandInput) => {
        const keys = input.RequestItems![TABLE_NAME]!.Keys!;
        const mapped = keys.filter((k) => k.sk === 'V#v3' || k.sk === 'V#v120');
        return Promise.resolve({ Responses: { [TABLE_NAME]: mapped.map((k) => ({ sk: k.sk as string })) } });
      });

      // Act
      const found = await store().mappedAmong(ids);

      // Assess
      expect(found).toEqual(new Set(['v3', 'v120']));
      const requests = ddb.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems![TABLE_NAME]!);
      expect(requests.map((r) => r.Keys!.length)).toEqual([100, 50]);
      expect(requests[0]).toMatchObject({ ConsistentRead: true, ProjectionExpression: 'sk' });
      expect(requests[0]!.Keys![0]).toEqual({ pk: PK, sk: 'V#v0' });
    });

    it('asks again for unprocessed keys', async () => {
      // Prepare
      ddb
        .on(BatchGetCommand)
        .resolvesOnce({ Responses: { [TABLE_NAME]: [] }, UnprocessedKeys: { [TABLE_NAME]: { Keys: [{ pk: PK, sk: 'V#v2' }] } } })
        .resolvesOnce({ Responses: { [TABLE_NAME]: [{ sk: 'V#v2' }] } });

      // Act
      const found = await store().mappedAmong(['v1', 'v2']);

      // Assess
      expect(found).toEqual(new Set(['v2']));
      expect(ddb.commandCalls(BatchGetCommand)[1]!.args[0].input.RequestItems![TABLE_NAME]!.Keys).toEqual([{ pk: PK, sk: 'V#v2' }]);
    });

    it('gives up, as throttling, when keys stay unprocessed', async () => {
      // Prepare
      jest.useFakeTimers({ advanceTimers: true });
      ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE_NAME]: [] }, UnprocessedKeys: { [TABLE_NAME]: { Keys: [{ pk: PK, sk: 'V#v1' }] } } });

      // Act
      const error = await store().mappedAmong(['v1']).catch((e: unknown) => e);
      jest.useRealTimers();

      // Assess
      expect(error).toMatchObject({ name: 'ThrottlingException' });
      expect(ddb).toHaveReceivedCommandTimes(BatchGetCommand, 8);
    });

    it('makes no request for no identities', async () => {
      expect((await store().mappedAmong([])).size).toBe(0);
      expect(ddb).toHaveReceivedCommandTimes(BatchGetCommand, 0);
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
