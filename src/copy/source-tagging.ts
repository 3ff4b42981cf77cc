import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectTaggingCommand } from '@aws-sdk/client-s3';
import { sourceError } from './source-error';
import type { SourceVersion } from './types';

/**
 * The source version's tags as the `Tagging` header of PutObject / CreateMultipartUpload
 * (URL query encoding), or undefined when it has none: the tagging read is skipped then.
 */
export async function sourceTagging(
  client: S3Client,
  version: SourceVersion,
  tagCount: number | undefined,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  if (!tagCount) return undefined;
  try {
    const { TagSet = [] } = await client.send(
      new GetObjectTaggingCommand({ Bucket: version.bucket, Key: version.key, VersionId: version.versionId }),
      { abortSignal: signal },
    );
    if (TagSet.length === 0) return undefined;
    return TagSet.map((t) => `${encodeURIComponent(t.Key ?? '')}=${encodeURIComponent(t.Value ?? '')}`).join('&');
  } catch (err) {
    throw sourceError(err, version);
  }
}
