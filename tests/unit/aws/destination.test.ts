import {
  DeleteObjectCommand,
  DeleteObjectTaggingCommand,
  GetBucketVersioningCommand,
  HeadObjectCommand,
  PutObjectTaggingCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { deleteCurrent, deleteVersion, headCurrent, REPLICA_METADATA_KEY, syncTags, VersioningCache } from '../../../src/aws/destination';
import { offlineS3, s3Error } from '../../helpers/unit-builders';

const BUCKET = 'dest-bucket';
const KEY = 'backup/a b.txt';

describe('destination adapters', () => {
  const client = offlineS3('us-gov-west-1');
  const s3 = mockClient(client);

  beforeEach(() => {
    s3.reset();
  });

  describe('headCurrent', () => {
    it('reports the current version and the replica marker metadata', async () => {
      // Prepare
      s3.on(HeadObjectCommand).resolves({ VersionId: 'd1', Metadata: { [REPLICA_METADATA_KEY]: 'v1;abc', other: 'x' } });

      // Act
      const current = await headCurrent(client, BUCKET, KEY);

      // Assess
      expect(s3.commandCalls(HeadObjectCommand)[0]!.args[0].input).toEqual({ Bucket: BUCKET, Key: KEY });
      expect(current).toEqual({ exists: true, versionId: 'd1', replicaOf: 'v1;abc' });
    });

    it('reports an object that is not a replica with replicaOf undefined', async () => {
      // Prepare
      s3.on(HeadObjectCommand).resolves({ VersionId: 'd1' });

      // Act
      const current = await headCurrent(client, BUCKET, KEY);

      // Assess
      expect(current).toEqual({ exists: true, versionId: 'd1', replicaOf: undefined });
    });

    it.each(['NotFound', 'NoSuchKey'])('reports %s as not there', async (name) => {
      // Prepare
      s3.on(HeadObjectCommand).rejects(s3Error(name, 404));

      // Act
      const current = await headCurrent(client, BUCKET, KEY);

      // Assess
      expect(current).toEqual({ exists: false });
    });

    it('rethrows any other error', async () => {
      // Prepare
      const forbidden = s3Error('Forbidden', 403);
      s3.on(HeadObjectCommand).rejects(forbidden);

      // Act
      const error = await headCurrent(client, BUCKET, KEY).catch((e: unknown) => e);

      // Assess
      expect(error).toBe(forbidden);
    });
  });

  describe('deletes', () => {
    it('deletes the current object without a version id and returns the marker version id', async () => {
      // Prepare
      s3.on(DeleteObjectCommand).resolves({ DeleteMarker: true, VersionId: 'dm-d1' });

      // Act
      const marker = await deleteCurrent(client, BUCKET, KEY);

      // Assess
      expect(s3.commandCalls(DeleteObjectCommand)[0]!.args[0].input).toEqual({ Bucket: BUCKET, Key: KEY });
      expect(marker).toBe('dm-d1');
    });

    it('deletes exactly one version by id', async () => {
      // Prepare
      s3.on(DeleteObjectCommand).resolves({});

      // Act
      await deleteVersion(client, BUCKET, KEY, 'd7');

      // Assess
      expect(s3.commandCalls(DeleteObjectCommand).map((call) => call.args[0].input)).toEqual([{ Bucket: BUCKET, Key: KEY, VersionId: 'd7' }]);
    });
  });

  describe('syncTags', () => {
    it('puts the tag set on the given destination version', async () => {
      // Prepare
      s3.on(PutObjectTaggingCommand).resolves({});
      const tags = [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '' }];

      // Act
      await syncTags(client, BUCKET, KEY, 'd1', tags);

      // Assess
      expect(s3.commandCalls(PutObjectTaggingCommand).map((call) => call.args[0].input)).toEqual([{ Bucket: BUCKET, Key: KEY, VersionId: 'd1', Tagging: { TagSet: tags } }]);
      expect(s3).toHaveReceivedCommandTimes(DeleteObjectTaggingCommand, 0);
    });

    it('deletes the tags of the version when the source has none', async () => {
      // Prepare
      s3.on(DeleteObjectTaggingCommand).resolves({});

      // Act
      await syncTags(client, BUCKET, KEY, 'd1', []);

      // Assess
      expect(s3.commandCalls(DeleteObjectTaggingCommand).map((call) => call.args[0].input)).toEqual([{ Bucket: BUCKET, Key: KEY, VersionId: 'd1' }]);
      expect(s3).toHaveReceivedCommandTimes(PutObjectTaggingCommand, 0);
    });

    it('addresses the object without a version id on an unversioned bucket', async () => {
      // Prepare
      s3.on(PutObjectTaggingCommand).resolves({});

      // Act
      await syncTags(client, BUCKET, KEY, undefined, [{ Key: 'a', Value: '1' }]);

      // Assess
      expect(s3.commandCalls(PutObjectTaggingCommand)[0]!.args[0].input.VersionId).toBeUndefined();
    });
  });

  describe('VersioningCache', () => {
    it('asks each bucket once and answers from the cache afterwards', async () => {
      // Prepare
      s3.on(GetBucketVersioningCommand, { Bucket: BUCKET }).resolves({ Status: 'Enabled' });
      s3.on(GetBucketVersioningCommand, { Bucket: 'plain-bucket' }).resolves({});
      const cache = new VersioningCache();

      // Act
      const answers = [
        await cache.isVersioned(client, BUCKET),
        await cache.isVersioned(client, BUCKET),
        await cache.isVersioned(client, 'plain-bucket'),
        await cache.isVersioned(client, 'plain-bucket'),
      ];

      // Assess
      expect(answers).toEqual([true, true, false, false]);
      expect(s3.commandCalls(GetBucketVersioningCommand).map((call) => call.args[0].input.Bucket)).toEqual([BUCKET, 'plain-bucket']);
    });

    it('treats a suspended bucket as unversioned', async () => {
      // Prepare
      s3.on(GetBucketVersioningCommand).resolves({ Status: 'Suspended' });

      // Act
      const versioned = await new VersioningCache().isVersioned(client, BUCKET);

      // Assess
      expect(versioned).toBe(false);
    });
  });
});
