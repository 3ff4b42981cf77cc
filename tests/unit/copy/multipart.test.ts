import { createHash } from 'node:crypto';
import type { UploadPartCommandInput } from '@aws-sdk/client-s3';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  DeleteObjectTaggingCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListPartsCommand,
  NoSuchUpload,
  PutObjectTaggingCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { copyVersion } from '../../../src/copy';
import type { UploadCheckpoint } from '../../../src/copy/types';
import { CopyCheckpointedError, IntegrityError, SourceAccessDeniedError } from '../../../src/errors';
import { MemoryCheckpoints, MiB, bytesOf, copyRequest, md5Hex, offlineClient, s3Error, serveSource } from './fixtures';

const sourceClient = offlineClient();
const destClient = offlineClient();
const sourceMock = mockClient(sourceClient);
const destMock = mockClient(destClient);

const PART = 8 * MiB; // partSize() of every size used here
const parts = (data: Buffer): Buffer[] =>
  Array.from({ length: Math.ceil(data.length / PART) }, (_, i) => data.subarray(i * PART, (i + 1) * PART));
/** The ETag S3 computes for a multipart object, from the data and its parts. */
const s3MultipartEtag = (data: Buffer): string => {
  const hash = createHash('md5');
  for (const p of parts(data)) hash.update(createHash('md5').update(p).digest());
  return `"${hash.digest('hex')}-${parts(data).length}"`;
};
const partNumbersUploaded = (): number[] =>
  destMock.commandCalls(UploadPartCommand).map((c) => c.args[0].input.PartNumber!).sort((a, b) => a - b);

/** A destination that behaves like S3: part ETags are MD5s, HeadObject shows the composite. */
function destinationLikeS3(data: Buffer, log: string[] = []): void {
  destMock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-1' });
  destMock.on(UploadPartCommand).callsFake((input: UploadPartCommandInput) => {
    log.push(`part ${input.PartNumber}`);
    return { ETag: `"${md5Hex(input.Body as Buffer)}"` };
  });
  destMock.on(CompleteMultipartUploadCommand).resolves({ ETag: '', VersionId: 'v-dst-9' }); // RGW: empty ETag
  destMock.on(HeadObjectCommand).resolves({ ContentLength: data.length, ETag: s3MultipartEtag(data), VersionId: 'v-dst-9' });
}

