// Indexing along one dim: gather, indexSelect, indexAdd (and the scatter-add that is
// gather's gradient). cat and stack live in join.ts and are re-exported from here.
//
// Two kernel families cover all of it, each written once for the CPU and once in WGSL:
//  - gather: out[c] = t[c with c[dim] := index[c]], one invocation per output element.
//    indexSelect is the same thing with a 1-D index read through stride 0 on every dim
//    but `dim` (so "index[c]" is index[c[dim]]). Dim 0 of a row-major [rows, d] tensor
//    (embedding lookup, MoE row gather) takes a row-copy kernel instead, vec4 when it can.
//  - scatter-add: out[c with c[dim] := index[c]] += alpha * src[c], one invocation per
//    src element (gather's gradient). indexAdd, and so an embedding's gradient, sums in
//    index order instead on the GPU (index-fold.ts), so it is the same every run.
// The index is int32. Out-of-range values throw on the CPU backend (checked before any
// work); on the GPU they cannot be checked without a readback, so the kernels never touch
// memory out of bounds: gather writes 0, scatter-add skips the element.
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { isFloat, roundF16, wgslType, type DType } from '../tensor/dtype.js';
import { contiguousStrides, describe, fmtShape, normDim, numel } from '../tensor/shape.js';
import { f32Bits } from '../backend/webgpu.js';
import { coalesce, deviceOf, MAX_DIMS } from './map.js';
import { copyRaw, mul } from './elementwise.js';
import { full, reshape } from './view.js';
import { forEachOffset } from '../tensor/shape.js';
import { indexAddSorted } from './index-fold.js';

export { cat, stack } from './join.js';

const WG = 256;

// ---- layout: the iteration shape with one stride list per operand ----

export interface IndexLayout {
  shape: number[];
  /** One list per operand, in the order given to indexLayout. */
  strides: number[][];
  /** Where `dim` ended up after merging. */
  dimPos: number;
}

/** Merges contiguous runs of dims before and after `dim` (never `dim` itself: the index
 * acts there), so the common cases run with one or two dims. */
export function indexLayout(shape: readonly number[], dim: number, strides: number[][]): IndexLayout {
  const before = coalesce(shape.slice(0, dim), strides.map((s) => s.slice(0, dim)));
  const after = coalesce(shape.slice(dim + 1), strides.map((s) => s.slice(dim + 1)));
  return {
    shape: [...before.shape, shape[dim], ...after.shape],
    strides: strides.map((s, k) => [...before.strides[k], s[dim], ...after.strides[k]]),
    dimPos: before.shape.length,
  };
}

/** Strides that read a 1-D index as if it had `shape`, varying only along `dim`. */
function spreadIndex(index: Tensor, ndim: number, dim: number): number[] {
  const s = new Array<number>(ndim).fill(0);
  s[dim] = index.ndim === 0 ? 0 : index.strides[0];
  return s;
}

export const withDim = (strides: readonly number[], dim: number, v: number): number[] => strides.map((s, d) => (d === dim ? v : s));

/** Walks `shape` in row-major order calling f with each operand's storage offset. */
export function odometer(shape: readonly number[], strides: number[][], offsets: number[], f: (pos: number[]) => void): void {
  const n = numel(shape);
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  const pos = offsets.slice();
  for (let i = 0; i < n; i++) {
    f(pos);
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      for (let k = 0; k < pos.length; k++) pos[k] += strides[k][d];
      if (idx[d] < shape[d]) break;
      idx[d] = 0;
      for (let k = 0; k < pos.length; k++) pos[k] -= strides[k][d] * shape[d];
    }
  }
}

/** Uniform words for the generic kernels: 8 header words, then shape and up to 3 stride
 * lists as array<vec4<u32>, 2> each (uniform arrays need a 16-byte stride). */
