import type { Tag } from '@aws-sdk/client-s3';
import { CreateMultipartUploadCommand } from '@aws-sdk/client-s3';
import { abortUpload } from './abort-upload';
import type { ListedPart } from './list-parts';
import { listParts } from './list-parts';
import { objectAttributes } from './object-attributes';
import type { PartBuffers } from './part-buffers';
import type { SourceBytes } from './source-read';
import { readSource } from './source-read';
import { sourceTagging } from './source-tagging';
import type { CopyRequest, UploadCheckpoint } from './types';
import { bareEtag } from './verify';

export interface OpenUpload {
  uploadId: string;
  /** Parts an earlier invocation already uploaded (empty for a new upload). */
  listed: ListedPart[];
  resumed: boolean;
  /** The source's tags, set again once the upload completes (RGW ignores them on create). */
  tags: Tag[];
  /** Part 1, read into a leased buffer to learn the source's attributes before creating the upload. */
  firstPart?: SourceBytes & { buffer: Buffer };
}

/**
 * Resume the checkpointed upload of this very copy, or start a new one. A checkpoint of another
 * source version, ETag, destination key or part size is stale: its upload is aborted. A new
 * upload is created with the attributes of part 1's GetObject response (so an archived or denied
 * source fails before anything is created) and checkpointed before any part is uploaded.
 */
export async function openUpload(request: CopyRequest, partSize: number, buffers: PartBuffers): Promise<OpenUpload> {
  const { source, destination, checkpoints, signal } = request;
  const { version } = source;
  const saved = await checkpoints.load();
  if (saved) {
    const target = { bucket: destination.bucket, key: saved.destinationKey, uploadId: saved.uploadId };
    if (isSameCopy(saved, request, partSize)) {
      const listed = await listParts(destination.client, target, signal).catch((err: unknown) => {
        if ((err as { name?: string }).name === 'NoSuchUpload') return undefined; // gone: start afresh
        throw err;
      });
      if (listed) {
        const tags = await sourceTagging(source.client, version, undefined, signal);
        return { uploadId: saved.uploadId, listed, resumed: true, tags };
      }
    } else {
      await abortUpload(destination.client, target, signal);
    }
    await checkpoints.clear();
  }

  const buffer = await buffers.acquire(partSize);
  try {
    const firstPart = await readSource(source.client, version, { start: 0, length: Math.min(partSize, version.size) }, signal, buffer);
    const tags = await sourceTagging(source.client, version, firstPart.response.TagCount ?? 0, signal);
    const created = await destination.client.send(
      new CreateMultipartUploadCommand({
        Bucket: destination.bucket,
        Key: destination.key,
        ...objectAttributes(firstPart.response, tags, request),
      }),
      { abortSignal: signal },
    );
    if (!created.UploadId) throw new Error(`CreateMultipartUpload of ${destination.key} returned no UploadId`);
    await checkpoints.save({
      uploadId: created.UploadId,
      partSize,
      sourceVersionId: version.versionId,
      sourceEtag: version.etag,
      destinationKey: destination.key,
      startedAt: new Date().toISOString(),
    });
    return { uploadId: created.UploadId, listed: [], resumed: false, tags, firstPart: { ...firstPart, buffer } };
  } catch (err) {
    buffers.release(buffer);
    throw err;
  }
}

function isSameCopy(saved: UploadCheckpoint, request: CopyRequest, partSize: number): boolean {
  const { version } = request.source;
  return (
    saved.sourceVersionId === version.versionId &&
    bareEtag(saved.sourceEtag) === bareEtag(version.etag) &&
    saved.destinationKey === request.destination.key &&
    saved.partSize === partSize
  );
}
