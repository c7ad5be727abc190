// scaledDotProductAttention's WGSL: the uniform block, score and mask code shared by every
// kernel, and the wide kernels (head dims past 64 + 64; attention-rows-wgsl.ts has the
// others and the dispatch). One workgroup per query row (forward, dQ) or
// key row (dK, dV); its 64 threads take one key (query) each per block of 64, compute
// that score, and then share the block's weights to accumulate the row's output columns,
// each thread owning columns lid, lid + 64, ... So nothing of size L×S is stored: forward
// keeps the output and each row's max m and log-denominator ll, backward recomputes
// P = exp((s − m) − ll).
//
// WGSL may assume no NaN or ∞ exists, and the answer depends on them (a NaN score makes a
// row NaN, a −∞ score takes no part), so scores are classified by their bit patterns and
// NaN and −∞ are written from bits held in the uniform block.
import type { Tensor } from '../tensor/tensor.js';
import { wgslType } from '../tensor/dtype.js';
import { f32Bits } from '../backend/webgpu.js';
import type { AttnPlan } from './attention.js';
import { WG, WG_REDUCE_WGSL } from './rows.js';

// One workgroup per row, as the row kernels (softmax, norms) use.
export { WG };
const NINF = 0xff800000;
const QNAN = 0x7fc00000;

/** Per-thread column slots for n columns: a power of two, so few pipelines exist. */
const slots = (n: number): number => {
  let s = 1;
  while (s * WG < n) s *= 2;
  return s;
};

export function uniforms(p: AttnPlan): number[] {
  const u = new Array<number>(52).fill(0);
  u[0] = p.L; u[1] = p.S; u[2] = p.E; u[3] = p.Ev;
  u[4] = p.nb; u[5] = p.bshape.length; u[6] = f32Bits(p.scale); u[7] = p.causal ? 1 : 0;
  u[8] = p.seed; u[9] = p.dropT; u[10] = f32Bits(p.dropScale); u[11] = NINF;
  const inner = [p.q, p.k, p.v, p.m ?? { rs: 0, cs: 0, off: 0 }];
  inner.forEach((x, t) => { u[12 + 4 * t] = x.rs; u[13 + 4 * t] = x.cs; u[14 + 4 * t] = x.off; });
  p.bshape.forEach((s, d) => {
    u[28 + d] = s;
    for (let t = 0; t < 4; t++) u[32 + 4 * t + d] = p.bstr[t][d];
  });
  u[48] = QNAN;
  return u.map((x) => x >>> 0);
}

export const HEADER = `
struct U {
  L: u32, S: u32, E: u32, Ev: u32,
  nb: u32, ndim: u32, scale: f32, causal: u32,
  seed: u32, dropT: u32, dropScale: f32, ninf: u32,
  q: vec4<u32>, k: vec4<u32>, v: vec4<u32>, m: vec4<u32>,
  shape: vec4<u32>, bq: vec4<u32>, bk: vec4<u32>, bv: vec4<u32>, bm: vec4<u32>,
  nanb: u32,
}
@group(0) @binding(0) var<uniform> u: U;
// Each operand's base offset for flat batch index b (q, k, v, mask).
fn bases(b: u32) -> vec4<u32> {
  var rem = b;
  var o = vec4<u32>(0u);
  for (var d = i32(u.ndim) - 1; d >= 0; d--) {
    let s = u.shape[d];
    let c = rem % s;
    rem = rem / s;
    o += c * vec4<u32>(u.bq[d], u.bk[d], u.bv[d], u.bm[d]);
  }
  return o + vec4<u32>(u.q.z, u.k.z, u.v.z, u.m.z);
}
fn hash(x0: u32) -> u32 {
  var x = x0;
  x ^= x >> 16u; x *= 0x7feb352du;
  x ^= x >> 15u; x *= 0x846ca68bu;
  x ^= x >> 16u;
  return x;
}
// The dropout multiplier of (b, i, j), the same bits as the CPU's keepScale.
fn keepScale(b: u32, i: u32, j: u32) -> f32 {
  if (u.dropT == 0u) { return 1.0; }
  let h = hash(u.seed ^ hash(b ^ hash(i ^ hash(j))));
  return select(0.0, u.dropScale, (h >> 8u) >= u.dropT);
}
fn isNan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
// NaN or +∞: either makes softmax's row NaN (∞ − ∞).
fn isBad(x: f32) -> bool { let b = bitcast<u32>(x); return (b & 0x7fffffffu) > 0x7f800000u || b == 0x7f800000u; }
fn isNegInf(x: f32) -> bool { return bitcast<u32>(x) == 0xff800000u; }
${WG_REDUCE_WGSL}
`;

