import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectTaggingCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { DestinationEntry, HistoryEntry, KeyFacts, Mapping, SourceEntry } from '../core/facts';
import { versionIdentity } from '../core/source-state';
import { REPLICA_METADATA_KEY } from '../aws/destination';
import { keyHistoryPages } from '../aws/listing';
import { denyAsPermanent } from '../aws/source';
import type { KeyItems, KeyStateStore } from '../aws/state';
import { OutOfTimeError } from '../errors';

/**
 * Step 1 of a convergence (DESIGN §4): gathers one key's facts on both sides. The source's
 * history and the destination's are read newest first, in parallel with the key's table items,
 * only as deep as the anchor — the newest source entry whose mirror the destination holds — or
 * REPLICATE_SINCE. Destination versions the map does not account for are identified by their
 * replica metadata (a HEAD each): that is how a lost map, a crash before the map write, or a
 * write whose answer was lost is recognised instead of copied again.
 */

export interface ReadKeyRequest {
  source: { client: S3Client; bucket: string; key: string };
  destination: { client: S3Client; bucket: string; key: string; versioned: boolean };
  store: KeyStateStore;
  since: Date;
  /** Read both histories to their end, not only down to the anchor (a `--history all` backfill). */
  fullHistory?: boolean;
  /** Source identities to check for existence (a permanent delete an event reports). */
  checkGone?: readonly string[];
  /** Both keys' whole histories, already listed by a bulk listing of a prefix (verify, backfill): no listing per key. */
  listed?: { source: HistoryEntry[]; destination: HistoryEntry[] };
  /**
   * The key's table items read in bulk with other keys' (STATE, UPLOAD and the map entries of the
   * listed source identities): used instead of the Query when they account for every listed
   * destination entry, the only case where the entries not fetched cannot change the plan.
   */
  prefetched?: KeyItems;
  /** Also read the tags of both currents (verify and backfill; events say when tags change). */
  compareTags?: boolean;
  /** Checked between pages: a history too long for this invocation stops the read. */
  remainingTimeMs?: () => number;
  marginMs?: number;
  signal?: AbortSignal;
}

export interface KeyRead {
  facts: KeyFacts;
  items: KeyItems;
}

const FIRST_PAGE_SIZE = 100;
const HEAD_CONCURRENCY = 8;

export async function readKey(request: ReadKeyRequest): Promise<KeyRead> {
  const { source, destination } = request;
  const pages = (side: ReadKeyRequest['source'], listed: HistoryEntry[] | undefined) =>
    listed !== undefined ? onePage(listed) : keyHistoryPages(side.client, side.bucket, side.key, { firstPageSize: FIRST_PAGE_SIZE, ...signalOf(request) });
  const sourcePages = pages(source, request.listed?.source);
  const destinationPages = destination.versioned ? pages(destination, request.listed?.destination) : undefined;

  const [items, firstSource, firstDestination] = await Promise.all([
    usablePrefetch(request) ?? request.store.readAll(),
    denyAsPermanent(sourcePages.next(), `list versions of ${source.key}`),
    destinationPages ? destinationPages.next() : headUnversioned(destination),
  ]);
  const mappings: Map<string, Mapping> = items.mappings;
  const sourceSide = { entries: [] as SourceEntry[], complete: false };
  const destinationSide = { entries: [] as DestinationEntry[], complete: !destination.versioned };
  const addSource = (page: IteratorResult<{ entries: HistoryEntry[]; complete: boolean }>) => {
    if (page.done) return void (sourceSide.complete = true);
    sourceSide.entries.push(...page.value.entries.map((e) => ({ ...e, identity: versionIdentity(e) })));
    sourceSide.complete = page.value.complete;
  };
  const addDestination = (page: IteratorResult<{ entries: HistoryEntry[]; complete: boolean }> | DestinationEntry[]) => {
    if (Array.isArray(page)) return void destinationSide.entries.push(...page);
    if (page.done) return void (destinationSide.complete = true);
    destinationSide.entries.push(...page.value.entries);
    destinationSide.complete = page.value.complete;
  };
  addSource(firstSource);
  addDestination(firstDestination);

  // Read deeper only while the anchor is not in sight on both sides.
  for (;;) {
    const need = request.fullHistory ? { source: !sourceSide.complete, destination: !destinationSide.complete } : needsMore(sourceSide, destinationSide, mappings, request.since);
    if (!need.source && !need.destination) break;
    if (request.remainingTimeMs && request.remainingTimeMs() < (request.marginMs ?? 0)) {
      throw new OutOfTimeError(`reading the history of ${source.key}: ${sourceSide.entries.length} source and ${destinationSide.entries.length} destination entries so far`);
    }
    const [moreSource, moreDestination] = await Promise.all([
      need.source ? denyAsPermanent(sourcePages.next(), `list versions of ${source.key}`) : undefined,
      need.destination && destinationPages ? destinationPages.next() : undefined,
    ]);
    if (moreSource) addSource(moreSource);
    if (moreDestination) addDestination(moreDestination);
  }

  await identifyUnmapped(request, destinationSide.entries, mappings);
  const goneAtSource = await findGone(request, sourceSide, destinationSide.entries, mappings);
  const facts: KeyFacts = {
    destinationKey: destination.key,
    source: sourceSide,
    destination: { versioned: destination.versioned, ...destinationSide },
    mappings,
    goneAtSource,
    ...(items.upload !== undefined && {
      upload: { uploadId: items.upload.uploadId, sourceVersionId: items.upload.sourceVersionId, sourceEtag: items.upload.sourceEtag, destinationKey: items.upload.destinationKey },
    }),
  };
  if (request.compareTags) await readCurrentTags(request, facts);
  return { facts, items };
}

