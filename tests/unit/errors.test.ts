import { S3ServiceException } from '@aws-sdk/client-s3';
import { CopyCheckpointedError, OutOfTimeError, WriteOutcomeUnknownError, InvalidEventError, PermanentError, classify, describeError } from '../../src/errors';

function serviceError(name: string, fault: 'client' | 'server', status: number, extra: Record<string, unknown> = {}): S3ServiceException {
  return Object.assign(new S3ServiceException({ name, $fault: fault, $metadata: { httpStatusCode: status, requestId: 'REQ1' }, message: `${name} happened` }), extra);
}

describe('classify', () => {
  it('keeps our permanent errors as they are', () => {
    const error = new InvalidEventError('bad');
    expect(classify(error)).toBe(error);
  });

  it.each(['MetadataTooLarge', 'KeyTooLongError', 'InvalidStorageClass', 'AccessDenied', 'KMS.DisabledException', 'InvalidArgument'])(
    'makes the client fault %s permanent, with its name as the reason',
    (name) => {
      const permanent = classify(serviceError(name, 'client', 400));
      expect(permanent).toBeInstanceOf(PermanentError);
      expect(permanent?.reason).toBe(name);
    },
  );

  it.each([
    ['a race with the source', 'NoSuchVersion', 404],
    ['a precondition race', 'PreconditionFailed', 412],
    ['a rotated key', 'InvalidAccessKeyId', 403],
    ['throttling', 'SlowDown', 503],
    ['throttling reported as a client fault', 'ThrottlingException', 400],
    ['a request timeout', 'RequestTimeout', 400],
    ['a conflict', 'OperationAborted', 409],
    ['bytes damaged in transit', 'BadDigest', 400],
    ['a short body', 'IncompleteBody', 400],
    ['parts refused at completion (the next attempt starts afresh)', 'InvalidPart', 400],
    ["another service's expired token", 'ExpiredTokenException', 400],
    ['the state table being recreated or restored', 'ResourceNotFoundException', 400],
    ['the state table still being created', 'ResourceInUseException', 400],
  ])('leaves %s transient (%s)', (_what, name, status) => {
    expect(classify(serviceError(name, 'client', status))).toBeUndefined();
  });

  it('leaves server faults and plain errors transient', () => {
    expect(classify(serviceError('InternalError', 'server', 500))).toBeUndefined();
    expect(classify(new Error('socket hang up'))).toBeUndefined();
    expect(classify(new CopyCheckpointedError(1, 2))).toBeUndefined();
    expect(classify(new OutOfTimeError('3 of 5 actions done'))).toBeUndefined();
  });

  it('never lets the SDK retry a write whose outcome is unknown: no cause, no status, no fault', async () => {
    // Prepare
    const { isTransientError, isThrottlingError } = await import('@smithy/core/retry');
    const error = new WriteOutcomeUnknownError('PutObject', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));

    // Assess
    // What the SDK's retry strategy asks of an error, on this one as it is.
    const asSdk = error as unknown as Parameters<typeof isTransientError>[0];
    expect(isTransientError(asSdk)).toBe(false);
    expect(isThrottlingError(asSdk)).toBe(false);
    expect(classify(error)).toBeUndefined();
    expect(error.message).toContain('socket hang up');
  });
});

describe('describeError', () => {
  it("drops the service's error body, which can hold the access key id and the string to sign", () => {
    // Prepare: what the SDK copies onto a SignatureDoesNotMatch exception
    const error = serviceError('SignatureDoesNotMatch', 'client', 403, { AWSAccessKeyId: 'AKIAEXAMPLEKEY000001', StringToSign: 'AWS4-HMAC-SHA256\n...', SignatureProvided: 'abc' });

    // Act
    const described = describeError(error);

    // Assess
    expect(described).toEqual({ name: 'SignatureDoesNotMatch', message: 'SignatureDoesNotMatch happened', fault: 'client', statusCode: 403, requestId: 'REQ1' });
    expect(JSON.stringify(described)).not.toContain('AKIAEXAMPLEKEY000001');
  });

  it('keeps the reason of a permanent error and describes causes the same way', () => {
    const cause = serviceError('AccessDenied', 'client', 403, { HostId: 'secret-ish host id' });
    const described = describeError(new PermanentError('source-access-denied', 'denied', { cause }));
    expect(described).toEqual({
      name: 'PermanentError',
      message: 'denied',
      reason: 'source-access-denied',
      cause: { name: 'AccessDenied', message: 'AccessDenied happened', fault: 'client', statusCode: 403, requestId: 'REQ1' },
    });
  });
});
