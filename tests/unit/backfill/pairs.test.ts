import type { KeyEntries } from '../../../src/backfill/listing';
import { listingPrefixes, pairKeys } from '../../../src/backfill/pairs';
import { sameHistories } from '../../../src/cli/commands/pairs';

const entries = (key: string): KeyEntries => ({ key, entries: [{ kind: 'version', versionId: `v-${key}`, etag: '"e"', size: 1, lastModified: new Date(0), isLatest: true }] });
async function* pages(...list: string[][]): AsyncGenerator<KeyEntries[]> {
  for (const page of list) yield await Promise.resolve(page.map(entries)); // as a listing would, one page at a time
}
async function collect(source: string[][], destination: string[][], mapping = { sourcePrefix: '', destinationPrefix: '' }) {
  const out: string[] = [];
  for await (const pair of pairKeys(pages(...source), pages(...destination), mapping)) {
    out.push(`${pair.source ? 'S' : '-'}${pair.destination ? 'D' : '-'} ${pair.key} -> ${pair.destinationKey}`);
  }
  return out;
}

describe('pairKeys', () => {
  it('joins both sides in key order, across page boundaries, marking keys found on one side only', async () => {
    expect(await collect([['a', 'b'], ['d']], [['b'], ['c', 'd', 'e']])).toEqual(['S- a -> a', 'SD b -> b', '-D c -> c', 'SD d -> d', '-D e -> e']);
  });

  it('maps the source prefix to the destination prefix, both ways', async () => {
    const mapping = { sourcePrefix: 'data/', destinationPrefix: 'replica/' };
    expect(await collect([['data/x', 'data/y']], [['replica/y', 'replica/z']], mapping)).toEqual(['S- data/x -> replica/x', 'SD data/y -> replica/y', '-D data/z -> replica/z']);
  });

  it('orders keys by their UTF-8 bytes, as S3 does (not by UTF-16 code units)', async () => {
    // U+FF5E sorts after U+1F600 in UTF-16 but before it in UTF-8.
    expect(await collect([['\uff5e', '\u{1f600}']], [['\u{1f600}']])).toEqual(['S- \uff5e -> \uff5e', 'SD \u{1f600} -> \u{1f600}']);
  });

  it('ends when both sides are empty', async () => {
    expect(await collect([], [])).toEqual([]);
  });
});

describe('listingPrefixes', () => {
  const mapping = { sourcePrefix: 'data/', destinationPrefix: 'replica/' };
  it('narrows a requested prefix inside the replicated one', () => {
    expect(listingPrefixes('data/2024/', mapping)).toEqual({ source: 'data/2024/', destination: 'replica/2024/' });
  });
  it('widens to the replicated prefix when asked for more', () => {
    expect(listingPrefixes('', mapping)).toEqual({ source: 'data/', destination: 'replica/' });
    expect(listingPrefixes('da', mapping)).toEqual({ source: 'data/', destination: 'replica/' });
  });
  it('is undefined outside the replicated prefix', () => {
    expect(listingPrefixes('logs/', mapping)).toBeUndefined();
  });
});

describe('sameHistories (verify --quick)', () => {
  const v = (versionId: string, etag: string, isLatest = false, size = 1) => ({ kind: 'version' as const, versionId, etag, size, lastModified: new Date(0), isLatest });
  const m = (versionId: string, isLatest = false) => ({ kind: 'marker' as const, versionId, etag: '', size: 0, lastModified: new Date(0), isLatest });
  const pair = (source: KeyEntries['entries'], destination: KeyEntries['entries']) => ({ key: 'k', destinationKey: 'k', source: { key: 'k', entries: source }, destination: { key: 'k', entries: destination } });

  it('matches histories alike entry for entry, whatever the version ids', () => {
    expect(sameHistories(pair([m('s3', true), v('s2', '"b"'), v('s1', '"a"')], [m('d3', true), v('d2', '"b"'), v('d1', '"a"')]), 'all')).toBe(true);
  });
  it('does not match a missing, extra, reordered or different entry, nor an empty ETag', () => {
    expect(sameHistories(pair([v('s2', '"b"', true), v('s1', '"a"')], [v('d2', '"b"', true)]), 'all')).toBe(false);
    expect(sameHistories(pair([v('s2', '"b"', true), v('s1', '"a"')], [v('d1', '"a"', true), v('d2', '"b"')]), 'all')).toBe(false);
    expect(sameHistories(pair([v('s1', '"a"', true, 1)], [v('d1', '"a"', true, 2)]), 'all')).toBe(false);
    expect(sameHistories(pair([v('s1', '', true)], [v('d1', '', true)]), 'all')).toBe(false);
    expect(sameHistories({ key: 'k', destinationKey: 'k', destination: { key: 'k', entries: [v('d1', '"a"', true)] } }, 'all')).toBe(false);
  });
  it('compares only the currents in mode latest', () => {
    expect(sameHistories(pair([v('s2', '"b"', true), v('s1', '"a"')], [v('d2', '"b"', true)]), 'latest')).toBe(true);
    expect(sameHistories(pair([m('s2', true), v('s1', '"a"')], [v('d1', '"a"', true)]), 'latest')).toBe(false);
  });
});
