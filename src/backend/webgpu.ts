// The WebGPU backend: one device, a buffer pool, a kernel cache, and one command encoder that
// collects dispatches until a readback or a batch limit submits it.
// Pipelines, uniform slots and bind groups, and why they are cached: kernel-cache.ts.
import { PassTimer, type PassTimes } from './timestamps.js';
import { BufferPool } from './pool.js';
import { KernelCache } from './kernel-cache.js';
import { errorCollector, gpuInstance, watchLost } from './dawn.js';
import { bytesOf, type Command, type Recording, type Watcher } from './graph.js';

export interface GpuOptions {
  dawnToggles?: string[];
  powerPreference?: GPUPowerPreference;
  /** The buffer pool keeps at most this many bytes, or the most that live tensors held at
   * once when that is more (default 256 MiB). */
  poolLimit?: number;
}

export interface KernelCall {
  /** Pipeline cache key: kernel name plus its small config (dtype, tile sizes, flags). Tuning
   * knobs that `wgsl` reads need not be in it: the backend appends their values. */
  key: string;
  /** WGSL source, generated only when the pipeline is not cached. Binding 0 is the uniform
   * block, then one binding per input (read-only), then one per output (read_write). */
  wgsl: () => string;
  inputs: GPUBuffer[];
  outputs: GPUBuffer[];
  /** Uniform words (u32; use f32Bits for floats), at most 64. */
  uniforms: ArrayLike<number>;
  /** A workgroup count (split over x and y past 65535; kernels linearize with
   * `wid.x + wid.y * nwg.x`), or an explicit [x, y, z]. */
  workgroups: number | [number, number, number];
}

const BATCH = 64; // dispatches per submit: keeps the GPU fed while JS records more
const MAX_WG = 65535;
// The pool's policy: PyTorch's caching allocator plus two bounds. It keeps at most as many
// bytes as live tensors ever held at once (or POOL_LIMIT when that is more), so caching at
// most doubles the peak footprint and a training loop, whose pool is about one step's
// temporaries, is never trimmed; and a buffer not reused for POOL_MAX_AGE submits is freed,
// which lets one-off temporaries go while a loop that reuses its buffers every step (a few
// dozen submits) keeps them and their bind groups. sg.emptyCache() frees all of it at once.
const POOL_LIMIT = 256 * 2 ** 20;
const POOL_MAX_AGE = 1000;

const f32buf = new Float32Array(1);
const u32view = new Uint32Array(f32buf.buffer);
export function f32Bits(x: number): number {
  f32buf[0] = x;
  return u32view[0];
}

/** Pool size classes: powers of two and 1.5x between them, so waste stays under a third. */
export function sizeClass(bytes: number): number {
  const b = Math.max(256, bytes);
  let p = 256;
  while (p < b) {
    if (p * 1.5 >= b) return p * 1.5;
    p *= 2;
  }
  return p;
}

export class GpuBackend {
  readonly features: Set<string>;
  readonly limits: Record<string, number>;
  readonly adapterName: string;
  readonly subgroupSize: number;
  lostReason: string | null = null;
  destroyed = false;

  // Free buffers (see pool.ts for how one is chosen). Buffers freed while the commands that
  // use them are still being recorded go there too: which buffer an alloc gets must not
  // depend on where a batch boundary fell, or cached bind groups would stop matching.
  private pool = new BufferPool<GPUBuffer>();
  // Where the program is, for the pool: the last dispatch's bind group (and, coarser, its
  // pipeline and uniform slot), and allocations since.
  private lastDispatch = 0;
  private lastProgram = 0;
  private allocsSinceDispatch = 0;
  // Buffers released while the current encoder is being recorded. Later dispatches in the
  // same encoder may reuse them (commands run in order), but a queue.writeBuffer would land
  // ahead of the encoder, so write() submits first when it targets one that was reused.
  private releasedInEncoder = new Set<GPUBuffer>();
  private reusedInEncoder = new Set<GPUBuffer>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private passPipeline: GPUComputePipeline | null = null; // the open pass's, to skip setting it again
  private dispatches = 0;
  private kernels: KernelCache; // pipelines, uniform slots and bind groups
  // Bytes of the pool's buffers that exist (in use or pooled; staging and uniforms excluded),
  // and the most of them in use at once since init or the last emptyPool().
  private bytesAllocated = 0;
  private peakInUse = 0;
  private onError: (ev: Event) => void;
  private errors: string[] = [];
  // Set only inside sg.gpuTime: the passes begun while it is set write timestamps.
  private timer: PassTimer | null = null;
  /** Passes begun with timestampWrites, ever (tests check that none happen outside a region). */
  timedPassCount = 0;
  dispatchCount = 0;
  /** Set while sg.compile records a call: every command is also appended to it. */
  recorder: Recording | null = null;
  // Captured graphs that name a buffer a live tensor holds; releasing it breaks them.
  private watchers = new Map<GPUBuffer, Set<Watcher>>();
  /** The pool's bounds (see POOL_LIMIT): bytes it may always keep, and submits a free buffer
   * may wait to be reused. Fields so that init's poolLimit and tests can change them. */
  poolLimit = POOL_LIMIT;
  poolMaxAge = POOL_MAX_AGE;

