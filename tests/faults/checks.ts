// The invariant the fault suite checks after draining (the planner's, issue #8), straight against
// the servers: per key, current state equal (bytes, headers, metadata, tags, delete state) and, in
// mode all, the histories equal; no duplicate or orphan destination version; every version-map
// entry pointing at an existing destination version; every DLQ message carrying a reason; every
// relayed event accounted for.
import { ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { Message } from '@aws-sdk/client-sqs';
import { currentObject, replicaSources, sourceVersionIds } from '../helpers/pipeline';
import type { Pipeline } from '../helpers/pipeline';
import { dynamoDbClient } from '../helpers/local-env';
import type { Delivery } from '../helpers/poller';

export interface KeyFindings {
  keysDiverged: number;
  duplicateVersions: number;
  orphanVersions: number;
  mapEntries: number;
  danglingMapEntries: number;
  details: string[];
}

export async function checkKeys(p: Pipeline, keys: readonly string[]): Promise<KeyFindings> {
  const findings: KeyFindings = { keysDiverged: 0, duplicateVersions: 0, orphanVersions: 0, mapEntries: 0, danglingMapEntries: 0, details: [] };
  const short = (key: string) => (key.length > 40 ? `${key.slice(0, 37)}...` : key);
  const checkKey = async (key: string) => {
    const [source, dest] = await Promise.all([currentObject(p.source, p.sourceBucket, key), currentObject(p.dest, p.destBucket, key)]);
    const sourceHistory = await sourceVersionIds(p.source, p.sourceBucket, key);
    const destHistory = await replicaSources(p.dest, p.destBucket, key);
    const sameCurrent = JSON.stringify(source) === JSON.stringify(dest);
    const [sourceLife, destLife] = await Promise.all([lifeOf(p.source, p.sourceBucket, key), lifeOf(p.dest, p.destBucket, key)]);
    const sameHistory = JSON.stringify(sourceHistory) === JSON.stringify(destHistory) && sourceLife === destLife;
    if (!sameCurrent || !sameHistory) {
      findings.keysDiverged += 1;
      findings.details.push(`${short(key)}: ${sameCurrent ? '' : `current ${describe(source)} != ${describe(dest)} `}${sameHistory ? '' : `history ${sourceLife} != ${destLife} (v: version, m: delete marker, oldest first)`}`.trim());
    }
    const seen = new Map<string, number>();
    for (const id of destHistory) seen.set(id, (seen.get(id) ?? 0) + 1);
    const sourceIds = new Set(sourceHistory);
    for (const [id, count] of seen) {
      if (count > 1) {
        findings.duplicateVersions += count - 1;
        findings.details.push(`${short(key)}: ${count} destination versions of source version ${id}`);
      }
      if (!sourceIds.has(id)) {
        findings.orphanVersions += count;
        findings.details.push(`${short(key)}: destination version of ${id}, which the source does not have`);
      }
    }
  };
  // A few keys at a time: the servers are shared with the rest of the run.
  for (let i = 0; i < keys.length; i += 4) await Promise.all(keys.slice(i, i + 4).map(checkKey));
  await checkVersionMap(p, findings);
  return findings;
}

/**
 * A key's versions and delete markers, oldest first, as a string like "vvmv". Adjacent markers
 * count as one: RGW makes no second marker on a key whose current is a marker (AWS does).
 */
async function lifeOf(client: S3Client, bucket: string, key: string): Promise<string> {
  const page = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
  const entries = [
    ...(page.Versions ?? []).filter((v) => v.Key === key).map((v, i) => ({ kind: 'v', at: v.LastModified?.getTime() ?? 0, i })),
    ...(page.DeleteMarkers ?? []).filter((m) => m.Key === key).map((m, i) => ({ kind: 'm', at: m.LastModified?.getTime() ?? 0, i })),
  ];
  return entries
    .sort((a, b) => a.at - b.at)
    .map((e) => e.kind)
    .join('')
    .replace(/m+/g, 'm');
}

function describe(snapshot: Awaited<ReturnType<typeof currentObject>>): string {
  return snapshot === null ? 'deleted' : `${snapshot.size} B ${snapshot.sha256.slice(0, 8)} tags=${JSON.stringify(snapshot.tags)}`;
}

/** Every V# item of the state table (the version map) names a destination version that exists. */
async function checkVersionMap(p: Pipeline, findings: KeyFindings): Promise<void> {
  const existing = new Map<string, Set<string>>();
  const destIds = async (key: string): Promise<Set<string>> => {
    let ids = existing.get(key);
    if (!ids) {
      const page = await p.dest.send(new ListObjectVersionsCommand({ Bucket: p.destBucket, Prefix: key }));
      ids = new Set([...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].filter((v) => v.Key === key).map((v) => v.VersionId!));
      existing.set(key, ids);
    }
    return ids;
  };
  const prefix = `#${p.sourceBucket}/`;
  let ExclusiveStartKey: Record<string, never> | undefined;
  for (let page = 0; page < 1_000; page++) {
    const result = await dynamoDbClient().send(new ScanCommand({ TableName: p.tableName, ExclusiveStartKey }));
    for (const item of result.Items ?? []) {
      const pk = item.pk?.S ?? '';
      const sk = item.sk?.S ?? '';
      const destinationVersionId = item.destinationVersionId?.S;
      if (!sk.startsWith('V#') || destinationVersionId === undefined) continue;
      findings.mapEntries += 1;
      const at = pk.indexOf(prefix);
      const key = at >= 0 ? pk.slice(at + prefix.length) : pk;
      if (!(await destIds(key)).has(destinationVersionId)) {
        findings.danglingMapEntries += 1;
        findings.details.push(`map entry ${sk} of ${key.slice(0, 40)} points at missing destination version ${destinationVersionId}`);
      }
    }
    if (!result.LastEvaluatedKey) break;
    ExclusiveStartKey = result.LastEvaluatedKey as Record<string, never>;
  }
}

export interface Accounting {
  lostEvents: number;
  deadLettered: Map<string, number>;
  dlqWithoutReason: number;
  details: string[];
}

/**
 * Follows each relayed message to its end: acknowledged after success, re-queued (then the
 * re-queued message's end), or in the DLQ. Anything else is a lost event.
 */
export function accountEvents(relayed: readonly string[], deliveries: readonly (Delivery & { requeuedFrom?: string })[], dlqMessages: readonly Message[]): Accounting {
  const acked = new Set(deliveries.filter((d) => d.outcome === 'acked').map((d) => d.messageId));
  const requeuedAs = new Map<string, string[]>();
  for (const d of deliveries) {
    if (d.requeuedFrom !== undefined) requeuedAs.set(d.requeuedFrom, [...(requeuedAs.get(d.requeuedFrom) ?? []), d.messageId]);
  }
  const deadLettered = new Map<string, number>();
  const inDlq = new Set<string>();
  let dlqWithoutReason = 0;
  for (const m of dlqMessages) {
    const reason = m.MessageAttributes?.reason?.StringValue;
    const origin = m.MessageAttributes?.sourceMessageId?.StringValue ?? m.MessageId!;
    inDlq.add(origin);
    if (reason === undefined) dlqWithoutReason += 1;
    const label = reason ?? 'redrive (no reason)';
    deadLettered.set(label, (deadLettered.get(label) ?? 0) + 1);
  }
  const ends = (id: string, depth: number): boolean => {
    if (inDlq.has(id)) return true;
    const next = requeuedAs.get(id) ?? [];
    if (next.length > 0 && depth < 1_000) return next.some((n) => ends(n, depth + 1));
    return acked.has(id);
  };
  const lost = relayed.filter((id) => !ends(id, 0));
  return { lostEvents: lost.length, deadLettered, dlqWithoutReason, details: lost.slice(0, 5).map((id) => `message ${id} neither done nor dead-lettered`) };
}