/** WGSL: score s of query row i against key j, with qdot the q·k product; sets live/bad. */
export function maskCode(kind: AttnPlan['maskKind']): string {
  const m = 'M[bs.w + i * u.m.x + j * u.m.y]';
  let code = 'var s = qdot * u.scale;\n';
  code += 'var on = u.causal == 0u || j <= i;\n';
  if (kind === 'float') code += `s = s + f32(${m});\n`;
  if (kind === 'bool') code += `on = on && ${m} != 0;\n`;
  // A masked position adds −∞: NaN or +∞ there still gives NaN, anything else takes no part.
  code += 'bad = bad || isBad(s);\nlet live = on && !isBad(s) && !isNegInf(s);\n';
  return code;
}

export interface Types { it: string; mt: string; ce: number; cv: number; kind: AttnPlan['maskKind'] }

export function types(p: AttnPlan, q: Tensor, mask: Tensor | null): Types {
  return { it: wgslType(q.dtype), mt: mask ? wgslType(mask.dtype) : '', ce: slots(p.E), cv: slots(p.Ev), kind: p.maskKind };
}

export function binds(t: Types, inputs: string[], outputs: string[]): string {
  const all = [...inputs.map((x) => [x, 'read']), ...outputs.map((x) => [x, 'read_write'])];
  return all.map(([decl, mode], i) => {
    const [name, ty] = decl.split(':');
    return `@group(0) @binding(${i + 1}) var<storage, ${mode}> ${name}: array<${ty === 'I' ? t.it : ty === 'M' ? t.mt : ty}>;`;
  }).join('\n');
}

export const f16 = (t: Types): string => (t.it === 'f16' ? 'enable f16;\n' : '');
export const qkvIn = (t: Types): string[] => ['Q:I', 'K:I', 'V:I', ...(t.kind === 'none' ? [] : ['M:M'])];
const MAIN = `@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32)`;

export function forwardWgsl(t: Types): string {
  return `${f16(t)}${HEADER}
${binds(t, qkvIn(t), ['O:I', 'LSE:f32'])}
var<workgroup> qs: array<f32, ${WG * t.ce}>;
var<workgroup> ps: array<f32, ${WG}>;
${MAIN} {
  let row = wid.x + wid.y * nwg.x;
  if (row >= u.nb * u.L) { return; }
  let b = row / u.L;
  let i = row % u.L;
  let bs = bases(b);
  for (var c = lid; c < u.E; c += ${WG}u) { qs[c] = f32(Q[bs.x + i * u.q.x + c * u.q.y]); }
  workgroupBarrier();
  var m = -0x1.fffffep+127f; // the lowest f32: the running max before any live score
  var l = 0.0;
  var bad = false;
  var acc: array<f32, ${t.cv}>;
  for (var j0 = 0u; j0 < u.S; j0 += ${WG}u) {
    let j = j0 + lid;
    var sj = 0.0;
    var lj = false;
    if (j < u.S) {
      let kb = bs.y + j * u.k.x;
      var qdot = 0.0;
      for (var c = 0u; c < u.E; c++) { qdot += qs[c] * f32(K[kb + c * u.k.y]); }
      ${maskCode(t.kind)}
      sj = s;
      lj = live;
    }
    let mn = max(m, wgReduce(select(-0x1.fffffep+127f, sj, lj), lid, true));
    let alpha = exp(m - mn);
    let p = select(0.0, exp(sj - mn), lj);
    l = l * alpha + wgReduce(p, lid, false);
    ps[lid] = p * keepScale(b, i, j);
    workgroupBarrier();
    let nj = min(${WG}u, u.S - j0);
    for (var t = 0u; t < ${t.cv}u; t++) {
      let c = lid + t * ${WG}u;
      if (c < u.Ev) {
        var a = acc[t] * alpha;
        for (var jj = 0u; jj < nj; jj++) { a += ps[jj] * f32(V[bs.z + (j0 + jj) * u.v.x + c * u.v.y]); }
        acc[t] = a;
      }
    }
    workgroupBarrier();
    m = mn;
  }
  let anyBad = wgReduce(select(0.0, 1.0, bad), lid, true) > 0.0;
  let nan = bitcast<f32>(u.nanb);
  for (var t = 0u; t < ${t.cv}u; t++) {
    let c = lid + t * ${WG}u;
    if (c < u.Ev) { O[row * u.Ev + c] = ${t.it}(select(select(acc[t], acc[t] / l, l > 0.0), nan, anyBad)); }
  }
  if (lid == 0u) {
    LSE[2u * row] = select(select(bitcast<f32>(u.ninf), m, l > 0.0), nan, anyBad);
    LSE[2u * row + 1u] = select(0.0, log(l), l > 0.0);
  }
}
`;
}

