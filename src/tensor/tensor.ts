// The Tensor: a view (shape, strides, offset, dtype) onto a Storage, plus autograd fields.
// Its op methods (x.add, x.sum...) are installed from the ops side by methods.ts, so this
// file imports no op and the op code lives in one place per op.
import type { HookSlot, Node } from '../autograd/node.js';
import { Storage, type DeviceKind } from '../backend/storage.js';
import { runtime } from '../backend/runtime.js';
import { cpuArray, f16BitsToF32, gpuBytes, isFloat, type DType, type TypedArray } from './dtype.js';
import { contiguousStrides, describe, fmtShape, forEachOffset, isContiguous, normDim, numel, shapesEqual } from './shape.js';
import { keep, setTensorCheck, track } from './scope.js';
import { programChanged } from './epoch.js';

let nextId = 1;
let live = 0;

/** The id the next tensor will get: tensors made after a call have ids at least this. */
export function nextTensorId(): number {
  return nextId;
}

interface Held { id: number; storage: Storage; node: Node | null }

// The safety net for tensors nobody disposed: when one is garbage-collected its storage
// reference and graph node are let go. tidy()/dispose() are the plan; this is not.
const finalizer = typeof FinalizationRegistry !== 'undefined'
  ? new FinalizationRegistry<Held>((held) => {
    live--;
    origins.delete(held.id);
    held.storage.release();
    held.node?.unref();
  })
  : null;

export function liveTensors(): number {
  return live;
}

// ---- leak reports (debug mode) ----

/** A live tensor and where it was made, from sg.leaks(). */
export interface LeakInfo { id: number; shape: number[]; dtype: DType; device: DeviceKind; bytes: number; createdAt: string }

