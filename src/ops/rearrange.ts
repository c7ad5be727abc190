// repeat, repeatInterleave, flip and roll (and pad, in pad.ts) as one "index map" op: the
// output is contiguous, and each of its dims d carries a table mapping an output
// coordinate c to an input coordinate maps[d][c], or -1 for "write the constant". Every
// op here is separable that way, so one CPU loop and one WGSL kernel serve them all; the
// tables (the sum of the output sizes, in int32) are uploaded per call. An identity dim
// has no table (null).
//
// The gradient is the transpose of the map, one dim at a time: a permutation (flip, roll)
// maps back through its inverse; a many-to-one map (repeat, interleave, reflect and
// replicate padding) is an indexAdd along that dim; constant positions are dropped.
import { Tensor, checkAllocation } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { f32ToF16Bits, roundF16, wgslType } from '../tensor/dtype.js';
import { checkOptions, describe, fmtShape, normDim, numel } from '../tensor/shape.js';
import { checkInt, checkIntList, checkTensor } from '../tensor/check.js';
import { f32Bits } from '../backend/webgpu.js';
import { fromArray, full, narrow, reshape, flatten } from './view.js';
import { indexAdd, indexSelect } from './gather.js';
import { sum } from './reduce.js';
import { tidy } from '../tensor/scope.js';

const WG = 256;

export type DimMap = Int32Array | null;

/** Merges neighbouring identity dims whose input strides allow it and drops identity size-1
 * dims, so the kernels walk as few dims as they can. */
function compress(shape: number[], strides: number[], maps: DimMap[]): { shape: number[]; strides: number[]; maps: DimMap[] } {
  const o = { shape: [] as number[], strides: [] as number[], maps: [] as DimMap[] };
  shape.forEach((s, d) => {
    if (maps[d] === null && s === 1) return;
    const last = o.shape.length - 1;
    if (maps[d] === null && last >= 0 && o.maps[last] === null && o.strides[last] === strides[d] * s) {
      o.shape[last] *= s;
      o.strides[last] = strides[d];
      return;
    }
    o.shape.push(s);
    o.strides.push(strides[d]);
    o.maps.push(maps[d]);
  });
  return o;
}

/** out[c] = x[maps(c)] or `value` where a map gives -1; out has `shape`, contiguous. */
function indexMapRaw(op: string, x: Tensor, maps: DimMap[], shape: number[], value: number): Tensor {
  if (x.numel === 0) return full(shape, value, x.dtype, x.device);
  const out = Tensor.empty(shape, x.dtype, x.device, op);
  if (out.numel === 0) return out;
  const lay = compress(shape, x.strides, maps);
  const nd = lay.shape.length;
  if (x.device === 'cpu') {
    const src = x.data;
    const o = out.data;
    const fill = x.dtype === 'float16' ? roundF16(value) : value;
    let i = 0;
    // Depth-first over the output dims in row-major order; a -1 fills its whole sub-block.
    const block = lay.shape.map((_, d) => lay.shape.slice(d + 1).reduce((a, b) => a * b, 1));
    const walk = (d: number, p: number): void => {
      if (d === nd) { o[i++] = src[p]; return; }
      const m = lay.maps[d];
      for (let c = 0; c < lay.shape[d]; c++) {
        const j = m ? m[c] : c;
        if (j < 0) { o.fill(fill, i, i + block[d]); i += block[d]; } else walk(d + 1, p + j * lay.strides[d]);
      }
    };
    walk(0, x.offset);
    return out;
  }
  // One int32 buffer holds the layout (sizes, input strides, each dim's table start or -1
  // for identity) and then the tables, so any number of dims fits; the sizes and strides are
  // read back as u32.
  const head = 3 * nd;
  const words: number[] = [...lay.shape, ...lay.strides];
  const tables: number[] = [];
  for (const m of lay.maps) {
    words.push(m ? head + tables.length : -1);
    if (m) for (const j of m) tables.push(j);
  }
  const M = fromArray(Int32Array.from([...words, ...tables]), [head + tables.length], 'int32', x.device);
  const T = wgslType(x.dtype);
  const bits = T === 'f32' ? f32Bits(value) : T === 'f16' ? f32ToF16Bits(value) : value | 0;
  const fillExpr = T === 'f32' ? 'bitcast<f32>(u.value)' : T === 'f16' ? 'bitcast<vec2<f16>>(u.value).x' : 'bitcast<i32>(u.value)';
  x.storage.gpu!.dispatch({
    key: `index_map:${T}`,
    wgsl: () => `${T === 'f16' ? 'enable f16;\n' : ''}struct U { n: u32, ndim: u32, offX: u32, value: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> X: array<${T}>;
@group(0) @binding(2) var<storage, read> M: array<i32>;
@group(0) @binding(3) var<storage, read_write> O: array<${T}>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${WG}u;
  if (i >= u.n) { return; }
  var rem = i;
  var p = u.offX;
  for (var d = i32(u.ndim) - 1; d >= 0; d--) {
    let k = u32(d);
    let size = bitcast<u32>(M[k]);
    let c = rem % size;
    rem = rem / size;
    let b = M[2u * u.ndim + k];
    var j = i32(c);
    if (b >= 0) { j = M[u32(b) + c]; }
    if (j < 0) { O[i] = ${fillExpr}; return; }
    p += u32(j) * bitcast<u32>(M[u.ndim + k]);
  }
  O[i] = X[p];
}
`,
    inputs: [x.buffer, M.buffer],
    outputs: [out.buffer],
    uniforms: [out.numel, nd, x.offset, bits >>> 0],
    workgroups: Math.ceil(out.numel / WG),
  });
  M.dispose();
  return out;
}

