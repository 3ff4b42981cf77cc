import type { KeyEntries } from './listing';

/** One key on both sides: the source's entries and the destination's (either may be absent). */
export interface KeyPair {
  /** The source key (for a key found only on the destination: the source key it would mirror). */
  key: string;
  destinationKey: string;
  source?: KeyEntries;
  destination?: KeyEntries;
}

export interface PrefixMapping {
  sourcePrefix: string;
  destinationPrefix: string;
}

/**
 * The listing prefixes of both sides for a requested source prefix, or undefined when it lies
 * outside the destination's source prefix (nothing of it is replicated there).
 */
export function listingPrefixes(requested: string, mapping: PrefixMapping): { source: string; destination: string } | undefined {
  const { sourcePrefix, destinationPrefix } = mapping;
  if (requested.startsWith(sourcePrefix)) return { source: requested, destination: destinationPrefix + requested.slice(sourcePrefix.length) };
  if (sourcePrefix.startsWith(requested)) return { source: sourcePrefix, destination: destinationPrefix };
  return undefined;
}

/**
 * Joins the two sides' key streams, both in key order. Replacing the source prefix with the
 * destination prefix keeps the order of the keys' remainders, so one pass pairs them; each side
 * is read a page at a time, never whole.
 */
export async function* pairKeys(source: AsyncIterable<KeyEntries[]>, destination: AsyncIterable<KeyEntries[]>, mapping: PrefixMapping): AsyncGenerator<KeyPair> {
  const src = flatten(source);
  const dst = flatten(destination);
  let s = await src.next();
  let d = await dst.next();
  const rest = (entries: KeyEntries, prefix: string) => entries.key.slice(prefix.length);
  while (!s.done || !d.done) {
    const order = s.done ? 1 : d.done ? -1 : Buffer.compare(Buffer.from(rest(s.value, mapping.sourcePrefix)), Buffer.from(rest(d.value, mapping.destinationPrefix)));
    if (order < 0 && !s.done) {
      yield { key: s.value.key, destinationKey: mapping.destinationPrefix + rest(s.value, mapping.sourcePrefix), source: s.value };
      s = await src.next();
    } else if (order > 0 && !d.done) {
      yield { key: mapping.sourcePrefix + rest(d.value, mapping.destinationPrefix), destinationKey: d.value.key, destination: d.value };
      d = await dst.next();
    } else if (!s.done && !d.done) {
      yield { key: s.value.key, destinationKey: d.value.key, source: s.value, destination: d.value };
      s = await src.next();
      d = await dst.next();
    }
  }
}

async function* flatten(pages: AsyncIterable<KeyEntries[]>): AsyncGenerator<KeyEntries> {
  for await (const page of pages) yield* page;
}
