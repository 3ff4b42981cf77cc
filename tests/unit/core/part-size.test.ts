import fc from 'fast-check';
import { partCount, partSize, partsInFlight } from '../../../src/core/part-size';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const S3_MAX_OBJECT = 5 * 1024 * GiB;
const S3_MAX_PARTS = 10_000;

describe('partSize', () => {
  it('uses 8 MiB parts for empty and small objects', () => {
    // Act
    const sizes = [0, 1, 8 * MiB, 8 * MiB * S3_MAX_PARTS].map(partSize);

    // Assess
    expect(sizes).toEqual([8 * MiB, 8 * MiB, 8 * MiB, 8 * MiB]);
  });

  it('grows to the next whole MiB once 8 MiB parts would exceed 10,000 parts', () => {
    // Prepare: one byte more than 10,000 parts of 8 MiB
    const size = 8 * MiB * S3_MAX_PARTS + 1;

    // Act
    const result = partSize(size);

    // Assess
    expect(result).toBe(9 * MiB);
    expect(partCount(size, result)).toBe(Math.ceil(size / (9 * MiB)));
  });

  it('never exceeds the S3 part maximum of 5 GiB', () => {
    // Act
    const result = partSize(100 * S3_MAX_OBJECT);

    // Assess
    expect(result).toBe(5 * GiB);
  });

  it('is the smallest whole-MiB size of at least 8 MiB that fits in 10,000 parts (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: S3_MAX_OBJECT }), (size) => {
        // Act
        const result = partSize(size);

        // Assess
        expect(result % MiB).toBe(0);
        expect(result).toBeGreaterThanOrEqual(8 * MiB);
        expect(Math.ceil(size / result)).toBeLessThanOrEqual(S3_MAX_PARTS);
        const smaller = result - MiB;
        expect(smaller < 8 * MiB || Math.ceil(size / smaller) > S3_MAX_PARTS).toBe(true);
      }),
    );
  });
});

describe('partCount', () => {
  it('counts one part for an empty object', () => {
    // Act
    const result = partCount(0);

    // Assess
    expect(result).toBe(1);
  });

  it('counts a last, shorter part', () => {
    // Act
    const exact = partCount(3 * 8 * MiB);
    const oneMore = partCount(3 * 8 * MiB + 1);

    // Assess
    expect(exact).toBe(3);
    expect(oneMore).toBe(4);
  });

  it('covers every byte with no empty part (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: S3_MAX_OBJECT }), (size) => {
        // Act
        const part = partSize(size);
        const count = partCount(size);

        // Assess
        expect(count * part).toBeGreaterThanOrEqual(size);
        expect((count - 1) * part).toBeLessThan(size);
        expect(count).toBeLessThanOrEqual(S3_MAX_PARTS);
      }),
    );
  });
});

describe('partsInFlight', () => {
  it('keeps the configured number when the budget holds them', () => {
    // Act
    const result = partsInFlight(4, 8 * MiB, 512 * MiB);

    // Assess
    expect(result).toBe(4);
  });

  it('lowers the number so that parts fit in the memory budget', () => {
    // Act
    const result = partsInFlight(16, 100 * MiB, 512 * MiB);

    // Assess
    expect(result).toBe(5);
  });

  it('keeps one part in flight even when one part exceeds the budget', () => {
    // Act
    const result = partsInFlight(4, 600 * MiB, 512 * MiB);

    // Assess
    expect(result).toBe(1);
  });

  it('stays within the budget and the configured number, and never below 1 (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 8, max: 5 * 1024 }), fc.integer({ min: 64, max: 10_240 }), (configured, partMiB, budgetMiB) => {
        // Act
        const result = partsInFlight(configured, partMiB * MiB, budgetMiB * MiB);

        // Assess
        expect(result).toBeGreaterThanOrEqual(1);
        expect(result).toBeLessThanOrEqual(configured);
        if (result > 1) expect(result * partMiB).toBeLessThanOrEqual(budgetMiB);
        if (result < configured) expect((result + 1) * partMiB).toBeGreaterThan(budgetMiB);
      }),
    );
  });
});
