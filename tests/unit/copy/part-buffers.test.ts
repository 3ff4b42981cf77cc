import { PartBuffers } from '../../../src/copy/part-buffers';

const MiB = 1024 * 1024;

/** True once `promise` has settled, after pending microtasks ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('PartBuffers', () => {
  it('leases up to the budget, and makes the next lease wait until enough is released', async () => {
    // Prepare
    const buffers = new PartBuffers(16 * MiB);
    const a = await buffers.acquire(8 * MiB);
    const b = await buffers.acquire(8 * MiB);

    // Act
    const third = buffers.acquire(8 * MiB);

    // Assess
    expect(await settled(third)).toBe(false);
    expect(buffers.inUse).toBe(16 * MiB);
    buffers.release(a);
    const c = await third;
    expect(c.length).toBe(8 * MiB);
    expect(buffers.inUse).toBe(16 * MiB);
    buffers.release(b);
    buffers.release(c);
    expect(buffers.inUse).toBe(0);
  });

  it('reuses a released buffer of a part size instead of allocating another', async () => {
    // Prepare
    const buffers = new PartBuffers(32 * MiB);
    const first = await buffers.acquire(8 * MiB);
    buffers.release(first);

    // Act
    const again = await buffers.acquire(5 * MiB); // a shorter last part fits in a part buffer

    // Assess
    expect(again).toBe(first);
    expect(buffers.inUse).toBe(8 * MiB);
  });

  it('serves waiters first come, first served: a big lease is not starved by smaller ones', async () => {
    // Prepare
    const buffers = new PartBuffers(16 * MiB);
    const held = await buffers.acquire(12 * MiB);
    const big = buffers.acquire(16 * MiB);
    const small = buffers.acquire(1 * MiB); // would fit now, but waits behind the big one

    // Act / Assess
    expect(await settled(small)).toBe(false);
    buffers.release(held);
    expect(await settled(big)).toBe(true);
    expect(await settled(small)).toBe(false);
    buffers.release(await big);
    expect((await small).length).toBeGreaterThanOrEqual(1 * MiB);
  });

  it('grants one lease larger than the whole budget when nothing else is leased', async () => {
    // Prepare
    const buffers = new PartBuffers(4 * MiB);

    // Act
    const huge = await buffers.acquire(8 * MiB);

    // Assess
    expect(huge.length).toBe(8 * MiB);
    expect(await settled(buffers.acquire(1))).toBe(false);
  });

  it('keeps leased plus kept-for-reuse bytes within the budget', async () => {
    // Prepare: two 8 MiB buffers freed, then a 12 MiB lease needs room
    const buffers = new PartBuffers(20 * MiB);
    const a = await buffers.acquire(8 * MiB);
    const b = await buffers.acquire(8 * MiB);
    buffers.release(a);
    buffers.release(b);

    // Act
    const c = await buffers.acquire(12 * MiB);

    // Assess: the 12 MiB is new; one freed buffer was dropped so that at most 20 MiB is held
    expect(c).not.toBe(a);
    expect(c).not.toBe(b);
    expect(buffers.heldBytes).toBe(20 * MiB);
    expect(await buffers.acquire(8 * MiB)).toBe(b);
  });
});