export function layoutUniforms(header: number[], lay: IndexLayout): number[] {
  const u = new Array<number>(8 + MAX_DIMS * (1 + lay.strides.length)).fill(0);
  header.forEach((v, i) => { u[i] = v >>> 0; });
  lay.shape.forEach((s, d) => {
    u[8 + d] = s;
    lay.strides.forEach((st, k) => { u[8 + (k + 1) * MAX_DIMS + d] = st[d]; });
  });
  return u;
}

export const WGSL_WALK = (names: string[]): string =>
  `  var rem = i;\n${names.map((n) => `  var p${n} = u.off${n};\n`).join('')}` +
  `  for (var d = i32(u.ndim) - 1; d >= 0; d--) {\n    let k = u32(d);\n    let c = rem % u.shape[k >> 2u][k & 3u];\n    rem = rem / u.shape[k >> 2u][k & 3u];\n` +
  names.map((n) => `    p${n} += c * u.s${n}[k >> 2u][k & 3u];\n`).join('') + '  }\n';

// ---- validation ----

export function checkIndex(op: string, index: unknown): asserts index is Tensor {
  if (!(index instanceof Tensor)) throw new Error(`${op}: index must be an int32 Tensor, got ${describe(index)}`);
  index.assertAlive(op);
  if (index.dtype !== 'int32') throw new Error(`${op}: index must be int32, got ${index.dtype}`);
}

function checkInput(op: string, t: unknown, arg = 'input'): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new Error(`${op}: ${arg} must be a Tensor, got ${describe(t)}`);
  t.assertAlive(op);
}

/** On the CPU backend every index value is checked up front; a GPU index cannot be read
 * without a readback, so there the kernels skip bad values instead (see the top of the file). */
function checkIndexValues(op: string, index: Tensor, size: number, dim: number, shape: readonly number[]): void {
  if (index.device !== 'cpu') return;
  const data = index.data;
  forEachOffset(index.shape, index.strides, index.offset, (off) => {
    const v = data[off];
    if (v < 0 || v >= size) {
      const range = size === 0 ? 'the dim is empty' : `valid range 0 to ${size - 1}`;
      throw new Error(`${op}: index ${v} is out of range for dim ${dim} of size ${size} (${range}; input shape ${fmtShape(shape)})`);
    }
  });
}

// ---- gather kernel (also indexSelect) ----

/**
 * out (contiguous, shape `shape`) = t with dim `dim` picked by the index. `iStrides` reads
 * the index at each output position (index.strides for gather, stride 0 off `dim` for indexSelect).
 */
function gatherRaw(t: Tensor, dim: number, index: Tensor, shape: number[], iStrides: number[]): Tensor {
  const out = Tensor.empty(shape, t.dtype, t.device, 'gather');
  if (out.numel === 0) return out;
  const size = t.shape[dim];
  const sdim = t.strides[dim];
  const lay = indexLayout(shape, dim, [contiguousStrides(shape), withDim(t.strides, dim, 0), iStrides]);
  if (t.device === 'cpu') {
    const x = t.data;
    const ix = index.data;
    const o = out.data;
    let i = 0;
    odometer(lay.shape, [lay.strides[1], lay.strides[2]], [t.offset, index.offset], ([pt, pi]) => {
      const j = ix[pi];
      if (j < 0 || j >= size) throw new Error(`gather: index ${j} out of range 0 to ${size - 1}`); // checked earlier; a guard
      o[i++] = x[pt + j * sdim];
    });
    return out;
  }
  // The row copy: dim first, and the rest (if any) one unit-stride run that the index does not vary over.
  const nd = lay.shape.length;
  if (lay.dimPos === 0 && (nd === 1 || (nd === 2 && lay.strides[1][1] === 1 && lay.strides[2][1] === 0))) {
    gatherRowsGpu(t, index, out, lay.shape[0], nd === 2 ? lay.shape[1] : 1, lay.strides[2][0], size, sdim);
    return out;
  }
  const gpu = t.storage.gpu!;
  const T = wgslType(t.dtype);
  gpu.dispatch({
    key: `gather:${T}`,
    wgsl: () => `${T === 'f16' ? 'enable f16;\n' : ''}struct U {
  n: u32, ndim: u32, size: u32, sdim: u32, offT: u32, offI: u32, pad0: u32, pad1: u32,
  shape: array<vec4<u32>, 2>, sO: array<vec4<u32>, 2>, sT: array<vec4<u32>, 2>, sI: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> X: array<${T}>;
@group(0) @binding(2) var<storage, read> I: array<i32>;
@group(0) @binding(3) var<storage, read_write> O: array<${T}>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${WG}u;
  if (i >= u.n) { return; }
${WGSL_WALK(['T', 'I'])}  let j = I[pI];
  if (j < 0 || u32(j) >= u.size) { O[i] = ${T}(0); return; }
  O[i] = X[pT + u32(j) * u.sdim];
}
`,
    inputs: [t.buffer, index.buffer],
    outputs: [out.buffer],
    uniforms: layoutUniforms([out.numel, nd, size, sdim, t.offset, index.offset], lay),
    workgroups: Math.ceil(out.numel / WG),
  });
  return out;
}

