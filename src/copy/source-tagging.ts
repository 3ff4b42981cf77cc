import type { S3Client, Tag } from '@aws-sdk/client-s3';
import { GetObjectTaggingCommand } from '@aws-sdk/client-s3';
import { sourceError } from './source-error';
import type { SourceVersion } from './types';

/**
 * The source version's tags. `tagCount` is the GetObject response's TagCount (absent means 0, and
 * the read is skipped); undefined means not known: ask.
 */
export async function sourceTagging(
  client: S3Client,
  version: SourceVersion,
  tagCount: number | undefined,
  signal: AbortSignal | undefined,
): Promise<Tag[]> {
  if (tagCount === 0) return [];
  try {
    const { TagSet = [] } = await client.send(
      new GetObjectTaggingCommand({ Bucket: version.bucket, Key: version.key, VersionId: version.versionId }),
      { abortSignal: signal },
    );
    return TagSet;
  } catch (err) {
    throw sourceError(err, version);
  }
}
