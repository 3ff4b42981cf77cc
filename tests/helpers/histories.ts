import type { S3Client } from '@aws-sdk/client-s3';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { REPLICA_METADATA_KEY } from '../../src/aws/destination';
import { keyHistoryPages } from '../../src/aws/listing';

/**
 * A key's whole history, oldest first, versions and delete markers in S3's order: on the source
 * each version by its id, on the destination each version by the source version its replica
 * metadata names ('?' when it has none). Markers are 'marker'. What the planner's invariant
 * compares (issue #8): in mode all, the destination's history is the source's.
 */
export async function sourceHistory(client: S3Client, bucket: string, key: string): Promise<string[]> {
  const entries = [];
  for await (const page of keyHistoryPages(client, bucket, key)) entries.push(...page.entries);
  return entries.reverse().map((e) => (e.kind === 'marker' ? 'marker' : e.versionId));
}

export async function destinationHistory(client: S3Client, bucket: string, key: string): Promise<string[]> {
  const entries = [];
  for await (const page of keyHistoryPages(client, bucket, key)) entries.push(...page.entries);
  const named = [];
  for (const entry of entries.reverse()) {
    if (entry.kind === 'marker') {
      named.push('marker');
      continue;
    }
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: entry.versionId }));
    named.push(head.Metadata?.[REPLICA_METADATA_KEY]?.split(';')[0] ?? '?');
  }
  return named;
}

/**
 * Ceph RGW adds no delete marker when the key's current entry is one already (AWS does): runs of
 * markers are folded into one before histories are compared.
 */
export function foldMarkers(history: readonly string[]): string[] {
  return history.filter((entry, i) => entry !== 'marker' || history[i - 1] !== 'marker');
}