/** out[r, c] = t[index[r], c] for a t whose rows are unit-stride runs of `inner` elements:
 * one invocation per 4 elements (vec4 loads and stores) when alignment allows, else per element. */
function gatherRowsGpu(t: Tensor, index: Tensor, out: Tensor, rows: number, inner: number, iStride: number, size: number, rowStride: number): void {
  const vec = inner % 4 === 0 && t.offset % 4 === 0 && rowStride % 4 === 0 ? 4 : 1;
  const T = wgslType(t.dtype);
  const V = vec === 4 ? `vec4<${T}>` : T;
  const n = (rows * inner) / vec;
  t.storage.gpu!.dispatch({
    key: `gather_rows:${T}:${vec}`,
    wgsl: () => `${T === 'f16' ? 'enable f16;\n' : ''}struct U { n: u32, inner: u32, size: u32, rowStride: u32, offT: u32, offI: u32, iStride: u32, pad: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> X: array<${V}>;
@group(0) @binding(2) var<storage, read> I: array<i32>;
@group(0) @binding(3) var<storage, read_write> O: array<${V}>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${WG}u;
  if (i >= u.n) { return; }
  let r = i / u.inner;
  let j = I[u.offI + r * u.iStride];
  if (j < 0 || u32(j) >= u.size) { O[i] = ${V}(0); return; }
  O[i] = X[u.offT + u32(j) * u.rowStride + (i - r * u.inner)];
}
`,
    inputs: [t.buffer, index.buffer],
    outputs: [out.buffer],
    uniforms: [n, inner / vec, size, rowStride / vec, t.offset / vec, index.offset, iStride, 0],
    workgroups: Math.ceil(n / WG),
  });
}

// ---- scatter-add kernel (gather's gradient, indexAdd) ----

/**
 * In place on `out` (contiguous, offset 0, not recorded): for every position c of `src`,
 * out[c with c[dim] := index[c]] += alpha * src[c]. `iStrides` reads the index at c.
 *
 * Duplicate indices make several invocations add into one element, so a plain
 * read-modify-write would race. WGSL has atomics only for 32-bit integers; floats are
 * added with an atomicCompareExchangeWeak loop on the bits (the element's u32 word; for
 * float16 the half of the word that holds it, leaving the other half bit-exact), ints with
 * atomicAdd. This keeps the work at one invocation per source element whatever the index
 * looks like (the MoE combine adds T*k rows into T), where a deterministic loop over the
 * index list per output element would cost numel(out) * index length. The price: with
 * duplicates, float sums are added in an unspecified order, so results can differ in the
 * last bits from run to run (as with PyTorch's CUDA index_add_).
 */
