import { isThrottlingError, isTransientError } from '@smithy/core/retry';
import type { SdkError } from '@smithy/types';

/**
 * Error families. A PermanentError can never succeed on retry: its message goes to the DLQ at
 * once with `reason`. Anything else is transient: the record fails and SQS redelivers it.
 */
export class PermanentError extends Error {
  public readonly reason: string;

  public constructor(reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentError';
    this.reason = reason;
  }
}

/** The event or message body is not one we can act on. */
export class InvalidEventError extends PermanentError {
  public constructor(message: string, options?: ErrorOptions & { reason?: string }) {
    super(options?.reason ?? 'invalid-event', message, options);
    this.name = 'InvalidEventError';
  }
}

/** The source denies access to this object (e.g. a KMS key we were not granted). */
export class SourceAccessDeniedError extends PermanentError {
  public constructor(message: string, options?: ErrorOptions) {
    super('source-access-denied', message, options);
    this.name = 'SourceAccessDeniedError';
  }
}

/** A configuration variable is missing or wrong: thrown at cold start. */
export class ConfigError extends Error {
  public readonly variable: string;

  public constructor(variable: string, message: string, options?: ErrorOptions) {
    super(`${variable}: ${message}`, options);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/** The destination credentials secret is unreadable or malformed. Never carries key values. */
export class CredentialsError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CredentialsError';
  }
}

/** A large copy ran out of invocation time; its multipart state is saved for the next attempt. */
export class CopyCheckpointedError extends Error {
  public readonly partsDone: number;
  public readonly partsTotal: number;

  public constructor(partsDone: number, partsTotal: number) {
    super(`copy checkpointed after ${partsDone} of ${partsTotal} parts; the next attempt resumes it`);
    this.name = 'CopyCheckpointedError';
    this.partsDone = partsDone;
    this.partsTotal = partsTotal;
  }
}

/**
 * The invocation has too little time left to go on with a key (a long history, many pending
 * versions): what is done is recorded and the message is re-queued to continue.
 */
export class OutOfTimeError extends Error {
  public constructor(message: string) {
    super(`${message}; the next attempt continues`);
    this.name = 'OutOfTimeError';
  }
}

/**
 * A destination write (PutObject, CompleteMultipartUpload, a delete marker) failed in a way that
 * does not say whether the server applied it: a 5xx or a connection reset after the request was
 * sent. It is never retried blindly (that would add a second version): the key is read again and
 * the plan finds the write if it landed. No `cause`: the SDK would then find it retryable.
 */
export class WriteOutcomeUnknownError extends Error {
  public readonly operation: string;

  public constructor(operation: string, underlying: unknown) {
    const what = underlying instanceof Error ? `${underlying.name}: ${underlying.message}` : String(underlying);
    super(`${operation} may or may not have been applied (${what}); the key is read again before anything is retried`);
    this.name = 'WriteOutcomeUnknownError';
    this.operation = operation;
  }
}

/** Work that stopped for lack of time and continues where it stopped: the message is re-queued. */
export function isResumable(error: unknown): error is CopyCheckpointedError | OutOfTimeError {
  return error instanceof CopyCheckpointedError || error instanceof OutOfTimeError;
}

/** Bytes read or written do not match what the source says: never complete such a copy. */
export class IntegrityError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'IntegrityError';
  }
}

/** Another invocation advanced the key's state between our read and our write. */
export class StateConflictError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StateConflictError';
  }
}

/** Client errors that a retry can fix: races with the source, conflicts, rotated keys. */
const RETRYABLE_CLIENT_ERRORS = new Set([
  'NoSuchKey',
  'NoSuchVersion',
  'NotFound',
  'PreconditionFailed',
  'NoSuchUpload',
  'OperationAborted',
  'ConditionalCheckFailedException',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'RequestTimeTooSkewed',
  'RequestExpired',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  // Bytes damaged or cut short in transit, and a multipart upload to start afresh.
  'BadDigest',
  'InvalidDigest',
  'XAmzContentSHA256Mismatch',
  'IncompleteBody',
  'InvalidPart',
  'InvalidPartOrder',
  // The state table being recreated or restored: it comes back.
  'ResourceNotFoundException',
  'ResourceInUseException',
]);

function isServiceError(error: unknown): error is SdkError {
  return error instanceof Error && '$fault' in error;
}

/**
 * The one place that decides permanent vs transient. Ours are typed; an AWS client fault
 * (4xx: MetadataTooLarge, KeyTooLongError, InvalidStorageClass, a disabled KMS key, AccessDenied
 * on the destination…) can never succeed on retry, unless it is throttling, a timeout or one of
 * the races above. Everything else is transient.
 */
export function classify(error: unknown): PermanentError | undefined {
  if (error instanceof PermanentError) return error;
  if (!isServiceError(error) || error.$fault !== 'client') return undefined;
  if (RETRYABLE_CLIENT_ERRORS.has(error.name) || isThrottlingError(error) || isTransientError(error)) return undefined;
  return new PermanentError(error.name, `${error.name}: ${error.message}`, { cause: error });
}

/**
 * What a log line may say of an error. SDK errors carry the service's whole error body, which
 * for a signature error includes the access key id and the string to sign: log none of it.
 */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  return {
    name: error.name,
    message: error.message,
    ...(error instanceof PermanentError && { reason: error.reason }),
    ...(isServiceError(error) && { fault: error.$fault, statusCode: error.$metadata?.httpStatusCode, requestId: error.$metadata?.requestId }),
    ...(error.cause !== undefined && !isServiceError(error) && { cause: describeError(error.cause) }),
  };
}
