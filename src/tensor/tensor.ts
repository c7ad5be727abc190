// The Tensor: a view (shape, strides, offset, dtype) onto a Storage, plus autograd fields.
// Methods are one-liners onto src/ops, so the op code lives in one place per op.
import type { Node } from '../autograd/node.js';
import { Storage, type DeviceKind } from '../backend/storage.js';
import { runtime } from '../backend/runtime.js';
import { cpuArray, f16BitsToF32, gpuBytes, isFloat, type DType, type TypedArray } from './dtype.js';
import { contiguousStrides, describe, fmtShape, isContiguous, numel, parseShapeArgs, shapesEqual } from './shape.js';
import { setTensorCheck, track } from './scope.js';
import * as E from '../ops/elementwise.js';
import * as V from '../ops/view.js';
import * as R from '../ops/reduce.js';
import * as M from '../ops/matmul.js';
import * as G from '../ops/gather.js';
import { runBackward, type BackwardOptions } from '../autograd/engine.js';

let nextId = 1;
let live = 0;

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

export class Tensor {
  readonly id = nextId++;
  readonly shape: number[];
  readonly strides: number[];
  requiresGrad = false;
  private grad_: Tensor | null = null;
  outputIndex = 0;
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
  static empty(shape: readonly number[], dtype: DType, device: DeviceKind, op = 'alloc'): Tensor {
    const bytes = checkAllocation(op, shape, dtype, device);
    const storage = device === 'cpu' ? Storage.cpu(cpuArray(dtype, numel(shape))) : Storage.gpu(runtime.gpu!, Math.max(4, bytes));
    return new Tensor(storage, shape, contiguousStrides(shape), 0, dtype);
  }