function scatterAddInto(out: Tensor, dim: number, index: Tensor, src: Tensor, iStrides: number[], alpha: number): void {
  if (src.numel === 0) return;
  const size = out.shape[dim];
  const oStrides = contiguousStrides(out.shape);
  const sdim = oStrides[dim];
  const lay = indexLayout(src.shape, dim, [withDim(oStrides, dim, 0), src.strides, iStrides]);
  if (out.device === 'cpu') {
    const o = out.data;
    const s = src.data;
    const ix = index.data;
    const f16 = out.dtype === 'float16';
    const int = out.dtype === 'int32';
    odometer(lay.shape, lay.strides, [out.offset, src.offset, index.offset], ([po, ps, pi]) => {
      const j = ix[pi];
      if (j < 0 || j >= size) throw new Error(`scatterAdd: index ${j} out of range 0 to ${size - 1}`); // checked earlier; a guard
      const p = po + j * sdim;
      if (int) o[p] = (o[p] + Math.imul(s[ps], alpha)) | 0;
      else if (f16) o[p] = roundF16(o[p] + s[ps] * alpha);
      else o[p] += s[ps] * alpha;
    });
    return;
  }
  const T = wgslType(out.dtype);
  const add = T === 'i32' ? `fn add_(p: u32, v: i32) { atomicAdd(&O[p], v); }`
    : T === 'f32' ? `fn add_(p: u32, v: f32) {
  var old = atomicLoad(&O[p]);
  loop {
    let r = atomicCompareExchangeWeak(&O[p], old, bitcast<u32>(bitcast<f32>(old) + v));
    if (r.exchanged) { break; }
    old = r.old_value;
  }
}` : `fn add_(p: u32, v: f32) {
  let w = p >> 1u;
  let sh = (p & 1u) * 16u;
  var old = atomicLoad(&O[w]);
  loop {
    let h = pack2x16float(vec2<f32>(unpack2x16float(old >> sh).x + v, 0.0)) & 0xffffu;
    let r = atomicCompareExchangeWeak(&O[w], old, (old & ~(0xffffu << sh)) | (h << sh));
    if (r.exchanged) { break; }
    old = r.old_value;
  }
}`;
  const value = T === 'i32' ? 'S[pS] * bitcast<i32>(u.alpha)' : 'f32(S[pS]) * bitcast<f32>(u.alpha)';
  out.storage.gpu!.dispatch({
    key: `scatter_add:${T}`,
    wgsl: () => `${T === 'f16' ? 'enable f16;\n' : ''}struct U {
  n: u32, ndim: u32, size: u32, sdim: u32, offO: u32, offS: u32, offI: u32, alpha: u32,
  shape: array<vec4<u32>, 2>, sO: array<vec4<u32>, 2>, sS: array<vec4<u32>, 2>, sI: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> S: array<${T}>;
@group(0) @binding(2) var<storage, read> I: array<i32>;
@group(0) @binding(3) var<storage, read_write> O: array<atomic<${T === 'i32' ? 'i32' : 'u32'}>>;
${add}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${WG}u;
  if (i >= u.n) { return; }
${WGSL_WALK(['O', 'S', 'I'])}  let j = I[pI];
  if (j < 0 || u32(j) >= u.size) { return; }
  add_(pO + u32(j) * u.sdim, ${value});
}
`,
    inputs: [src.buffer, index.buffer],
    outputs: [out.buffer],
    uniforms: layoutUniforms([src.numel, lay.shape.length, size, sdim, out.offset, src.offset, index.offset,
      T === 'i32' ? alpha | 0 : f32Bits(alpha)], lay),
    workgroups: Math.ceil(src.numel / WG),
  });
}

/** base + the scatter of src (or zeros of `shape` + it when base is null), as a new tensor. */
function scatterAddRaw(base: Tensor | null, shape: number[], dtype: DType, dim: number, index: Tensor, src: Tensor, iStrides: number[], alpha: number): Tensor {
  const out = base ? copyRaw(base) : full(shape, 0, dtype, src.device);
  scatterAddInto(out, dim, index, src, iStrides, alpha);
  return out;
}

