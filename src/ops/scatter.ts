// scatter, scatterAdd, scatterReduce and oneHot: out[c with c[dim] := index[c]] <- src[c]
// for every position c of the index, out of place (the result starts as a copy of self).
//
// One kernel per mode, an invocation per index element (gather.ts's layout helpers):
//  - put (scatter): with duplicate targets the last source in row-major index order wins,
//    as on the CPU. A first pass claims each target with atomicMax of the source's position,
//    a second writes only the winners, so the result does not depend on thread order.
//  - float32 sum and prod (and mean, a sum): the index elements are sorted by target and
//    each target's sources folded in index order (foldSorted), so the result is the CPU's
//    bit for bit and the same every run.
//  - int32 sum/prod and amax/amin: atomics (native for int32, a compare-exchange loop on
//    the bits for float32); these give the same result in any order. float16 computes in
//    float32.
// Out-of-range indices throw on the CPU; on the GPU their writes are skipped (docs/guide.md,
// "The rules for numbers": the GPU cannot check them without a readback).
import { checkAllocation, Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { wgslType } from '../tensor/dtype.js';
import { checkScalarFits } from '../tensor/check.js';
import { checkOptions, contiguousStrides, describe, fmtShape, forEachOffset, normDim } from '../tensor/shape.js';
import { deviceOf, mapRaw, type MapSpec } from './map.js';
import { cast, copyRaw, div, eq, MAP_SPECS, mul, ne, where } from './elementwise.js';
import { full, narrow, reshape, unsqueeze } from './view.js';
import { bitonicSort } from './bitonic.js';
import { checkIndex, gather, indexLayout, type IndexLayout, layoutUniforms, odometer, withDim, WGSL_WALK } from './gather.js';

export type ReduceMode = 'sum' | 'prod' | 'mean' | 'amax' | 'amin';
type Mode = 'set' | 'put' | 'sum' | 'prod' | 'amax' | 'amin';
const REDUCES: readonly string[] = ['sum', 'prod', 'mean', 'amax', 'amin'];
const WG = 256;

// ---- kernels ----

const nanMax = (a: number, b: number): number => (a !== a || b !== b ? NaN : Math.max(a, b));
const nanMin = (a: number, b: number): number => (a !== a || b !== b ? NaN : Math.min(a, b));

/** A view of one number with `shape` (stride 0 everywhere): a scalar src without a fill. */
function constant(v: number, shape: number[], like: Tensor): Tensor {
  const c = full([1], v, like.dtype, like.device);
  const s = c.withLayout(shape, shape.map(() => 0), 0);
  c.dispose();
  return s;
}

/**
 * In place on `out` (contiguous, fresh, not recorded): combines src (read at the index's
 * positions through its strides) into out at c[dim] := index[c]. 'set' writes without
 * ordering: only for sources that are all equal or targets that do not repeat.
 */
function scatterInto(out: Tensor, dim: number, index: Tensor, src: Tensor, mode: Mode): void {
  if (index.numel === 0) return;
  const size = out.shape[dim];
  const oStrides = contiguousStrides(out.shape);
  const sdim = oStrides[dim];
  const lay = indexLayout(index.shape, dim, [withDim(oStrides, dim, 0), src.strides, index.strides]);
  if (out.device === 'cpu') {
    const o = out.data;
    const s = src.data;
    const ix = index.data;
    const int = out.dtype === 'int32';
    const f = mode === 'sum' ? (a: number, b: number) => (int ? (a + b) | 0 : a + b)
      : mode === 'prod' ? (a: number, b: number) => (int ? Math.imul(a, b) : a * b)
        : mode === 'amax' ? nanMax : mode === 'amin' ? nanMin : (_a: number, b: number) => b;
    odometer(lay.shape, lay.strides, [0, src.offset, index.offset], ([po, ps, pi]) => {
      const j = ix[pi];
      if (j < 0 || j >= size) throw new Error(`scatter: index ${j} out of range 0 to ${size - 1}`); // checked earlier; a guard
      const p = po + j * sdim;
      o[p] = f(o[p], s[ps]);
    });
    return;
  }
  const T = wgslType(out.dtype);
  const gpu = out.storage.gpu!;
  const header = [index.numel, lay.shape.length, size, sdim, 0, src.offset, index.offset, 0];
  const common = { uniforms: layoutUniforms(header, lay), workgroups: Math.ceil(index.numel / WG) };
  if (mode === 'put') {
    const claim = full(out.shape, -1, 'int32', out.device);
    gpu.dispatch({ key: 'scatter:claim', wgsl: () => scatterWgsl('claim', 'i32'), inputs: [src.buffer, index.buffer], outputs: [claim.buffer], ...common });
    gpu.dispatch({ key: `scatter:put:${T}`, wgsl: () => scatterWgsl('put', T), inputs: [src.buffer, index.buffer, claim.buffer], outputs: [out.buffer], ...common });
    claim.dispose();
    return;
  }
  if (T === 'f32' && (mode === 'sum' || mode === 'prod')) { foldSorted(out, index, src, header, lay, mode); return; }
  gpu.dispatch({ key: `scatter:${mode}:${T}`, wgsl: () => scatterWgsl(mode, T), inputs: [src.buffer, index.buffer], outputs: [out.buffer], ...common });
}

/**
 * Float sums and products in index order, so that the result does not depend on thread
 * timing and equals the CPU's bit for bit: the index elements are sorted by target (stable,
 * bitonic.ts), then the first element of each run folds the run's sources into its target.
 * A target with many sources is one invocation's loop, the price of the fixed order.
 */
function foldSorted(out: Tensor, index: Tensor, src: Tensor, header: number[], lay: IndexLayout, mode: 'sum' | 'prod'): void {
  const gpu = out.storage.gpu!;
  const n = index.numel;
  let P = 1;
  while (P < n) P *= 2;
  const keys = Tensor.empty([P], 'int32', out.device, 'scatter');
  const pos = Tensor.empty([P], 'int32', out.device, 'scatter');
  const h = [...header];
  h[7] = P;
  const uniforms = layoutUniforms(h, lay);
  gpu.dispatch({ key: 'scatter:targets', wgsl: () => targetsWgsl(), inputs: [index.buffer], outputs: [keys.buffer, pos.buffer], uniforms, workgroups: Math.ceil(P / WG) });
  bitonicSort(keys, pos, 1, P);
  gpu.dispatch({ key: `scatter:fold:${mode}`, wgsl: () => foldWgsl(mode), inputs: [src.buffer, keys.buffer, pos.buffer], outputs: [out.buffer], uniforms, workgroups: Math.ceil(n / WG) });
  keys.dispose();
  pos.dispose();
}

const LAYOUT_WGSL = `struct U {
  n: u32, ndim: u32, size: u32, sdim: u32, offO: u32, offS: u32, offI: u32, p: u32,
  shape: array<vec4<u32>, 2>, sO: array<vec4<u32>, 2>, sS: array<vec4<u32>, 2>, sI: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<uniform> u: U;
`;

/** Each index element's target (0xffffffff when out of range, and for the padding to u.p). */
function targetsWgsl(): string {
  return `${LAYOUT_WGSL}@group(0) @binding(1) var<storage, read> I: array<i32>;
@group(0) @binding(2) var<storage, read_write> K: array<u32>;
@group(0) @binding(3) var<storage, read_write> Q: array<u32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${WG}u;
  if (i >= u.p) { return; }
  if (i >= u.n) { K[i] = 0xffffffffu; Q[i] = 0xffffffffu; return; }
${WGSL_WALK(['O', 'I'])}  let j = I[pI];
  K[i] = select(0xffffffffu, pO + u32(j) * u.sdim, j >= 0 && u32(j) < u.size);
  Q[i] = i;
}
`;
}

function foldWgsl(mode: 'sum' | 'prod'): string {
  return `${LAYOUT_WGSL}@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read> K: array<u32>;
@group(0) @binding(3) var<storage, read> Q: array<u32>;
@group(0) @binding(4) var<storage, read_write> O: array<f32>;
fn srcAt(i: u32) -> f32 {
${WGSL_WALK(['S'])}  return S[pS];
}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * ${WG}u;
  if (t >= u.n) { return; }
  let k = K[t];
  if (k == 0xffffffffu || (t > 0u && K[t - 1u] == k)) { return; }
  var acc = O[k];
  for (var q = t; q < u.n && K[q] == k; q++) { acc = acc ${mode === 'sum' ? '+' : '*'} srcAt(Q[q]); }
  O[k] = acc;
}
`;
}

/** WGSL for one mode; `combine(p, v)` folds v into O[p]. */
function scatterWgsl(mode: Mode | 'claim', T: string): string {
  const f32 = T === 'f32';
  const nan = 'fn nan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }';
  const op = mode === 'sum' ? 'a + v' : mode === 'prod' ? 'a * v'
    : f32 ? `select(${mode === 'amax' ? 'max' : 'min'}(a, v), select(a, v, nan_(v)), nan_(a) || nan_(v))` : `${mode === 'amax' ? 'max' : 'min'}(a, v)`;
  let out: string;
  let body: string;
  if (mode === 'claim') {
    out = '@group(0) @binding(3) var<storage, read_write> W: array<atomic<i32>>;';
    body = '_ = S[0]; // keeps binding 1 in the layout, so both passes bind alike\n  atomicMax(&W[p], i32(i));';
  } else if (mode === 'put') {
    out = `@group(0) @binding(3) var<storage, read> W: array<i32>;\n@group(0) @binding(4) var<storage, read_write> O: array<${T}>;`;
    body = 'if (W[p] == i32(i)) { O[p] = S[pS]; }';
  } else if (mode === 'set') {
    out = `@group(0) @binding(3) var<storage, read_write> O: array<${T}>;`;
    body = 'O[p] = S[pS];';
  } else if (!f32 && mode !== 'prod') {
    out = '@group(0) @binding(3) var<storage, read_write> O: array<atomic<i32>>;';
    body = `atomic${mode === 'sum' ? 'Add' : mode === 'amax' ? 'Max' : 'Min'}(&O[p], S[pS]);`;
  } else {
    // A compare-exchange loop on the element's 32 bits; it stops early when nothing changes.
    const A = f32 ? 'u32' : 'i32';
    const load = f32 ? 'bitcast<f32>(old)' : 'old';
    const store = f32 ? 'bitcast<u32>(r)' : 'r';
    out = `@group(0) @binding(3) var<storage, read_write> O: array<atomic<${A}>>;`;
    body = `let v = S[pS];
  var old = atomicLoad(&O[p]);
  loop {
    let a = ${load};
    let r = ${op};
    let nb = ${store};
    if (nb == old) { break; }
    let x = atomicCompareExchangeWeak(&O[p], old, nb);
    if (x.exchanged) { break; }
    old = x.old_value;
  }`;
  }
  return `${T === 'f16' ? 'enable f16;\n' : ''}${LAYOUT_WGSL}@group(0) @binding(1) var<storage, read> S: array<${T}>;
@group(0) @binding(2) var<storage, read> I: array<i32>;
${out}
${f32 ? nan : ''}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${WG}u;
  if (i >= u.n) { return; }
${WGSL_WALK(['O', 'S', 'I'])}  let j = I[pI];
  if (j < 0 || u32(j) >= u.size) { return; }
  let p = pO + u32(j) * u.sdim;
  ${body}
}
`;
}

// Integer mean: PyTorch floor-divides the sum by the count (always >= 1 here).
const FLOOR_DIV: MapSpec = { name: 'floor_div', cpu: (a, b) => Math.floor(a / b), wgsl: 'select(a / b, a / b - T(1), (a % b) != T(0) && a < T(0))' };

const IDENTITY: Record<ReduceMode, (int: boolean) => number> = {
  sum: () => 0, mean: () => 0, prod: () => 1,
  amax: (int) => (int ? -(2 ** 31) : -Infinity), amin: (int) => (int ? 2 ** 31 - 1 : Infinity),
};

/** self.scatterReduce(dim, index, src, reduce, includeSelf) as a new tensor. Not recorded. */
function scatterReduceRaw(self: Tensor, dim: number, index: Tensor, src: Tensor, reduce: ReduceMode, includeSelf: boolean, half = false): Tensor {
  const int = self.dtype === 'int32';
  const out = copyRaw(self);
  if (!includeSelf) {
    const id = constant(IDENTITY[reduce](int), index.shape, self);
    scatterInto(out, dim, index, id, 'set');
    id.dispose();
  }
  scatterInto(out, dim, index, src, reduce === 'mean' ? 'sum' : reduce);
  if (reduce !== 'mean') return out;
  const count = full(self.shape, includeSelf ? 1 : 0, 'int32', self.device);
  const one = constant(1, index.shape, count);
  scatterInto(count, dim, index, one, 'sum');
  one.dispose();
  const safe = mapRaw({ name: 'at_least_one', cpu: (a) => Math.max(a, 1), wgsl: 'max(a, T(1))' }, [count]);
  // A float16 mean divides the sum once rounded to float16, as PyTorch's (which sums into self).
  const sum = half ? copyRaw(copyRaw(out, 'float16'), 'float32') : out;
  const mean = mapRaw(int ? FLOOR_DIV : MAP_SPECS.div, [sum, safe], self.dtype);
  for (const t of new Set([out, sum, count, safe])) t.dispose();
  return mean;
}

// ---- Functions ----

/** self with src (or the number `value` when src is null) written at the index. */
class Scatter extends Function {
  static override forward(ctx: Ctx, self: Tensor, dim: number, index: Tensor, src: Tensor | null, value: number): Tensor {
    ctx.saveForBackward(index);
    ctx.dim = dim;
    const out = copyRaw(self);
    const s = src ?? constant(value, index.shape, self);
    scatterInto(out, dim, index, s, src ? 'put' : 'set');
    if (!src) s.dispose();
    return out;
  }
  static override backward(ctx: Ctx, g: Tensor): Array<Tensor | null> {
    const [index] = ctx.savedTensors;
    const gSelf = ctx.needsInputGrad[0] ? Scatter.apply(g, ctx.dim, index, null, 0) : null;
    const gSrc = ctx.needsInputGrad[3] ? gather(g, ctx.dim, index) : null;
    return [gSelf, null, null, gSrc, null];
  }
}

class ScatterReduce extends Function {
  static override forward(ctx: Ctx, self: Tensor, dim: number, index: Tensor, src: Tensor, reduce: ReduceMode, includeSelf: boolean, half: boolean): Tensor {
    const out = scatterReduceRaw(self, dim, index, src, reduce, includeSelf, half);
    // sum and mean need only the index for their gradients; the others compare with values.
    ctx.saveForBackward(index, ...(reduce === 'sum' || reduce === 'mean' ? [] : [self, src, out]));
    Object.assign(ctx, { dim, reduce, includeSelf, shape: self.shape });
    return out;
  }
  static override backward(ctx: Ctx, g: Tensor): Array<Tensor | null> {
    const [index, self, src, result] = ctx.savedTensors;
    const { dim, reduce, includeSelf } = ctx as unknown as { dim: number; reduce: ReduceMode; includeSelf: boolean };
    const at = (t: Tensor): Tensor => gather(t, dim, index);
    const add = (base: Tensor, s: Tensor): Tensor => ScatterReduce.apply(base, dim, index, s, 'sum', true);
    let gSelf: Tensor;
    let gSrc: Tensor;
    if (reduce === 'sum') {
      gSelf = g;
      gSrc = at(g);
    } else if (reduce === 'mean') {
      // Each output is divided by its count (self included or not); so is each share.
      const n = add(full(ctx.shape, includeSelf ? 1 : 0, g.dtype, g.device), constant(1, index.shape, g));
      const safe = where(eq(n, 0), 1, n);
      gSelf = div(g, safe);
      gSrc = div(at(g), at(safe));
    } else if (reduce === 'amax' || reduce === 'amin') {
      // Every element equal to the result shares its gradient evenly (PyTorch's rule).
      const selfIs = where(eq(self, result), 1, 0);
      const srcIs = where(eq(src, at(result)), 1, 0);
      const share = div(g, add(selfIs, srcIs));
      gSelf = mul(selfIs, share);
      gSrc = mul(srcIs, at(share));
    } else {
      // prod: the product of the others, with zeros taken out of the products (PyTorch's).
      const selfZero = eq(self, 0);
      const maskedSelf = where(selfZero, 1, self);
      gSelf = div(mul(g, ScatterReduce.apply(maskedSelf, dim, index, src, 'prod', includeSelf)), maskedSelf);
      const srcZero = where(eq(src, 0), 1, 0);
      const zerosThere = at(add(full(self.shape, 0, 'int32', g.device), srcZero));
      const single = where(srcZero, where(eq(zerosThere, 1), 1, 0), 0);
      const withoutIt = ScatterReduce.apply(self, dim, index, where(single, 1, src), 'prod', includeSelf);
      gSrc = where(single, at(mul(g, withoutIt)), div(at(mul(g, result)), where(srcZero, 1, src)));
    }
    if (!includeSelf) gSelf = Scatter.apply(gSelf, dim, index, null, 0);
    return [ctx.needsInputGrad[0] ? gSelf : null, null, null, ctx.needsInputGrad[3] ? gSrc : null, null, null, null];
  }
}

// ---- argument checks ----

/** Checks self, dim, index and src (a tensor or, when `src` is a number, skipped) as
 * PyTorch's scatter family does; returns the normalized dim. */
function checkScatter(op: string, self: unknown, dim: unknown, index: unknown, src: unknown): number {
  if (!(self instanceof Tensor)) throw new Error(`${op}: input must be a Tensor, got ${describe(self)}`);
  self.assertAlive(op);
  checkIndex(op, index);
  if (typeof dim !== 'number') throw new Error(`${op}: dim must be a number, got ${describe(dim)}`);
  const d = normDim(op, dim, self.ndim);
  if (src instanceof Tensor) {
    src.assertAlive(op);
    if (src.dtype !== self.dtype) throw new Error(`${op}: src dtype ${src.dtype} does not match self's ${self.dtype}`);
  } else if ((typeof src !== 'number' && typeof src !== 'boolean') || op !== 'scatter') {
    throw new Error(`${op}: src must be a Tensor${op === 'scatter' ? ' or a number' : ''}, got ${describe(src)}`);
  } else checkScalarFits(op, Number(src), self.dtype);
  deviceOf(op, self, index, src instanceof Tensor ? src : null);
  if (index.numel === 0) return self.ndim === 0 ? 0 : d;
  const nd = Math.max(self.ndim, 1);
  const shapes = `(self shape ${fmtShape(self.shape)}, index shape ${fmtShape(index.shape)}${src instanceof Tensor ? `, src shape ${fmtShape(src.shape)}` : ''})`;
  if (Math.max(index.ndim, 1) !== nd || (src instanceof Tensor && Math.max(src.ndim, 1) !== nd)) {
    throw new Error(`${op}: index${src instanceof Tensor ? ' and src' : ''} must have as many dims as self ${shapes}`);
  }
  for (let k = 0; k < self.ndim; k++) {
    if (k !== d && index.shape[k] > self.shape[k]) throw new Error(`${op}: index size ${index.shape[k]} at dim ${k} exceeds self's ${self.shape[k]} ${shapes}`);
    if (src instanceof Tensor && index.shape[k] > src.shape[k]) throw new Error(`${op}: index size ${index.shape[k]} at dim ${k} exceeds src's ${src.shape[k]} ${shapes}`);
  }
  if (index.device === 'cpu') {
    const size = self.ndim === 0 ? 1 : self.shape[d];
    forEachOffset(index.shape, index.strides, index.offset, (off) => {
      const v = index.data[off];
      if (v < 0 || v >= size) throw new Error(`${op}: index ${v} is out of range for dim ${d} of size ${size} (valid range 0 to ${size - 1}; self shape ${fmtShape(self.shape)})`);
    });
  }
  return d;
}

/** Runs `f` on 1-d stand-ins for 0-d tensors (PyTorch treats them as size 1), narrowing
 * src to the index's shape (only that part is read) and computing float16 in float32. */
function prepared(self: Tensor, index: Tensor, src: Tensor | null, f: (s: Tensor, i: Tensor, x: Tensor | null) => Tensor): Tensor {
  // An empty index writes nothing: a copy of self (src gets no gradient, as nothing reads it).
  if (index.numel === 0) return Scatter.apply(self, 0, index, null, 0);
  if (self.ndim === 0) return reshape(prepared(reshape(self, [1]), reshape(index, [1]), src && reshape(src, [1]), f), []);
  // A 0-d index or src beside a 1-d self acts as size 1, as PyTorch's.
  if (index.ndim === 0 || src?.ndim === 0) return prepared(self, index.ndim === 0 ? reshape(index, [1]) : index, src && src.ndim === 0 ? reshape(src, [1]) : src, f);
  if (self.dtype === 'float16') return cast(prepared(cast(self, 'float32'), index, src && cast(src, 'float32'), f), 'float16');
  let s = src;
  if (s) for (let k = 0; k < s.ndim; k++) if (s.shape[k] !== index.shape[k]) s = narrow(s, k, 0, index.shape[k]);
  return f(self, index, s);
}

/** bool sums, products and extremes as PyTorch's (or, and, or, and): on 0/1 int32, then != 0. */
function viaInt(self: Tensor, src: Tensor, f: (s: Tensor, x: Tensor) => Tensor): Tensor {
  if (self.dtype !== 'bool') return f(self, src);
  const si = cast(self, 'int32');
  const xi = cast(src, 'int32');
  const r = f(si, xi);
  const out = ne(r, 0);
  for (const t of [si, xi, r]) t.dispose();
  return out;
}

// ---- public functions ----

/** Out-of-place scatter: self with src[c] (or the number src) at c[dim] := index[c]; with
 * duplicate targets the last in row-major index order wins (PyTorch leaves it unspecified). */
export function scatter(self: Tensor, dim: number, index: Tensor, src: Tensor | number | boolean): Tensor {
  const d = checkScatter('scatter', self, dim, index, src);
  if (typeof src !== 'object') return prepared(self, index, null, (s, i) => Scatter.apply(s, d, i, null, Number(src)));
  return prepared(self, index, src, (s, i, x) => Scatter.apply(s, d, i, x, 0));
}

/** Out-of-place scatter_add: self plus src[c] added at c[dim] := index[c]. */
export function scatterAdd(self: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const d = checkScatter('scatterAdd', self, dim, index, src);
  return viaInt(self, src, (s, x) => prepared(s, index, x, (s2, i, x2) => ScatterReduce.apply(s2, d, i, x2, 'sum', true)));
}

/** Out-of-place scatter_reduce: each target combines self (unless includeSelf is false) and
 * the sources that land on it by sum, prod, mean, amax or amin. */
export function scatterReduce(self: Tensor, dim: number, index: Tensor, src: Tensor, reduce: ReduceMode, opts?: { includeSelf?: boolean }): Tensor {
  const d = checkScatter('scatterReduce', self, dim, index, src);
  if (typeof reduce !== 'string' || !REDUCES.includes(reduce)) throw new Error(`scatterReduce: reduce must be one of ${REDUCES.map((r) => `'${r}'`).join(', ')}, got ${describe(reduce)}`);
  const includeSelf = checkOptions('scatterReduce', opts, ['includeSelf']).includeSelf ?? true;
  if (typeof includeSelf !== 'boolean') throw new Error(`scatterReduce: includeSelf must be a boolean, got ${describe(includeSelf)}`);
  if (self.dtype === 'bool' && reduce === 'mean') throw new Error(`scatterReduce: reduce 'mean' is not defined for bool (as in PyTorch); cast self and src to float32 or int32`);
  const half = self.dtype === 'float16';
  return viaInt(self, src, (s, x) => prepared(s, index, x, (s2, i, x2) => ScatterReduce.apply(s2, d, i, x2, reduce, includeSelf, half)));
}

/** int32 one-hot vectors along a new last dim (PyTorch gives int64). numClasses -1 takes
 * max + 1, which needs the values: on WebGPU give numClasses (there, values out of range
 * give a row of zeros instead of an error). */
export function oneHot(t: Tensor, numClasses = -1): Tensor {
  checkIndex('oneHot', t);
  if (typeof numClasses !== 'number' || !Number.isInteger(numClasses) || numClasses < -1) throw new Error(`oneHot: numClasses must be -1 or an integer >= 0, got ${describe(numClasses)}`);
  let c = numClasses;
  // PyTorch refuses numClasses 0 (as -1) for an empty tensor: there is nothing to infer from.
  if (t.numel === 0 && c <= 0) throw new Error(`oneHot: cannot infer the number of classes from an empty tensor (shape ${fmtShape(t.shape)}); give numClasses >= 1`);
  if (t.device === 'cpu') {
    let max = -1;
    forEachOffset(t.shape, t.strides, t.offset, (off) => {
      const v = t.data[off];
      if (v < 0) throw new Error(`oneHot: class values must be non-negative, got ${v}`);
      max = Math.max(max, v);
    });
    if (c === -1) {
      if (t.numel === 0) throw new Error(`oneHot: cannot infer the number of classes from an empty tensor (shape ${fmtShape(t.shape)}); give numClasses`);
      c = max + 1;
    } else if (max >= c) throw new Error(`oneHot: class values must be smaller than numClasses (${c}), got ${max}`);
  } else if (c === -1) {
    throw new Error(`oneHot: numClasses must be given for a ${t.device} tensor (inferring it would need a readback of the values), input shape ${fmtShape(t.shape)}`);
  }
  checkAllocation('oneHot', [...t.shape, c], 'int32', t.device);
  const out = full([...t.shape, c], 0, 'int32', t.device);
  if (out.numel === 0) return out;
  const idx = unsqueeze(t, -1);
  const one = constant(1, idx.shape, out);
  scatterInto(out, t.ndim, idx, one, 'set');
  one.dispose();
  idx.dispose();
  return out;
}

/** Internal (sort's gradient): zeros of `shape` with src written at a permutation index. */
export function scatterPermutation(src: Tensor, dim: number, index: Tensor, shape: number[]): Tensor {
  return Scatter.apply(full(shape, 0, src.dtype, src.device), dim, index, src, 0);
}
