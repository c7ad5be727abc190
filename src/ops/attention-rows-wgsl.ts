// scaledDotProductAttention's row-per-thread WGSL kernels (head dims up to 64 + 64) and the
// dispatch that picks them or the wide kernels of attention-wgsl.ts.
import { Tensor } from '../tensor/tensor.js';
import type { AttnPlan } from './attention.js';
import { binds, dkvWgsl, dqWgsl, f16, forwardWgsl, HEADER, maskCode, prepWgsl, PROB, qkvIn, types, uniforms, WG, type Types } from './attention-wgsl.js';

// ---- the row-per-thread kernels (head dims up to 64 + 64): no barrier inside a block ----
// Each thread owns one query row (forward, dQ) or key row (dK, dV) in registers and walks
// the other side in blocks of BK rows that the workgroup loads into shared memory once.
// Rows are vec4s (zero-padded: WGSL zero-fills private and workgroup memory) so the dot
// products and updates run four lanes at a time.

const RT = 32; // rows (threads) per workgroup
const cap = (n: number): number => { let s = 8; while (s < n) s *= 2; return s; };
/** Register capacities for E and Ev, or null when they are too large for this path. */
function fastCaps(p: AttnPlan): { ec: number; vc: number; bk: number } | null {
  const ec = cap(p.E); const vc = cap(p.Ev);
  return ec + vc <= 128 ? { ec, vc, bk: ec + vc <= 64 ? 32 : 16 } : null;
}
interface Fast extends Types { ec: number; vc: number; bk: number }

