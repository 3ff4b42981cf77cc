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
  public constructor(message: string, options?: ErrorOptions) {
    super('invalid-event', message, options);
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