// ---- Functions ----

class Gather extends Function {
  static override forward(ctx: Ctx, t: Tensor, dim: number, index: Tensor): Tensor {
    ctx.saveForBackward(index);
    ctx.meta = [t.shape, dim];
    return gatherRaw(t, dim, index, index.shape, index.strides);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [index] = ctx.savedTensors;
    const [shape, dim] = ctx.meta;
    return [ScatterAdd.apply(null, dim, index, dy, shape), null, null];
  }
}

/** (base or zeros of `shape`).scatter_add(dim, index, src): gather's gradient, itself
 * differentiable. A null base saves filling zeros and then copying them. */
class ScatterAdd extends Function {
  static override forward(ctx: Ctx, base: Tensor | null, dim: number, index: Tensor, src: Tensor, shape: number[]): Tensor {
    ctx.saveForBackward(index);
    ctx.dim = dim;
    return scatterAddRaw(base, shape, src.dtype, dim, index, src, index.strides, 1);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [index] = ctx.savedTensors;
    return [ctx.needsInputGrad[0] ? dy : null, null, null, ctx.needsInputGrad[3] ? Gather.apply(dy, ctx.dim, index) : null, null];
  }
}

class IndexSelect extends Function {
  static override forward(ctx: Ctx, t: Tensor, dim: number, index: Tensor): Tensor {
    ctx.saveForBackward(index);
    ctx.meta = [t.shape, dim];
    const shape = withDim(t.shape, dim, index.numel);
    return gatherRaw(t, dim, index, shape, spreadIndex(index, t.ndim, dim));
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [index] = ctx.savedTensors;
    const [shape, dim] = ctx.meta;
    return [IndexAdd.apply(null, dim, index, dy, 1, shape), null, null];
  }
}

/** (t or zeros of `shape`) + alpha * source scattered along dim by a 1-D index. */
class IndexAdd extends Function {
  static override forward(ctx: Ctx, t: Tensor | null, dim: number, index: Tensor, source: Tensor, alpha: number, shape: number[]): Tensor {
    ctx.saveForBackward(index);
    ctx.dim = dim;
    ctx.alpha = alpha;
    if (source.device === 'webgpu' && isFloat(source.dtype)) {
      // In index order, so the result is the same every run (index-fold.ts).
      const out = t ? copyRaw(t) : full(shape, 0, source.dtype, source.device);
      const src = source.isContiguous() ? source : copyRaw(source);
      indexAddSorted(out, dim, index, index.ndim === 0 ? 0 : index.strides[0], src, alpha);
      if (src !== source) src.dispose();
      return out;
    }
    return scatterAddRaw(t, shape, source.dtype, dim, index, source, spreadIndex(index, source.ndim, dim), alpha);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [index] = ctx.savedTensors;
    let gs: Tensor | null = null;
    if (ctx.needsInputGrad[3]) {
      gs = IndexSelect.apply(dy, ctx.dim, index);
      if (ctx.alpha !== 1) gs = mul(gs!, ctx.alpha);
    }
    return [ctx.needsInputGrad[0] ? dy : null, null, null, gs, null, null];
  }
}

// ---- public functions ----