/** The transpose of one dim's map applied to g along dim d (input size n): see the top of the file. */
function transposeDim(g: Tensor, d: number, m: Int32Array, n: number): Tensor {
  const shape = [...g.shape];
  shape[d] = n;
  const cs: number[] = [];
  m.forEach((j, c) => { if (j >= 0) cs.push(c); });
  if (cs.length === 0) return full(shape, 0, g.dtype, g.device);
  if (cs.length < m.length) {
    const contiguousRun = cs[cs.length - 1] - cs[0] + 1 === cs.length;
    if (contiguousRun) g = narrow(g, d, cs[0], cs.length);
    else {
      const ix = fromArray(Int32Array.from(cs), [cs.length], 'int32', g.device);
      g = indexSelect(g, d, ix);
    }
  }
  const mm = Int32Array.from(cs, (c) => m[c]);
  const seen = new Uint8Array(n);
  let perm = mm.length === n;
  for (const j of mm) { if (seen[j]) perm = false; seen[j] = 1; }
  if (perm) {
    if (mm.every((j, c) => j === c)) return g;
    const inv = new Int32Array(n);
    mm.forEach((j, c) => { inv[j] = c; });
    return indexMap('indexMap', g, () => g.shape.map((_, k) => (k === d ? inv : null)), shape);
  }
  // Tiling (repeat) and equal repeats (repeatInterleave) sum through a reshape: deterministic,
  // where the general scatter-add adds duplicates in whatever order the atomics land.
  const r = mm.length / n;
  const split = (a: number, b: number, sumAt: number): Tensor => sum(reshape(g, [...g.shape.slice(0, d), a, b, ...g.shape.slice(d + 1)]), d + sumAt);
  if (Number.isInteger(r) && mm.every((j, c) => j === c % n)) return split(r, n, 0);
  if (Number.isInteger(r) && mm.every((j, c) => j === Math.floor(c / r))) return split(n, r, 1);
  const ix = fromArray(mm, [mm.length], 'int32', g.device);
  return indexAdd(full(shape, 0, g.dtype, g.device), d, ix, g);
}

class IndexMap extends Function {
  static override forward(ctx: Ctx, op: string, x: Tensor, maps: DimMap[], shape: number[], value: number): Tensor {
    ctx.maps = maps;
    ctx.inShape = x.shape;
    return indexMapRaw(op, x, maps, shape, value);
  }
  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    if (dy.numel === 0 || numel(ctx.inShape) === 0) return [null, full(ctx.inShape, 0, dy.dtype, dy.device), null, null, null];
    let g = dy;
    (ctx.maps as DimMap[]).forEach((m, d) => { if (m) g = transposeDim(g, d, m, ctx.inShape[d]); });
    return [null, g, null, null, null];
  }
}

/** Applies per-dim maps to x (recorded by autograd); `op` names the caller in errors. The
 * maps are built only when there is something to map, so an empty output never builds tables. */
