import {
  DeleteObjectCommand,
  DeleteObjectTaggingCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectTaggingCommand,
} from '@aws-sdk/client-s3';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { DestinationConfig } from '../../../src/config';
import type { ConvergeContext } from '../../../src/engine/converge';
import { converge } from '../../../src/engine/converge';
import { StateConflictError } from '../../../src/errors';
import type { ChangeMessage } from '../../../src/events';
import { KeyStateStore } from '../../../src/aws/state';
import { changeMessage } from '../../helpers/builders';
import {
  destinationConfig,
  fakeCopy,
  MemoryTable,
  minutes,
  offlineDocuments,
  offlineS3,
  replicaHead,
  replicaTagOf,
  s3Error,
  sourceVersions,
  TABLE_NAME,
} from '../../helpers/unit-builders';

const BUCKET = 'source-bucket';
const KEY = 'photos/my cat.jpg';
const DEST_BUCKET = 'dest-bucket';
const PK = `gov#${BUCKET}/${KEY}`;
const NOW = new Date('2024-06-01T12:00:00.000Z');
const STORED_SEQUENCER = '00617F08299329D189';

describe('converge', () => {
  const sourceClient = offlineS3();
  const destClient = offlineS3('us-gov-west-1');
  const documents = offlineDocuments();
  const source = mockClient(sourceClient);
  const dest = mockClient(destClient);
  const ddb = mockClient(documents);
  let table: MemoryTable;
  let copy: ReturnType<typeof fakeCopy>;

  beforeEach(() => {
    source.reset();
    dest.reset();
    ddb.reset();
    table = new MemoryTable(ddb);
    copy = fakeCopy();
    dest.on(HeadObjectCommand).rejects(s3Error('NotFound', 404));
    dest.on(DeleteObjectCommand).resolves({ DeleteMarker: true, VersionId: 'd-marker' });
  });

  function context(overrides: Partial<ConvergeContext> = {}, destination: Partial<DestinationConfig> = {}): ConvergeContext {
    return {
      source: sourceClient,
      destination: destinationConfig(destination),
      destinationClient: destClient,
      destinationVersioned: true,
      store: new KeyStateStore(documents, TABLE_NAME, 'gov', BUCKET, KEY),
      historyMode: 'all',
      replicateSince: new Date(0),
      copy,
      copyLimits: { partsInFlight: 4, memoryBudgetBytes: 512 * 1024 * 1024, checkpointMarginMs: 60_000 },
      remainingTimeMs: () => 600_000,
      now: () => NOW,
      ...overrides,
    };
  }

  const change = (overrides: Partial<ChangeMessage> = {}) => changeMessage({ bucket: BUCKET, key: KEY, ...overrides });
  const storeState = (fields: Record<string, unknown> = {}) =>
    table.put({ pk: PK, sk: 'STATE', revision: 4, sequencer: STORED_SEQUENCER, deleteMarker: false, updatedAt: '2024-01-01T00:00:00.000Z', ...fields });
  const storeMapping = (identity: string, fields: Record<string, unknown> = {}) =>
    table.put({ pk: PK, sk: `V#${identity}`, destinationVersionId: `d-${identity}`, deleteMarker: false, copiedAt: '2024-01-01T00:00:00.000Z', ...fields });
  const copiedVersionIds = () => copy.mock.calls.map(([request]) => request.source.version.versionId);
  const deletes = () => dest.commandCalls(DeleteObjectCommand).map((call) => call.args[0].input);
  const stateItem = () => table.get(PK, 'STATE');

  describe('out of prefix', () => {
    it('skips a key outside the destination source prefix without any I/O', async () => {
      // Act
      const outcome = await converge(change(), context({}, { sourcePrefix: 'docs/' }));

      // Assess
      expect(outcome).toEqual({ destination: 'gov', action: 'skipped:out-of-prefix', versionsCopied: 0, bytes: 0, destinationKey: undefined });
      expect(ddb.calls()).toHaveLength(0);
      expect(source.calls()).toHaveLength(0);
      expect(dest.calls()).toHaveLength(0);
    });

    it('writes a key inside the source prefix under the destination prefix', async () => {
      // Prepare
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v1']));

      // Act
      const outcome = await converge(change(), context({}, { sourcePrefix: 'photos/', destinationPrefix: 'backup/2024/' }));

      // Assess
      expect(outcome.destinationKey).toBe('backup/2024/my cat.jpg');
      expect(dest).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: DEST_BUCKET, Key: 'backup/2024/my cat.jpg' });
      expect(copy.mock.calls[0]![0].destination).toMatchObject({ bucket: DEST_BUCKET, key: 'backup/2024/my cat.jpg' });
      expect(copy.mock.calls[0]![0].source.version).toEqual({ bucket: BUCKET, key: KEY, versionId: 'v1', etag: '"etag-v1"', size: 200 });
    });
  });

  describe('triage', () => {
    it.each([
      ['older', '00617F08299329D180'],
      ['equal', STORED_SEQUENCER],
      ['equal once the shorter stored one is right-padded with 0', `${STORED_SEQUENCER.slice(0, 16)}00`],
    ])('skips a create whose sequencer is not newer than the stored one (%s), before reading the source', async (_case, sequencer) => {
      // Prepare
      storeState(sequencer.endsWith('00') ? { sequencer: STORED_SEQUENCER.slice(0, 16) } : {});

      // Act
      const outcome = await converge(change({ type: 'created', sequencer }), context());

      // Assess
      expect(outcome).toEqual({ destination: 'gov', action: 'skipped:stale', versionsCopied: 0, bytes: 0, destinationKey: KEY });
      expect(source.calls()).toHaveLength(0);
      expect(dest.calls()).toHaveLength(0);
      expect(ddb).toHaveReceivedCommandTimes(PutCommand, 0);
    });

    it('applies a shorter sequencer that is newer once right-padded (not compared as numbers)', async () => {
      // Prepare: 00617F08299329D2 pads to ...D200, newer than ...D189 though numerically smaller
      storeState();
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v1']));

      // Act
      const outcome = await converge(change({ sequencer: '00617F08299329D2' }), context());

      // Assess
      expect(outcome.action).toBe('copied');
      expect(stateItem()).toMatchObject({ sequencer: '00617F08299329D2' });
    });

    it('skips a delete-marker change whose sequencer is not newer than the stored one', async () => {
      // Prepare
      storeState();

      // Act
      const outcome = await converge(change({ type: 'deleteMarker', versionId: 'dm1', sequencer: '00617F08299329D100', reason: 'DeleteObject' }), context());

      // Assess
      expect(outcome.action).toBe('skipped:stale');
      expect(dest).toHaveReceivedCommandTimes(DeleteObjectCommand, 0);
      expect(source.calls()).toHaveLength(0);
    });

    it('never treats a permanent delete as stale', async () => {
      // Prepare
      storeState();
      storeMapping('v1');
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v2']));
      storeMapping('v2');
      dest.on(HeadObjectCommand).resolves(replicaHead('v2', 'd-v2'));

      // Act
      const outcome = await converge(change({ type: 'permanentDelete', versionId: 'v1', sequencer: '00617F08299329D100', reason: 'DeleteObject' }), context());

      // Assess
      expect(outcome.action).toBe('deleted');
      expect(deletes()).toEqual([{ Bucket: DEST_BUCKET, Key: KEY, VersionId: 'd-v1' }]);
    });

    it.each([['a delete marker', 'deleteMarker', { deleteMarkers: false }, 'skipped:delete-markers-off']] as const)(
      'skips %s when the destination turns that off',
      async (_case, type, options, action) => {
      // Prepare
      storeMapping('v1');

      // Act
      const outcome = await converge(change({ type, versionId: 'v1', sequencer: 'FF', reason: 'DeleteObject' }), context({}, options));

      // Assess
      expect(outcome.action).toBe(action);
      expect(dest.calls()).toHaveLength(0);
      expect(source.calls()).toHaveLength(0);
      expect(table.get(PK, 'V#v1')).toBeDefined();
      },
    );

    it('keeps the destination version when permanent deletes are off, and still converges an undelete', async () => {
      // Prepare: the source's marker dm2 is removed, so v1 is current again; the destination is delete-marked
      storeMapping('v1');
      storeMapping('dm2', { destinationVersionId: 'd-dm2', deleteMarker: true });
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v1']));

      // Act
      const outcome = await converge(
        change({ type: 'permanentDelete', versionId: 'dm2', sequencer: 'FF', reason: 'DeleteObject' }),
        context({}, { permanentDeletes: false }),
      );

      // Assess: no destination version deleted, and v1 made current again by a copy
      expect(dest).toHaveReceivedCommandTimes(DeleteObjectCommand, 0);
      expect(copy).toHaveBeenCalledTimes(1);
      expect(outcome.action).toBe('copied');
    });

    it.each(['deleteMarker', 'permanentDelete'] as const)('skips a lifecycle %s by default', async (type) => {
      // Act
      const outcome = await converge(change({ type, versionId: 'v1', sequencer: 'FF', reason: 'Lifecycle Expiration' }), context());

      // Assess
      expect(outcome.action).toBe('skipped:lifecycle');
      expect(dest.calls()).toHaveLength(0);
      expect(source.calls()).toHaveLength(0);
    });

    it('applies a lifecycle delete marker when lifecycleExpirations is on', async () => {
      // Prepare
      storeMapping('v1');
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v1'], { currentMarker: 'dm2' }));
      dest.on(HeadObjectCommand).resolves(replicaHead('v1', 'd-v1'));

      // Act
      const outcome = await converge(
        change({ type: 'deleteMarker', versionId: 'dm2', sequencer: 'FF', reason: 'Lifecycle Expiration' }),
        context({}, { lifecycleExpirations: true }),
      );

      // Assess
      expect(outcome.action).toBe('marker');
      expect(deletes()).toEqual([{ Bucket: DEST_BUCKET, Key: KEY }]);
    });
  });

  describe('permanent deletes', () => {
    it('deletes exactly the mapped destination version and its mapping', async () => {
      // Prepare: v1 (not current) is gone from the source; v2 stays current and mirrored
      storeState();
      storeMapping('v1');
      storeMapping('v2');
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v2']));
      dest.on(HeadObjectCommand).resolves(replicaHead('v2', 'd-v2'));

      // Act
      const outcome = await converge(change({ type: 'permanentDelete', versionId: 'v1', sequencer: 'FF', reason: 'DeleteObject' }), context());

      // Assess
      expect(deletes()).toEqual([{ Bucket: DEST_BUCKET, Key: KEY, VersionId: 'd-v1' }]);
      expect(table.sortKeys(PK)).toEqual(['STATE', 'V#v2']);
      expect(copy).not.toHaveBeenCalled();
      expect(outcome).toEqual({ destination: 'gov', action: 'deleted', versionsCopied: 0, bytes: 0, destinationKey: KEY, destinationVersionId: 'd-v2' });
    });

    it('deletes the mapped destination marker when a source delete marker is permanently deleted', async () => {
      // Prepare: the marker dm2 is removed, so v1 is current again and the replica of v1 shows again
      storeMapping('v1');
      storeMapping('dm2', { destinationVersionId: 'd-dm2', deleteMarker: true });
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v1']));
      dest.on(HeadObjectCommand).resolves(replicaHead('v1', 'd-v1'));

      // Act
      const outcome = await converge(change({ type: 'permanentDelete', versionId: 'dm2', sequencer: 'FF', reason: 'DeleteObject' }), context());

      // Assess
      expect(deletes()).toEqual([{ Bucket: DEST_BUCKET, Key: KEY, VersionId: 'd-dm2' }]);
      expect(copy).not.toHaveBeenCalled();
      expect(outcome.action).toBe('deleted');
      expect(table.get(PK, 'V#dm2')).toBeUndefined();
    });

    it('drops the mapping but deletes no version on an unversioned destination', async () => {
      // Prepare: v1 was mapped while the destination kept versions; versioning is suspended since
      storeMapping('v1');
      storeMapping('v2', { destinationVersionId: undefined });
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v2']));
      dest.on(HeadObjectCommand).resolves(replicaHead('v2', undefined));

      // Act
      const outcome = await converge(
        change({ type: 'permanentDelete', versionId: 'v1', sequencer: 'FF', reason: 'DeleteObject' }),
        context({ destinationVersioned: false }),
      );

      // Assess
      expect(dest).toHaveReceivedCommandTimes(DeleteObjectCommand, 0);
      expect(table.get(PK, 'V#v1')).toBeUndefined();
      expect(outcome.action).toBe('in-sync');
    });

    it('makes the previous version current again after the current one is permanently deleted', async () => {
      // Prepare: v2 was current and is deleted; on the destination d-v1 becomes current by itself
      storeMapping('v1');
      storeMapping('v2');
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v1']));
      dest.on(HeadObjectCommand).resolves(replicaHead('v1', 'd-v1'));

      // Act
      const outcome = await converge(change({ type: 'permanentDelete', versionId: 'v2', sequencer: 'FF', reason: 'DeleteObject' }), context());

      // Assess
      expect(deletes()).toEqual([{ Bucket: DEST_BUCKET, Key: KEY, VersionId: 'd-v2' }]);
      expect(copy).not.toHaveBeenCalled();
      expect(outcome).toMatchObject({ action: 'deleted', destinationVersionId: 'd-v1' });
      expect(stateItem()).toMatchObject({ sourceVersion: 'v1', destinationVersionId: 'd-v1', deleteMarker: false });
    });
  });

  describe('tags', () => {
    beforeEach(() => {
      storeMapping('v1');
      dest.on(PutObjectTaggingCommand).resolves({});
      dest.on(DeleteObjectTaggingCommand).resolves({});
    });

    it('puts the source version tags on the mapped destination version without listing or copying', async () => {
      // Prepare
      const tags = [{ Key: 'team', Value: 'blue' }, { Key: 'tier', Value: 'gold' }];
      source.on(GetObjectTaggingCommand).resolves({ TagSet: tags });

      // Act
      const outcome = await converge(change({ type: 'tags', versionId: 'v1', sequencer: undefined, reason: undefined }), context());

      // Assess
      expect(source).toHaveReceivedCommandWith(GetObjectTaggingCommand, { Bucket: BUCKET, Key: KEY, VersionId: 'v1' });
      expect(dest.commandCalls(PutObjectTaggingCommand).map((call) => call.args[0].input)).toEqual([
        { Bucket: DEST_BUCKET, Key: KEY, VersionId: 'd-v1', Tagging: { TagSet: tags } },
      ]);
      expect(source).toHaveReceivedCommandTimes(ListObjectVersionsCommand, 0);
      expect(dest).toHaveReceivedCommandTimes(HeadObjectCommand, 0);
      expect(copy).not.toHaveBeenCalled();
      expect(outcome).toEqual({ destination: 'gov', action: 'tags', versionsCopied: 0, bytes: 0, destinationKey: KEY, destinationVersionId: 'd-v1' });
    });

    it('deletes the mapped destination version tags when the source version has none', async () => {
      // Prepare
      source.on(GetObjectTaggingCommand).resolves({ TagSet: [] });

      // Act
      const outcome = await converge(change({ type: 'tags', versionId: 'v1', sequencer: undefined, reason: undefined }), context());

      // Assess
      expect(dest.commandCalls(DeleteObjectTaggingCommand).map((call) => call.args[0].input)).toEqual([{ Bucket: DEST_BUCKET, Key: KEY, VersionId: 'd-v1' }]);
      expect(dest).toHaveReceivedCommandTimes(PutObjectTaggingCommand, 0);
      expect(outcome.action).toBe('tags');
    });

    it('converges the key when the tagged version is not mapped yet', async () => {
      // Prepare
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v2', 'v1']));
      dest.on(HeadObjectCommand).resolves(replicaHead('v1', 'd-v1'));

      // Act
      const outcome = await converge(change({ type: 'tags', versionId: 'v2', sequencer: undefined, reason: undefined }), context());

      // Assess
      expect(source).toHaveReceivedCommandTimes(GetObjectTaggingCommand, 0);
      expect(copiedVersionIds()).toEqual(['v2']);
      expect(outcome.action).toBe('copied');
    });
  });

  it('treats a tag change on a version deleted since as obsolete and converges what is there', async () => {
    // Prepare: v1's tags changed, then v1 was permanently deleted; v2 is current
    storeMapping('v1');
    storeMapping('v2');
    source.on(GetObjectTaggingCommand, { VersionId: 'v1' }).rejects(s3Error('NoSuchVersion', 404));
    source.on(GetObjectTaggingCommand, { VersionId: 'v2' }).resolves({ TagSet: [] });
    source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v2']));
    dest.on(HeadObjectCommand).resolves(replicaHead('v2', 'd-v2'));
    dest.on(DeleteObjectTaggingCommand).resolves({});

    // Act
    const outcome = await converge(change({ type: 'tags', versionId: 'v1', sequencer: undefined, reason: undefined }), context());

    // Assess: no error, nothing copied, v1's tags written nowhere
    expect(copy).not.toHaveBeenCalled();
    expect(dest).toHaveReceivedCommandTimes(PutObjectTaggingCommand, 0);
    expect(outcome.destinationVersionId).toBe('d-v2');
  });

  describe('long histories', () => {
    it('reads the history only as far as the newest mirrored version', async () => {
      // Prepare: page 1 holds v4 (new) and v3 (mirrored); page 2, older versions, must not be read
      storeMapping('v3');
      const page1 = { ...sourceVersions(KEY, ['v4', 'v3']), IsTruncated: true, NextKeyMarker: KEY, NextVersionIdMarker: 'v3' };
      source.on(ListObjectVersionsCommand).resolvesOnce(page1).resolves(sourceVersions(KEY, ['v2', 'v1']));

      // Act
      const outcome = await converge(change(), context());

      // Assess
      expect(source).toHaveReceivedCommandTimes(ListObjectVersionsCommand, 1);
      expect(copy.mock.calls.map(([request]) => request.source.version.versionId)).toEqual(['v4']);
      expect(outcome.versionsCopied).toBe(1);
    });

    it('goes on to the next page while nothing on the page is mirrored yet', async () => {
      // Prepare
      storeMapping('v2');
      const page1 = { ...sourceVersions(KEY, ['v4', 'v3']), IsTruncated: true, NextKeyMarker: KEY, NextVersionIdMarker: 'v3' };
      const page2 = sourceVersions(KEY, ['v2', 'v1']);
      page2.Versions![0]!.IsLatest = false;
      source.on(ListObjectVersionsCommand).resolvesOnce(page1).resolves(page2);

      // Act
      await converge(change(), context());

      // Assess: v3 and v4 copied oldest first, v2 and v1 left alone
      expect(source).toHaveReceivedCommandTimes(ListObjectVersionsCommand, 2);
      expect(copy.mock.calls.map(([request]) => request.source.version.versionId)).toEqual(['v3', 'v4']);
    });
  });

  it("unmaps a destination version the destination's lifecycle expired, instead of retrying its tags", async () => {
    // Prepare: v1 is mapped to d-v1, which no longer exists on the destination
    storeMapping('v1');
    storeMapping('v2');
    source.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'k', Value: 'v' }] });
    source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v2', 'v1']));
    dest.on(PutObjectTaggingCommand).resolves({});
    dest.on(PutObjectTaggingCommand, { VersionId: 'd-v1' }).rejects(s3Error('NoSuchVersion', 404));
    dest.on(HeadObjectCommand).resolves(replicaHead('v2', 'd-v2'));

    // Act
    const outcome = await converge(change({ type: 'tags', versionId: 'v1', sequencer: undefined, reason: undefined }), context());

    // Assess: no error; the mapping is gone and the current state converged
    expect(table.get(PK, 'V#v1')).toBeUndefined();
    expect(outcome.destinationVersionId).toBe('d-v2');
  });

  describe('tags on an unversioned destination or source', () => {
    it("re-syncs the current object's tags, never an older version's, on an unversioned destination", async () => {
      // Prepare: v1's tags change, but the unversioned destination holds only v2
      storeMapping('v1', { destinationVersionId: undefined });
      storeMapping('v2', { destinationVersionId: undefined });
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v2', 'v1']));
      source.on(GetObjectTaggingCommand, { VersionId: 'v1' }).resolves({ TagSet: [{ Key: 'old', Value: 'v1-only' }] });
      source.on(GetObjectTaggingCommand, { VersionId: 'v2' }).resolves({ TagSet: [{ Key: 'current', Value: 'v2' }] });
      dest.on(HeadObjectCommand).resolves(replicaHead('v2', undefined));
      dest.on(PutObjectTaggingCommand).resolves({});

      // Act
      const outcome = await converge(change({ type: 'tags', versionId: 'v1', sequencer: undefined, reason: undefined }), context({ destinationVersioned: false }));

      // Assess
      expect(dest).toHaveReceivedCommandTimes(PutObjectTaggingCommand, 1);
      expect(dest).toHaveReceivedCommandWith(PutObjectTaggingCommand, { Key: KEY, VersionId: undefined, Tagging: { TagSet: [{ Key: 'current', Value: 'v2' }] } });
      expect(outcome.action).toBe('tags');
    });

    it('replicates a tag change on the null version of an unversioned source', async () => {
      // Prepare: S3 sends no version-id for an unversioned bucket
      const listed = { Key: KEY, VersionId: 'null', ETag: '"e"', Size: 1, LastModified: minutes(0), IsLatest: true };
      source.on(ListObjectVersionsCommand).resolves({ Versions: [listed], DeleteMarkers: [] });
      source.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'k', Value: 'new' }] });
      dest.on(HeadObjectCommand).resolves({ Metadata: { 'partition-replica-of': `null@${minutes(0).getTime()}@e;e` } });
      dest.on(PutObjectTaggingCommand).resolves({});
      table.put({ pk: PK, sk: `V#null@${minutes(0).getTime()}@e`, deleteMarker: false, copiedAt: 'x' });

      // Act
      const outcome = await converge(change({ type: 'tags', versionId: undefined, sequencer: undefined, reason: undefined }), context({ destinationVersioned: false }));

      // Assess
      expect(outcome.action).toBe('tags');
      expect(source).toHaveReceivedCommandWith(GetObjectTaggingCommand, { VersionId: 'null' });
      expect(dest).toHaveReceivedCommandWith(PutObjectTaggingCommand, { Tagging: { TagSet: [{ Key: 'k', Value: 'new' }] } });
      expect(copy).not.toHaveBeenCalled();
    });
  });

  describe('copies', () => {
    it('copies the unmapped versions oldest first in history mode all and stops at the newest mapped one', async () => {
      // Prepare: v1 is mirrored; v0 (older, unmapped) is not this walk's business
      storeMapping('v1');
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v3', 'v2', 'v1', 'v0']));
      dest.on(HeadObjectCommand).resolves(replicaHead('v1', 'd-v1'));

      // Act
      const outcome = await converge(change({ versionId: 'v3', sequencer: 'FF' }), context());

      // Assess
      expect(copiedVersionIds()).toEqual(['v2', 'v3']);
      expect(outcome).toEqual({ destination: 'gov', action: 'copied', versionsCopied: 2, bytes: 300 + 400, destinationKey: KEY, destinationVersionId: 'd-v3' });
      expect(table.get(PK, 'V#v2')).toMatchObject({ destinationVersionId: 'd-v2', deleteMarker: false, etag: '"etag-v2"', size: 300, copiedAt: NOW.toISOString() });
      expect(table.get(PK, 'V#v3')).toMatchObject({ destinationVersionId: 'd-v3', deleteMarker: false, etag: '"etag-v3"', size: 400 });
      expect(table.get(PK, 'V#v0')).toBeUndefined();
    });

    it('passes the replica marker, destination options and copy limits to the copy', async () => {
      // Prepare
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v0']));
      const remainingTimeMs = () => 123_000;

      // Act
      await converge(change(), context({ remainingTimeMs }, { storageClass: 'GLACIER_IR', kmsKeyId: 'alias/dest' }));

      // Assess
      const request = copy.mock.calls[0]![0];
      expect(request.replicaMetadata).toEqual({ 'partition-replica-of': replicaTagOf('v0') });
      expect(request.destination).toEqual({ client: destClient, bucket: DEST_BUCKET, key: KEY, storageClass: 'GLACIER_IR', kmsKeyId: 'alias/dest' });
      expect(request.source.client).toBe(sourceClient);
      expect(request.partsInFlight).toBe(4);
      expect(request.checkpointMarginMs).toBe(60_000);
      expect(request.remainingTimeMs).toBe(remainingTimeMs);
    });

    it('never walks past REPLICATE_SINCE, but always copies the current version', async () => {
      // Prepare
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v5', 'v4', 'v3', 'v2']));

      // Act
      const outcome = await converge(change(), context({ replicateSince: minutes(4) }));

      // Assess
      expect(copiedVersionIds()).toEqual(['v4', 'v5']);
      expect(outcome.versionsCopied).toBe(2);
    });

    it('copies only the current version in mode latest', async () => {
      // Prepare
      storeMapping('v1');
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v3', 'v2', 'v1']));
      dest.on(HeadObjectCommand).resolves(replicaHead('v1', 'd-v1'));

      // Act
      const outcome = await converge(change(), context({ historyMode: 'latest' }));

      // Assess
      expect(copiedVersionIds()).toEqual(['v3']);
      expect(outcome).toMatchObject({ action: 'copied', versionsCopied: 1, bytes: 400, destinationVersionId: 'd-v3' });
      expect(table.get(PK, 'V#v2')).toBeUndefined();
    });

    it('behaves as mode latest on an unversioned destination, even in history mode all', async () => {
      // Prepare
      copy = fakeCopy({ versioned: false });
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v3', 'v2', 'v1']));

      // Act
      const outcome = await converge(change(), context({ historyMode: 'all', destinationVersioned: false, copy }));

      // Assess
      expect(copiedVersionIds()).toEqual(['v3']);
      expect(outcome).toEqual({ destination: 'gov', action: 'copied', versionsCopied: 1, bytes: 400, destinationKey: KEY, destinationVersionId: undefined });
      expect(table.get(PK, 'V#v3')).toMatchObject({ deleteMarker: false, etag: '"etag-v3"' });
      expect(table.get(PK, 'V#v3')!.destinationVersionId).toBeUndefined();
    });

    it('maps a replica that is already current without copying it again (crash recovery)', async () => {
      // Prepare: an earlier attempt copied v2 and died before writing the map
      storeMapping('v1');
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v2', 'v1']));
      dest.on(HeadObjectCommand).resolves({ VersionId: 'd-crashed', Metadata: { 'partition-replica-of': 'v2;etag-v2' } });

      // Act
      const outcome = await converge(change({ versionId: 'v2' }), context());

      // Assess
      expect(copy).not.toHaveBeenCalled();
      expect(table.get(PK, 'V#v2')).toMatchObject({ destinationVersionId: 'd-crashed', deleteMarker: false });
      expect(outcome).toEqual({ destination: 'gov', action: 'in-sync', versionsCopied: 0, bytes: 0, destinationKey: KEY, destinationVersionId: 'd-crashed' });
      expect(stateItem()).toMatchObject({ sourceVersion: 'v2', destinationVersionId: 'd-crashed' });
    });

    it('copies the source current again when the destination current is another version', async () => {
      // Prepare: v2 is mapped, yet the destination shows the replica of v1 (e.g. d-v2 was deleted there)
      storeMapping('v1');
      storeMapping('v2');
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v2', 'v1']));
      dest.on(HeadObjectCommand).resolves(replicaHead('v1', 'd-v1'));

      // Act
      const outcome = await converge(change(), context());

      // Assess
      expect(copiedVersionIds()).toEqual(['v2']);
      expect(outcome).toMatchObject({ action: 'copied', versionsCopied: 1, bytes: 300, destinationVersionId: 'd-v2' });
    });

    it('copies the source current again when the destination has no current object', async () => {
      // Prepare
      storeMapping('v2');
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v2']));

      // Act
      const outcome = await converge(change(), context());

      // Assess
      expect(copiedVersionIds()).toEqual(['v2']);
      expect(outcome.action).toBe('copied');
    });

    it('does nothing but record the state when the destination already mirrors the source', async () => {
      // Prepare
      storeMapping('v2');
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v2']));
      dest.on(HeadObjectCommand).resolves(replicaHead('v2', 'd-v2'));

      // Act
      const outcome = await converge(change(), context());

      // Assess
      expect(copy).not.toHaveBeenCalled();
      expect(dest).toHaveReceivedCommandTimes(DeleteObjectCommand, 0);
      expect(outcome).toEqual({ destination: 'gov', action: 'in-sync', versionsCopied: 0, bytes: 0, destinationKey: KEY, destinationVersionId: 'd-v2' });
    });

    it('propagates a copy failure without writing the state', async () => {
      // Prepare
      const failure = s3Error('InternalError', 500);
      copy.mockRejectedValueOnce(failure);
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v1']));

      // Act
      const error = await converge(change(), context()).catch((e: unknown) => e);

      // Assess
      expect(error).toBe(failure);
      expect(stateItem()).toBeUndefined();
      expect(table.get(PK, 'V#v1')).toBeUndefined();
    });
  });

  describe('source current is a delete marker or absent', () => {
    it('deletes the destination current without a version id and maps the marker', async () => {
      // Prepare
      storeMapping('v1');
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v1'], { currentMarker: 'dm2' }));
      dest.on(HeadObjectCommand).resolves(replicaHead('v1', 'd-v1'));
      dest.on(DeleteObjectCommand).resolves({ DeleteMarker: true, VersionId: 'd-dm2' });

      // Act
      const outcome = await converge(change({ type: 'deleteMarker', versionId: 'dm2', sequencer: 'FF', reason: 'DeleteObject' }), context());

      // Assess
      expect(deletes()).toEqual([{ Bucket: DEST_BUCKET, Key: KEY }]);
      expect(table.get(PK, 'V#dm2')).toEqual({ pk: PK, sk: 'V#dm2', destinationVersionId: 'd-dm2', deleteMarker: true, copiedAt: NOW.toISOString() });
      expect(outcome).toEqual({ destination: 'gov', action: 'marker', versionsCopied: 0, bytes: 0, destinationKey: KEY, destinationVersionId: undefined });
      expect(stateItem()).toMatchObject({ sourceVersion: 'dm2', deleteMarker: true, sequencer: 'FF' });
      expect(stateItem()!.destinationVersionId).toBeUndefined();
    });

    it('creates no second marker when the destination is already delete-marked, and maps the one it finds', async () => {
      // Prepare: an earlier attempt made the marker and died before recording it
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v1'], { currentMarker: 'dm2' }));
      dest.on(ListObjectVersionsCommand).resolves({ DeleteMarkers: [{ Key: KEY, VersionId: 'd-dm2', IsLatest: true }] });
      storeMapping('v1');

      // Act
      const outcome = await converge(change({ type: 'deleteMarker', versionId: 'dm2', sequencer: 'FF', reason: 'DeleteObject' }), context());

      // Assess
      expect(dest).toHaveReceivedCommandTimes(DeleteObjectCommand, 0);
      expect(dest).toHaveReceivedCommandWith(ListObjectVersionsCommand, { Bucket: DEST_BUCKET, Prefix: KEY, MaxKeys: 1 });
      expect(table.get(PK, 'V#dm2')).toMatchObject({ destinationVersionId: 'd-dm2', deleteMarker: true });
      expect(outcome.action).toBe('in-sync');
    });

    it('does not look for the destination marker when it is mapped already', async () => {
      // Prepare
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v1'], { currentMarker: 'dm2' }));
      storeMapping('v1');
      storeMapping('dm2', { destinationVersionId: 'd-dm2', deleteMarker: true });

      // Act
      await converge(change({ type: 'deleteMarker', versionId: 'dm2', sequencer: 'FF', reason: 'DeleteObject' }), context());

      // Assess
      expect(dest).toHaveReceivedCommandTimes(ListObjectVersionsCommand, 0);
      expect(dest).toHaveReceivedCommandTimes(DeleteObjectCommand, 0);
    });

    it('plainly deletes the object on an unversioned destination and maps no marker', async () => {
      // Prepare
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v1'], { currentMarker: 'dm2' }));
      dest.on(HeadObjectCommand).resolves(replicaHead('v1', undefined));
      dest.on(DeleteObjectCommand).resolves({});

      // Act
      const outcome = await converge(change({ type: 'deleteMarker', versionId: 'dm2', sequencer: 'FF', reason: 'DeleteObject' }), context({ destinationVersioned: false }));

      // Assess
      expect(deletes()).toEqual([{ Bucket: DEST_BUCKET, Key: KEY }]);
      expect(table.get(PK, 'V#dm2')).toBeUndefined();
      expect(outcome.action).toBe('deleted');
    });

    it('leaves the destination current in place when delete markers are off', async () => {
      // Prepare: a create whose version was already delete-marked at the source
      storeMapping('v1');
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v1'], { currentMarker: 'dm2' }));
      dest.on(HeadObjectCommand).resolves(replicaHead('v1', 'd-v1'));

      // Act
      const outcome = await converge(change({ versionId: 'v1', sequencer: 'FF' }), context({}, { deleteMarkers: false }));

      // Assess
      expect(dest).toHaveReceivedCommandTimes(DeleteObjectCommand, 0);
      expect(outcome).toMatchObject({ action: 'in-sync', destinationVersionId: 'd-v1' });
    });

    it('copies the non-current versions before marking the destination in history mode all', async () => {
      // Prepare
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v1'], { currentMarker: 'dm2' }));

      // Act
      const outcome = await converge(change({ type: 'deleteMarker', versionId: 'dm2', sequencer: 'FF', reason: 'DeleteObject' }), context());

      // Assess
      expect(copiedVersionIds()).toEqual(['v1']);
      expect(deletes()).toEqual([{ Bucket: DEST_BUCKET, Key: KEY }]);
      expect(outcome).toMatchObject({ action: 'copied', versionsCopied: 1 });
    });

    it('deletes the destination current when the source key is gone and permanent deletes are on', async () => {
      // Prepare: a late create of v1, which the source no longer has at all
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, []));
      dest.on(HeadObjectCommand).resolves(replicaHead('v1', 'd-v1'));

      // Act
      const outcome = await converge(change({ versionId: 'v1', sequencer: 'FF' }), context());

      // Assess
      expect(deletes()).toEqual([{ Bucket: DEST_BUCKET, Key: KEY }]);
      expect(copy).not.toHaveBeenCalled();
      expect(outcome).toEqual({ destination: 'gov', action: 'deleted', versionsCopied: 0, bytes: 0, destinationKey: KEY, destinationVersionId: undefined });
      expect(table.sortKeys(PK)).toEqual(['STATE']);
      expect(stateItem()).toMatchObject({ deleteMarker: true, sequencer: 'FF' });
      expect(stateItem()!.sourceVersion).toBeUndefined();
    });

    it('leaves the destination current when the source key is gone but permanent deletes are off', async () => {
      // Prepare
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, []));
      dest.on(HeadObjectCommand).resolves(replicaHead('v1', 'd-v1'));

      // Act
      const outcome = await converge(change(), context({}, { permanentDeletes: false }));

      // Assess
      expect(dest).toHaveReceivedCommandTimes(DeleteObjectCommand, 0);
      expect(outcome.action).toBe('in-sync');
    });
  });

  describe('state write', () => {
    it('writes the first state on condition that none exists', async () => {
      // Prepare
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v1']));

      // Act
      await converge(change({ sequencer: '00AA' }), context());

      // Assess
      const puts = ddb.commandCalls(PutCommand).map((call) => call.args[0].input).filter((input) => input.Item!.sk === 'STATE');
      expect(puts).toEqual([
        {
          TableName: TABLE_NAME,
          Item: { pk: PK, sk: 'STATE', sequencer: '00AA', sourceVersion: 'v1', destinationVersionId: 'd-v1', deleteMarker: false, etag: '"etag-v1"', size: 200, updatedAt: NOW.toISOString(), revision: 1 },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      ]);
    });

    it('writes the state on condition that the revision read is still stored', async () => {
      // Prepare
      storeState({ revision: 7 });
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v1']));

      // Act
      await converge(change({ sequencer: 'FF' }), context());

      // Assess
      const put = ddb.commandCalls(PutCommand).map((call) => call.args[0].input).find((input) => input.Item!.sk === 'STATE');
      expect(put).toMatchObject({ ConditionExpression: 'revision = :previous', ExpressionAttributeValues: { ':previous': 7 }, Item: { revision: 8 } });
      expect(stateItem()).toMatchObject({ revision: 8, sequencer: 'FF' });
    });

    it('re-reads the state and re-plans when another invocation advanced it meanwhile', async () => {
      // Prepare: a concurrent writer bumps the revision while the first copy runs
      storeState({ revision: 7 });
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v1']));
      copy.mockImplementationOnce((request) => {
        storeState({ revision: 8, sequencer: 'FF00' });
        return fakeCopy()(request);
      });

      // Act
      const outcome = await converge(change({ sequencer: 'FE' }), context());

      // Assess: written over the other writer's revision, and its newer sequencer kept
      expect(outcome.destinationVersionId).toBe('d-v1');
      expect(stateItem()).toMatchObject({ revision: 9, sequencer: 'FF00' });
    });

    it('gives up with StateConflictError when the state keeps moving', async () => {
      // Prepare: every attempt meets a newer revision
      storeState({ revision: 7 });
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v1']));
      let revision = 7;
      dest.on(HeadObjectCommand).callsFake(() => {
        storeState({ revision: ++revision });
        return Promise.reject(s3Error('NotFound', 404));
      });

      // Act
      const error = await converge(change({ sequencer: 'FE' }), context()).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(StateConflictError);
      expect(revision).toBe(10);
    });

    it('re-plans when a listed version vanished before the copy read it', async () => {
      // Prepare: v2 is deleted between the listing and the copy (412/NoSuchVersion)
      source.on(ListObjectVersionsCommand).resolvesOnce(sourceVersions(KEY, ['v2', 'v1'])).resolves(sourceVersions(KEY, ['v1']));
      copy.mockImplementation((request) =>
        request.source.version.versionId === 'v2' ? Promise.reject(s3Error('NoSuchVersion', 404)) : fakeCopy()(request),
      );

      // Act
      const outcome = await converge(change(), context({ historyMode: 'latest' }));

      // Assess
      expect(outcome).toMatchObject({ action: 'copied', destinationVersionId: 'd-v1' });
      expect(source).toHaveReceivedCommandTimes(ListObjectVersionsCommand, 2);
    });

    it('keeps the stored sequencer when a permanent delete carries an older one', async () => {
      // Prepare
      storeState();
      storeMapping('v1');
      storeMapping('v2');
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v2']));
      dest.on(HeadObjectCommand).resolves(replicaHead('v2', 'd-v2'));

      // Act
      await converge(change({ type: 'permanentDelete', versionId: 'v1', sequencer: '0061', reason: 'DeleteObject' }), context());

      // Assess
      expect(stateItem()).toMatchObject({ sequencer: STORED_SEQUENCER, revision: 5 });
    });

    it('keeps the stored sequencer for a change without one', async () => {
      // Prepare: a tag change of a version not mapped yet converges the key
      storeState();
      source.on(ListObjectVersionsCommand).resolves(sourceVersions(KEY, ['v1']));

      // Act
      await converge(change({ type: 'tags', versionId: 'v1', sequencer: undefined, reason: undefined }), context());

      // Assess
      expect(stateItem()).toMatchObject({ sequencer: STORED_SEQUENCER, revision: 5 });
    });
  });
});
