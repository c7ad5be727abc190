// sg.multinomial: draws category indices from the rows of a 1-D or 2-D probability tensor,
// with or without replacement (each draw then removes its category, as PyTorch does).
// The uniform numbers come from the seeded CPU generator (one per sample, row-major) and
// both backends run the same float32 inverse-CDF walk on them, so a seed gives the same
// samples everywhere. On the CPU bad rows (negative, NaN or ±Inf entries, a zero sum, too
// few non-zero categories without replacement) throw; on WebGPU they cannot be read without
// a readback, so such a row's samples come out as -1 instead.
import { Tensor } from '../tensor/tensor.js';
import { checkBoolean, checkInt, checkTensor } from '../tensor/check.js';
import { checkOptions, describe, fmtShape } from '../tensor/shape.js';
import { Generator, defaultGenerator } from '../tensor/create.js';
import { copyRaw } from './elementwise.js';
import { fromArray } from './view.js';

const WG = 64;

export interface MultinomialOptions {
  seed?: number;
  generator?: Generator;
}

/** One row on the CPU, mirroring the WGSL kernel step for step in float32. */
function sampleRow(p: Float32Array, u: Float32Array, out: Int32Array, at: number, replacement: boolean, row: number): void {
  const f = Math.fround;
  let total = 0;
  let nz = 0;
  for (const v of p) {
    if (!Number.isFinite(v) || v < 0) throw new Error(`multinomial: probability tensor contains either inf, nan or element < 0 (row ${row} holds ${v})`);
    total = f(total + v);
    if (v > 0) nz++;
  }
  if (!(total > 0)) throw new Error(`multinomial: invalid multinomial distribution (sum of probabilities <= 0) in row ${row}`);
  if (!replacement && nz < u.length) throw new Error(`multinomial: invalid multinomial distribution (with replacement=false, row ${row} has ${nz} non-zero categories for ${u.length} samples)`);
  for (let s = 0; s < u.length; s++) {
    if (!replacement && s > 0) { total = 0; for (const v of p) total = f(total + v); }
    const target = f(u[s] * total);
    let acc = 0;
    let pick = -1;
    let last = -1;
    for (let i = 0; i < p.length; i++) {
      if (p[i] > 0) {
        acc = f(acc + p[i]);
        last = i;
        if (target < acc) { pick = i; break; }
      }
    }
    if (pick < 0) pick = last; // rounding left the target past the last partial sum
    out[at + s] = pick;
    if (!replacement) p[pick] = 0;
  }
}

const WGSL = `struct U { rows: u32, cats: u32, samples: u32, replacement: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> R: array<f32>;
@group(0) @binding(2) var<storage, read_write> W: array<f32>;
@group(0) @binding(3) var<storage, read_write> O: array<i32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = gid.x + gid.y * nwg.x * ${WG}u;
  if (r >= u.rows) { return; }
  let base = r * u.cats;
  let ob = r * u.samples;
  var total = 0.0;
  var bad = false;
  var nz = 0u;
  for (var i = 0u; i < u.cats; i++) {
    let b = bitcast<u32>(W[base + i]);
    // by bits: NaN or ±Inf, or a negative number other than -0 (the compiler may assume no NaN)
    if ((b & 0x7fffffffu) >= 0x7f800000u || (b > 0x80000000u)) { bad = true; }
    total += W[base + i];
    if (W[base + i] > 0.0) { nz++; }
  }
  if (bad || !(total > 0.0) || (u.replacement == 0u && nz < u.samples)) {
    for (var s = 0u; s < u.samples; s++) { O[ob + s] = -1; }
    return;
  }
  for (var s = 0u; s < u.samples; s++) {
    if (u.replacement == 0u && s > 0u) {
      total = 0.0;
      for (var i = 0u; i < u.cats; i++) { total += W[base + i]; }
    }
    let goal = R[ob + s] * total;
    var acc = 0.0;
    var pick = -1;
    var last = -1;
    for (var i = 0u; i < u.cats; i++) {
      let v = W[base + i];
      if (v > 0.0) {
        acc += v;
        last = i32(i);
        if (goal < acc) { pick = i32(i); break; }
      }
    }
    if (pick < 0) { pick = last; }
    O[ob + s] = pick;
    if (u.replacement == 0u) { W[base + u32(pick)] = 0.0; }
  }
}
`;

/**
 * numSamples category indices (int32) per row of probs (1-D: one row), drawn in proportion
 * to the row's non-negative weights (they need not sum to 1).
 */
export function multinomial(probs: Tensor, numSamples: number, replacement = false, opts: MultinomialOptions = {}): Tensor {
  checkTensor('multinomial', probs, 'probs');
  if (probs.dtype === 'int32' || probs.dtype === 'bool') throw new Error(`multinomial: probs must be a floating point tensor, got ${probs.dtype}`);
  if (probs.ndim !== 1 && probs.ndim !== 2) throw new Error(`multinomial: probs must be 1-D or 2-D, got shape ${fmtShape(probs.shape)}`);
  const n = checkInt('multinomial', 'numSamples', numSamples, 1);
  checkBoolean('multinomial', 'replacement', replacement);
  const o = checkOptions('multinomial', opts, ['seed', 'generator']) as MultinomialOptions;
  if (o.seed !== undefined && o.generator !== undefined) throw new Error('multinomial: pass seed or generator, not both');
  if (o.generator !== undefined && !(o.generator instanceof Generator)) throw new Error(`multinomial: generator must be an sg.Generator, got ${describe(o.generator)}`);
  const cats = probs.shape[probs.ndim - 1];
  const rows = probs.ndim === 2 ? probs.shape[0] : 1;
  if (cats === 0) throw new Error(`multinomial: probs has no categories (shape ${fmtShape(probs.shape)})`);
  if (!replacement && n > cats) throw new Error(`multinomial: cannot sample ${n} samples from ${cats} categories without replacement`);
  if (rows * n > 2 ** 31 - 1) throw new Error(`multinomial: ${rows} rows x ${n} samples is too many`);
  const gen = o.generator ?? (o.seed !== undefined ? new Generator(checkInt('multinomial', 'seed', o.seed)) : defaultGenerator());
  const outShape = probs.ndim === 2 ? [rows, n] : [n];
  const u = new Float32Array(rows * n);
  for (let i = 0; i < u.length; i++) u[i] = gen.next();
  if (probs.device === 'cpu') {
    const out = new Int32Array(rows * n);
    const p = new Float32Array(cats);
    const [rowStride, colStride] = probs.ndim === 2 ? probs.strides : [0, probs.strides[0]];
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < cats; i++) p[i] = probs.data[probs.offset + r * rowStride + i * colStride];
      sampleRow(p, u.subarray(r * n, (r + 1) * n), out, r * n, replacement, r);
    }
    return fromArray(out, outShape, 'int32', 'cpu');
  }
  if (rows === 0) return fromArray(new Int32Array(0), outShape, 'int32', probs.device);
  // A float32 scratch copy: draws without replacement zero their category in it.
  const w = copyRaw(probs, 'float32');
  const ru = fromArray(u, [u.length], 'float32', probs.device);
  const out = Tensor.empty(outShape, 'int32', probs.device, 'multinomial');
  probs.storage.gpu!.dispatch({
    key: 'multinomial',
    wgsl: () => WGSL,
    inputs: [ru.buffer],
    outputs: [w.buffer, out.buffer],
    uniforms: [rows, cats, n, replacement ? 1 : 0],
    workgroups: Math.ceil(rows / WG),
  });
  w.dispose();
  ru.dispose();
  return out;
}
