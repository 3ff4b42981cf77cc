import type { S3Client } from '@aws-sdk/client-s3';
import { ListPartsCommand } from '@aws-sdk/client-s3';

export interface ListedPart {
  partNumber: number;
  etag: string;
  size: number;
}

/** Every part already uploaded to a multipart upload (ListParts returns at most 1,000 a page). */
export async function listParts(
  client: S3Client,
  target: { bucket: string; key: string; uploadId: string },
  signal: AbortSignal | undefined,
): Promise<ListedPart[]> {
  const parts: ListedPart[] = [];
  let marker: string | undefined;
  for (;;) {
    const page = await client.send(
      new ListPartsCommand({ Bucket: target.bucket, Key: target.key, UploadId: target.uploadId, PartNumberMarker: marker }),
      { abortSignal: signal },
    );
    for (const p of page.Parts ?? []) {
      if (p.PartNumber !== undefined) parts.push({ partNumber: p.PartNumber, etag: p.ETag ?? '', size: p.Size ?? -1 });
    }
    if (!page.IsTruncated || !page.NextPartNumberMarker || page.NextPartNumberMarker === marker) return parts;
    marker = page.NextPartNumberMarker;
  }
}
