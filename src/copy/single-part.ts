import { PutObjectCommand } from '@aws-sdk/client-s3';
import { IntegrityError } from '../errors';
import { md5 } from './md5';
import { objectAttributes } from './object-attributes';
import { PAYLOAD_HASH_STEP, payloadHash } from './payload-hash';
import { readSource } from './source-read';
import { sourceTagging } from './source-tagging';
import type { CopyRequest, CopyResult } from './types';
import { bareEtag, isPlainMd5Etag } from './verify';

/**
 * Copy an object of at most one part: read it whole into memory, check it against the source's
 * ETag when that is a plain MD5, and write it with one PutObject carrying Content-MD5, which the
 * destination verifies.
 */
export async function copySinglePart(request: CopyRequest): Promise<CopyResult> {
  const { version } = request.source;
  // The object's bytes count against the process's part-buffer budget while they are held.
  const buffer = await request.buffers?.acquire(version.size);
  try {
    return await readAndPut(request, buffer);
  } finally {
    if (buffer) request.buffers?.release(buffer);
  }
}

async function readAndPut(request: CopyRequest, buffer: Buffer | undefined): Promise<CopyResult> {
  const { source, destination, signal } = request;
  const { version } = source;
  const { response, bytes } = await readSource(source.client, version, undefined, signal, buffer);
  const digest = md5(bytes);
  if (isPlainMd5Etag(response.ETag, response.ServerSideEncryption) && bareEtag(response.ETag) !== digest.toString('hex')) {
    throw new IntegrityError(
      `s3://${version.bucket}/${version.key} version ${version.versionId}: MD5 of the bytes read ` +
        `${digest.toString('hex')} differs from the source ETag ${response.ETag}`,
    );
  }
  const tags = await sourceTagging(source.client, version, response.TagCount ?? 0, signal);
  const command = new PutObjectCommand({
    Bucket: destination.bucket,
    Key: destination.key,
    Body: bytes,
    ContentLength: bytes.length,
    ContentMD5: digest.toString('base64'),
    ...objectAttributes(response, tags, request),
  });
  command.middlewareStack.add(payloadHash(bytes), PAYLOAD_HASH_STEP);
  const put = await destination.client.send(command, { abortSignal: signal });
  return { versionId: put.VersionId, etag: put.ETag ?? '', bytes: bytes.length, parts: 1, resumed: false };
}
