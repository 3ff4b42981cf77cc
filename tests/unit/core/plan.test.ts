import fc from 'fast-check';
import type { ApplyOptions } from '../../../src/core/plan';
import { destinationKey, nextSequencer, planCopies, triage } from '../../../src/core/plan';
import { compareSequencers } from '../../../src/core/sequencer';
import type { ListedVersion, SourceListing } from '../../../src/core/source-state';
import { versionIdentity } from '../../../src/core/source-state';
import { changeMessage, listedVersion, versionHistory } from '../../helpers/builders';

const ALL_ON: ApplyOptions = { deleteMarkers: true, permanentDeletes: true, lifecycleExpirations: true };
const DEFAULTS: ApplyOptions = { deleteMarkers: true, permanentDeletes: true, lifecycleExpirations: false };
const STORED = '00617F08299329D189';
const OLDER = '00617F08299329D100';
const NEWER = '00617F08299329D200';
const EPOCH = new Date(0);

const ids = (plan: ListedVersion[]) => plan.map((v) => v.versionId);
const mappedSet = (...identities: string[]) => (identity: string) => identities.includes(identity);

describe('triage', () => {
  it('skips a create whose sequencer is older than the stored one', () => {
    // Act
    const result = triage(changeMessage({ type: 'created', sequencer: OLDER }), STORED, DEFAULTS);

    // Assess
    expect(result).toEqual({ proceed: false, skip: 'stale' });
  });

  it('skips a create whose sequencer equals the stored one once padded', () => {
    // Act
    const result = triage(changeMessage({ type: 'created', sequencer: `${STORED}00` }), STORED, DEFAULTS);

    // Assess
    expect(result).toEqual({ proceed: false, skip: 'stale' });
  });

  it('skips a delete marker whose sequencer is older than the stored one', () => {
    // Act
    const result = triage(changeMessage({ type: 'deleteMarker', sequencer: OLDER, reason: 'DeleteObject' }), STORED, DEFAULTS);

    // Assess
    expect(result).toEqual({ proceed: false, skip: 'stale' });
  });

  it('proceeds with a create newer than the stored one, or when nothing is stored', () => {
    // Act
    const newer = triage(changeMessage({ type: 'created', sequencer: NEWER }), STORED, DEFAULTS);
    const first = triage(changeMessage({ type: 'created', sequencer: OLDER }), undefined, DEFAULTS);

    // Assess
    expect(newer).toEqual({ proceed: true });
    expect(first).toEqual({ proceed: true });
  });

  it('never finds a permanent delete or a tag change stale', () => {
    // Act
    const permanent = triage(changeMessage({ type: 'permanentDelete', sequencer: OLDER, reason: 'DeleteObject' }), STORED, DEFAULTS);
    const tags = triage(changeMessage({ type: 'tags', sequencer: undefined, reason: undefined }), STORED, DEFAULTS);
    const olderTags = triage(changeMessage({ type: 'tags', sequencer: OLDER, reason: undefined }), STORED, DEFAULTS);

    // Assess
    expect(permanent).toEqual({ proceed: true });
    expect(tags).toEqual({ proceed: true });
    expect(olderTags).toEqual({ proceed: true });
  });

  it('skips delete markers when the destination turns them off', () => {
    // Act
    const result = triage(changeMessage({ type: 'deleteMarker', sequencer: NEWER, reason: 'DeleteObject' }), STORED, { ...ALL_ON, deleteMarkers: false });

    // Assess
    expect(result).toEqual({ proceed: false, skip: 'delete-markers-off' });
  });

  it('lets a permanent delete through when permanent deletes are off: it may be an undelete to converge', () => {
    // Act
    const result = triage(changeMessage({ type: 'permanentDelete', sequencer: NEWER, reason: 'DeleteObject' }), STORED, { ...ALL_ON, permanentDeletes: false });

    // Assess
    expect(result).toEqual({ proceed: true });
  });

  it('skips lifecycle expirations by default and applies them when turned on', () => {
    // Prepare
    const marker = changeMessage({ type: 'deleteMarker', sequencer: NEWER, reason: 'Lifecycle Expiration' });
    const permanent = changeMessage({ type: 'permanentDelete', sequencer: NEWER, reason: 'Lifecycle Expiration' });

    // Act
    const markerByDefault = triage(marker, STORED, DEFAULTS);
    const permanentByDefault = triage(permanent, STORED, DEFAULTS);
    const markerWhenOn = triage(marker, STORED, ALL_ON);
    const permanentWhenOn = triage(permanent, STORED, ALL_ON);

    // Assess
    expect(markerByDefault).toEqual({ proceed: false, skip: 'lifecycle' });
    expect(permanentByDefault).toEqual({ proceed: false, skip: 'lifecycle' });
    expect(markerWhenOn).toEqual({ proceed: true });
    expect(permanentWhenOn).toEqual({ proceed: true });
  });
});

