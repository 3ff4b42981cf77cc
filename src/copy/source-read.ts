import type { GetObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { IntegrityError } from '../errors';
import { readBody } from './read-body';
import { sourceError } from './source-error';
import type { SourceVersion } from './types';

export interface SourceBytes {
  /** The GetObject response without its body: headers, metadata, TagCount, encryption. */
  response: Omit<GetObjectCommandOutput, 'Body'>;
  bytes: Buffer;
}

/**
 * Read `length` bytes from `start` of one pinned source version (VersionId + If-Match on the
 * listed ETag, so an overwrite of a "null" version fails with 412 instead of tearing the copy).
 * A whole-object read (the single-part path) sends no Range, so 0-byte objects work. The bytes
 * land in `into` when given (see readBody).
 */
export async function readSource(
  client: S3Client,
  version: SourceVersion,
  range: { start: number; length: number } | undefined,
  signal: AbortSignal | undefined,
  into?: Buffer,
): Promise<SourceBytes> {
  const what = `s3://${version.bucket}/${version.key} version ${version.versionId}`;
  const length = range ? range.length : version.size;
  try {
    const { Body, ...response } = await client.send(
      new GetObjectCommand({
        Bucket: version.bucket,
        Key: version.key,
        VersionId: version.versionId,
        // RGW sometimes lists a version with an empty ETag: then the version id alone pins it.
        IfMatch: version.etag.replace(/"/g, '') === '' ? undefined : version.etag,
        Range: range ? `bytes=${range.start}-${range.start + range.length - 1}` : undefined,
      }),
      { abortSignal: signal },
    );
    if (response.ContentLength !== undefined && response.ContentLength !== length) {
      (Body as { destroy?: () => void } | undefined)?.destroy?.();
      throw new IntegrityError(`${what}: Content-Length ${response.ContentLength}, expected ${length}`);
    }
    return { response, bytes: await readBody(Body, length, what, into) };
  } catch (err) {
    throw sourceError(err, version);
  }
}
