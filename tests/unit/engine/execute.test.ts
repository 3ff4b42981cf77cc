import { AbortMultipartUploadCommand, DeleteObjectCommand, GetObjectTaggingCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { REPLICA_METADATA_KEY } from '../../../src/aws/destination';
import { KeyStateStore } from '../../../src/aws/state';
import type { CopyRequest, CopyResult } from '../../../src/copy/types';
import type { SourceEntry } from '../../../src/core/facts';
import type { Action, Plan } from '../../../src/core/planner';
import type { ExecuteContext, MapWrites } from '../../../src/engine/execute';
import { ReplanError, executePlan } from '../../../src/engine/execute';
import { OutOfTimeError, PermanentError, SourceAccessDeniedError, WriteOutcomeUnknownError } from '../../../src/errors';
import { planKey } from '../../../src/core/planner';
import { copyOf, keyFacts, marker, options, steps, version } from '../../helpers/planner-facts';
import { MemoryTable, TABLE_NAME, destinationConfig, offlineDocuments, offlineS3, s3Error } from '../../helpers/unit-builders';

// Every resource has its own identity: a call that reaches the wrong client, bucket or key shows.
const SOURCE_BUCKET = 'source-bucket';
const SOURCE_KEY = 'photos/cat.jpg';
const DESTINATION_KEY = 'backup/photos/cat.jpg';
const PK = `gov#${SOURCE_BUCKET}/${SOURCE_KEY}`;
const NOW = new Date('2024-06-01T12:00:00Z');
const MARGIN_MS = 10_000;

const plan = (...actions: Action[]): Plan => ({ status: 'stale', actions });
const copy = (entry: SourceEntry): Action => ({ kind: 'copy', entry, why: 'test' });
const emptyWrites = (): MapWrites => ({ put: new Map(), remove: new Set() });

describe('executePlan', () => {
  const sourceClient = offlineS3('us-east-1');
  const destinationClient = offlineS3('us-gov-west-1');
  const source = mockClient(sourceClient);
  const destination = mockClient(destinationClient);
  const documents = offlineDocuments();
  const ddb = mockClient(documents);
  let table: MemoryTable;
  let calls: string[];
  let copyFn: jest.Mock<Promise<CopyResult>, [CopyRequest]>;

  const context = (overrides: Partial<ExecuteContext> = {}): ExecuteContext => ({
    source: { client: sourceClient, bucket: SOURCE_BUCKET, key: SOURCE_KEY },
    destination: destinationConfig({ bucket: 'destination-bucket' }),
    destinationClient,
    destinationKey: DESTINATION_KEY,
    store: new KeyStateStore(documents, TABLE_NAME, 'gov', SOURCE_BUCKET, SOURCE_KEY),
    copy: copyFn,
    copyLimits: { partsInFlight: 4, memoryBudgetBytes: 64 * 1024 * 1024, checkpointMarginMs: MARGIN_MS },
    remainingTimeMs: () => 60_000,
    now: () => NOW,
    ...overrides,
  });

  const saveUpload = (sourceVersionId: string, uploadId: string) =>
    table.put({ pk: PK, sk: 'UPLOAD', uploadId, partSize: 8 * 1024 * 1024, sourceVersionId, sourceEtag: `"etag-${sourceVersionId}"`, destinationKey: DESTINATION_KEY, startedAt: NOW.toISOString() });

  beforeEach(() => {
    source.reset();
    destination.reset();
    ddb.reset();
    table = new MemoryTable(ddb);
    calls = [];
    // The destination version of a copy of source version vN is `copied-vN`.
    copyFn = jest.fn((request: CopyRequest) => {
      calls.push(`copy ${request.source.version.versionId}`);
      return Promise.resolve({ versionId: `copied-${request.source.version.versionId}`, etag: request.source.version.etag, bytes: request.source.version.size, parts: 1, resumed: false });
    });
    destination.on(DeleteObjectCommand).callsFake((input: { VersionId?: string }) => {
      calls.push(input.VersionId === undefined ? 'delete current' : `delete ${input.VersionId}`);
      return Promise.resolve(input.VersionId === undefined ? { VersionId: 'marker-put', DeleteMarker: true } : {});
    });
    destination.on(AbortMultipartUploadCommand).callsFake((input: { UploadId?: string }) => {
      calls.push(`abort ${input.UploadId}`);
      return Promise.resolve({});
    });
  });

  it('runs the actions in order and collects the map changes they make', async () => {
    // Prepare
    const writes = emptyWrites();
    const actions = plan(
      { kind: 'delete-version', versionId: 'orphan-1', mirrorOf: 'v9', why: 'test' },
      { kind: 'unmap', identity: 'v9', why: 'test' },
      copy(version('v2')),
      { kind: 'put-marker', entry: marker('m3'), why: 'test' },
      { kind: 'map', identity: 'v1', destinationVersionId: 'found-v1', deleteMarker: false, why: 'test' },
    );

    // Act
    const execution = await executePlan(actions, context(), writes);

    // Assess
    expect(calls).toEqual(['delete orphan-1', 'copy v2', 'delete current']);
    expect(destination).toHaveReceivedCommandWith(DeleteObjectCommand, { Bucket: 'destination-bucket', Key: DESTINATION_KEY, VersionId: 'orphan-1' });
    expect(writes.remove).toEqual(new Set(['v9']));
    expect(Object.fromEntries(writes.put)).toEqual({
      v2: { destinationVersionId: 'copied-v2', deleteMarker: false, etag: '"etag-v2"', size: 100, copiedAt: NOW.toISOString() },
      m3: { destinationVersionId: 'marker-put', deleteMarker: true, copiedAt: NOW.toISOString() },
      v1: { destinationVersionId: 'found-v1', deleteMarker: false, copiedAt: NOW.toISOString() },
    });
    expect(execution).toEqual({ done: { 'delete-version': 1, unmap: 1, copy: 1, 'put-marker': 1, map: 1 }, versionsCopied: 1, bytes: 100 });
  });

  it('pins the copy to the source version and marks the replica with it', async () => {
    // Act
    await executePlan(plan(copy(version('v2', { size: 4096 }))), context(), emptyWrites());

    // Assess
    const request = copyFn.mock.calls[0]![0];
    expect(request.source.client).toBe(sourceClient);
    expect(request.source.version).toEqual({ bucket: SOURCE_BUCKET, key: SOURCE_KEY, versionId: 'v2', etag: '"etag-v2"', size: 4096 });
    expect(request.destination).toMatchObject({ client: destinationClient, bucket: 'destination-bucket', key: DESTINATION_KEY });
    expect(request.replicaMetadata).toEqual({ [REPLICA_METADATA_KEY]: 'v2;etag-v2' });
  });

  it('deletes the current object (no version id) for delete-object', async () => {
    // Act
    await executePlan(plan({ kind: 'delete-object', why: 'test' }), context(), emptyWrites());

    // Assess
    expect(calls).toEqual(['delete current']);
  });

  describe('the time check', () => {
    it.each<[string, Action]>([
      ['copy', copy(version('v2'))],
      ['put-marker', { kind: 'put-marker', entry: marker('m3'), why: 'test' }],
      ['delete-version', { kind: 'delete-version', versionId: 'orphan-1', why: 'test' }],
      ['delete-object', { kind: 'delete-object', why: 'test' }],
      ['sync-tags', { kind: 'sync-tags', entry: version('v1'), destinationVersionId: 'copied-v1', why: 'test' }],
    ])('stops before %s when too little time is left, keeping what was done', async (_kind, action) => {
      // Prepare: time enough for the first copy only.
      const remaining = [60_000, MARGIN_MS - 1];
      const writes = emptyWrites();

      // Act
      const run = executePlan(plan(copy(version('v1')), action), context({ remainingTimeMs: () => remaining.shift() ?? 0 }), writes);

      // Assess
      await expect(run).rejects.toThrow(OutOfTimeError);
      await expect(run).rejects.toThrow('1 of 2 actions done');
      expect(calls).toEqual(['copy v1']);
      expect(source.calls()).toHaveLength(0);
      expect([...writes.put.keys()]).toEqual(['v1']);
    });

    it('records map changes and reports however little time is left: they change nothing on the destination', async () => {
      // Prepare
      const writes = emptyWrites();
      const onReport = jest.fn();

      // Act
      await executePlan(
        plan({ kind: 'map', identity: 'v1', destinationVersionId: 'found-v1', deleteMarker: false, why: 'test' }, { kind: 'unmap', identity: 'v9', why: 'test' }, { kind: 'report', problem: 'foreign', versionId: 'f1', why: 'test' }),
        context({ remainingTimeMs: () => 0, onReport }),
        writes,
      );

      // Assess
      expect([...writes.put.keys()]).toEqual(['v1']);
      expect([...writes.remove]).toEqual(['v9']);
      expect(onReport).toHaveBeenCalledWith(expect.objectContaining({ kind: 'report', problem: 'foreign', versionId: 'f1' }));
    });
  });

  describe('a copy that can never succeed', () => {
    it.each<[string, Error]>([
      ['source-access-denied', new SourceAccessDeniedError('access denied to v2 (test)')],
      ['source-archived', new PermanentError('source-archived', 'v2 is in GLACIER (test)')],
    ])('records %s in the map and still runs the next action', async (reason, error) => {
      // Prepare
      copyFn.mockRejectedValueOnce(error);
      const writes = emptyWrites();
      const onUnreplicable = jest.fn();

      // Act
      const execution = await executePlan(plan(copy(version('v2')), copy(version('v3'))), context({ onUnreplicable }), writes);

      // Assess
      expect(copyFn.mock.calls.map(([r]) => r.source.version.versionId)).toEqual(['v2', 'v3']);
      expect(writes.put.get('v2')).toEqual({ deleteMarker: false, unreplicable: reason, etag: '"etag-v2"', size: 100, copiedAt: NOW.toISOString() });
      expect(writes.put.get('v3')?.destinationVersionId).toBe('copied-v3');
      expect(onUnreplicable).toHaveBeenCalledTimes(1);
      expect(onUnreplicable).toHaveBeenCalledWith(expect.objectContaining({ identity: 'v2' }), reason);
      expect(execution.versionsCopied).toBe(1);
    });

    it('counts the failed copy as an unreplicable record, not as a copy (the outcome would say "copied")', async () => {
      // Prepare
      copyFn.mockRejectedValueOnce(new SourceAccessDeniedError('access denied to v2 (test)'));

      // Act
      const execution = await executePlan(plan(copy(version('v2'))), context(), emptyWrites());

      // Assess
      expect(execution).toEqual({ done: { unreplicable: 1 }, versionsCopied: 0, bytes: 0 });
    });

    it('aborts the upload that copy left, and clears its UPLOAD item', async () => {
      // Prepare
      saveUpload('v2', 'upload-of-v2');
      copyFn.mockRejectedValueOnce(new PermanentError('source-archived', 'v2 is in GLACIER (test)'));

      // Act
      await executePlan(plan(copy(version('v2'))), context(), emptyWrites());

      // Assess
      expect(destination).toHaveReceivedCommandWith(AbortMultipartUploadCommand, { Bucket: 'destination-bucket', Key: DESTINATION_KEY, UploadId: 'upload-of-v2' });
      expect(table.get(PK, 'UPLOAD')).toBeUndefined();
    });

    it("leaves another version's upload alone", async () => {
      // Prepare
      saveUpload('v3', 'upload-of-v3');
      copyFn.mockRejectedValueOnce(new SourceAccessDeniedError('access denied to v2 (test)'));

      // Act
      await executePlan(plan(copy(version('v2'))), context(), emptyWrites());

      // Assess
      expect(destination).not.toHaveReceivedCommand(AbortMultipartUploadCommand);
      expect(table.get(PK, 'UPLOAD')).toMatchObject({ uploadId: 'upload-of-v3' });
    });

    it('rethrows any other permanent error and runs nothing after it', async () => {
      // Prepare: the destination refuses writes: every version would fail alike.
      copyFn.mockRejectedValueOnce(s3Error('AccessDenied', 403));
      const writes = emptyWrites();

      // Act
      const run = executePlan(plan(copy(version('v2')), copy(version('v3'))), context(), writes);

      // Assess
      await expect(run).rejects.toMatchObject({ name: 'AccessDenied' });
      expect(copyFn).toHaveBeenCalledTimes(1);
      expect(writes.put.size).toBe(0);
    });
  });

  describe('a plan whose copy of a version already mirrored fails as unreplicable (archived since, key denied since)', () => {
    const archived = (versionId: string) => (request: CopyRequest) =>
      request.source.version.versionId === versionId
        ? Promise.reject(new PermanentError('source-archived', `${versionId} is in GLACIER (test)`))
        : Promise.resolve({ versionId: `copied-${request.source.version.versionId}`, etag: request.source.version.etag, bytes: 100, parts: 1, resumed: false });

    it('keeps the mirror a copy on top was to replace', async () => {
      // Prepare: someone wrote f2 over the mirror of the current v1; v1 has been archived at the source since.
      const facts = keyFacts({ source: [version('v1')], destination: [copyOf('f2', null), copyOf('d1', 'v1')], map: { v1: 'd1' } });
      const planned = planKey(facts, options());
      copyFn.mockImplementation(archived('v1'));

      // Act
      await executePlan(planned, context(), emptyWrites());

      // Assess: d1, the only mirror of v1, used to be deleted after the copy failed.
      expect(steps(planned)).toEqual(['report foreign f2', 'copy v1', 'delete-version d1 of v1']);
      expect(destination).not.toHaveReceivedCommandWith(DeleteObjectCommand, { VersionId: 'd1' });
    });

    it('keeps a mirror deleted to be copied again in order when that copy fails (a gap filled on request)', async () => {
      // Prepare: v2 is missing under d3 and the user asked to fill it; v3 has been archived at the source since d3 was made.
      const facts = keyFacts({ source: [version('v3'), version('v2'), version('v1')], destination: [copyOf('d3', 'v3'), copyOf('d1', 'v1')], map: { v1: 'd1' } });
      const planned = planKey(facts, options({ retryUnreplicable: true }));
      copyFn.mockImplementation(archived('v3'));

      // Act
      await executePlan(planned, context(), emptyWrites());

      // Assess: d3 is to go only once v3's copy in order exists; that copy fails, so d3 stays.
      expect(steps(planned)).toEqual(['copy v2', 'copy v3', 'delete-version d3 of v3']);
      expect(destination).not.toHaveReceivedCommandWith(DeleteObjectCommand, { VersionId: 'd3' });
    });
  });

  describe('a write whose outcome is unknown, or a source that moved', () => {
    it.each<[string, Error]>([
      ['WriteOutcomeUnknownError', new WriteOutcomeUnknownError('PutObject', s3Error('InternalError', 500))],
      ['NoSuchVersion', s3Error('NoSuchVersion', 404)],
      ['PreconditionFailed', s3Error('PreconditionFailed', 412)],
    ])('turns %s from the copy into ReplanError and stops', async (_name, error) => {
      // Prepare
      copyFn.mockRejectedValueOnce(error);
      const writes = emptyWrites();

      // Act
      const run = executePlan(plan(copy(version('v2')), copy(version('v3'))), context(), writes);

      // Assess
      await expect(run).rejects.toThrow(ReplanError);
      expect(copyFn).toHaveBeenCalledTimes(1);
      expect(writes.put.has('v2')).toBe(false);
    });
  });

  describe('map changes', () => {
    it('keeps only the put when an identity is unmapped then mapped', async () => {
      // Prepare
      const writes = emptyWrites();

      // Act
      await executePlan(plan({ kind: 'unmap', identity: 'v1', why: 'test' }, { kind: 'map', identity: 'v1', destinationVersionId: 'found-v1', deleteMarker: false, why: 'test' }), context(), writes);

      // Assess
      expect(writes.remove.has('v1')).toBe(false);
      expect(writes.put.get('v1')?.destinationVersionId).toBe('found-v1');
    });

    it('keeps only the remove when an identity is mapped then unmapped', async () => {
      // Prepare
      const writes = emptyWrites();

      // Act
      await executePlan(plan({ kind: 'map', identity: 'v1', destinationVersionId: 'found-v1', deleteMarker: false, why: 'test' }, { kind: 'unmap', identity: 'v1', why: 'test' }), context(), writes);

      // Assess
      expect(writes.put.has('v1')).toBe(false);
      expect(writes.remove.has('v1')).toBe(true);
    });

    it('records an unreplicable action of the plan with its reason', async () => {
      // Prepare
      const writes = emptyWrites();
      const onUnreplicable = jest.fn();

      // Act
      await executePlan(plan({ kind: 'unreplicable', entry: version('v2'), reason: 'insufficient-memory', why: 'test' }), context({ onUnreplicable }), writes);

      // Assess
      expect(writes.put.get('v2')).toEqual({ deleteMarker: false, unreplicable: 'insufficient-memory', etag: '"etag-v2"', size: 100, copiedAt: NOW.toISOString() });
      expect(onUnreplicable).toHaveBeenCalledWith(expect.objectContaining({ identity: 'v2' }), 'insufficient-memory');
      expect(copyFn).not.toHaveBeenCalled();
    });
  });

  describe('abort-upload', () => {
    it('aborts the upload the plan names and clears the UPLOAD item', async () => {
      // Prepare
      saveUpload('v2', 'upload-of-v2');

      // Act
      await executePlan(plan({ kind: 'abort-upload', uploadId: 'upload-of-v2', destinationKey: DESTINATION_KEY, why: 'test' }), context(), emptyWrites());

      // Assess
      expect(calls).toEqual(['abort upload-of-v2']);
      expect(destination).toHaveReceivedCommandWith(AbortMultipartUploadCommand, { Bucket: 'destination-bucket', Key: DESTINATION_KEY, UploadId: 'upload-of-v2' });
      expect(table.get(PK, 'UPLOAD')).toBeUndefined();
    });
  });

  describe('sync-tags', () => {
    it("copies the source version's tags onto the destination version the plan names", async () => {
      // Prepare
      source.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'team', Value: 'blue' }] });
      destination.on(PutObjectTaggingCommand).resolves({});

      // Act
      await executePlan(plan({ kind: 'sync-tags', entry: version('v1'), destinationVersionId: 'copied-v1', why: 'test' }), context(), emptyWrites());

      // Assess
      expect(source).toHaveReceivedCommandWith(GetObjectTaggingCommand, { Bucket: SOURCE_BUCKET, Key: SOURCE_KEY, VersionId: 'v1' });
      expect(destination).toHaveReceivedCommandWith(PutObjectTaggingCommand, {
        Bucket: 'destination-bucket',
        Key: DESTINATION_KEY,
        VersionId: 'copied-v1',
        Tagging: { TagSet: [{ Key: 'team', Value: 'blue' }] },
      });
    });

    it('unmaps a version whose mirror is gone, so that the next plan copies it again', async () => {
      // Prepare
      source.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'team', Value: 'blue' }] });
      destination.on(PutObjectTaggingCommand).rejects(s3Error('NoSuchVersion', 404));
      const writes = emptyWrites();

      // Act
      await executePlan(plan({ kind: 'sync-tags', entry: version('v1'), destinationVersionId: 'copied-v1', why: 'test' }), context(), writes);

      // Assess
      expect(writes.remove).toEqual(new Set(['v1']));
    });
  });
});
