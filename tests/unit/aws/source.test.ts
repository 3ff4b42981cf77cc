import { GetObjectTaggingCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { SourceAccessDeniedError } from '../../../src/errors';
import { listSourceVersions, sourceTags } from '../../../src/aws/source';
import { minutes, offlineS3, s3Error, s3Marker, s3Version, versionsPage } from '../../helpers/unit-builders';

const BUCKET = 'source-bucket';
const KEY = 'docs/a b+c.txt';

describe('listSourceVersions', () => {
  const client = offlineS3();
  const s3 = mockClient(client);

  beforeEach(() => {
    s3.reset();
  });

  it('keeps only the entries of exactly the key, newest first, with their fields', async () => {
    // Prepare
    s3.on(ListObjectVersionsCommand).resolves(
      versionsPage(
        [s3Version(KEY, 'v2', { isLatest: false }), s3Version(KEY, 'v1'), s3Version(KEY, 'x9', { key: `${KEY}.bak`, isLatest: true })],
        [s3Marker(KEY, 'dm3', { isLatest: true }), s3Marker(KEY, 'x8', { key: `${KEY}/child`, isLatest: true })],
      ),
    );

    // Act
    const listing = await listSourceVersions(client, BUCKET, KEY);

    // Assess
    expect(s3.commandCalls(ListObjectVersionsCommand)[0]!.args[0].input).toEqual({ Bucket: BUCKET, Prefix: KEY });
    expect(listing).toEqual({
      versions: [
        { versionId: 'v2', etag: '"etag-v2"', size: 300, lastModified: minutes(2), isLatest: false },
        { versionId: 'v1', etag: '"etag-v1"', size: 200, lastModified: minutes(1), isLatest: false },
      ],
      deleteMarkers: [{ versionId: 'dm3', lastModified: minutes(3), isLatest: true }],
    });
  });

  it('reports an unversioned object as version "null"', async () => {
    // Prepare
    s3.on(ListObjectVersionsCommand).resolves(versionsPage([{ Key: KEY, ETag: '"e"', Size: 1, LastModified: minutes(0), IsLatest: true }]));

    // Act
    const listing = await listSourceVersions(client, BUCKET, KEY);

    // Assess
    expect(listing.versions).toEqual([{ versionId: 'null', etag: '"e"', size: 1, lastModified: minutes(0), isLatest: true }]);
  });

  it('follows KeyMarker and VersionIdMarker over truncated pages of the key', async () => {
    // Prepare
    s3.on(ListObjectVersionsCommand)
      .resolvesOnce(versionsPage([s3Version(KEY, 'v3', { isLatest: true }), s3Version(KEY, 'v2')], [], { keyMarker: KEY, versionIdMarker: 'v2' }))
      .resolvesOnce(versionsPage([], [s3Marker(KEY, 'dm1')], { keyMarker: KEY, versionIdMarker: 'dm1' }))
      .resolvesOnce(versionsPage([s3Version(KEY, 'v0')]));

    // Act
    const listing = await listSourceVersions(client, BUCKET, KEY);

    // Assess
    const inputs = s3.commandCalls(ListObjectVersionsCommand).map((call) => call.args[0].input);
    expect(inputs).toEqual([
      { Bucket: BUCKET, Prefix: KEY },
      { Bucket: BUCKET, Prefix: KEY, KeyMarker: KEY, VersionIdMarker: 'v2' },
      { Bucket: BUCKET, Prefix: KEY, KeyMarker: KEY, VersionIdMarker: 'dm1' },
    ]);
    expect(listing.versions.map((v) => v.versionId)).toEqual(['v3', 'v2', 'v0']);
    expect(listing.deleteMarkers.map((m) => m.versionId)).toEqual(['dm1']);
  });

  it('stops once the listing is past the key, even when the page is truncated', async () => {
    // Prepare: the longer keys sharing the prefix follow, with thousands of versions
    s3.on(ListObjectVersionsCommand)
      .resolvesOnce(versionsPage([s3Version(KEY, 'v1', { isLatest: true }), s3Version(KEY, 'x1', { key: `${KEY}0` })], [], { keyMarker: `${KEY}0`, versionIdMarker: 'x1' }))
      .resolves(versionsPage([s3Version(KEY, 'x2', { key: `${KEY}1` })]));

    // Act
    const listing = await listSourceVersions(client, BUCKET, KEY);

    // Assess
    expect(s3).toHaveReceivedCommandTimes(ListObjectVersionsCommand, 1);
    expect(listing.versions.map((v) => v.versionId)).toEqual(['v1']);
  });

  it('stops when only a delete marker of a longer key shows the listing is past the key', async () => {
    // Prepare
    s3.on(ListObjectVersionsCommand)
      .resolvesOnce(versionsPage([s3Version(KEY, 'v1', { isLatest: true })], [s3Marker(KEY, 'x1', { key: `${KEY}~` })], { keyMarker: `${KEY}~`, versionIdMarker: 'x1' }))
      .resolves(versionsPage([]));

    // Act
    await listSourceVersions(client, BUCKET, KEY);

    // Assess
    expect(s3).toHaveReceivedCommandTimes(ListObjectVersionsCommand, 1);
  });

  it('returns an empty listing for a key that has no versions', async () => {
    // Prepare
    s3.on(ListObjectVersionsCommand).resolves({});

    // Act
    const listing = await listSourceVersions(client, BUCKET, KEY);

    // Assess
    expect(listing).toEqual({ versions: [], deleteMarkers: [] });
  });

  it('turns AccessDenied into SourceAccessDeniedError, naming the key and keeping the cause', async () => {
    // Prepare
    const denied = s3Error('AccessDenied', 403);
    s3.on(ListObjectVersionsCommand).rejects(denied);

    // Act
    const error = await listSourceVersions(client, BUCKET, KEY).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(SourceAccessDeniedError);
    expect(error).toMatchObject({ reason: 'source-access-denied', cause: denied });
    expect((error as Error).message).toContain(KEY);
  });

  it('rethrows other errors as they are', async () => {
    // Prepare
    const slowDown = s3Error('SlowDown', 503);
    s3.on(ListObjectVersionsCommand).rejects(slowDown);

    // Act
    const error = await listSourceVersions(client, BUCKET, KEY).catch((e: unknown) => e);

    // Assess
    expect(error).toBe(slowDown);
  });
});

describe('sourceTags', () => {
  const client = offlineS3();
  const s3 = mockClient(client);

  beforeEach(() => {
    s3.reset();
  });

  it('reads the tags of the pinned version', async () => {
    // Prepare
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'team', Value: 'blue' }] });

    // Act
    const tags = await sourceTags(client, BUCKET, KEY, 'v1');

    // Assess
    expect(s3).toHaveReceivedCommandWith(GetObjectTaggingCommand, { Bucket: BUCKET, Key: KEY, VersionId: 'v1' });
    expect(tags).toEqual([{ Key: 'team', Value: 'blue' }]);
  });

  it('turns AccessDenied into SourceAccessDeniedError', async () => {
    // Prepare
    s3.on(GetObjectTaggingCommand).rejects(s3Error('AccessDenied', 403));

    // Act
    const error = await sourceTags(client, BUCKET, KEY, 'v1').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(SourceAccessDeniedError);
  });
});
