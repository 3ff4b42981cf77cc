import type { DestinationConfig } from '../../config';
import type { HistoryEntry } from '../../core/facts';
import { listKeys } from '../../backfill/listing';
import type { KeyPair } from '../../backfill/pairs';
import { listingPrefixes, pairKeys } from '../../backfill/pairs';
import { forEachConcurrent } from '../../backfill/pool';
import type { CliContext } from '../context';

/**
 * Lists the source and one destination under the prefix, page by page, and runs `work` on
 * every key either side has, `concurrency` keys at once. Keys outside the destination's source
 * prefix are not replicated there: none is visited.
 */
export async function forEachPair(ctx: CliContext, destination: DestinationConfig, prefix: string, concurrency: number, work: (pair: KeyPair) => Promise<void>): Promise<void> {
  const prefixes = listingPrefixes(prefix, destination);
  if (prefixes === undefined) return;
  await ctx.destinations.withClient(destination, async (client) => {
    const pairs = pairKeys(listKeys(ctx.source, ctx.config.sourceBucket, { prefix: prefixes.source }), listKeys(client, destination.bucket, { prefix: prefixes.destination }), destination);
    await forEachConcurrent(pairs, concurrency, work);
  });
}

/** The pair's two histories for the engine: what the bulk listing saw, so the first read lists nothing again. */
export function listedOf(pair: KeyPair): { source: HistoryEntry[]; destination: HistoryEntry[] } {
  return { source: pair.source?.entries ?? [], destination: pair.destination?.entries ?? [] };
}

/**
 * Do both listings show the same history: in mode all every entry, in mode latest the current,
 * alike in kind, size and ETag? An empty ETag (Ceph RGW lists some) never matches.
 */
export function sameHistories(pair: KeyPair, mode: 'all' | 'latest'): boolean {
  const source = pair.source?.entries ?? [];
  const destination = pair.destination?.entries ?? [];
  const alike = (a: HistoryEntry, b: HistoryEntry) => a.kind === b.kind && a.isLatest === b.isLatest && (a.kind === 'marker' || (a.size === b.size && a.etag !== '' && a.etag === b.etag));
  if (mode === 'latest') {
    const [a, b] = [source.find((e) => e.isLatest), destination.find((e) => e.isLatest)];
    return a !== undefined && b !== undefined && alike(a, b);
  }
  return source.length > 0 && source.length === destination.length && source.every((e, i) => alike(e, destination[i]!));
}
