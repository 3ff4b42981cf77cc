/**
 * One memory budget for the part buffers of every copy in the process: records run concurrently,
 * and each copy's parts in flight must not add up past what the function can hold. A lease waits
 * (first come, first served) until its bytes fit; one lease always fits when nothing else is
 * leased, so a part as large as the whole budget still runs. Freed buffers of 1 MiB or more are
 * kept for reuse within the budget: freed 8 MiB buffers do not reliably go back to the OS, so
 * reusing them is what keeps RSS at the budget rather than growing with each part.
 */
export class PartBuffers {
  private leased = 0;
  private readonly free: Buffer[] = [];
  private readonly waiting: { bytes: number; grant: () => void }[] = [];

  public constructor(public readonly budgetBytes: number) {}

  /** A buffer of at least `bytes` (its length may be larger: use a subarray); give it back with release(). */
  public async acquire(bytes: number): Promise<Buffer> {
    // Reserve the bytes now, or wait in line: release() reserves them before it wakes us.
    if (this.waiting.length === 0 && this.fits(bytes)) this.leased += bytes;
    else await new Promise<void>((grant) => this.waiting.push({ bytes, grant }));
    const buffer = (bytes >= REUSE_MIN ? this.takeFree(bytes) : undefined) ?? Buffer.allocUnsafe(bytes);
    this.leased += buffer.length - bytes;
    this.trimFree();
    return buffer;
  }

  public release(buffer: Buffer): void {
    this.leased -= buffer.length;
    if (buffer.length >= REUSE_MIN) this.free.push(buffer);
    this.trimFree();
    // Wake waiters in order while they fit (the head blocks the rest: no starvation of big parts).
    for (let head = this.waiting[0]; head && this.fits(head.bytes); head = this.waiting[0]) {
      this.waiting.shift();
      this.leased += head.bytes;
      head.grant();
    }
  }

  /** Bytes leased now (for tests and the bench). */
  public get inUse(): number {
    return this.leased;
  }

  /** Bytes leased or kept for reuse: what the buffers hold of the process's memory. */
  public get heldBytes(): number {
    return this.free.reduce((n, b) => n + b.length, this.leased);
  }

  private fits(bytes: number): boolean {
    return this.leased === 0 || this.leased + bytes <= this.budgetBytes;
  }

  /** The smallest free buffer that holds `bytes`. */
  private takeFree(bytes: number): Buffer | undefined {
    let best = -1;
    for (const [i, b] of this.free.entries()) if (b.length >= bytes && (best < 0 || b.length < this.free[best]!.length)) best = i;
    return best < 0 ? undefined : this.free.splice(best, 1)[0];
  }

  /** Free buffers plus leased ones stay within the budget: drop the oldest free ones. */
  private trimFree(): void {
    let held = this.free.reduce((n, b) => n + b.length, 0);
    while (this.free.length > 0 && this.leased + held > this.budgetBytes) held -= this.free.shift()!.length;
  }
}

const REUSE_MIN = 1024 * 1024;