  // The GPU instance is held on purpose: if Dawn's instance object is garbage-collected while
  // the device lives, the next mapAsync crashes the process.
  constructor(readonly device: GPUDevice, adapterInfo: GPUAdapterInfo, readonly instance: GPU, readonly adapter: GPUAdapter) {
    this.features = new Set([...device.features].map(String));
    const lim: Record<string, number> = {};
    for (const k of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize',
      'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension',
      'maxStorageBuffersPerShaderStage'] as const) lim[k] = Number(device.limits[k]);
    this.limits = lim;
    this.adapterName = [adapterInfo.vendor, adapterInfo.architecture, adapterInfo.device, adapterInfo.description]
      .filter(Boolean).join(' ') || 'unknown adapter';
    const info = adapterInfo as GPUAdapterInfo & { subgroupMinSize?: number };
    this.subgroupSize = info.subgroupMinSize ?? 0;
    this.kernels = new KernelCache(device, () => this.flush());
    watchLost(device, new WeakRef(this));
    this.onError = errorCollector(this.errors);
    device.addEventListener('uncapturederror', this.onError);
  }

  static async create(opts: GpuOptions = {}): Promise<GpuBackend | null> {
    const gpu = await gpuInstance(opts.dawnToggles);
    if (!gpu) return null;
    const adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
    if (!adapter) return null;
    const want = ['shader-f16', 'subgroups', 'timestamp-query', 'chromium-experimental-subgroup-matrix'] as const;
    const requiredFeatures = want.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
    const requiredLimits: Record<string, number> = {};
    for (const k of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize',
      'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxStorageBuffersPerShaderStage'] as const) {
      requiredLimits[k] = Number(adapter.limits[k]);
    }
    const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
    const backend = new GpuBackend(device, adapter.info, gpu, adapter);
    if (opts.poolLimit !== undefined) backend.poolLimit = opts.poolLimit;
    return backend;
  }

  check(op: string): void {
    if (this.destroyed) throw new Error(`${op}: the WebGPU device was destroyed (sg.destroy()); call sg.init() again and make new tensors`);
    if (this.lostReason !== null) throw new Error(`${op}: the WebGPU device was lost (${this.lostReason}); call sg.init() again`);
  }

  // ---- buffers ----

  alloc(bytes: number, fresh = false): GPUBuffer {
    let size = sizeClass(bytes);
    // Rounding up to a size class must not cross the binding limit (kernels bind whole buffers).
    const bindLimit = this.limits.maxStorageBufferBindingSize;
    if (size > bindLimit && bytes <= bindLimit) size = Math.ceil(bytes / 4) * 4;
    // fresh: a new buffer, and no place in the program, for a result handed out between a
    // compiled function's recorded calls, which would otherwise take a buffer the next wants.
    const rec = fresh ? null : this.recorder;
    const buf = fresh ? this.create(bytes, size) : this.reuse(size, rec) ?? this.create(bytes, size);
    rec?.allocs.push(buf);
    this.peakInUse = Math.max(this.peakInUse, this.bytesAllocated - this.pool.bytes);
    return buf;
  }

  /** A free buffer of `size` bytes: while a compiled function records, the one the last
   * recording's allocation at the same ordinal had (so two recordings converge at once),
   * else the one the pool picks for this place in the program. */
  private reuse(size: number, rec: Recording | null): GPUBuffer | undefined {
    const n = Math.min(1023, this.allocsSinceDispatch++);
    const want = rec?.prior[rec.allocs.length];
    const hit = want && want.size === size && (rec!.reserved.delete(want) || this.pool.claim(want)) ? want
      : this.pool.take(size, this.lastDispatch * 1024 + n, this.lastProgram * 1024 + n);
    if (hit && this.releasedInEncoder.has(hit)) this.reusedInEncoder.add(hit);
    return hit;
  }

  private create(bytes: number, size: number): GPUBuffer {
    const max = this.limits.maxBufferSize;
    if (size > max) throw new Error(`alloc: ${bytes} bytes exceeds the adapter's maxBufferSize (${max})`);
    const buf = this.device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    this.bytesAllocated += size;
    return buf;
  }

  /** Returns a buffer to the pool. */
  release(buf: GPUBuffer): void {
    if (this.destroyed) return;
    const w = this.watchers.get(buf);
    if (w) for (const g of w) g.invalidate('a tensor its commands use was disposed');
    if (this.encoder) this.releasedInEncoder.add(buf);
    this.pool.put(buf);
    if (this.pool.bytes > this.poolLimit) this.trimPool();
  }

  /** Bytes of GPU buffers kept in the pool for reuse. */
  get bytesPooled(): number {
    return this.pool.bytes;
  }

  /** The most bytes the pool keeps: poolLimit, or the peak bytes in use when that is more. */
  get poolCap(): number {
    return Math.max(this.poolLimit, this.peakInUse);
  }

  /** Applies the pool's bounds (see POOL_LIMIT). Buffers named by the unsubmitted encoder
   * stay; buffers only in submitted work may go, as Dawn frees them once that work is done. */
  private trimPool(): void {
    for (const b of this.pool.trim(this.poolCap, this.poolMaxAge, this.releasedInEncoder)) {
      this.bytesAllocated -= b.size;
      b.destroy();
    }
  }

  /** Frees every pooled buffer (they are only a cache). */
  emptyPool(): void {
    this.flush();
    for (const b of this.pool.drain()) {
      this.bytesAllocated -= b.size;
      b.destroy();
    }
    this.peakInUse = this.bytesAllocated;
    this.kernels.dropBindGroups(); // they would keep the destroyed buffers' wrappers alive
  }

  write(buf: GPUBuffer, byteOffset: number, data: ArrayBufferView): void {
    if (this.reusedInEncoder.has(buf)) this.flush();
    // writeBuffer needs a size that is a multiple of 4 (float16 data may not be).
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const padded = bytes.byteLength % 4 === 0 ? bytes : (() => {
      const p = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
      p.set(bytes);
      return p;
    })();
    this.device.queue.writeBuffer(buf, byteOffset, padded);
    this.recorder?.commands.push({ kind: 'write', dst: buf, offset: byteOffset, data: bytesOf(padded), produce: null });
  }

  /** write(), where the data is the host's part of a step: a replay of a captured graph
   * calls `produce` for it again (with whatever bookkeeping that does) instead of reusing it. */
  writeHost(buf: GPUBuffer, byteOffset: number, data: ArrayBufferView, produce: () => ArrayBufferView): void {
    const rec = this.recorder;
    this.recorder = null;
    try {
      this.write(buf, byteOffset, data);
    } finally {
      this.recorder = rec;
    }
    rec?.commands.push({ kind: 'write', dst: buf, offset: byteOffset, data: bytesOf(data), produce });
  }

  // ---- captured graphs (graph.ts) ----

  /** Names the place in the program for the pool's next allocations (see pool.ts), so that
   * the calls a compiled function records start at the same place whatever ran between. */
  markPlace(id: number): void {
    this.lastDispatch = -id;
    this.lastProgram = -1;
    this.allocsSinceDispatch = 0;
  }

  /** Takes `buf` out of the pool for a captured graph; false when it is not free. */
  claim(buf: GPUBuffer): boolean {
    return this.pool.claim(buf);
  }

  /** Whether `buf` sits free in the pool. */
  isFree(buf: GPUBuffer): boolean {
    return this.pool.has(buf);
  }

  /** Whether a captured graph names `buf` (a live tensor's memory that replays use). */
  isWatched(buf: GPUBuffer): boolean {
    return this.watchers.has(buf);
  }

  watch(buf: GPUBuffer, w: Watcher): void {
    let set = this.watchers.get(buf);
    if (!set) this.watchers.set(buf, (set = new Set()));
    set.add(w);
  }

  unwatch(buf: GPUBuffer, w: Watcher): void {
    const set = this.watchers.get(buf);
    if (set?.delete(w) && set.size === 0) this.watchers.delete(buf);
  }

  /** Records a captured graph's commands again and submits them. Writes are staged in their
   * upload buffers before any of them runs, which is why the work recorded so far is
   * submitted first. A replay is quick to record, so it goes in one submit, not in batches. */
  replay(commands: readonly Command[], uploads: ReadonlyMap<Command, GPUBuffer>): void {
    this.flush();
    for (const c of commands) {
      if (c.kind === 'dispatch') this.encode(c.pipeline, c.group, c.x, c.y, c.z, false);
      else if (c.kind === 'copy') this.copy(c.src, c.srcOffset, c.dst, c.dstOffset, c.bytes);
      else {
        const up = uploads.get(c)!;
        const data = c.produce ? c.produce() : c.data;
        if (data.byteLength !== c.data.length) throw new Error(`compile: a replayed write produced ${data.byteLength} bytes where the recording had ${c.data.length}`);
        this.device.queue.writeBuffer(up, 0, data);
        if (c.data.length > 0) this.copy(up, 0, c.dst, c.offset, c.data.length);
      }
    }
    this.flush();
  }

  // ---- kernels ----

  // The kernel cache's key, counters and knobs, kept here for tests, sg.memory() and graph.ts.

  /** The key a call's pipeline is cached under (see KernelCache.pipelineKey). */
  pipelineKey(call: KernelCall): string { return this.kernels.pipelineKey(call); }
  get pipelineCount(): number { return this.kernels.pipelineCount; }
  /** Bind groups created, ever (a steady training loop should stop adding to it). */
  get bindGroupsCreated(): number { return this.kernels.bindGroupsCreated; }
  /** Advanced when the uniform slots are recycled: a captured graph's bind groups name them. */
  get uniformEpoch(): number { return this.kernels.uniformEpoch; }
  /** How many distinct uniform blocks, and bind groups, are kept (tests make them small). */
  get uniformSlotCapacity(): number { return this.kernels.uniformSlotCapacity; }
  set uniformSlotCapacity(n: number) { this.kernels.uniformSlotCapacity = n; }
  get bindGroupCapacity(): number { return this.kernels.bindGroupCapacity; }
  set bindGroupCapacity(n: number) { this.kernels.bindGroupCapacity = n; }
  /** Prints each kernel's WGSL as it is compiled. */
  get printWgsl(): boolean { return this.kernels.printWgsl; }
  set printWgsl(on: boolean) { this.kernels.printWgsl = on; }

  dispatch(call: KernelCall): void {
    let x: number, y: number, z: number;
    if (typeof call.workgroups === 'number') {
      const n = Math.max(1, Math.ceil(call.workgroups));
      if (n <= MAX_WG) [x, y, z] = [n, 1, 1];
      else [x, y, z] = [MAX_WG, Math.ceil(n / MAX_WG), 1];
    } else [x, y, z] = call.workgroups;
    if (y > MAX_WG || z > MAX_WG) throw new Error(`${call.key}: ${x}x${y}x${z} workgroups exceeds the per-dimension limit ${MAX_WG}`);
    if (x === 0 || y === 0 || z === 0) return;
    // The uniform slot first: a full table submits the work recorded so far and drops every
    // bind group, so the bind group is looked up after it.
    const slot = this.kernels.uniformSlot(call);
    const p = this.kernels.pipeline(call);
    const bg = this.kernels.bindGroup(p, call, slot);
    // The pool's place in the program (pool.ts): this bind group, and, coarser, its
    // pipeline and uniform slot.
    this.lastDispatch = bg.id;
    this.lastProgram = this.kernels.program(p, slot);
    this.allocsSinceDispatch = 0;
    this.recorder?.commands.push({ kind: 'dispatch', pipeline: p.pipeline, group: bg.group, x, y, z, key: call.key, buffers: [...call.inputs, ...call.outputs], writes: call.outputs.length });
    this.encode(p.pipeline, bg.group, x, y, z);
  }

  /** Appends one dispatch to the open pass (opening one if needed); `batch`: submit every
   * BATCH dispatches. */
  private encode(pipeline: GPUComputePipeline, group: GPUBindGroup, x: number, y: number, z: number, batch = true): void {
    if (!this.encoder) {
      this.encoder = this.device.createCommandEncoder();
      this.pass = this.beginPass(this.encoder);
    }
    const pass = this.pass!;
    if (pipeline !== this.passPipeline) pass.setPipeline(this.passPipeline = pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, y, z);
    this.dispatches++;
    this.dispatchCount++;
    if (batch && this.dispatches >= BATCH) this.flush();
  }

  /** Records a buffer-to-buffer copy in order with the dispatches. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    // A copy cannot sit inside a compute pass; end the pass, copy, and open a new pass.
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    else this.pass?.end();
    this.encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.pass = this.beginPass(this.encoder);
    this.recorder?.commands.push({ kind: 'copy', src, srcOffset, dst, dstOffset, bytes });
  }

  private beginPass(enc: GPUCommandEncoder): GPUComputePassEncoder {
    this.passPipeline = null;
    if (!this.timer) return enc.beginComputePass();
    this.timedPassCount++;
    return enc.beginComputePass({ timestampWrites: this.timer.next() });
  }

  // ---- timing (sg.gpuTime) ----

  get hasTimestamps(): boolean {
    return this.features.has('timestamp-query');
  }

  get timing(): boolean {
    return this.timer !== null;
  }

  /** Starts timing passes. Work recorded before this call is submitted first, so that an
   * open pass (begun without timestamps) does not swallow the region's first dispatches. */
  startTimer(): void {
    if (this.timer) throw new Error('startTimer: a timer is already running');
    if (!this.hasTimestamps) throw new Error("startTimer: the device has no 'timestamp-query' feature");
    this.flush();
    this.timer = new PassTimer(this.device);
  }

  /** Stops timing, submits what the region recorded, and reads the pass times back. The
   * timer is detached before the first await, so nothing recorded later is timed. */
  async stopTimer(): Promise<PassTimes> {
    const t = this.timer;
    if (!t) throw new Error('stopTimer: no timer is running');
    this.flush();
    this.timer = null;
    try {
      return await t.read();
    } catch (e) {
      this.check('gpuTime');
      throw e;
    } finally {
      t.destroy();
    }
  }

  /** Submits everything recorded so far. */
  flush(): void {
    if (!this.encoder) return;
    this.pass?.end();
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.pass = null;
    this.dispatches = 0;
    this.afterSubmit();
  }

  private afterSubmit(): void {
    this.releasedInEncoder.clear();
    this.reusedInEncoder.clear();
    this.pool.tick++;
    this.trimPool();
  }

  /** Reads `bytes` bytes at `byteOffset` of `buf` (both rounded out to 4 bytes internally). */
  async read(buf: GPUBuffer, byteOffset: number, bytes: number): Promise<ArrayBuffer> {
    const start = Math.floor(byteOffset / 4) * 4;
    const end = Math.ceil((byteOffset + bytes) / 4) * 4;
    const size = Math.max(4, end - start);
    if (this.recorder) this.recorder.refusal = 'it reads a tensor back (toArray, item) while it runs';
    const staging = this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    else this.pass?.end();
    this.pass = null;
    this.encoder.copyBufferToBuffer(buf, start, staging, 0, Math.min(size, buf.size - start));
    // flush() ends the pass only when one is open; we already ended it.
    const enc = this.encoder;
    this.encoder = null;
    this.device.queue.submit([enc.finish()]);
    this.dispatches = 0;
    this.afterSubmit();
    try {
      await staging.mapAsync(GPUMapMode.READ);
    } catch (e) {
      staging.destroy();
      this.check('read');
      throw e;
    }
    const out = staging.getMappedRange().slice(byteOffset - start, byteOffset - start + bytes);
    staging.unmap();
    staging.destroy();
    this.throwErrors();
    return out;
  }

  /** WebGPU validation errors arrive asynchronously; surface them at the next readback. */
  throwErrors(): void {
    if (this.errors.length) {
      const e = this.errors.splice(0);
      throw new Error(`WebGPU error: ${e.join('\n')}`);
    }
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.timer?.destroy();
    this.timer = null;
    this.pass = null;
    this.encoder = null;
    this.pool.drain();
    this.bytesAllocated = this.peakInUse = 0;
    this.releasedInEncoder.clear();
    this.reusedInEncoder.clear();
    this.device.removeEventListener('uncapturederror', this.onError);
    this.kernels.destroy();
    this.device.destroy();
  }
}