/** WGSL: loads rows r0.. (at most BK) of a (rows, n) operand into shared S (row pitch P). */
const load = (sh: string, pitch: number, n: string, src: string, rows: string): string =>
  `for (var x = lid; x < ${rows} * ${n}; x += ${RT}u) { let rr = x / ${n}; let c = x % ${n}; ${sh}[${pitch === 3 ? `rr * 3u + c` : `rr * ${pitch / 4}u + c / 4u][c % 4u`}] = f32(${src}); }`;

const TILE = `let g = wid.x + wid.y * nwg.x;
  let tiles = (NROWS + ${RT - 1}u) / ${RT}u;
  if (g >= u.nb * tiles) { return; }
  let b = g / tiles;
  let r = (g % tiles) * ${RT}u + lid;
  let bs = bases(b);`;

function fastForward(t: Fast): string {
  return `${f16(t)}${HEADER}
${binds(t, qkvIn(t), ['O:I', 'LSE:f32'])}
var<workgroup> kb: array<vec4<f32>, ${t.bk * t.ec / 4}>;
var<workgroup> vb: array<vec4<f32>, ${t.bk * t.vc / 4}>;
@compute @workgroup_size(${RT})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  ${TILE.replace('NROWS', 'u.L')}
  let i = r;
  let ok = i < u.L;
  var qr: array<vec4<f32>, ${t.ec / 4}>;
  if (ok) { for (var c = 0u; c < u.E; c++) { qr[c / 4u][c % 4u] = f32(Q[bs.x + i * u.q.x + c * u.q.y]); } }
  var m = -0x1.fffffep+127f;
  var l = 0.0;
  var bad = false;
  var acc: array<vec4<f32>, ${t.vc / 4}>;
  var sc: array<f32, ${t.bk}>;
  var lv: array<bool, ${t.bk}>;
  for (var j0 = 0u; j0 < u.S; j0 += ${t.bk}u) {
    let nj = min(${t.bk}u, u.S - j0);
    ${load('kb', t.ec, 'u.E', 'K[bs.y + (j0 + rr) * u.k.x + c * u.k.y]', 'nj')}
    ${load('vb', t.vc, 'u.Ev', 'V[bs.z + (j0 + rr) * u.v.x + c * u.v.y]', 'nj')}
    workgroupBarrier();
    if (ok) {
      var mn = m;
      for (var jj = 0u; jj < nj; jj++) {
        let j = j0 + jj;
        var qdot = 0.0;
        for (var c = 0u; c < (u.E + 3u) / 4u; c++) { qdot += dot(qr[c], kb[jj * ${t.ec / 4}u + c]); }
        ${maskCode(t.kind)}
        sc[jj] = s;
        lv[jj] = live;
        if (live) { mn = max(mn, s); }
      }
      let alpha = exp(m - mn);
      l *= alpha;
      for (var c = 0u; c < (u.Ev + 3u) / 4u; c++) { acc[c] *= alpha; }
      for (var jj = 0u; jj < nj; jj++) {
        let p = select(0.0, exp(sc[jj] - mn), lv[jj]);
        l += p;
        // p = 0 still multiplies v: a NaN there reaches the row, as in the formula
        let w = p * keepScale(b, i, j0 + jj);
        for (var c = 0u; c < (u.Ev + 3u) / 4u; c++) { acc[c] += w * vb[jj * ${t.vc / 4}u + c]; }
      }
      m = mn;
    }
    workgroupBarrier();
  }
  if (!ok) { return; }
  let row = b * u.L + i;
  let nan = bitcast<f32>(u.nanb);
  for (var c = 0u; c < u.Ev; c++) { O[row * u.Ev + c] = ${t.it}(select(select(acc[c / 4u][c % 4u], acc[c / 4u][c % 4u] / l, l > 0.0), nan, bad)); }
  LSE[2u * row] = select(select(bitcast<f32>(u.ninf), m, l > 0.0), nan, bad);
  LSE[2u * row + 1u] = select(0.0, log(l), l > 0.0);
}
`;
}

function fastDq(t: Fast, withMaskGrad: boolean): string {
  return `${f16(t)}${HEADER}
${binds(t, [...qkvIn(t), 'G:I', 'LD:f32'], ['DQ:I', ...(withMaskGrad ? ['DM:I'] : [])])}
var<workgroup> kb: array<vec4<f32>, ${t.bk * t.ec / 4}>;
var<workgroup> vb: array<vec4<f32>, ${t.bk * t.vc / 4}>;
${PROB}
@compute @workgroup_size(${RT})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  ${TILE.replace('NROWS', 'u.L')}
  let i = r;
  let ok = i < u.L;
  let row = b * u.L + i;
  var qr: array<vec4<f32>, ${t.ec / 4}>;
  var gr: array<vec4<f32>, ${t.vc / 4}>;
  var dq: array<vec4<f32>, ${t.ec / 4}>;
  var mx = 0.0;
  var ll = 0.0;
  var D = 0.0;
  if (ok) {
    for (var c = 0u; c < u.E; c++) { qr[c / 4u][c % 4u] = f32(Q[bs.x + i * u.q.x + c * u.q.y]); }
    for (var c = 0u; c < u.Ev; c++) { gr[c / 4u][c % 4u] = f32(G[row * u.Ev + c]); }
    mx = LD[3u * row];
    ll = LD[3u * row + 1u];
    D = LD[3u * row + 2u];
  }
  var bad = false;
  for (var j0 = 0u; j0 < u.S; j0 += ${t.bk}u) {
    let nj = min(${t.bk}u, u.S - j0);
    ${load('kb', t.ec, 'u.E', 'K[bs.y + (j0 + rr) * u.k.x + c * u.k.y]', 'nj')}
    ${load('vb', t.vc, 'u.Ev', 'V[bs.z + (j0 + rr) * u.v.x + c * u.v.y]', 'nj')}
    workgroupBarrier();
    if (ok) {
      for (var jj = 0u; jj < nj; jj++) {
        let j = j0 + jj;
        var qdot = 0.0;
        for (var c = 0u; c < (u.E + 3u) / 4u; c++) { qdot += dot(qr[c], kb[jj * ${t.ec / 4}u + c]); }
        var dp = 0.0;
        for (var c = 0u; c < (u.Ev + 3u) / 4u; c++) { dp += dot(gr[c], vb[jj * ${t.vc / 4}u + c]); }
        ${maskCode(t.kind)}
        let ds = prob(s, live, mx, ll) * (dp * keepScale(b, i, j) - D);
        ${withMaskGrad ? `DM[row * u.S + j] = ${t.it}(ds);` : ''}
        for (var c = 0u; c < (u.E + 3u) / 4u; c++) { dq[c] += ds * kb[jj * ${t.ec / 4}u + c]; }
      }
    }
    workgroupBarrier();
  }
  if (!ok) { return; }
  for (var c = 0u; c < u.E; c++) { DQ[row * u.E + c] = ${t.it}(dq[c / 4u][c % 4u] * u.scale); }
}
`;
}

function fastDkv(t: Fast): string {
  return `${f16(t)}${HEADER}
${binds(t, [...qkvIn(t), 'G:I', 'LD:f32'], ['DK:I', 'DV:I'])}
var<workgroup> qb: array<vec4<f32>, ${t.bk * t.ec / 4}>;
var<workgroup> gb: array<vec4<f32>, ${t.bk * t.vc / 4}>;
var<workgroup> lb: array<f32, ${3 * t.bk}>;
${PROB}
@compute @workgroup_size(${RT})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  ${TILE.replace('NROWS', 'u.S')}
  let j = r;
  let ok = j < u.S;
  var kr: array<vec4<f32>, ${t.ec / 4}>;
  var vr: array<vec4<f32>, ${t.vc / 4}>;
  var dk: array<vec4<f32>, ${t.ec / 4}>;
  var dv: array<vec4<f32>, ${t.vc / 4}>;
  if (ok) {
    for (var c = 0u; c < u.E; c++) { kr[c / 4u][c % 4u] = f32(K[bs.y + j * u.k.x + c * u.k.y]); }
    for (var c = 0u; c < u.Ev; c++) { vr[c / 4u][c % 4u] = f32(V[bs.z + j * u.v.x + c * u.v.y]); }
  }
  var bad = false;
  for (var i0 = 0u; i0 < u.L; i0 += ${t.bk}u) {
    let ni = min(${t.bk}u, u.L - i0);
    ${load('qb', t.ec, 'u.E', 'Q[bs.x + (i0 + rr) * u.q.x + c * u.q.y]', 'ni')}
    ${load('gb', t.vc, 'u.Ev', 'G[(b * u.L + i0 + rr) * u.Ev + c]', 'ni')}
    ${load('lb', 3, '3u', 'LD[3u * (b * u.L + i0 + rr) + c]', 'ni')}
    workgroupBarrier();
    if (ok) {
      for (var ii = 0u; ii < ni; ii++) {
        let i = i0 + ii;
        var qdot = 0.0;
        for (var c = 0u; c < (u.E + 3u) / 4u; c++) { qdot += dot(qb[ii * ${t.ec / 4}u + c], kr[c]); }
        var dp = 0.0;
        for (var c = 0u; c < (u.Ev + 3u) / 4u; c++) { dp += dot(gb[ii * ${t.vc / 4}u + c], vr[c]); }
        ${maskCode(t.kind)}
        let p = prob(s, live, lb[3u * ii], lb[3u * ii + 1u]);
        let kp = keepScale(b, i, j);
        let pk = p * kp;
        let ds = p * (dp * kp - lb[3u * ii + 2u]);
        for (var c = 0u; c < (u.Ev + 3u) / 4u; c++) { dv[c] += pk * gb[ii * ${t.vc / 4}u + c]; }
        for (var c = 0u; c < (u.E + 3u) / 4u; c++) { dk[c] += ds * qb[ii * ${t.ec / 4}u + c]; }
      }
    }
    workgroupBarrier();
  }
  if (!ok) { return; }
  let col = b * u.S + j;
  for (var c = 0u; c < u.E; c++) { DK[col * u.E + c] = ${t.it}(dk[c / 4u][c % 4u] * u.scale); }
  for (var c = 0u; c < u.Ev; c++) { DV[col * u.Ev + c] = ${t.it}(dv[c / 4u][c % 4u]); }
}
`;
}

const keyOf = (name: string, t: Types | Fast): string => `sdpa:${name}:${t.it}:${t.kind}${t.mt}:${t.ce}:${t.cv}${'bk' in t ? `:fast${t.ec}:${t.vc}:${t.bk}` : ''}`;

export function gpuForward(p: AttnPlan, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, out: Tensor, lse: Tensor): void {
  const t = types(p, q, mask);
  const caps = fastCaps(p);
  const ft: Fast | null = caps ? { ...t, ...caps } : null;
  q.storage.gpu!.dispatch({
    key: keyOf('fwd', ft ?? t),
    wgsl: () => (ft ? fastForward(ft) : forwardWgsl(t)),
    inputs: [q.buffer, k.buffer, v.buffer, ...(mask ? [mask.buffer] : [])],
    outputs: [out.buffer, lse.buffer],
    uniforms: uniforms(p),
    workgroups: ft ? p.nb * Math.ceil(p.L / RT) : p.nb * p.L,
  });
}

export function gpuBackward(p: AttnPlan, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, out: Tensor, lse: Tensor, dO: Tensor,
  dq: Tensor, dk: Tensor, dv: Tensor, dm: Tensor | null): void {
  const t = types(p, q, mask);
  const caps = fastCaps(p);
  const ft: Fast | null = caps ? { ...t, ...caps } : null;
  const gpu = q.storage.gpu!;
  const u = uniforms(p);
  const qkv = [q.buffer, k.buffer, v.buffer, ...(mask ? [mask.buffer] : [])];
  const lt = Tensor.empty([p.nb * p.L * 3], 'float32', q.device, 'scaledDotProductAttention');
  const ld = lt.buffer;
  try {
    if (p.L > 0) gpu.dispatch({ key: keyOf('prep', t), wgsl: () => prepWgsl(t), inputs: [out.buffer, dO.buffer, lse.buffer], outputs: [ld], uniforms: u, workgroups: Math.ceil(p.nb * p.L / WG) });
    if (p.L > 0) {
      gpu.dispatch({
        key: keyOf(dm ? 'dqm' : 'dq', ft ?? t), wgsl: () => (ft ? fastDq(ft, !!dm) : dqWgsl(t, !!dm)), inputs: [...qkv, dO.buffer, ld],
        outputs: [dq.buffer, ...(dm ? [dm.buffer] : [])], uniforms: u, workgroups: ft ? p.nb * Math.ceil(p.L / RT) : p.nb * p.L,
      });
    }
    if (p.S > 0) {
      gpu.dispatch({
        key: keyOf('dkv', ft ?? t), wgsl: () => (ft ? fastDkv(ft) : dkvWgsl(t)), inputs: [...qkv, dO.buffer, ld],
        outputs: [dk.buffer, dv.buffer], uniforms: u, workgroups: ft ? p.nb * Math.ceil(p.S / RT) : p.nb * p.S,
      });
    }
  } finally {
    lt.dispose();
  }
}
