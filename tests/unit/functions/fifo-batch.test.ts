import { NOT_PROCESSED, runFifoBatch } from '../../../src/functions/fifo-batch';

interface Item {
  id: string;
  group: string;
  fail?: boolean;
}

/** Runs a batch whose work takes a few milliseconds per record, recording starts, ends and overlap. */
async function run(items: Item[], concurrency: number) {
  const events: string[] = [];
  let running = 0;
  let peak = 0;
  const results = await runFifoBatch(items, {
    groupOf: (item) => item.group,
    concurrency,
    process: async (item, index) => {
      running += 1;
      peak = Math.max(peak, running);
      events.push(`start ${item.id}@${index}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      events.push(`end ${item.id}`);
      running -= 1;
      if (item.fail) throw new Error(`${item.id} failed`);
    },
  });
  return { results, events, peak };
}

describe('runFifoBatch', () => {
  it('runs different groups at once, at most `concurrency` of them', async () => {
    // Prepare
    const items = ['a', 'b', 'c', 'd', 'e'].map((group) => ({ id: group, group }));

    // Act
    const { results, peak, events } = await run(items, 2);

    // Assess
    expect(peak).toBe(2);
    expect(results).toEqual(items.map(() => ({ status: 'fulfilled', value: undefined })));
    // Groups start in batch order.
    expect(events.filter((e) => e.startsWith('start'))).toEqual(['start a@0', 'start b@1', 'start c@2', 'start d@3', 'start e@4']);
  });

  it('runs the records of one group one after another, in batch order', async () => {
    // Prepare
    const items = [
      { id: 'a1', group: 'a' },
      { id: 'b1', group: 'b' },
      { id: 'a2', group: 'a' },
      { id: 'a3', group: 'a' },
    ];

    // Act
    const { events, peak } = await run(items, 10);

    // Assess: b runs beside a, but a's records never overlap and keep their order
    expect(peak).toBe(2);
    const ofA = events.filter((e) => / a\d/.test(e));
    expect(ofA).toEqual(['start a1@0', 'end a1', 'start a2@2', 'end a2', 'start a3@3', 'end a3']);
  });

  it('fails the later records of a failed group unprocessed, while other groups go on', async () => {
    // Prepare
    const items = [
      { id: 'a1', group: 'a', fail: true },
      { id: 'b1', group: 'b' },
      { id: 'a2', group: 'a' },
      { id: 'b2', group: 'b' },
    ];

    // Act
    const { results, events } = await run(items, 10);

    // Assess: results in batch order; a2 never started
    expect(results).toEqual([
      { status: 'rejected', reason: new Error('a1 failed') },
      { status: 'fulfilled', value: undefined },
      { status: 'rejected', reason: new Error(NOT_PROCESSED) },
      { status: 'fulfilled', value: undefined },
    ]);
    expect(events.some((e) => e.startsWith('start a2'))).toBe(false);
  });

  it('runs one record at a time with a concurrency of 1, and copes with an empty batch', async () => {
    // Prepare
    const items = ['a', 'b', 'c'].map((group) => ({ id: group, group }));

    // Act
    const one = await run(items, 1);
    const none = await run([], 4);

    // Assess
    expect(one.peak).toBe(1);
    expect(one.events).toEqual(['start a@0', 'end a', 'start b@1', 'end b', 'start c@2', 'end c']);
    expect(none.results).toEqual([]);
  });
});