/** out[i][j][k] = t[i][index[i][j][k]][k] for dim = 1; out has index's shape. */
export function gather(t: Tensor, dim: number, index: Tensor): Tensor {
  checkInput('gather', t);
  checkIndex('gather', index);
  deviceOf('gather', t, index);
  const d = normDim('gather', dim, t.ndim);
  // A 0-d input or index counts as 1-d of size 1 (PyTorch's rule), so 0-d beside 1-d is fine.
  if (Math.max(index.ndim, 1) !== Math.max(t.ndim, 1)) {
    throw new Error(`gather: index must have as many dims as the input: index shape ${fmtShape(index.shape)}, input shape ${fmtShape(t.shape)}`);
  }
  for (let k = 0; k < t.ndim; k++) {
    if (k !== d && index.shape[k] > t.shape[k]) {
      throw new Error(`gather: index size ${index.shape[k]} at dim ${k} exceeds the input's ${t.shape[k]} (index shape ${fmtShape(index.shape)}, input shape ${fmtShape(t.shape)}, dim ${dim})`);
    }
  }
  checkIndexValues('gather', index, t.ndim === 0 ? 1 : t.shape[d], d, t.shape);
  if (t.ndim === 0 || index.ndim === 0) {
    const out = Gather.apply(t.ndim === 0 ? reshape(t, [1]) : t, 0, index.ndim === 0 ? reshape(index, [1]) : index);
    return index.ndim === 0 ? reshape(out, []) : out;
  }
  return Gather.apply(t, d, index);
}

function check1dIndex(op: string, index: Tensor): void {
  if (index.ndim > 1) throw new Error(`${op}: index must be 1-D, got shape ${fmtShape(index.shape)}`);
}

/** The slices of t at `index` along dim (index 1-D int32): embedding lookup, row gather. */
export function indexSelect(t: Tensor, dim: number, index: Tensor): Tensor {
  checkInput('indexSelect', t);
  checkIndex('indexSelect', index);
  deviceOf('indexSelect', t, index);
  const d = normDim('indexSelect', dim, t.ndim);
  check1dIndex('indexSelect', index);
  if (t.ndim === 0 && index.numel !== 1) throw new Error(`indexSelect: a 0-d input takes an index of one value, got shape ${fmtShape(index.shape)}`);
  checkIndexValues('indexSelect', index, t.ndim === 0 ? 1 : t.shape[d], d, t.shape);
  // A 0-d input acts as 1-d of size 1 (PyTorch's rule): reshape around the op and back.
  if (t.ndim === 0) return reshape(IndexSelect.apply(reshape(t, [1]), 0, index), []);
  return IndexSelect.apply(t, d, index);
}

/**
 * Out of place index_add: t plus alpha * source[..., i, ...] added into slice index[i] of
 * dim; repeated indices accumulate. source has t's shape except index.numel at dim.
 */
export function indexAdd(t: Tensor, dim: number, index: Tensor, source: Tensor, alpha = 1): Tensor {
  checkInput('indexAdd', t);
  checkIndex('indexAdd', index);
  checkInput('indexAdd', source, 'source');
  deviceOf('indexAdd', t, index, source);
  const d = normDim('indexAdd', dim, t.ndim);
  check1dIndex('indexAdd', index);
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new Error(`indexAdd: alpha must be a finite number, got ${describe(alpha)}`);
  if (t.dtype === 'int32' && !Number.isInteger(alpha)) throw new Error(`indexAdd: alpha must be an integer for an int32 input, got ${describe(alpha)}`);
  if (source.dtype !== t.dtype) throw new Error(`indexAdd: source dtype ${source.dtype} does not match the input's ${t.dtype}`);
  const want = t.ndim === 0 ? [] : withDim(t.shape, d, index.numel);
  if (source.ndim !== want.length || source.shape.some((s, k) => s !== want[k])) {
    throw new Error(`indexAdd: source must have shape ${fmtShape(want)} (input shape ${fmtShape(t.shape)} with dim ${dim} of size index.numel = ${index.numel}), got ${fmtShape(source.shape)}`);
  }
  if (t.ndim === 0 && index.numel !== 1) throw new Error(`indexAdd: a 0-d input takes an index of one value, got shape ${fmtShape(index.shape)}`);
  checkIndexValues('indexAdd', index, t.ndim === 0 ? 1 : t.shape[d], d, t.shape);
  if (t.ndim === 0) return reshape(IndexAdd.apply(reshape(t, [1]), 0, index, reshape(source, [1]), alpha, [1]), []);
  return IndexAdd.apply(t, d, index, source, alpha, t.shape);
}