describe('planCopies', () => {
  it('copies every version, oldest first, when nothing is mirrored yet', () => {
    // Prepare: v0 (oldest) .. v3 (current)
    const listing = versionHistory(4);

    // Act
    const plan = planCopies({ listing, mode: 'all', since: EPOCH, isMapped: mappedSet() });

    // Assess
    expect(ids(plan)).toEqual(['v0', 'v1', 'v2', 'v3']);
  });

  it('copies only the versions newer than the last mirrored one', () => {
    // Prepare: v1 is mirrored; v0 is older and is not copied even though unmapped
    const listing = versionHistory(4);

    // Act
    const plan = planCopies({ listing, mode: 'all', since: EPOCH, isMapped: mappedSet('v1') });

    // Assess
    expect(ids(plan)).toEqual(['v2', 'v3']);
  });

  it('plans nothing when the current version is already mirrored', () => {
    // Act
    const plan = planCopies({ listing: versionHistory(3), mode: 'all', since: EPOCH, isMapped: mappedSet('v2') });

    // Assess
    expect(plan).toEqual([]);
  });

  it('never walks back past REPLICATE_SINCE, but includes a version written exactly then', () => {
    // Prepare: v2 is written at `since`; v0 and v1 before
    const start = new Date('2024-01-01T00:00:00Z');
    const listing = versionHistory(5, { start });
    const since = new Date(start.getTime() + 2 * 60_000);

    // Act
    const plan = planCopies({ listing, mode: 'all', since, isMapped: mappedSet() });

    // Assess
    expect(ids(plan)).toEqual(['v2', 'v3', 'v4']);
  });

  it('copies the current version even when it is older than REPLICATE_SINCE', () => {
    // Prepare
    const listing = versionHistory(3);
    const since = new Date('2030-01-01T00:00:00Z');

    // Act
    const plan = planCopies({ listing, mode: 'all', since, isMapped: mappedSet() });

    // Assess
    expect(ids(plan)).toEqual(['v2']);
  });

  it('copies the versions under a current delete marker, oldest first, and not the marker', () => {
    // Prepare: v0 mirrored, then v1 and v2, then a delete marker (current)
    const listing = versionHistory(3, { currentIsMarker: true });

    // Act
    const plan = planCopies({ listing, mode: 'all', since: EPOCH, isMapped: mappedSet('v0') });

    // Assess
    expect(ids(plan)).toEqual(['v1', 'v2']);
  });

  it('takes only the current version in mode latest', () => {
    // Act
    const plan = planCopies({ listing: versionHistory(4), mode: 'latest', since: EPOCH, isMapped: mappedSet() });

    // Assess
    expect(ids(plan)).toEqual(['v3']);
  });

  it('plans nothing in mode latest when the current is mirrored or a delete marker', () => {
    // Act
    const mirrored = planCopies({ listing: versionHistory(4), mode: 'latest', since: EPOCH, isMapped: mappedSet('v3') });
    const marker = planCopies({ listing: versionHistory(4, { currentIsMarker: true }), mode: 'latest', since: EPOCH, isMapped: mappedSet() });

    // Assess
    expect(mirrored).toEqual([]);
    expect(marker).toEqual([]);
  });

  it('copies an overwritten null version of an unversioned bucket, identified by time and ETag', () => {
    // Prepare: the mirrored write of "null" was at 10:00; the bucket now holds a newer write
    const earlier = listedVersion({ versionId: 'null', etag: '"aaa"', lastModified: new Date('2024-01-01T10:00:00Z'), isLatest: true });
    const current = listedVersion({ versionId: 'null', etag: '"bbb"', lastModified: new Date('2024-01-01T11:00:00Z'), isLatest: true });
    const listing: SourceListing = { versions: [current], deleteMarkers: [] };

    // Act
    const plan = planCopies({ listing, mode: 'all', since: EPOCH, isMapped: mappedSet(versionIdentity(earlier)) });
    const again = planCopies({ listing, mode: 'all', since: EPOCH, isMapped: mappedSet(versionIdentity(current)) });

    // Assess
    expect(plan).toEqual([current]);
    expect(again).toEqual([]);
  });

  describe('properties', () => {
    const START = new Date('2024-01-01T00:00:00Z').getTime();
    const scenario = fc.record({
      count: fc.integer({ min: 0, max: 12 }),
      currentIsMarker: fc.boolean(),
      mapped: fc.uniqueArray(fc.integer({ min: 0, max: 11 }), { maxLength: 6 }),
      sinceMinutes: fc.integer({ min: -2, max: 14 }),
    });
    const setUp = ({ count, currentIsMarker, mapped, sinceMinutes }: { count: number; currentIsMarker: boolean; mapped: number[]; sinceMinutes: number }) => {
      const listing = versionHistory(count, { start: new Date(START), currentIsMarker });
      const mappedIds = new Set(mapped.filter((i) => i < count).map((i) => `v${i}`));
      const since = new Date(START + sinceMinutes * 60_000);
      return { listing, mappedIds, since, isMapped: (identity: string) => mappedIds.has(identity) };
    };

    it('in mode all, plans oldest first exactly the unmapped versions newer than the newest mapped one, within REPLICATE_SINCE except the current', () => {
      fc.assert(
        fc.property(scenario, (input) => {
          // Prepare
          const { listing, mappedIds, since, isMapped } = setUp(input);
          const current = listing.versions.find((v) => v.isLatest);
          const newestMapped = Math.max(-Infinity, ...listing.versions.filter((v) => mappedIds.has(v.versionId)).map((v) => v.lastModified.getTime()));

          // Act
          const plan = planCopies({ listing, mode: 'all', since, isMapped });

          // Assess: oldest first
          const times = plan.map((v) => v.lastModified.getTime());
          expect(times).toEqual([...times].sort((a, b) => a - b));
          expect(new Set(times).size).toBe(times.length);
          // Assess: only unmapped, newer than the newest mapped, never older than since except the current
          for (const version of plan) {
            expect(mappedIds.has(version.versionId)).toBe(false);
            expect(version.lastModified.getTime()).toBeGreaterThan(newestMapped);
            if (version !== current) expect(version.lastModified.getTime()).toBeGreaterThanOrEqual(since.getTime());
          }
          // Assess: and every such version is there
          const expected = listing.versions.filter(
            (v) => !mappedIds.has(v.versionId) && v.lastModified.getTime() > newestMapped && (v === current || v.lastModified >= since),
          );
          expect(ids(plan).sort()).toEqual(ids(expected).sort());
        }),
      );
    });

    it('in mode latest, plans at most the current version, and only when it is unmapped', () => {
      fc.assert(
        fc.property(scenario, (input) => {
          // Prepare
          const { listing, mappedIds, since, isMapped } = setUp(input);
          const current = listing.versions.find((v) => v.isLatest);

          // Act
          const plan = planCopies({ listing, mode: 'latest', since, isMapped });

          // Assess
          expect(plan).toEqual(current && !mappedIds.has(current.versionId) ? [current] : []);
        }),
      );
    });

    it('ends a mode-all plan with the current version whenever the current is an unmapped version', () => {
      fc.assert(
        fc.property(scenario, (input) => {
          // Prepare
          const { listing, mappedIds, since, isMapped } = setUp(input);
          const current = listing.versions.find((v) => v.isLatest);
          fc.pre(current !== undefined && !mappedIds.has(current.versionId));

          // Act
          const plan = planCopies({ listing, mode: 'all', since, isMapped });

          // Assess
          expect(plan[plan.length - 1]).toBe(current);
        }),
      );
    });
  });
});

