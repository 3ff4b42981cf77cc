import { PermanentError, SourceAccessDeniedError } from '../errors';
import type { SourceVersion } from './types';

/**
 * Map a source read error to our domain: AccessDenied, archived and SSE-C objects can never
 * succeed on retry. Everything else (412 PreconditionFailed, NoSuchVersion, NoSuchKey, throttling, ...)
 * passes through as is: the caller re-lists and re-plans, or retries.
 */
export function sourceError(err: unknown, version: SourceVersion): unknown {
  const name = (err as { name?: string } | undefined)?.name;
  const what = `s3://${version.bucket}/${version.key} version ${version.versionId}`;
  if (name === 'AccessDenied') {
    return new SourceAccessDeniedError(`the source denies reading ${what}`, { cause: err });
  }
  if (name === 'InvalidObjectState') {
    return new PermanentError('source-archived', `${what} is archived; restore it to replicate it`, { cause: err });
  }
  // AWS: 400 InvalidRequest "...stored using a form of Server Side Encryption..."; Ceph RGW: 400 InvalidArgument.
  const message = (err as { message?: string } | undefined)?.message ?? '';
  if ((name === 'InvalidRequest' || name === 'InvalidArgument') && /server side encryption/i.test(message)) {
    return new PermanentError('source-sse-c', `${what} is encrypted with a customer-provided key (SSE-C), which the replicator does not hold`, { cause: err });
  }
  return err;
}
