import { createHash } from 'node:crypto';
import { HttpRequest } from '@smithy/core/protocols';
import type { BuildHandlerOptions, BuildMiddleware } from '@smithy/types';

/** The request header SigV4 signs the payload hash in; S3 rejects a body that does not match it. */
export const PAYLOAD_HASH_HEADER = 'x-amz-content-sha256';

/**
 * A middleware that sends `body` with its SHA-256 as the signed payload hash, computed here once:
 * the signer takes the header as it is instead of hashing the body again, and the destination
 * verifies it (XAmzContentSHA256Mismatch), which is the part's integrity check. Set explicitly,
 * it does not depend on the SDK's default, which may one day send UNSIGNED-PAYLOAD over HTTPS.
 * Use: `command.middlewareStack.add(payloadHash(body), PAYLOAD_HASH_STEP)`.
 */
export function payloadHash<I extends object, O extends object>(body: Uint8Array): BuildMiddleware<I, O> {
  const hash = createHash('sha256').update(body).digest('hex');
  return (next) => (args) => {
    if (HttpRequest.isInstance(args.request)) args.request.headers[PAYLOAD_HASH_HEADER] = hash;
    return next(args);
  };
}

export const PAYLOAD_HASH_STEP: BuildHandlerOptions = { step: 'build', name: 'payloadHash' };