/** Backward's first step: per row, its max, log-denominator and D = rowsum(dO ∘ O), packed side by side. */
export function prepWgsl(t: Types): string {
  return `${f16(t)}${HEADER}
${binds(t, ['O:I', 'G:I', 'LSE:f32'], ['LD:f32'])}
${MAIN} {
  let row = (wid.x + wid.y * nwg.x) * ${WG}u + lid;
  if (row >= u.nb * u.L) { return; }
  var d = 0.0;
  for (var c = 0u; c < u.Ev; c++) { d += f32(G[row * u.Ev + c]) * f32(O[row * u.Ev + c]); }
  LD[3u * row] = LSE[2u * row];
  LD[3u * row + 1u] = LSE[2u * row + 1u];
  LD[3u * row + 2u] = d;
}
`;
}

/** P for a live score s of a row with max m and log-denominator ll (0 for a row with no live key, NaN for a NaN row);
 * m and ll apart, since m + ll loses ll when |m| is huge. */
export const PROB = `fn prob(s: f32, live: bool, m: f32, ll: f32) -> f32 {
  if (isNan(m)) { return m; }
  return select(0.0, exp((s - m) - ll), live && !isNegInf(m));
}`;

export function dqWgsl(t: Types, withMaskGrad: boolean): string {
  return `${f16(t)}${HEADER}
${binds(t, [...qkvIn(t), 'G:I', 'LD:f32'], ['DQ:I', ...(withMaskGrad ? ['DM:I'] : [])])}
var<workgroup> qs: array<f32, ${WG * t.ce}>;
var<workgroup> gs: array<f32, ${WG * t.cv}>;
var<workgroup> ps: array<f32, ${WG}>;
${PROB}
${MAIN} {
  let row = wid.x + wid.y * nwg.x;
  if (row >= u.nb * u.L) { return; }
  let b = row / u.L;
  let i = row % u.L;
  let bs = bases(b);
  for (var c = lid; c < u.E; c += ${WG}u) { qs[c] = f32(Q[bs.x + i * u.q.x + c * u.q.y]); }
  for (var c = lid; c < u.Ev; c += ${WG}u) { gs[c] = f32(G[row * u.Ev + c]); }
  workgroupBarrier();
  let mx = LD[3u * row];
  let ll = LD[3u * row + 1u];
  let D = LD[3u * row + 2u];
  var bad = false;
  var acc: array<f32, ${t.ce}>;
  for (var j0 = 0u; j0 < u.S; j0 += ${WG}u) {
    let j = j0 + lid;
    var ds = 0.0;
    if (j < u.S) {
      let kb = bs.y + j * u.k.x;
      let vb = bs.z + j * u.v.x;
      var qdot = 0.0;
      for (var c = 0u; c < u.E; c++) { qdot += qs[c] * f32(K[kb + c * u.k.y]); }
      var dp = 0.0;
      for (var c = 0u; c < u.Ev; c++) { dp += gs[c] * f32(V[vb + c * u.v.y]); }
      ${maskCode(t.kind)}
      let p = prob(s, live, mx, ll);
      ds = p * (dp * keepScale(b, i, j) - D);
      ${withMaskGrad ? 'DM[row * u.S + j] = ' + t.it + '(ds);' : ''}
    }
    ps[lid] = ds;
    workgroupBarrier();
    let nj = min(${WG}u, u.S - j0);
    for (var t = 0u; t < ${t.ce}u; t++) {
      let c = lid + t * ${WG}u;
      if (c < u.E) {
        var a = acc[t];
        for (var jj = 0u; jj < nj; jj++) { a += ps[jj] * f32(K[bs.y + (j0 + jj) * u.k.x + c * u.k.y]); }
        acc[t] = a;
      }
    }
    workgroupBarrier();
  }
  for (var t = 0u; t < ${t.ce}u; t++) {
    let c = lid + t * ${WG}u;
    if (c < u.E) { DQ[row * u.E + c] = ${t.it}(acc[t] * u.scale); }
  }
}
`;
}