/**
 * The prefetched items, when every listed destination entry is the mirror of a fetched map entry.
 * A map entry not fetched names a source version the listing does not hold: its mirror, if still
 * on the destination, would show here as an unaccounted entry (then the Query reads them all);
 * if not, it is a dangling entry, which only a full read would clean up.
 */
function usablePrefetch(request: ReadKeyRequest): KeyItems | undefined {
  const { prefetched, listed } = request;
  if (prefetched === undefined || listed === undefined || !request.destination.versioned) return undefined;
  const mirrors = new Set<string>();
  for (const mapping of prefetched.mappings.values()) if (mapping.destinationVersionId !== undefined) mirrors.add(mapping.destinationVersionId);
  return listed.destination.every((entry) => mirrors.has(entry.versionId)) ? prefetched : undefined;
}

/** A whole history already listed, as the one and last page. */
async function* onePage(entries: HistoryEntry[]): AsyncGenerator<{ entries: HistoryEntry[]; complete: boolean }> {
  yield await Promise.resolve({ entries, complete: true });
}

function signalOf(request: ReadKeyRequest): { signal?: AbortSignal } {
  return request.signal !== undefined ? { signal: request.signal } : {};
}

/** Does either side need another page before the anchor (or the end, or REPLICATE_SINCE) is in sight? */
function needsMore(
  source: { entries: SourceEntry[]; complete: boolean },
  destination: { entries: DestinationEntry[]; complete: boolean },
  mappings: ReadonlyMap<string, Mapping>,
  since: Date,
): { source: boolean; destination: boolean } {
  const present = new Set(destination.entries.map((e) => e.versionId));
  let waitingForMirror = false;
  for (const entry of source.entries) {
    const mirror = mappings.get(entry.identity)?.destinationVersionId;
    if (mirror !== undefined && present.has(mirror)) return { source: false, destination: false };
    // Mapped, but its mirror is deeper in the destination's history than read so far.
    if (mirror !== undefined && !destination.complete) waitingForMirror = true;
    if (!entry.isLatest && entry.lastModified < since) return { source: false, destination: !destination.complete };
    if (waitingForMirror) return { source: false, destination: true };
  }
  return { source: !source.complete, destination: !destination.complete };
}

/** The one object of an unversioned destination, identified by its replica metadata. */
async function headUnversioned(destination: ReadKeyRequest['destination']): Promise<DestinationEntry[]> {
  const head = await headVersion(destination.client, destination.bucket, destination.key, undefined);
  if (!head) return [];
  return [{ kind: 'version', versionId: 'null', etag: head.etag, size: head.size, lastModified: head.lastModified, isLatest: true, replicaOf: head.replicaOf }];
}

/** Reads the replica metadata of destination versions that no map entry names. */
async function identifyUnmapped(request: ReadKeyRequest, entries: DestinationEntry[], mappings: ReadonlyMap<string, Mapping>): Promise<void> {
  if (!request.destination.versioned) return;
  const mapped = new Set<string>();
  for (const mapping of mappings.values()) if (mapping.destinationVersionId !== undefined) mapped.add(mapping.destinationVersionId);
  const unknown = entries.filter((e) => e.kind === 'version' && !mapped.has(e.versionId));
  const gone = new Set<string>();
  await forEachLimited(unknown, HEAD_CONCURRENCY, async (entry) => {
    const head = await headVersion(request.destination.client, request.destination.bucket, request.destination.key, entry.versionId);
    if (head) entry.replicaOf = head.replicaOf;
    else gone.add(entry.versionId); // deleted since the listing
  });
  if (gone.size > 0) entries.splice(0, entries.length, ...entries.filter((e) => !gone.has(e.versionId)));
}

