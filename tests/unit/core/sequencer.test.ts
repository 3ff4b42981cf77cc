import fc from 'fast-check';
import { compareSequencers, isNewerSequencer } from '../../../src/core/sequencer';

const HEX = [...'0123456789ABCDEFabcdef'];
const hex = (maxLength = 20) => fc.string({ unit: fc.constantFrom(...HEX), minLength: 1, maxLength });
const zeros = fc.integer({ min: 1, max: 8 }).map((n) => '0'.repeat(n));

/** Independent oracle: right-pad to a common width, then compare the numbers. */
function oracle(a: string, b: string): number {
  const width = Math.max(a.length, b.length);
  const x = BigInt(`0x${a.padEnd(width, '0')}`);
  const y = BigInt(`0x${b.padEnd(width, '0')}`);
  return x === y ? 0 : x < y ? -1 : 1;
}

describe('compareSequencers', () => {
  it('orders two sequencers of the same length as hex numbers', () => {
    // Prepare: two AWS-shaped sequencers, the second written later
    const earlier = '0055AED6DCD90281E5';
    const later = '0055AED6DCD90281F0';

    // Act
    const forward = compareSequencers(earlier, later);
    const backward = compareSequencers(later, earlier);

    // Assess
    expect(forward).toBe(-1);
    expect(backward).toBe(1);
  });

  it('right-pads the shorter sequencer with zeros before comparing', () => {
    // Prepare: as numbers 0x1 < 0x09, but padded '10' > '09'
    const short = '1';
    const long = '09';

    // Act
    const result = compareSequencers(short, long);

    // Assess
    expect(result).toBe(1);
  });

  it('treats a 16-digit sequencer as equal to its 18-digit form ending in 00', () => {
    // Act
    const result = compareSequencers('0055AED6DCD90281', '0055AED6DCD9028100');

    // Assess
    expect(result).toBe(0);
  });

  it('ignores the case of hex digits', () => {
    // Act
    const result = compareSequencers('00617f08299329d189', '00617F08299329D189');

    // Assess
    expect(result).toBe(0);
  });

  it('agrees with a numeric comparison after padding (property)', () => {
    fc.assert(
      fc.property(hex(), hex(), (a, b) => {
        expect(compareSequencers(a, b)).toBe(oracle(a, b));
      }),
    );
  });

  it('is antisymmetric (property)', () => {
    fc.assert(
      fc.property(hex(), hex(), (a, b) => {
        // === and not toBe: equal sequencers give 0 one way and -0 the other (Object.is tells them apart).
        expect(Math.sign(compareSequencers(a, b)) === -Math.sign(compareSequencers(b, a))).toBe(true);
      }),
    );
  });

  it('is transitive (property)', () => {
    fc.assert(
      fc.property(hex(6), hex(6), hex(6), (a, b, c) => {
        // Prepare: name the three so that x <= y <= z according to the comparator itself
        const [x, y, z] = [a, b, c].sort(compareSequencers) as [string, string, string];

        // Assess
        expect(compareSequencers(x, y)).toBeLessThanOrEqual(0);
        expect(compareSequencers(y, z)).toBeLessThanOrEqual(0);
        expect(compareSequencers(x, z)).toBeLessThanOrEqual(0);
        if (compareSequencers(x, y) < 0 || compareSequencers(y, z) < 0) expect(compareSequencers(x, z)).toBe(-1);
      }),
    );
  });

  it('gives the same answer when either side is padded with trailing zeros (property)', () => {
    fc.assert(
      fc.property(hex(), hex(), zeros, (a, b, padding) => {
        expect(compareSequencers(a + padding, a)).toBe(0);
        expect(compareSequencers(a + padding, b)).toBe(compareSequencers(a, b));
        expect(compareSequencers(a, b + padding)).toBe(compareSequencers(a, b));
      }),
    );
  });
});

describe('isNewerSequencer', () => {
  it('accepts any sequencer when none is stored', () => {
    // Act
    const result = isNewerSequencer('00', undefined);

    // Assess
    expect(result).toBe(true);
  });

  it('accepts a later sequencer and refuses an equal or earlier one', () => {
    // Prepare
    const stored = '00617F08299329D189';

    // Act
    const later = isNewerSequencer('00617F08299329D18A', stored);
    const equalPadded = isNewerSequencer('00617F08299329D18900', stored);
    const earlier = isNewerSequencer('00617F08299329D188', stored);

    // Assess
    expect(later).toBe(true);
    expect(equalPadded).toBe(false);
    expect(earlier).toBe(false);
  });

  it('is true exactly when the comparison is positive (property)', () => {
    fc.assert(
      fc.property(hex(), hex(), (candidate, stored) => {
        expect(isNewerSequencer(candidate, stored)).toBe(oracle(candidate, stored) > 0);
      }),
    );
  });
});
