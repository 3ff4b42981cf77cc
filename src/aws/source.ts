import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectTaggingCommand } from '@aws-sdk/client-s3';
import type { Tag } from '@aws-sdk/client-s3';
import { SourceAccessDeniedError } from '../errors';

/** The tags of one source version. */
export async function sourceTags(client: S3Client, bucket: string, key: string, versionId: string): Promise<Tag[]> {
  const { TagSet } = await denyAsPermanent(
    client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: versionId })),
    `read tags of ${key}`,
  );
  return TagSet ?? [];
}

/** A source request refused as AccessDenied can never succeed: a permanent error naming what was refused. */
export async function denyAsPermanent<T>(request: Promise<T>, what: string): Promise<T> {
  try {
    return await request;
  } catch (error) {
    if (error instanceof Error && error.name === 'AccessDenied') {
      throw new SourceAccessDeniedError(`access denied to ${what} in the source bucket`, { cause: error });
    }
    throw error;
  }
}
