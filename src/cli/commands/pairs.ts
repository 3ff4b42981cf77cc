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
