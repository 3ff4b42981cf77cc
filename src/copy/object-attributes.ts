import type { GetObjectCommandOutput, PutObjectCommandInput, Tag } from '@aws-sdk/client-s3';
import type { CopyRequest } from './types';

/** What the replica carries over from the source: shared by PutObject and CreateMultipartUpload. */
export type ObjectAttributes = Pick<
  PutObjectCommandInput,
  | 'ContentType'
  | 'CacheControl'
  | 'ContentDisposition'
  | 'ContentEncoding'
  | 'ContentLanguage'
  | 'Expires'
  | 'WebsiteRedirectLocation'
  | 'Metadata'
  | 'Tagging'
  | 'StorageClass'
  | 'ServerSideEncryption'
  | 'SSEKMSKeyId'
>;

/**
 * Attributes for the replica: the source's content headers and user metadata (with the replica
 * marker on top), its tags (URL query encoded, as the Tagging header wants), its storage class unless the destination overrides it, and the
 * destination's KMS key. STANDARD is never sent: it is the default everywhere, and leaving it out
 * keeps S3-compatible servers without storage-class support working. Unset fields stay absent.
 */
export function objectAttributes(
  source: Omit<GetObjectCommandOutput, 'Body'>,
  tags: readonly Tag[],
  request: Pick<CopyRequest, 'destination' | 'replicaMetadata'>,
): ObjectAttributes {
  const { destination } = request;
  const storageClass = destination.storageClass ?? source.StorageClass;
  const attributes: ObjectAttributes = {
    ContentType: source.ContentType,
    CacheControl: source.CacheControl,
    ContentDisposition: source.ContentDisposition,
    ContentEncoding: source.ContentEncoding,
    ContentLanguage: source.ContentLanguage,
    Expires: source.Expires,
    WebsiteRedirectLocation: source.WebsiteRedirectLocation,
    Metadata: { ...source.Metadata, ...request.replicaMetadata },
    Tagging: tags.length ? tags.map((t) => `${encodeURIComponent(t.Key ?? '')}=${encodeURIComponent(t.Value ?? '')}`).join('&') : undefined,
    StorageClass: storageClass === 'STANDARD' ? undefined : storageClass,
    ...(destination.kmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: destination.kmsKeyId } : {}),
  };
  for (const k of Object.keys(attributes) as (keyof ObjectAttributes)[]) {
    if (attributes[k] === undefined) delete attributes[k];
  }
  return attributes;
}