  // ---- metadata ----
  get device(): DeviceKind { return this.storage.device; }
  get ndim(): number { return this.shape.length; }
  get numel(): number { return numel(this.shape); }
  size(dim?: number): number | number[] {
    return dim === undefined ? [...this.shape] : this.shape[V.dimArg('size', dim, this.ndim)];
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

  /** The gradient backward() accumulated here (null until then); assignable, as in PyTorch,
   * with a tensor of this shape, dtype and device, or null. */
  get grad(): Tensor | null { return this.grad_; }
  set grad(g: Tensor | null) {
    if (g !== null) {
      if (!(g instanceof Tensor)) throw new Error(`grad: assigned grad must be a Tensor or null, got ${describe(g)}`);
      g.assertAlive('grad');
      if (!shapesEqual(g.shape, this.shape)) throw new Error(`grad: assigned grad has shape ${fmtShape(g.shape)} but the tensor has shape ${fmtShape(this.shape)}`);
      if (g.dtype !== this.dtype) throw new Error(`grad: assigned grad has dtype ${g.dtype} but the tensor is ${this.dtype}`);
      if (g.device !== this.device) throw new Error(`grad: assigned grad is on ${g.device} but the tensor is on ${this.device}`);
    }
    this.grad_ = g;
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
    if (this.grad) { this.grad.dispose(); this.grad = null; }
  }

  // ---- data out ----
  async toArray(): Promise<Float32Array | Int32Array | Float64Array> {
    this.assertAlive('toArray');
    const n = this.numel;
    if (this.device === 'cpu') {
      const out = this.dtype === 'int32' ? new Int32Array(n) : this.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
      V.forEachOffset(this.shape, this.strides, this.offset, (off, i) => { out[i] = this.data[off]; });
      return out;
    }
    const src = this.isContiguous() ? this : V.contiguous(this);
    try {
      const bytes = gpuBytes(this.dtype);
      const ab = await src.storage.gpu!.read(src.buffer, src.offset * bytes, Math.max(n, 0) * bytes);
      if (this.dtype === 'int32') return new Int32Array(ab, 0, n);
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

  /** A copy on another device (not recorded by autograd). */
  async to(device: DeviceKind): Promise<Tensor> {
    this.assertAlive('to');
    if (device !== 'cpu' && device !== 'webgpu') throw new Error(`to: device must be 'cpu' or 'webgpu', got ${describe(device)}`);
    if (device === this.device) return V.contiguous(this).detach();
    const data = await this.toArray();
    return V.fromArray(data, this.shape, this.dtype, device);
  }

  toString(): string {
    return `Tensor(shape=${fmtShape(this.shape)}, dtype=${this.dtype}, device=${this.device}${this.requiresGrad ? ', requiresGrad' : ''}${this.disposed ? ', disposed' : ''})`;
  }

  // ---- autograd ----
  /** backward(), backward(grad), backward(grad, { retainGraph }) or backward({ retainGraph }). */
  backward(grad?: Tensor | BackwardOptions, opts?: BackwardOptions): void {
    if (grad !== undefined && grad !== null && !(grad instanceof Tensor) && typeof grad === 'object' && !Array.isArray(grad) && opts === undefined) {
      runBackward(this, undefined, grad as BackwardOptions);
    } else runBackward(this, grad as Tensor | undefined, opts);
  }
  detach(): Tensor { this.assertAlive('detach'); return this.alias(); }
  onesLike(): Tensor { return V.full(this.shape, 1, this.dtype, this.device); }
  zerosOf(shape: readonly number[], dtype: DType): Tensor { return V.full(shape, 0, dtype, this.device); }

  // ---- elementwise ----
  add(o: Tensor | Scalar, alpha?: number): Tensor { return E.add(this, o, alpha); }
  sub(o: Tensor | Scalar, alpha?: number): Tensor { return E.sub(this, o, alpha); }
  mul(o: Tensor | Scalar): Tensor { return E.mul(this, o); }
  div(o: Tensor | Scalar): Tensor { return E.div(this, o); }
  pow(o: Tensor | Scalar): Tensor { return E.pow(this, o); }
  maximum(o: Tensor): Tensor { return E.maximum(this, o); }
  minimum(o: Tensor): Tensor { return E.minimum(this, o); }
  eq(o: Tensor | Scalar): Tensor { return E.eq(this, o); }
  ne(o: Tensor | Scalar): Tensor { return E.ne(this, o); }
  lt(o: Tensor | Scalar): Tensor { return E.lt(this, o); }
  le(o: Tensor | Scalar): Tensor { return E.le(this, o); }
  gt(o: Tensor | Scalar): Tensor { return E.gt(this, o); }
  ge(o: Tensor | Scalar): Tensor { return E.ge(this, o); }
  neg(): Tensor { return E.neg(this); }
  exp(): Tensor { return E.exp(this); }
  log(): Tensor { return E.log(this); }
  sqrt(): Tensor { return E.sqrt(this); }
  rsqrt(): Tensor { return E.rsqrt(this); }
  abs(): Tensor { return E.abs(this); }
  relu(): Tensor { return E.relu(this); }
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor { return E.gelu(this, approximate); }
  silu(): Tensor { return E.silu(this); }
  sigmoid(): Tensor { return E.sigmoid(this); }
  tanh(): Tensor { return E.tanh(this); }
  where(cond: Tensor, other: Tensor | Scalar): Tensor { return E.where(cond, this, other); }
  cast(dtype: DType): Tensor { return E.cast(this, dtype); }
  float(): Tensor { return E.cast(this, 'float32'); }
  half(): Tensor { return E.cast(this, 'float16'); }
  int(): Tensor { return E.cast(this, 'int32'); }

  // ---- in place (refused on tensors that require grad unless inside noGrad) ----
  copy_(src: Tensor | Scalar): this { return this.assign('copy_', src); }
  add_(o: Tensor | Scalar, alpha = 1): this { E.inplace('add_', this, o, (a, b) => E.add(a, b, alpha)); return this; }
  sub_(o: Tensor | Scalar, alpha = 1): this { E.inplace('sub_', this, o, (a, b) => E.sub(a, b, alpha)); return this; }
  mul_(o: Tensor | Scalar): this { E.inplace('mul_', this, o, (a, b) => E.mul(a, b)); return this; }
  fill_(value: Scalar): this {
    if (typeof value !== 'number') throw new Error(`fill_: value must be a number, got ${describe(value)}`);
    return this.assign('fill_', value);
  }
  zero_(): this { return this.assign('zero_', 0); }
  private assign(op: string, src: Tensor | Scalar): this {
    E.inplace(op, this, src, (_a, b) => (b instanceof Tensor ? E.copyRaw(b, this.dtype) : V.full(this.shape, b, this.dtype, this.device)));
    return this;
  }

  // ---- views and copies ----
  view(...shape: ShapeArg[]): Tensor { return V.view(this, parseShapeArgs('view', shape)); }
  reshape(...shape: ShapeArg[]): Tensor { return V.reshape(this, parseShapeArgs('reshape', shape)); }
  permute(...dims: ShapeArg[]): Tensor { return V.permute(this, parseShapeArgs('permute', dims)); }
  transpose(d0: number, d1: number): Tensor { return V.transpose(this, d0, d1); }
  get T(): Tensor { return V.transpose(this, 0, 1); }
  unsqueeze(dim: number): Tensor { return V.unsqueeze(this, dim); }
  squeeze(dim?: number): Tensor { return V.squeeze(this, dim); }
  expand(...shape: ShapeArg[]): Tensor { return V.expand(this, parseShapeArgs('expand', shape)); }
  flatten(startDim = 0, endDim = -1): Tensor { return V.flatten(this, startDim, endDim); }
  narrow(dim: number, start: number, length: number): Tensor { return V.narrow(this, dim, start, length); }
  slice(dim: number, start?: number, end?: number, step?: number): Tensor { return V.slice(this, dim, start, end, step); }
  chunk(chunks: number, dim = 0): Tensor[] { return V.chunk(this, chunks, dim); }
  split(sizes: number | number[], dim = 0): Tensor[] { return V.split(this, sizes, dim); }
  contiguous(): Tensor { return V.contiguous(this); }
  clone(): Tensor { return V.clone(this); }

  // ---- reductions ----
  sum(dim?: number | number[], keepdim = false): Tensor { return R.sum(this, dim, keepdim); }
  mean(dim?: number | number[], keepdim = false): Tensor { return R.mean(this, dim, keepdim); }
  max(): Tensor;
  max(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  max(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    return dim === undefined ? R.max(this) : R.max(this, dim, keepdim);
  }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  min(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    return dim === undefined ? R.min(this) : R.min(this, dim, keepdim);
  }
  amax(dim?: number | number[], keepdim = false): Tensor { return R.amax(this, dim, keepdim); }
  amin(dim?: number | number[], keepdim = false): Tensor { return R.amin(this, dim, keepdim); }
  argmax(dim?: number, keepdim = false): Tensor { return R.argmax(this, dim, keepdim); }
  argmin(dim?: number, keepdim = false): Tensor { return R.argmin(this, dim, keepdim); }
  softmax(dim: number): Tensor { return R.softmax(this, dim); }
  logSoftmax(dim: number): Tensor { return R.logSoftmax(this, dim); }
  topk(k: number, dim = -1, largest = true, sorted = true): { values: Tensor; indices: Tensor } { return R.topk(this, k, dim, largest, sorted); }

  // ---- matmul and indexing ----
  matmul(o: Tensor): Tensor { return M.matmul(this, o); }
  bmm(o: Tensor): Tensor { return M.bmm(this, o); }
  gather(dim: number, index: Tensor): Tensor { return G.gather(this, dim, index); }
  indexSelect(dim: number, index: Tensor): Tensor { return G.indexSelect(this, dim, index); }
  indexAdd(dim: number, index: Tensor, source: Tensor, alpha = 1): Tensor { return G.indexAdd(this, dim, index, source, alpha); }
}

setTensorCheck((x: unknown): x is Tensor => x instanceof Tensor);
