import { createHash } from 'node:crypto';
import { HttpRequest } from '@smithy/core/protocols';
import type { BuildHandlerArguments } from '@smithy/types';
import { PAYLOAD_HASH_HEADER, payloadHash } from '../../../src/copy/payload-hash';

describe('payloadHash', () => {
  it('sets x-amz-content-sha256 to the SHA-256 of the body, so the signer signs it without hashing again', async () => {
    // Prepare
    const body = Buffer.from('part bytes '.repeat(1000));
    const request = new HttpRequest({ method: 'PUT', hostname: '127.0.0.1', path: '/b/k', headers: { 'content-length': String(body.length) }, body });
    let seen: Record<string, string> | undefined;
    const next = (args: BuildHandlerArguments<object>) => {
      seen = HttpRequest.isInstance(args.request) ? { ...args.request.headers } : undefined;
      return Promise.resolve({ output: {}, response: {} });
    };

    // Act
    await payloadHash<object, object>(body)(next, {})({ input: {}, request });

    // Assess
    expect(seen).toEqual({ 'content-length': String(body.length), [PAYLOAD_HASH_HEADER]: createHash('sha256').update(body).digest('hex') });
  });
});
