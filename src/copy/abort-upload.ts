import type { S3Client } from '@aws-sdk/client-s3';
import { AbortMultipartUploadCommand } from '@aws-sdk/client-s3';

/** Abort a multipart upload; one that is already gone (NoSuchUpload) is fine. */
export async function abortUpload(
  client: S3Client,
  target: { bucket: string; key: string; uploadId: string },
  signal: AbortSignal | undefined,
): Promise<void> {
  try {
    await client.send(
      new AbortMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, UploadId: target.uploadId }),
      { abortSignal: signal },
    );
  } catch (err) {
    if ((err as { name?: string }).name !== 'NoSuchUpload') throw err;
  }
}
