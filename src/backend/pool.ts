// Free GPU buffers, by size class, for reuse.
//
// Which free buffer an allocation gets matters for speed, not correctness: the backend caches
// bind groups by buffer, and a training loop only stops creating them if every step's ops get
// the same buffers as the step before. A plain LIFO stack does not do that (the order buffers
// come back in shifts from step to step), so each allocation names its place in the program
// (`ctx`: a number for the dispatch recorded just before it and how many allocations came since) and gets
// the buffer that place had last time when that buffer is free. Once one step has run that
// way, the next one finds every buffer where it left it. `ctx` names the dispatch by its bind
// group, which is exact but changes as soon as one buffer does: after a readback between
// steps the first allocations miss, new bind groups follow, and every place after them gets
// a new name (the demo model made 63, 12 and 11 bind groups in the three steps after a
// readback). So each allocation also names its place coarsely (`alt`: the dispatch's
// pipeline and uniforms, which do not depend on buffers) and falls back to the buffer that
// place had. Otherwise the most recently freed buffer of the size class is taken.
//
// The pool is a cache, so it also gives buffers up (trim): the owner advances `tick` at each
// submit and asks for the buffers freed longest ago, while the pool is over its byte cap or
// they have sat unused for too many ticks.

export class BufferPool<B extends { readonly size: number }> {
  // Per size class, freed buffers, newest last. A buffer taken by affinity stays in its stack
  // as a stale entry (skipped by pop, dropped by compaction) so taking it is O(1).
  private stacks = new Map<number, B[]>();
  // Free buffers and the tick each was freed at; a Map iterates in insertion order, so the
  // first entries are the buffers freed longest ago (trim's eviction order).
  private free = new Map<B, number>();
  private freeCount = new Map<number, number>();
  private affinity = new Map<number, B>();
  private alt = new Map<number, B>();
  /** Bytes of the buffers in the pool. */
  bytes = 0;
  /** Advanced by the owner (the backend: once per submit); a free buffer's age is in ticks. */
  tick = 0;

  /** A free buffer of exactly `size` bytes, or undefined; `alt` (>= 0) the coarse place. */
  take(size: number, ctx: number, alt = -1): B | undefined {
    let buf = this.affinity.get(ctx);
    if (!(buf && buf.size === size && this.free.has(buf))) buf = alt >= 0 ? this.alt.get(alt) : undefined;
    if (!(buf && buf.size === size && this.free.has(buf))) buf = this.popNewest(size);
    if (!buf) return undefined;
    if (alt >= 0) {
      if (this.alt.size >= 1 << 16) this.alt.clear();
      this.alt.set(alt, buf);
    }
    this.remove(buf);
    // Bounded: a program that never repeats itself would otherwise grow this forever.
    if (this.affinity.size >= 1 << 16) this.affinity.clear();
    this.affinity.set(ctx, buf);
    return buf;
  }

  put(buf: B): void {
    let stack = this.stacks.get(buf.size);
    if (!stack) this.stacks.set(buf.size, (stack = []));
    stack.push(buf);
    this.free.set(buf, this.tick);
    const n = (this.freeCount.get(buf.size) ?? 0) + 1;
    this.freeCount.set(buf.size, n);
    this.bytes += buf.size;
    // Stale entries pile up when buffers are taken by affinity; keep the stack at most twice
    // the free count so memory and pop() stay proportional to what is really free.
    if (stack.length > 2 * n + 16) this.stacks.set(buf.size, this.compact(stack));
  }

  /** The stack without stale entries, each free buffer once, at its newest position. */
  private compact(stack: B[]): B[] {
    const seen = new Set<B>();
    const out: B[] = [];
    for (let i = stack.length - 1; i >= 0; i--) {
      const b = stack[i];
      if (this.free.has(b) && !seen.has(b)) {
        seen.add(b);
        out.push(b);
      }
    }
    return out.reverse();
  }

  /**
   * Removes and returns free buffers, those freed longest ago first, while the pool holds more
   * than `maxBytes` or they were freed more than `maxAge` ticks ago. Buffers in `busy` (still
   * named by commands not yet submitted) stay.
   */
  trim(maxBytes: number, maxAge: number, busy?: ReadonlySet<B>): B[] {
    const out: B[] = [];
    for (const [b, freedAt] of this.free) {
      // Later entries were freed later, so once one is young enough they all are.
      if (this.bytes <= maxBytes && this.tick - freedAt <= maxAge) break;
      if (busy?.has(b)) continue;
      this.remove(b);
      // Only stale entries are left in that stack: drop them, or evicted buffers stay referenced.
      if (this.freeCount.get(b.size) === 0) this.stacks.delete(b.size);
      out.push(b);
    }
    return out;
  }

  private remove(buf: B): void {
    this.free.delete(buf);
    this.freeCount.set(buf.size, this.freeCount.get(buf.size)! - 1);
    this.bytes -= buf.size;
  }

  has(buf: B): boolean {
    return this.free.has(buf);
  }

  /** Takes `buf` out of the pool if it is free there (for a captured graph, which keeps it). */
  claim(buf: B): boolean {
    if (!this.free.has(buf)) return false;
    this.remove(buf);
    return true;
  }

  /** Removes and returns every free buffer. */
  drain(): B[] {
    const all = [...this.free.keys()];
    this.stacks.clear();
    this.free.clear();
    this.freeCount.clear();
    this.affinity.clear();
    this.alt.clear();
    this.bytes = 0;
    return all;
  }

  private popNewest(size: number): B | undefined {
    const stack = this.stacks.get(size);
    while (stack?.length) {
      const b = stack.pop()!;
      // A buffer taken by affinity and freed again sits in the stack twice; its newest entry
      // is reached first, and the older one is skipped below once the buffer is taken.
      if (this.free.has(b)) return b;
    }
    return undefined;
  }
}
