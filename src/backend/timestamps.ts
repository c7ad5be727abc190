// GPU timestamps for the compute passes of one timed region (sg.gpuTime). The backend asks
// for a pair of query indices each time it begins a pass while a region is active; at the
// end, every query set is resolved into one buffer and read back once.

export interface PassTimes {
  /** Compute passes that were timed. */
  passes: number;
  /** Σ over passes of (end - begin), in ms: the time the GPU spent inside those passes. */
  busyMs: number;
  /** From the first pass's beginning to the last pass's end, in ms: includes the gaps
   * between passes, when the GPU waited for the host to submit more work. */
  spanMs: number;
  /** True when the adapter wrote zeros (timestamps it does not really have). */
  allZero: boolean;
}

// Query sets may hold at most 4096 queries. Start small (most regions are a few passes)
// and double, so that a long region needs only a handful of sets.
const FIRST_SET = 32;
const MAX_SET = 4096;
// resolveQuerySet's destination offset must be a multiple of 256.
const RESOLVE_ALIGN = 256;

export class PassTimer {
  private sets: { set: GPUQuerySet; used: number }[] = [];
  /** Query sets alive across all timers, so that tests can see that none leak. */
  static liveSets = 0;

  constructor(private readonly device: GPUDevice) {}

  /** The timestampWrites for the next pass: its beginning and end indices in a query set. */
  next(): GPUComputePassTimestampWrites {
    let cur = this.sets.at(-1);
    if (!cur || cur.used + 2 > cur.set.count) {
      const count = Math.min(MAX_SET, cur ? cur.set.count * 2 : FIRST_SET);
      cur = { set: this.device.createQuerySet({ type: 'timestamp', count, label: 'sg.gpuTime' }), used: 0 };
      PassTimer.liveSets++;
      this.sets.push(cur);
    }
    const i = cur.used;
    cur.used += 2;
    return { querySet: cur.set, beginningOfPassWriteIndex: i, endOfPassWriteIndex: i + 1 };
  }

  get passes(): number {
    return this.sets.reduce((n, s) => n + s.used / 2, 0);
  }

  /** Resolves every query written so far and reads the times back. The queries were written
   * by passes already submitted, so this submits its own small command buffer after them. */
  async read(): Promise<PassTimes> {
    const slots = this.sets.map((s) => Math.ceil((s.used * 8) / RESOLVE_ALIGN) * RESOLVE_ALIGN);
    const bytes = slots.reduce((a, b) => a + b, 0);
    if (bytes === 0) return { passes: 0, busyMs: 0, spanMs: 0, allZero: false };
    const resolved = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC, label: 'sg.gpuTime resolve' });
    const staging = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'sg.gpuTime staging' });
    try {
      const enc = this.device.createCommandEncoder();
      for (let i = 0, off = 0; i < this.sets.length; off += slots[i], i++) {
        const s = this.sets[i];
        if (s.used) enc.resolveQuerySet(s.set, 0, s.used, resolved, off);
      }
      enc.copyBufferToBuffer(resolved, 0, staging, 0, bytes);
      this.device.queue.submit([enc.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const t = new BigUint64Array(staging.getMappedRange().slice(0));
      staging.unmap();
      let busy = 0n;
      let first = -1n;
      let last = 0n;
      let allZero = true;
      for (let i = 0, off = 0; i < this.sets.length; off += slots[i], i++) {
        const base = off / 8;
        for (let q = 0; q < this.sets[i].used; q += 2) {
          const b = t[base + q];
          const e = t[base + q + 1];
          if (b !== 0n || e !== 0n) allZero = false;
          // The spec does not promise a monotonic clock; a pass whose end reads before its
          // beginning counts as empty rather than cancelling real time elsewhere.
          if (e > b) busy += e - b;
          if (first < 0n || b < first) first = b;
          if (e > last) last = e;
        }
      }
      const ms = (ns: bigint) => Number(ns) / 1e6;
      return { passes: this.passes, busyMs: ms(busy), spanMs: first >= 0n && last > first ? ms(last - first) : 0, allZero };
    } finally {
      resolved.destroy();
      staging.destroy();
    }
  }

  destroy(): void {
    for (const s of this.sets) {
      s.set.destroy();
      PassTimer.liveSets--;
    }
    this.sets = [];
  }
}