export function indexMap(op: string, x: Tensor, maps: () => DimMap[], shape: number[], value = 0): Tensor {
  const empty = x.numel === 0 || numel(shape) === 0;
  return IndexMap.apply(op, x, empty ? x.shape.map(() => null) : maps(), shape, value);
}

// ---- the public ops ----

/** Refuses an output too big to allocate, or with a dim past int32 (the map tables), before any table is built. */
export function checkOutShape(op: string, x: Tensor, shape: number[]): void {
  checkAllocation(op, shape, x.dtype, x.device);
  shape.forEach((s, d) => { if (s > 2 ** 31 - 1) throw new Error(`${op}: output size ${s} at dim ${d} is too large (output shape ${fmtShape(shape)})`); });
}

/** `flip(0, 1)`, `flip([0, 1])`: dims as varargs or one array. */
function dimList(op: string, arg: string, v: unknown): number[] {
  if (typeof v === 'number') return [checkInt(op, arg, v)];
  return checkIntList(op, arg, v);
}

/** Reverses the order of elements along each of `dims` (a copy, as in PyTorch). */
export function flip(x: Tensor, dims: number | number[]): Tensor {
  checkTensor('flip', x);
  const ds = dimList('flip', 'dims', dims).map((d) => normDim('flip', d, x.ndim));
  ds.forEach((d, k) => { if (ds.indexOf(d) !== k) throw new Error(`flip: dim ${d} appears multiple times in the list of dims ${describe(dims)}`); });
  const maps = (): DimMap[] => x.shape.map((n, d) => (ds.includes(d) ? Int32Array.from({ length: n }, (_, c) => n - 1 - c) : null));
  return indexMap('flip', x, maps, [...x.shape]);
}

/** Rolls elements along dims by shifts (wrapping around); without dims, over the flattened tensor. */
export function roll(x: Tensor, shifts: number | number[], dims?: number | number[]): Tensor {
  checkTensor('roll', x);
  const sh = dimList('roll', 'shifts', shifts);
  if (dims === undefined || dims === null || (Array.isArray(dims) && dims.length === 0)) {
    if (sh.length !== 1) throw new Error(`roll: without dims, shifts must be one number, got ${describe(shifts)}`);
    // The flattened temporaries are disposed here; autograd keeps its own references.
    return tidy(() => reshape(roll(x.ndim === 0 ? reshape(x, [1]) : flatten(x), sh, 0), [...x.shape]));
  }
  // PyTorch's roll refuses any dim of a 0-d tensor (without dims it rolls the flattened one).
  if (x.ndim === 0) throw new Error(`roll: dims ${describe(dims)} given for a 0-d tensor (shape [])`);
  const ds = dimList('roll', 'dims', dims).map((d) => normDim('roll', d, x.ndim));
  if (ds.length !== sh.length) throw new Error(`roll: shifts and dims must align: shifts ${describe(shifts)} (${sh.length}), dims ${describe(dims)} (${ds.length})`);
  const total = x.shape.map(() => 0);
  ds.forEach((d, k) => { total[d] += sh[k]; });
  const maps = (): DimMap[] => x.shape.map((n, d) => {
    const s = ((total[d] % n) + n) % n;
    return s === 0 ? null : Int32Array.from({ length: n }, (_, c) => (c - s + n) % n);
  });
  return indexMap('roll', x, maps, [...x.shape]);
}

/** Tiles x: sizes has at least x.ndim entries; extra leading ones add dims (PyTorch's Tensor.repeat). */
export function repeat(x: Tensor, sizes: number[]): Tensor {
  return repeatAs('repeat', x, sizes);
}

/** repeat under the name `op` (tile's errors name tile). */
export function repeatAs(op: string, x: Tensor, sizes: number[]): Tensor {
  checkTensor(op, x);
  const reps = checkIntList(op, 'sizes', sizes);
  if (reps.length < x.ndim) throw new Error(`${op}: number of repeat dims (${reps.length}, sizes ${describe(sizes)}) can not be smaller than the number of dims of the tensor (${x.ndim}, shape ${fmtShape(x.shape)})`);
  const inShape = [...new Array<number>(reps.length - x.ndim).fill(1), ...x.shape];
  // As PyTorch, only a negative output size is refused: an empty dim repeated -1 times stays empty.
  reps.forEach((r, d) => { if (r < 0 && inShape[d] !== 0) throw new Error(`${op}: sizes must be >= 0, got ${describe(sizes)} for shape ${fmtShape(x.shape)}`); });
  const shape = inShape.map((n, d) => (n === 0 ? 0 : n * reps[d]));
  checkOutShape(op, x, shape);
  const maps = (): DimMap[] => inShape.map((n, d) => (reps[d] === 1 ? null : Int32Array.from({ length: shape[d] }, (_, c) => c % n)));
  if (x.ndim === inShape.length) return indexMap(op, x, maps, shape);
  return tidy(() => indexMap(op, reshape(x, inShape), maps, shape));
}

