import type { KeyItems } from '../../aws/state';
import type { KeyItemsRequest } from '../../aws/state-batch';
import type { DestinationConfig } from '../../config';
import { versionIdentity } from '../../core/source-state';
import type { HistoryEntry } from '../../core/facts';
import { listKeys } from '../../backfill/listing';
import type { KeyPair } from '../../backfill/pairs';
import { listingPrefixes, pairKeys } from '../../backfill/pairs';
import { chunks, forEachConcurrent } from '../../backfill/pool';
import type { CliContext } from '../context';

/**
 * Lists the source and one destination under the prefix, page by page, and runs `work` on
 * every key either side has, `concurrency` keys at once. Keys outside the destination's source
 * prefix are not replicated there: none is visited.
 */
export async function forEachPair(
  ctx: CliContext,
  destination: DestinationConfig,
  prefix: string,
  concurrency: number,
  work: (pair: PairWithItems) => Promise<void>,
  prefetch?: Prefetch,
): Promise<void> {
  const prefixes = listingPrefixes(prefix, destination);
  if (prefixes === undefined) return;
  await ctx.destinations.withClient(destination, async (client) => {
    const pairs = pairKeys(listKeys(ctx.source, ctx.config.sourceBucket, { prefix: prefixes.source }), listKeys(client, destination.bucket, { prefix: prefixes.destination }), destination);
    await forEachConcurrent(prefetch ? withItems(pairs, prefetch) : pairs, concurrency, work);
  });
}

export type PairWithItems = KeyPair & { items?: KeyItems };

/** Reads keys' table items in bulk; `wanted` picks the pairs worth it (not those --quick skips). */
export interface Prefetch {
  read(requests: KeyItemsRequest[]): Promise<Map<string, KeyItems>>;
  wanted?: (pair: KeyPair) => boolean;
}

/** Keys read in bulk from the table at once, and their most versions (a longer history is read by its own Query). */
const PREFETCH_KEYS = 100;
const PREFETCH_MAX_VERSIONS = 8;
/** Batches read ahead of the work: a BatchGetItem's latency is hidden behind the keys before it. */
const PREFETCH_AHEAD = 4;

/**
 * Adds the table items of each source key, read a hundred keys at a time, a few hundred ahead of
 * the keys being worked on. Keys only on the destination, and long histories, get none.
 */
async function* withItems(pairs: AsyncIterable<KeyPair>, prefetch: Prefetch): AsyncGenerator<PairWithItems> {
  const batches = chunks(pairs, PREFETCH_KEYS)[Symbol.asyncIterator]();
  const load = async () => {
    const next = await batches.next();
    if (next.done) return undefined;
    const requests = next.value.flatMap((pair) =>
      pair.source !== undefined && pair.source.entries.length <= PREFETCH_MAX_VERSIONS && (prefetch.wanted?.(pair) ?? true)
        ? [{ key: pair.key, identities: pair.source.entries.map(versionIdentity) }]
        : [],
    );
    // The bulk read only saves Queries: if it fails, each key reads its own items (and fails alone).
    const items = requests.length > 0 ? await prefetch.read(requests).catch(() => new Map<string, KeyItems>()) : new Map<string, KeyItems>();
    return { pairs: next.value, items };
  };
  const ahead: ReturnType<typeof load>[] = [];
  const readAhead = () => {
    while (ahead.length < PREFETCH_AHEAD) {
      const next = load();
      // Settled here too, so that a run stopped early never leaves one unhandled.
      next.catch(() => undefined);
      ahead.push(next);
    }
  };
  for (;;) {
    readAhead();
    const current = await ahead.shift();
    if (current === undefined) return;
    for (const pair of current.pairs) {
      const items = current.items.get(pair.key);
      yield items !== undefined ? { ...pair, items } : pair;
    }
  }
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