describe('nextSequencer', () => {
  it('stores the change sequencer when it is newer', () => {
    // Act
    const result = nextSequencer(STORED, changeMessage({ sequencer: NEWER }));

    // Assess
    expect(result).toBe(NEWER);
  });

  it('keeps the stored sequencer when the change is older or has none', () => {
    // Act
    const older = nextSequencer(STORED, changeMessage({ sequencer: OLDER }));
    const none = nextSequencer(STORED, changeMessage({ type: 'tags', sequencer: undefined }));
    const nothingStored = nextSequencer(undefined, changeMessage({ type: 'tags', sequencer: undefined }));

    // Assess
    expect(older).toBe(STORED);
    expect(none).toBe(STORED);
    expect(nothingStored).toBeUndefined();
  });

  it('never moves backwards over any sequence of changes (property)', () => {
    const hex = fc.string({ unit: fc.constantFrom(...'0123456789ABCDEF'), minLength: 1, maxLength: 18 });
    fc.assert(
      fc.property(fc.array(fc.option(hex, { nil: undefined }), { maxLength: 20 }), (sequencers) => {
        // Act
        let stored: string | undefined;
        const history: (string | undefined)[] = [];
        for (const sequencer of sequencers) {
          stored = nextSequencer(stored, changeMessage({ sequencer }));
          history.push(stored);
        }

        // Assess: monotone, and ends at the greatest sequencer seen
        for (let i = 1; i < history.length; i++) {
          if (history[i - 1] !== undefined) expect(compareSequencers(history[i]!, history[i - 1]!)).toBeGreaterThanOrEqual(0);
        }
        const seen = sequencers.filter((s): s is string => s !== undefined);
        if (seen.length === 0) expect(stored).toBeUndefined();
        else for (const s of seen) expect(compareSequencers(stored!, s)).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

describe('destinationKey', () => {
  it('replaces the source prefix with the destination prefix', () => {
    // Act
    const result = destinationKey('incoming/2024/a b.txt', 'incoming/', 'replica/in/');

    // Assess
    expect(result).toBe('replica/in/2024/a b.txt');
  });

  it('keeps the key when both prefixes are empty', () => {
    // Act
    const result = destinationKey('any/key', '', '');

    // Assess
    expect(result).toBe('any/key');
  });

  it('returns undefined for a key outside the source prefix', () => {
    // Act
    const result = destinationKey('other/key', 'incoming/', 'replica/');

    // Assess
    expect(result).toBeUndefined();
  });
});