/** The repeat counts along a dim of size n: a number, an array of numbers, or an int32 CPU tensor. */
function repeatCounts(repeats: unknown, n: number, dim: number | null): number[] {
  let r: number[];
  if (typeof repeats === 'number') r = [checkInt('repeatInterleave', 'repeats', repeats)];
  else if (repeats instanceof Tensor) {
    repeats.assertAlive('repeatInterleave');
    if (repeats.dtype !== 'int32') throw new Error(`repeatInterleave: repeats must be an int32 tensor, got ${repeats.dtype}`);
    if (repeats.ndim > 1) throw new Error(`repeatInterleave: repeats must be 0-d or 1-d, got shape ${fmtShape(repeats.shape)}`);
    // The output size depends on the values, and a GPU tensor cannot be read synchronously.
    if (repeats.device !== 'cpu') throw new Error(`repeatInterleave: a repeats tensor must be on the cpu (the output shape depends on its values); got one on ${repeats.device}, use await repeats.to('cpu') or an array`);
    r = Array.from({ length: repeats.numel }, (_, i) => repeats.data[repeats.offset + i * (repeats.ndim ? repeats.strides[0] : 0)]);
  } else r = checkIntList('repeatInterleave', 'repeats', repeats);
  r.forEach((v) => { if (v < 0) throw new Error(`repeatInterleave: repeats can not be negative, got ${describe(v)}`); });
  if (r.length === 1) return new Array<number>(n).fill(r[0]);
  if (r.length !== n) throw new Error(`repeatInterleave: repeats must have the same size as input along dim${dim === null ? ' (the flattened input)' : ` ${dim}`}: got ${r.length} repeats for size ${n}`);
  return r;
}

/** Repeats each element (along dim; without dim, of the flattened input) repeats[i] times. */
export function repeatInterleave(x: Tensor, repeats: number | number[] | Tensor, dim?: number, opts: { outputSize?: number } = {}): Tensor {
  checkTensor('repeatInterleave', x);
  const o = checkOptions('repeatInterleave', opts, ['outputSize']);
  const outputSize = o.outputSize === undefined ? undefined : checkInt('repeatInterleave', 'outputSize', o.outputSize, 0);
  const interleave = (t: Tensor, d: number, counts: number[]): Tensor => interleaveDim(t, d, counts, outputSize);
  if (dim === undefined || dim === null) {
    const counts = repeatCounts(repeats, x.numel, null);
    if (x.ndim === 1) return interleave(x, 0, counts);
    return tidy(() => interleave(reshape(x, [x.numel]), 0, counts));
  }
  // PyTorch refuses a dim for a 0-d input (only the flattened form works there).
  if (x.ndim === 0) throw new Error(`repeatInterleave: dim ${dim} given for a 0-d input (shape []); leave dim out to repeat the flattened input`);
  const d = normDim('repeatInterleave', dim, x.ndim);
  return interleave(x, d, repeatCounts(repeats, x.shape[d], dim));
}

function interleaveDim(x: Tensor, d: number, counts: number[], outputSize: number | undefined): Tensor {
  const shape = [...x.shape];
  shape[d] = counts.reduce((a, b) => a + b, 0);
  if (outputSize !== undefined && outputSize !== shape[d]) throw new Error(`repeatInterleave: outputSize ${outputSize} does not match the sum of repeats, ${shape[d]}`);
  checkOutShape('repeatInterleave', x, shape);
  const maps = (): DimMap[] => {
    const m = new Int32Array(shape[d]);
    let c = 0;
    counts.forEach((r, j) => { m.fill(j, c, c + r); c += r; });
    return x.shape.map((_, k) => (k === d && !counts.every((r) => r === 1) ? m : null));
  };
  return indexMap('repeatInterleave', x, maps, shape);
}