/**
 * Source identities that destination replicas name but the source listing did not show: gone,
 * unless the listing stopped above them (then a HEAD of that version tells).
 */
async function findGone(
  request: ReadKeyRequest,
  source: { entries: SourceEntry[]; complete: boolean },
  entries: readonly DestinationEntry[],
  mappings: ReadonlyMap<string, Mapping>,
): Promise<Set<string>> {
  const reverse = new Map<string, string>();
  for (const [identity, mapping] of mappings) if (mapping.destinationVersionId !== undefined) reverse.set(mapping.destinationVersionId, identity);
  const listed = new Set(source.entries.map((e) => e.identity));
  const named = new Set<string>((request.checkGone ?? []).filter((id) => !listed.has(id)));
  for (const entry of entries) {
    const identity = reverse.get(entry.versionId) ?? (typeof entry.replicaOf === 'string' ? entry.replicaOf : undefined);
    if (identity !== undefined && !listed.has(identity)) named.add(identity);
  }
  const gone = new Set<string>();
  if (source.complete) return named;
  await forEachLimited([...named], HEAD_CONCURRENCY, async (identity) => {
    if (!(await sourceStillHas(request, identity))) gone.add(identity);
  });
  return gone;
}

/** Does the source still hold the version this identity names? */
async function sourceStillHas(request: ReadKeyRequest, identity: string): Promise<boolean> {
  const [versionId, time, etag] = identity.startsWith('null@') ? ['null', ...identity.slice('null@'.length).split('@')] : [identity];
  try {
    const head = await request.source.client.send(new HeadObjectCommand({ Bucket: request.source.bucket, Key: request.source.key, VersionId: versionId }), { abortSignal: request.signal });
    if (versionId !== 'null') return true;
    return String(head.LastModified?.getTime()) === time && (head.ETag ?? '').replace(/"/g, '') === etag;
  } catch (error) {
    // A delete marker's version id answers 405 (AWS) or 404 (RGW) to HEAD: markers are listed, not headed.
    if (error instanceof Error && ['NotFound', 'NoSuchVersion', 'NoSuchKey'].includes(error.name)) return false;
    if (error instanceof Error && (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 405) return true;
    throw error;
  }
}

async function headVersion(
  client: S3Client,
  bucket: string,
  key: string,
  versionId: string | undefined,
): Promise<{ replicaOf: string | null; etag: string; size: number; lastModified: Date } | undefined> {
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ...(versionId !== undefined && { VersionId: versionId }) }));
    const tag = head.Metadata?.[REPLICA_METADATA_KEY];
    return { replicaOf: tag === undefined ? null : tag.split(';')[0]!, etag: head.ETag ?? '', size: head.ContentLength ?? 0, lastModified: head.LastModified ?? new Date(0) };
  } catch (error) {
    if (error instanceof Error && ['NotFound', 'NoSuchVersion', 'NoSuchKey'].includes(error.name)) return undefined;
    throw error;
  }
}

async function readCurrentTags(request: ReadKeyRequest, facts: KeyFacts): Promise<void> {
  const current = facts.source.entries.find((e) => e.isLatest);
  if (current?.kind !== 'version') return;
  const mirror = facts.destination.versioned ? facts.mappings.get(current.identity)?.destinationVersionId : undefined;
  const onDestination = facts.destination.versioned
    ? facts.destination.entries.find((e) => e.versionId === mirror || e.replicaOf === current.identity)
    : facts.destination.entries.find((e) => e.replicaOf === current.identity);
  if (!onDestination) return;
  const tagsOf = async (client: S3Client, bucket: string, key: string, versionId: string | undefined) => {
    const { TagSet } = await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key, ...(versionId !== undefined && { VersionId: versionId }) }));
    return Object.fromEntries((TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  };
  const [sourceTags, destinationTags] = await Promise.all([
    tagsOf(request.source.client, request.source.bucket, request.source.key, current.versionId),
    tagsOf(request.destination.client, request.destination.bucket, request.destination.key, facts.destination.versioned ? onDestination.versionId : undefined),
  ]);
  facts.currentTags = { source: sourceTags, destination: destinationTags };
}

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(workers);
}
