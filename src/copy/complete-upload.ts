import type { Tag } from '@aws-sdk/client-s3';
import {
  CompleteMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectTaggingCommand,
} from '@aws-sdk/client-s3';
import { IntegrityError } from '../errors';
import type { CopyRequest } from './types';
import { bareEtag, compositeEtag } from './verify';

export interface DonePart {
  /**
   * The part's ETag as the destination returned or listed it: CompleteMultipartUpload needs it,
   * and unless SSE-KMS it is the MD5 of the bytes the destination verified against our signed hash.
   */
  etag: string;
}

/**
 * Complete the upload and verify the result end to end with HeadObject (Ceph RGW returns an empty
 * ETag from CompleteMultipartUpload, so the ETag is read back): the size must be the source's, and
 * unless the object is SSE-KMS its ETag must be the composite of the ETags of the parts we sent
 * (each part's bytes were verified on upload), so the replica is exactly those parts in order. A replica that
 * fails this is deleted, so that nothing mistakes it for a good copy, and IntegrityError is thrown.
 * The source's tags are then put on the written version.
 */
export async function completeUpload(
  request: CopyRequest,
  target: { bucket: string; key: string; uploadId: string },
  done: ReadonlyMap<number, DonePart>,
  total: number,
  tags: Tag[],
  resumed = false,
): Promise<{ versionId: string | undefined; etag: string; bytes: number }> {
  const { destination, signal } = request;
  const numbers = [...done.keys()].sort((a, b) => a - b);
  const completed = await destination.client.send(
    new CompleteMultipartUploadCommand({
      Bucket: target.bucket,
      Key: target.key,
      UploadId: target.uploadId,
      MultipartUpload: { Parts: numbers.map((n) => ({ PartNumber: n, ETag: done.get(n)!.etag })) },
    }),
    { abortSignal: signal },
  );
  const versionId = completed.VersionId || undefined;
  const head = await destination.client.send(
    new HeadObjectCommand({ Bucket: target.bucket, Key: target.key, VersionId: versionId }),
    { abortSignal: signal },
  );

  const size = request.source.version.size;
  const expectedEtag = compositeEtag(numbers.map((n) => bareEtag(done.get(n)!.etag)));
  const kms = (head.ServerSideEncryption ?? '').startsWith('aws:kms');
  const problem =
    numbers.length !== total
      ? `${numbers.length} parts, expected ${total}`
      : head.ContentLength !== size
        ? `${head.ContentLength} bytes, expected ${size}`
        : !kms && (expectedEtag === undefined || bareEtag(head.ETag) !== expectedEtag)
          ? `ETag ${head.ETag}, expected "${expectedEtag}"`
          : undefined;
  if (problem) {
    await destination.client.send(
      new DeleteObjectCommand({ Bucket: target.bucket, Key: target.key, VersionId: versionId ?? head.VersionId }),
      { abortSignal: signal },
    );
    await request.checkpoints.clear();
    throw new IntegrityError(`s3://${target.bucket}/${target.key}: the completed replica has ${problem}; it was deleted`);
  }
  const written = versionId ?? head.VersionId;
  if (tags.length > 0) {
    // Also sent on CreateMultipartUpload (atomic on AWS); Ceph RGW 16 ignores them there.
    await destination.client.send(
      new PutObjectTaggingCommand({ Bucket: target.bucket, Key: target.key, VersionId: written, Tagging: { TagSet: tags } }),
      { abortSignal: signal },
    );
  } else if (resumed) {
    // The tags sent on CreateMultipartUpload, invocations ago, may since have been removed.
    await destination.client.send(new DeleteObjectTaggingCommand({ Bucket: target.bucket, Key: target.key, VersionId: written }), { abortSignal: signal });
  }
  return { versionId: written, etag: head.ETag ?? '', bytes: size };
}