// Creation sites of live tensors made while debug mode was on. Weak, so that a report never
// keeps a tensor alive (the finalizer above still frees forgotten ones).
const origins = new Map<number, { ref: WeakRef<Tensor>; stack: string }>();
const here = typeof import.meta !== 'undefined' ? import.meta.url.replace(/^file:\/\//, '') : '';

/** The caller's stack, without scattergrad's own frames (they all point into this bundle). */
function creationSite(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  const frames = stack.split('\n').slice(1).map((l) => l.trim());
  const outside = here ? frames.filter((f) => !f.includes(here)) : frames;
  return (outside.length ? outside : frames).slice(0, 8).join('\n');
}

/**
 * Live tensors created while debug mode was on (sg.debug(true) or SCATTERGRAD_DEBUG=1), oldest
 * first, each with the stack that created it. `since` (a tensor id) keeps only newer ones, so
 * `const mark = sg.leaks().at(-1)?.id ?? 0; step(); sg.leaks({ since: mark })` lists what a
 * step left behind.
 */
export function leaks(opts: { since?: number } = {}): LeakInfo[] {
  const since = opts.since ?? 0;
  const out: LeakInfo[] = [];
  for (const [id, o] of origins) {
    const t = o.ref.deref();
    if (!t || t.disposed) { origins.delete(id); continue; }
    if (id <= since) continue;
    out.push({ id, shape: [...t.shape], dtype: t.dtype, device: t.device, bytes: t.storage.bytes, createdAt: o.stack });
  }
  return out.sort((a, b) => a.id - b.id);
}

/** The most bytes one CPU tensor may take (1 GiB, 2^28 float32 values): past this a typo'd
 * size would exhaust the process or hit V8's typed-array limit instead of failing with a
 * message, and no CPU workload this library is for comes near it. */
export const CPU_MAX_BYTES = 2 ** 30;

/**
 * Checks that a `dtype` tensor of `shape` can exist on `device` and returns its bytes; every
 * creator calls it before it computes a single value, so a huge size fails at once.
 */
export function checkAllocation(op: string, shape: readonly number[], dtype: DType, device: DeviceKind): number {
  const n = numel(shape);
  if (device === 'cpu') {
    const bytes = n * (dtype === 'float64' ? 8 : 4);
    if (bytes > CPU_MAX_BYTES) throw new Error(`${op}: a ${dtype} tensor of shape ${fmtShape(shape)} needs ${bytes} bytes, more than the CPU backend's limit of ${CPU_MAX_BYTES} bytes per tensor`);
    return bytes;
  }
  if (device !== 'webgpu') throw new Error(`${op}: device must be 'cpu' or 'webgpu', got ${describe(device)}`);
  const gpu = runtime.gpu;
  if (!gpu) throw new Error(`${op}: no WebGPU device; call sg.init() first`);
  gpu.check(op);
  if (dtype === 'float64') throw new Error(`${op}: dtype 'float64' exists only on the CPU backend`);
  if (dtype === 'float16' && !gpu.features.has('shader-f16')) throw new Error(`${op}: float16 needs the adapter's 'shader-f16' feature, which this adapter lacks`);
  // Every kernel binds whole buffers, so a tensor past the binding limit could be created but
  // never used: Dawn would reject the bind group at submit time and drop the other work
  // batched with it. Refuse before any GPU work instead.
  const bytes = n * gpuBytes(dtype);
  const limit = gpu.limits.maxStorageBufferBindingSize;
  if (bytes > limit) {
    throw new Error(`${op}: a ${dtype} tensor of shape ${fmtShape(shape)} needs ${bytes} bytes, more than this adapter's maxStorageBufferBindingSize (${limit} bytes); use smaller tensors (or the CPU backend)`);
  }
  return bytes;
}

export type Scalar = number;
export type ShapeArg = number | readonly number[];

// Symbol.dispose as @types/node declares it, so the shipped types name it even for a
// consumer whose lib lacks esnext.disposable (that lib's own declaration merges with this).
declare global {
  interface SymbolConstructor { readonly dispose: unique symbol }
}

/**
 * Lets `using x = …` dispose a tensor or module when its block ends: installed at run time,
 * under Symbol.dispose where the runtime has it, else under the key TypeScript's downlevel
 * `using` looks up.
 */
export function installDispose(proto: { dispose(): void }): void {
  const key = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('Symbol.dispose');
  Object.defineProperty(proto, key, { value: function (this: { dispose(): void }) { this.dispose(); }, writable: true, configurable: true });
}

export class Tensor {
  readonly id = nextId++;
  readonly shape: number[];
  readonly strides: number[];
  private requiresGrad__ = false;
  /** Whether backward computes a gradient for this tensor. Turning it on or off on a leaf
   * that a compiled step (sg.compile) uses changes what the step computes: it records again. */
  get requiresGrad(): boolean { return this.requiresGrad__; }
  set requiresGrad(on: boolean) {
    if (on === this.requiresGrad__) return;
    // PyTorch's refusals: only float tensors can require grad, and a computed tensor cannot
    // be cut from its graph by a flag (detach() does that).
    if (on && !isFloat(this.dtype)) throw new Error(`requiresGrad: only floating point tensors can require grad, this one is ${this.dtype}`);
    if (!on && this.gradFn) throw new Error('requiresGrad: can only change the requiresGrad flag of leaf tensors; this one was computed by an op (use detach())');
    this.requiresGrad__ = on;
    const { buffer, gpu } = this.storage;
    if (!this.gradFn && buffer && gpu?.isWatched(buffer)) programChanged();
  }
  private grad_: Tensor | null = null;
  outputIndex = 0;
  /** Internal (autograd/hooks.ts): a leaf's gradient hooks; a non-leaf's live on its gradFn. */
  leafHooks: HookSlot | null = null;
  disposed = false;
  private held: Held;

  /** Internal: ops make tensors through Tensor.empty / Tensor.fromStorage. */
  constructor(readonly storage: Storage, shape: readonly number[], strides: readonly number[], readonly offset: number, readonly dtype: DType) {
    this.shape = [...shape];
    this.strides = [...strides];
    this.held = { id: this.id, storage, node: null };
    live++;
    finalizer?.register(this, this.held, this);
    if (runtime.debug) origins.set(this.id, { ref: new WeakRef(this), stack: creationSite() });
    track(this);
  }

  /** An uninitialized contiguous tensor on `device`; `op` names the caller in errors. */
  static empty(shape: readonly number[], dtype: DType, device: DeviceKind, op = 'alloc', fresh = false): Tensor {
    const bytes = checkAllocation(op, shape, dtype, device);
    const storage = device === 'cpu' ? Storage.cpu(cpuArray(dtype, numel(shape))) : Storage.gpu(runtime.gpu!, Math.max(4, bytes), fresh);
    return new Tensor(storage, shape, contiguousStrides(shape), 0, dtype);
  }

  // ---- metadata ----
  get device(): DeviceKind { return this.storage.device; }
  get ndim(): number { return this.shape.length; }
  get numel(): number { return numel(this.shape); }
  size(dim?: number): number | number[] {
    if (dim === undefined) return [...this.shape];
    // PyTorch: "Dimension specified as 0 but tensor has no dimensions".
    if (this.ndim === 0) throw new Error(`size: dim ${dim} given for a 0-d tensor (shape [])`);
    return this.shape[normDim('size', dim, this.ndim)];
  }
  isContiguous(): boolean { return isContiguous(this.shape, this.strides); }
  get isLeaf(): boolean { return this.gradFn === null; }
  /** How many in-place changes its storage has seen (PyTorch's `_version`); views share it. */
  get version(): number { return this.storage.version; }
  /** The typed array of a CPU tensor (whole storage; index with offset and strides). */
  get data(): TypedArray {
    if (!this.storage.data) throw new Error('data: this tensor lives on the GPU; use await toArray()');
    return this.storage.data;
  }
  get buffer(): GPUBuffer {
    if (!this.storage.buffer) throw new Error('buffer: this tensor lives on the CPU');
    return this.storage.buffer;
  }

  assertAlive(op: string): void {
    if (this.disposed) throw new Error(`${op}: tensor (shape ${fmtShape(this.shape)}, ${this.dtype}) was already disposed`);
    if (this.storage.gpu) this.storage.gpu.check(op);
  }

  /**
   * The gradient backward() accumulated here (null until then). Assignable, as in PyTorch,
   * with a tensor of this shape, dtype and device, or null. An assigned tensor is handed
   * over: backward adds into it in place, and zeroGrad() and dispose() free it (assign a
   * clone() to keep your own copy). Setting null only lets go of it, so
   * `const g = p.grad; p.grad = null` keeps g usable.
   */
  get grad(): Tensor | null { return this.grad_; }
  set grad(g: Tensor | null) {
    if (g !== null) {
      if (!(g instanceof Tensor)) throw new Error(`grad: assigned grad must be a Tensor or null, got ${describe(g)}`);
      g.assertAlive('grad');
      if (g.storage === this.storage) throw new Error(`grad: a tensor cannot be its own grad (the assigned grad shares this tensor's memory)`);
      if (!shapesEqual(g.shape, this.shape)) throw new Error(`grad: assigned grad has shape ${fmtShape(g.shape)} but the tensor has shape ${fmtShape(this.shape)}`);
      if (g.dtype !== this.dtype) throw new Error(`grad: assigned grad has dtype ${g.dtype} but the tensor is ${this.dtype}`);
      if (g.device !== this.device) throw new Error(`grad: assigned grad is on ${g.device} but the tensor is on ${this.device}`);
    }
    this.grad_ = g === null ? null : keep(g);
  }

  /** Internal (autograd): makes `g` this tensor's .grad as it is, disposing the one before. */
  setGrad(g: Tensor | null): void {
    const old = this.grad_;
    this.grad_ = g;
    if (old && old !== g) old.dispose();
  }

  /** The autograd node that produced this tensor (kept where the finalizer can see it). */
  get gradFn(): Node | null { return this.held.node; }
  set gradFn(n: Node | null) { this.held.node = n; }

  /** Another tensor object over the same storage and layout, without autograd history. */
  alias(): Tensor {
    return this.withLayout(this.shape, this.strides, this.offset);
  }

  /** A view over the same storage (no autograd; the view ops add that). */
  withLayout(shape: readonly number[], strides: readonly number[], offset: number): Tensor {
    this.assertAlive('view');
    return new Tensor(this.storage.retain(), shape, strides, offset, this.dtype);
  }

  requiresGrad_(on = true): this {
    if (on && !isFloat(this.dtype)) throw new Error(`requiresGrad_: only floating point tensors can require grad, this one is ${this.dtype}`);
    if (!on && this.gradFn) throw new Error('requiresGrad_: cannot turn off requiresGrad on a non-leaf tensor; use detach()');
    this.requiresGrad = on;
    return this;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    live--;
    finalizer?.unregister(this);
    origins.delete(this.id);
    this.storage.release();
    if (this.gradFn) this.gradFn.unref();
    this.gradFn = null;
    this.leafHooks = null;
    this.setGrad(null);
  }

  // ---- data out ----
  /** The values, row-major: int32 and bool (as 0/1) come back as an Int32Array. */
  async toArray(): Promise<Float32Array | Int32Array | Float64Array> {
    this.assertAlive('toArray');
    const n = this.numel;
    if (this.device === 'cpu') {
      const out = this.dtype === 'int32' || this.dtype === 'bool' ? new Int32Array(n) : this.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
      forEachOffset(this.shape, this.strides, this.offset, (off, i) => { out[i] = this.data[off]; });
      return out;
    }
    const src = this.isContiguous() ? this : this.contiguous();
    try {
      const bytes = gpuBytes(this.dtype);
      const ab = await src.storage.gpu!.read(src.buffer, src.offset * bytes, Math.max(n, 0) * bytes);
      if (this.dtype === 'int32' || this.dtype === 'bool') return new Int32Array(ab, 0, n);
      if (this.dtype === 'float32') return new Float32Array(ab, 0, n);
      const h = new Uint16Array(ab, 0, n);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = f16BitsToF32(h[i]);
      return out;
    } finally {
      if (src !== this) src.dispose();
    }
  }

  async item(): Promise<number> {
    this.assertAlive('item');
    if (this.numel !== 1) throw new Error(`item: only a tensor with one element can be converted to a number, this one has shape ${fmtShape(this.shape)}`);
    return (await this.toArray())[0];
  }

  /** Nested arrays, like PyTorch's tolist(). */
  async toList(): Promise<unknown> {
    this.assertAlive('toList');
    const flat = Array.from(await this.toArray());
    const build = (d: number, off: number): unknown => {
      if (d === this.ndim) return flat[off];
      const step = numel(this.shape.slice(d + 1));
      return Array.from({ length: this.shape[d] }, (_, i) => build(d + 1, off + i * step));
    };
    return build(0, 0);
  }

  toString(): string {
    return `Tensor(shape=${fmtShape(this.shape)}, dtype=${this.dtype}, device=${this.device}${this.requiresGrad ? ', requiresGrad' : ''}${this.disposed ? ', disposed' : ''})`;
  }

  /** Another view of the same tensor, cut off from autograd (the graph stops here). */
  detach(): Tensor { this.assertAlive('detach'); return this.alias(); }
}

// `using t = sg.tensor(…)` frees t at the end of the block, as t.dispose() would.
export interface Tensor { [Symbol.dispose](): void }
installDispose(Tensor.prototype);

setTensorCheck((x: unknown): x is Tensor => x instanceof Tensor);