describe('copyVersion of an object larger than one part', () => {
  beforeEach(() => {
    sourceMock.reset();
    destMock.reset();
  });

  it('creates the upload with the attributes, checkpoints it, then copies pinned ranges, each with its signed payload hash', async () => {
    // Prepare
    const data = bytesOf(2 * PART + 12345);
    serveSource(sourceMock, data, { ETag: '"src-3"', ContentType: 'video/mp4', Metadata: { a: '1' }, TagCount: 1 });
    sourceMock.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 't', Value: 'v w' }] });
    const log: string[] = [];
    destinationLikeS3(data, log);
    const checkpoints = new MemoryCheckpoints(undefined, log);
    const request = copyRequest(sourceClient, destClient, data, { checkpoints, partsInFlight: 1 });
    request.source.version.etag = '"src-3"';
    request.destination.kmsKeyId = 'key-1';
    destMock.on(HeadObjectCommand).resolves({ ContentLength: data.length, ETag: '"not-md5"', ServerSideEncryption: 'aws:kms' });

    // Act
    const result = await copyVersion(request);

    // Assess
    expect(destMock.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input).toEqual({
      Bucket: 'dst-bucket',
      Key: 'mirror/dir/file name.bin',
      ContentType: 'video/mp4',
      Metadata: { a: '1', 'replica-of': 'v-src-1' },
      Tagging: 't=v%20w',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'key-1',
    });
    expect(log).toEqual(['load', 'save', 'part 1', 'part 2', 'part 3', 'clear']);
    expect(checkpoints.saved).toBeUndefined();
    expect(sourceMock.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toEqual(
      [`bytes=0-${PART - 1}`, `bytes=${PART}-${2 * PART - 1}`, `bytes=${2 * PART}-${data.length - 1}`].map((Range) => ({
        Bucket: 'src-bucket',
        Key: 'dir/file name.bin',
        VersionId: 'v-src-1',
        IfMatch: '"src-3"',
        Range,
      })),
    );
    const uploads = destMock.commandCalls(UploadPartCommand).map((c) => c.args[0]);
    expect(uploads.map(({ input: u }) => [u.PartNumber, u.ContentLength, u.ContentMD5, u.UploadId])).toEqual(
      parts(data).map((p, i) => [i + 1, p.length, undefined, 'up-1']),
    );
    // Each part is sent with its SHA-256 as the signed payload hash (tests/unit/copy/payload-hash.test.ts)
    expect(uploads.map((command) => command.middlewareStack.identify().filter((m) => m.startsWith('payloadHash')))).toEqual(parts(data).map(() => ['payloadHash - build']));
    expect(destMock.commandCalls(HeadObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'dst-bucket',
      Key: 'mirror/dir/file name.bin',
      VersionId: 'v-dst-9',
    });
    expect(destMock.commandCalls(PutObjectTaggingCommand)[0]!.args[0].input).toEqual({
      Bucket: 'dst-bucket',
      Key: 'mirror/dir/file name.bin',
      VersionId: 'v-dst-9',
      Tagging: { TagSet: [{ Key: 't', Value: 'v w' }] },
    });
    expect(result).toEqual({ versionId: 'v-dst-9', etag: '"not-md5"', bytes: data.length, parts: 3, resumed: false });
  });

  it('completes with the parts sorted and verifies the composite ETag read back with HeadObject', async () => {
    // Prepare
    const data = bytesOf(5 * PART + 1);
    serveSource(sourceMock, data, { ETag: '"src"' });
    destinationLikeS3(data);
    // parts finish out of order
    destMock.on(UploadPartCommand).callsFake(async (input: UploadPartCommandInput) => {
      await new Promise((r) => setTimeout(r, (7 - input.PartNumber!) * 5));
      return { ETag: `"${md5Hex(input.Body as Buffer)}"` };
    });

    // Act
    const result = await copyVersion(copyRequest(sourceClient, destClient, data, { partsInFlight: 3 }));

    // Assess
    const completed = destMock.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input;
    expect(completed.MultipartUpload!.Parts).toEqual(parts(data).map((p, i) => ({ PartNumber: i + 1, ETag: `"${md5Hex(p)}"` })));
    expect(result.etag).toBe(s3MultipartEtag(data));
    expect(result.parts).toBe(6);
  });

  it('never has more parts in flight than partsInFlight', async () => {
    // Prepare
    const data = bytesOf(7 * PART);
    serveSource(sourceMock, data, { ETag: '"src"' });
    destinationLikeS3(data);
    let inFlight = 0;
    let most = 0;
    destMock.on(UploadPartCommand).callsFake(async (input: UploadPartCommandInput) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 10));
      inFlight--;
      return { ETag: `"${md5Hex(input.Body as Buffer)}"` };
    });

    // Act
    await copyVersion(copyRequest(sourceClient, destClient, data, { partsInFlight: 3 }));

    // Assess
    expect(most).toBe(3);
    expect(partNumbersUploaded()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('checkpoints when time runs short: stops starting parts, keeps the upload and throws CopyCheckpointedError', async () => {
    // Prepare
    const data = bytesOf(6 * PART);
    serveSource(sourceMock, data, { ETag: '"src"' });
    destinationLikeS3(data);
    const checkpoints = new MemoryCheckpoints();
    let checks = 0;
    const request = copyRequest(sourceClient, destClient, data, {
      checkpoints,
      partsInFlight: 2,
      remainingTimeMs: () => (++checks > 2 ? 59_999 : 600_000), // time for two parts only
    });
    request.source.version.etag = '"src"';

    // Act
    const copy = copyVersion(request);

    // Assess
    await expect(copy).rejects.toEqual(new CopyCheckpointedError(2, 6));
    expect(partNumbersUploaded()).toEqual([1, 2]);
    expect(destMock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(0);
    expect(destMock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(checkpoints.saved).toMatchObject({
      uploadId: 'up-1',
      partSize: PART,
      sourceVersionId: 'v-src-1',
      sourceEtag: '"src"',
      destinationKey: 'mirror/dir/file name.bin',
    });
  });

  it('resumes a checkpointed upload: lists its parts page by page and uploads only the missing ones', async () => {
    // Prepare
    const data = bytesOf(4 * PART + 100);
    const p = parts(data);
    serveSource(sourceMock, data, { ETag: '"src"' });
    destinationLikeS3(data);
    destMock
      .on(ListPartsCommand, { UploadId: 'up-old', PartNumberMarker: undefined })
      .resolves({ IsTruncated: true, NextPartNumberMarker: '2', Parts: [1, 2].map((n) => ({ PartNumber: n, ETag: `"${md5Hex(p[n - 1]!)}"`, Size: PART })) })
      .on(ListPartsCommand, { UploadId: 'up-old', PartNumberMarker: '2' })
      .resolves({ IsTruncated: false, Parts: [{ PartNumber: 4, ETag: `"${md5Hex(p[3]!)}"`, Size: PART }] });
    sourceMock.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'k', Value: 'v' }] });
    const checkpoints = new MemoryCheckpoints(checkpointOf('up-old'));
    const request = copyRequest(sourceClient, destClient, data, { checkpoints });
    request.source.version.etag = '"src"';

    // Act
    const result = await copyVersion(request);

    // Assess
    expect(destMock.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
    expect(sourceMock.commandCalls(GetObjectTaggingCommand)[0]!.args[0].input.VersionId).toBe('v-src-1');
    expect(destMock.commandCalls(PutObjectTaggingCommand)[0]!.args[0].input.Tagging).toEqual({ TagSet: [{ Key: 'k', Value: 'v' }] });
    expect(destMock.commandCalls(ListPartsCommand)).toHaveLength(2);
    expect(partNumbersUploaded()).toEqual([3, 5]);
    expect(destMock.commandCalls(UploadPartCommand).every((c) => c.args[0].input.UploadId === 'up-old')).toBe(true);
    expect(destMock.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input.MultipartUpload!.Parts).toEqual(
      p.map((b, i) => ({ PartNumber: i + 1, ETag: `"${md5Hex(b)}"` })),
    );
    expect(result).toMatchObject({ resumed: true, parts: 5, etag: s3MultipartEtag(data) });
    expect(checkpoints.saved).toBeUndefined();
  });

  it('completes at once when every part was uploaded before the interruption', async () => {
    // Prepare
    const data = bytesOf(PART + 9);
    serveSource(sourceMock, data, { ETag: '"src"' });
    sourceMock.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
    destinationLikeS3(data);
    destMock.on(ListPartsCommand).resolves({
      Parts: parts(data).map((b, i) => ({ PartNumber: i + 1, ETag: `"${md5Hex(b)}"`, Size: b.length })),
    });
    const request = copyRequest(sourceClient, destClient, data, { checkpoints: new MemoryCheckpoints(checkpointOf('up-old')) });
    request.source.version.etag = '"src"';

    // Act
    const result = await copyVersion(request);

    // Assess
    expect(destMock.commandCalls(UploadPartCommand)).toHaveLength(0);
    expect(sourceMock.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(destMock.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input.UploadId).toBe('up-old');
    expect(destMock.commandCalls(PutObjectTaggingCommand)).toHaveLength(0);
    // The source's tags were removed since the upload was created with them: so are the replica's.
    expect(destMock.commandCalls(DeleteObjectTaggingCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: expect.any(String) as string, Key: expect.any(String) as string, VersionId: expect.any(String) as string }]);
    expect(result).toMatchObject({ resumed: true, parts: 2, etag: s3MultipartEtag(data) });
  });

  it('uploads again a listed part whose size is not the expected one', async () => {
    // Prepare
    const data = bytesOf(2 * PART + 1);
    serveSource(sourceMock, data, { ETag: '"src"' });
    destinationLikeS3(data);
    destMock.on(ListPartsCommand).resolves({ Parts: [{ PartNumber: 1, ETag: '"x"', Size: 5 }] });
    sourceMock.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
    const request = copyRequest(sourceClient, destClient, data, { checkpoints: new MemoryCheckpoints(checkpointOf('up-old')) });
    request.source.version.etag = '"src"';

    // Act
    await copyVersion(request);

    // Assess
    expect(partNumbersUploaded()).toEqual([1, 2, 3]);
  });

  it('aborts the upload of a stale checkpoint and starts a new one', async () => {
    // Prepare
    const data = bytesOf(PART + 1);
    serveSource(sourceMock, data, { ETag: '"src"' });
    destinationLikeS3(data);
    destMock.on(AbortMultipartUploadCommand).rejects(new NoSuchUpload({ message: 'gone', $metadata: {} }));
    const checkpoints = new MemoryCheckpoints({ ...checkpointOf('up-old'), sourceVersionId: 'v-src-0', destinationKey: 'old/key' });
    const request = copyRequest(sourceClient, destClient, data, { checkpoints });
    request.source.version.etag = '"src"';

    // Act
    const result = await copyVersion(request);

    // Assess
    expect(destMock.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input).toEqual({
      Bucket: 'dst-bucket',
      Key: 'old/key',
      UploadId: 'up-old',
    });
    expect(destMock.commandCalls(ListPartsCommand)).toHaveLength(0);
    expect(checkpoints.log).toEqual(['load', 'clear', 'save', 'clear']);
    expect(partNumbersUploaded()).toEqual([1, 2]);
    expect(result.resumed).toBe(false);
  });

  it('starts afresh when the checkpointed upload no longer exists', async () => {
    // Prepare
    const data = bytesOf(PART + 1);
    serveSource(sourceMock, data, { ETag: '"src"' });
    destinationLikeS3(data);
    destMock.on(ListPartsCommand).rejects(new NoSuchUpload({ message: 'gone', $metadata: {} }));
    const checkpoints = new MemoryCheckpoints(checkpointOf('up-old'));
    const request = copyRequest(sourceClient, destClient, data, { checkpoints });
    request.source.version.etag = '"src"';

    // Act
    const result = await copyVersion(request);

    // Assess
    expect(destMock.commandCalls(CreateMultipartUploadCommand)).toHaveLength(1);
    expect(destMock.commandCalls(UploadPartCommand).every((c) => c.args[0].input.UploadId === 'up-1')).toBe(true);
    expect(result.resumed).toBe(false);
  });

  it('deletes the replica and throws IntegrityError when its ETag is not the composite MD5 of the parts', async () => {
    // Prepare
    const data = bytesOf(PART + 1);
    serveSource(sourceMock, data, { ETag: '"src"' });
    destinationLikeS3(data);
    destMock.on(HeadObjectCommand).resolves({ ContentLength: data.length, ETag: s3MultipartEtag(bytesOf(PART + 1, 7)) });
    const checkpoints = new MemoryCheckpoints();

    // Act
    const copy = copyVersion(copyRequest(sourceClient, destClient, data, { checkpoints }));

    // Assess
    await expect(copy).rejects.toBeInstanceOf(IntegrityError);
    expect(destMock.commandCalls(DeleteObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'dst-bucket',
      Key: 'mirror/dir/file name.bin',
      VersionId: 'v-dst-9',
    });
    expect(checkpoints.saved).toBeUndefined();
  });

  it('throws IntegrityError when the completed replica has the wrong size', async () => {
    // Prepare
    const data = bytesOf(PART + 1);
    serveSource(sourceMock, data, { ETag: '"src"' });
    destinationLikeS3(data);
    destMock.on(HeadObjectCommand).resolves({ ContentLength: PART, ETag: s3MultipartEtag(data) });

    // Act
    const copy = copyVersion(copyRequest(sourceClient, destClient, data));

    // Assess
    await expect(copy).rejects.toBeInstanceOf(IntegrityError);
    expect(destMock.commandCalls(DeleteObjectCommand)).toHaveLength(1);
  });

  it('aborts the upload when a part reads fewer bytes than its range', async () => {
    // Prepare
    const data = bytesOf(3 * PART);
    serveSource(sourceMock, data.subarray(0, 3 * PART - 10), { ETag: '"src"' });
    destinationLikeS3(data);
    const checkpoints = new MemoryCheckpoints();

    // Act
    const copy = copyVersion(copyRequest(sourceClient, destClient, data, { checkpoints, partsInFlight: 1 }));

    // Assess
    await expect(copy).rejects.toBeInstanceOf(IntegrityError);
    expect(destMock.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input.UploadId).toBe('up-1');
    expect(destMock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(checkpoints.saved).toBeUndefined();
  });

  it('keeps the upload and its checkpoint after a transient part failure, so a retry resumes', async () => {
    // Prepare
    const data = bytesOf(3 * PART);
    serveSource(sourceMock, data, { ETag: '"src"' });
    destinationLikeS3(data);
    const failure = s3Error('InternalError', 500);
    destMock.on(UploadPartCommand, { PartNumber: 2 }).rejects(failure);
    const checkpoints = new MemoryCheckpoints();

    // Act
    const copy = copyVersion(copyRequest(sourceClient, destClient, data, { checkpoints, partsInFlight: 1 }));

    // Assess
    await expect(copy).rejects.toBe(failure);
    expect(destMock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(0);
    expect(partNumbersUploaded()).toEqual([1, 2]); // nothing started after the failure
    expect(checkpoints.saved?.uploadId).toBe('up-1');
  });

  it('aborts the upload and clears its checkpoint when the destination refuses the parts at completion', async () => {
    // Prepare: e.g. parts of a stale checkpoint the destination no longer has
    const data = bytesOf(2 * PART);
    serveSource(sourceMock, data, { ETag: '"src"' });
    destinationLikeS3(data);
    destMock.on(CompleteMultipartUploadCommand).rejects(s3Error('InvalidPart', 400));
    const checkpoints = new MemoryCheckpoints();

    // Act
    const copy = copyVersion(copyRequest(sourceClient, destClient, data, { checkpoints }));

    // Assess: the next attempt starts afresh
    await expect(copy).rejects.toMatchObject({ name: 'InvalidPart' });
    expect(destMock.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input.UploadId).toBe('up-1');
    expect(checkpoints.saved).toBeUndefined();
  });

  it('turns AccessDenied on the first part into SourceAccessDeniedError before creating an upload', async () => {
    // Prepare
    sourceMock.on(GetObjectCommand).rejects(s3Error('AccessDenied', 403));
    destinationLikeS3(bytesOf(1));

    // Act
    const copy = copyVersion(copyRequest(sourceClient, destClient, bytesOf(PART + 1)));

    // Assess
    await expect(copy).rejects.toBeInstanceOf(SourceAccessDeniedError);
    expect(destMock.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
  });

  it('passes the abort signal to every SDK call', async () => {
    // Prepare
    const data = bytesOf(PART + 1);
    serveSource(sourceMock, data, { ETag: '"src"' });
    destinationLikeS3(data);
    const signal = new AbortController().signal;

    // Act
    await copyVersion(copyRequest(sourceClient, destClient, data, { signal }));

    // Assess
    const calls = [...sourceMock.calls(), ...destMock.calls()];
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => ((c.args as unknown[])[1] as { abortSignal?: AbortSignal } | undefined)?.abortSignal === signal)).toBe(true);
  });
});

function checkpointOf(uploadId: string): UploadCheckpoint {
  return {
    uploadId,
    partSize: PART,
    sourceVersionId: 'v-src-1',
    sourceEtag: '"src"',
    destinationKey: 'mirror/dir/file name.bin',
    startedAt: '2024-01-01T00:00:00.000Z',
  };
}
