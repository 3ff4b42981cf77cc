import { GetObjectCommand, GetObjectTaggingCommand, InvalidObjectState, PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { copyVersion } from '../../../src/copy';
import { IntegrityError, PermanentError, SourceAccessDeniedError } from '../../../src/errors';
import { copyRequest, bytesOf, md5Base64, md5Hex, offlineClient, s3Error, serveSource } from './fixtures';

const sourceClient = offlineClient();
const destClient = offlineClient();
const sourceMock = mockClient(sourceClient);
const destMock = mockClient(destClient);

describe('copyVersion of an object that fits in one part', () => {
  beforeEach(() => {
    sourceMock.reset();
    destMock.reset();
    destMock.on(PutObjectCommand).resolves({ ETag: '"dest-etag"', VersionId: 'v-dst-1' });
  });

  it('reads the pinned version and writes one PutObject carrying every attribute', async () => {
    // Prepare
    const data = bytesOf(1000);
    const expires = new Date('2030-01-02T03:04:05Z');
    serveSource(sourceMock, data, {
      ContentType: 'text/plain; charset=utf-8',
      CacheControl: 'max-age=60',
      ContentDisposition: 'attachment; filename="a b.txt"',
      ContentEncoding: 'gzip',
      ContentLanguage: 'fr',
      Expires: expires,
      WebsiteRedirectLocation: '/elsewhere',
      Metadata: { owner: 'team a', 'replica-of': 'overwritten' },
      StorageClass: 'STANDARD_IA',
      TagCount: 2,
    });
    sourceMock.on(GetObjectTaggingCommand).resolves({
      TagSet: [
        { Key: 'project', Value: 'a b+c' },
        { Key: 'k=&', Value: 'ü/%' },
      ],
    });
    const request = copyRequest(sourceClient, destClient, data);

    // Act
    const result = await copyVersion(request);

    // Assess
    expect(sourceMock.commandCalls(GetObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'src-bucket',
      Key: 'dir/file name.bin',
      VersionId: 'v-src-1',
      IfMatch: `"${md5Hex(data)}"`,
    });
    expect(sourceMock.commandCalls(GetObjectTaggingCommand)[0]!.args[0].input).toEqual({
      Bucket: 'src-bucket',
      Key: 'dir/file name.bin',
      VersionId: 'v-src-1',
    });
    const puts = destMock.commandCalls(PutObjectCommand);
    expect(puts).toHaveLength(1);
    const { Body, ...input } = puts[0]!.args[0].input;
    expect(Buffer.compare(Body as Buffer, data)).toBe(0);
    expect(input).toEqual({
      Bucket: 'dst-bucket',
      Key: 'mirror/dir/file name.bin',
      ContentLength: 1000,
      ContentMD5: md5Base64(data),
      ContentType: 'text/plain; charset=utf-8',
      CacheControl: 'max-age=60',
      ContentDisposition: 'attachment; filename="a b.txt"',
      ContentEncoding: 'gzip',
      ContentLanguage: 'fr',
      Expires: expires,
      WebsiteRedirectLocation: '/elsewhere',
      Metadata: { owner: 'team a', 'replica-of': 'v-src-1' },
      Tagging: 'project=a%20b%2Bc&k%3D%26=%C3%BC%2F%25',
      StorageClass: 'STANDARD_IA',
    });
    expect(result).toEqual({ versionId: 'v-dst-1', etag: '"dest-etag"', bytes: 1000, parts: 1, resumed: false });
  });

  it('copies a zero-byte object without a content type, tags or storage class', async () => {
    // Prepare
    const data = Buffer.alloc(0);
    serveSource(sourceMock, data, { StorageClass: 'STANDARD' });

    // Act
    const result = await copyVersion(copyRequest(sourceClient, destClient, data));

    // Assess
    expect(sourceMock.commandCalls(GetObjectTaggingCommand)).toHaveLength(0);
    const { Body, ...input } = destMock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect((Body as Buffer).length).toBe(0);
    expect(input).toEqual({
      Bucket: 'dst-bucket',
      Key: 'mirror/dir/file name.bin',
      ContentLength: 0,
      ContentMD5: '1B2M2Y8AsgTpgAmY7PhCfg==',
      Metadata: { 'replica-of': 'v-src-1' },
    });
    expect(result.bytes).toBe(0);
  });

  it("writes with the destination's KMS key and storage class when they are set", async () => {
    // Prepare
    const data = bytesOf(10);
    serveSource(sourceMock, data, { StorageClass: 'STANDARD_IA' });
    const request = copyRequest(sourceClient, destClient, data);
    request.destination = { ...request.destination, kmsKeyId: 'arn:aws-us-gov:kms:us-gov-west-1:1:key/k', storageClass: 'GLACIER_IR' };

    // Act
    await copyVersion(request);

    // Assess
    expect(destMock.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'arn:aws-us-gov:kms:us-gov-west-1:1:key/k',
      StorageClass: 'GLACIER_IR',
    });
  });

  it('throws IntegrityError and writes nothing when the bytes do not match the source MD5 ETag', async () => {
    // Prepare
    const data = bytesOf(100);
    serveSource(sourceMock, data, { ETag: `"${md5Hex(bytesOf(100, 2))}"` });

    // Act
    const copy = copyVersion(copyRequest(sourceClient, destClient, data));

    // Assess
    await expect(copy).rejects.toBeInstanceOf(IntegrityError);
    expect(destMock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('does not compare an SSE-KMS source ETag with the MD5 of the bytes', async () => {
    // Prepare
    const data = bytesOf(100);
    serveSource(sourceMock, data, { ETag: `"${md5Hex(bytesOf(100, 2))}"`, ServerSideEncryption: 'aws:kms' });

    // Act
    const result = await copyVersion(copyRequest(sourceClient, destClient, data));

    // Assess
    expect(result.etag).toBe('"dest-etag"');
    expect(destMock.commandCalls(PutObjectCommand)).toHaveLength(1);
  });

  it('throws IntegrityError when the body is shorter than its Content-Length', async () => {
    // Prepare
    const data = bytesOf(100);
    serveSource(sourceMock, data);
    const request = copyRequest(sourceClient, destClient, data);
    request.source.version.size = 101;

    // Act
    const copy = copyVersion(request);

    // Assess
    await expect(copy).rejects.toBeInstanceOf(IntegrityError);
    expect(destMock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('turns AccessDenied on the source into SourceAccessDeniedError', async () => {
    // Prepare
    sourceMock.on(GetObjectCommand).rejects(s3Error('AccessDenied', 403));

    // Act
    const copy = copyVersion(copyRequest(sourceClient, destClient, bytesOf(10)));

    // Assess
    await expect(copy).rejects.toBeInstanceOf(SourceAccessDeniedError);
  });

  it('turns an archived source into a permanent source-archived error', async () => {
    // Prepare
    sourceMock.on(GetObjectCommand).rejects(new InvalidObjectState({ message: 'archived', $metadata: {} }));

    // Act
    const copy = copyVersion(copyRequest(sourceClient, destClient, bytesOf(10)));

    // Assess
    await expect(copy).rejects.toThrow(PermanentError);
    await expect(copy).rejects.toMatchObject({ reason: 'source-archived' });
  });

  it.each([
    ['AWS', 'InvalidRequest', 'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.'],
    ['Ceph RGW', 'InvalidArgument', 'Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.'],
  ])('turns an SSE-C source (%s wording) into a permanent source-sse-c error', async (_server, name, message) => {
    // Prepare
    sourceMock.on(GetObjectCommand).rejects(new S3ServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } }));

    // Act
    const copy = copyVersion(copyRequest(sourceClient, destClient, bytesOf(10)));

    // Assess
    await expect(copy).rejects.toMatchObject({ reason: 'source-sse-c' });
  });

  it('lets another InvalidArgument through as it is', async () => {
    // Prepare
    const other = new S3ServiceException({ name: 'InvalidArgument', message: 'Invalid version id specified', $fault: 'client', $metadata: { httpStatusCode: 400 } });
    sourceMock.on(GetObjectCommand).rejects(other);

    // Act
    const copy = copyVersion(copyRequest(sourceClient, destClient, bytesOf(10)));

    // Assess
    await expect(copy).rejects.toBe(other);
  });

  it('lets a failed If-Match precondition through unchanged for the caller to re-plan', async () => {
    // Prepare
    const preconditionFailed = s3Error('PreconditionFailed', 412);
    sourceMock.on(GetObjectCommand).rejects(preconditionFailed);

    // Act
    const copy = copyVersion(copyRequest(sourceClient, destClient, bytesOf(10)));

    // Assess
    await expect(copy).rejects.toBe(preconditionFailed);
    expect(destMock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});