export function dkvWgsl(t: Types): string {
  return `${f16(t)}${HEADER}
${binds(t, [...qkvIn(t), 'G:I', 'LD:f32'], ['DK:I', 'DV:I'])}
var<workgroup> ks: array<f32, ${WG * t.ce}>;
var<workgroup> vs: array<f32, ${WG * t.cv}>;
var<workgroup> pp: array<f32, ${WG}>;
var<workgroup> dd: array<f32, ${WG}>;
${PROB}
${MAIN} {
  let col = wid.x + wid.y * nwg.x;
  if (col >= u.nb * u.S) { return; }
  let b = col / u.S;
  let j = col % u.S;
  let bs = bases(b);
  for (var c = lid; c < u.E; c += ${WG}u) { ks[c] = f32(K[bs.y + j * u.k.x + c * u.k.y]); }
  for (var c = lid; c < u.Ev; c += ${WG}u) { vs[c] = f32(V[bs.z + j * u.v.x + c * u.v.y]); }
  workgroupBarrier();
  var bad = false;
  var dk: array<f32, ${t.ce}>;
  var dv: array<f32, ${t.cv}>;
  for (var i0 = 0u; i0 < u.L; i0 += ${WG}u) {
    let i = i0 + lid;
    var pk = 0.0;
    var ds = 0.0;
    if (i < u.L) {
      let row = b * u.L + i;
      var qdot = 0.0;
      for (var c = 0u; c < u.E; c++) { qdot += f32(Q[bs.x + i * u.q.x + c * u.q.y]) * ks[c]; }
      var dp = 0.0;
      for (var c = 0u; c < u.Ev; c++) { dp += f32(G[row * u.Ev + c]) * vs[c]; }
      ${maskCode(t.kind)}
      let p = prob(s, live, LD[3u * row], LD[3u * row + 1u]);
      let kp = keepScale(b, i, j);
      pk = p * kp;
      ds = p * (dp * kp - LD[3u * row + 2u]);
    }
    pp[lid] = pk;
    dd[lid] = ds;
    workgroupBarrier();
    let ni = min(${WG}u, u.L - i0);
    for (var t = 0u; t < ${t.cv}u; t++) {
      let c = lid + t * ${WG}u;
      if (c < u.Ev) {
        var a = dv[t];
        for (var ii = 0u; ii < ni; ii++) { a += pp[ii] * f32(G[(b * u.L + i0 + ii) * u.Ev + c]); }
        dv[t] = a;
      }
    }
    for (var t = 0u; t < ${t.ce}u; t++) {
      let c = lid + t * ${WG}u;
      if (c < u.E) {
        var a = dk[t];
        for (var ii = 0u; ii < ni; ii++) { a += dd[ii] * f32(Q[bs.x + (i0 + ii) * u.q.x + c * u.q.y]); }
        dk[t] = a;
      }
    }
    workgroupBarrier();
  }
  for (var t = 0u; t < ${t.ce}u; t++) {
    let c = lid + t * ${WG}u;
    if (c < u.E) { DK[col * u.E + c] = ${t.it}(dk[t] * u.scale); }
  }
  for (var t = 0u; t < ${t.cv}u; t++) {
    let c = lid + t * ${WG}u;
    if (c < u.Ev) { DV[col * u.Ev + c] = ${t.it}(dv[t]); }
  }
}
`;
}
