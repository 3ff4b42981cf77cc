import fc from 'fast-check';
import type { ApplyOptions } from '../../../src/core/triage';
import { destinationKey, nextSequencer, triage } from '../../../src/core/triage';
import { compareSequencers } from '../../../src/core/sequencer';
import { changeMessage } from '../../helpers/builders';

const ALL_ON: ApplyOptions = { deleteMarkers: true, permanentDeletes: true, lifecycleExpirations: true };
const DEFAULTS: ApplyOptions = { deleteMarkers: true, permanentDeletes: true, lifecycleExpirations: false };
const STORED = '00617F08299329D189';
const OLDER = '00617F08299329D100';
const NEWER = '00617F08299329D200';


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
