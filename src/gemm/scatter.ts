// The tiled WGSL kernels behind scatter2scatter and groupXtY, after the dense matmul
// (tiled.ts): TMxTN workgroup tiles, RMxRN outputs per invocation in registers,
// vec4 loads where the operand allows them (else four scalar loads), double-buffered shared
// memory with one barrier per K step, and the inner product unrolled with no bounds checks.
//
// Rows are gathered as they are loaded, so no grouped copy is ever made: a "row source" is
// a (R, D) tensor read at row p (grouped) or at row floor(s / fan) with s = sse[p], optionally
// times coef[s] (the gates). Invalid scattered indices (s >= n) read as zero rows.
//
//   s2s: for each block of TM grouped rows of one expert: Y[out rows] = A[rows] · W[e] (+ b[e]).
//        Blocks come from a block table built on the GPU from expertOffsets (no readback).
//   xty: per expert, dW[e] = A[rows of e]ᵀ · D[rows of e] (and db[e] = Σ D rows), K = rows.
import { grid, header, sharedDecl, sharedAt } from './wgsl.js';
import { kLoop, bufExpr } from './kloop.js';
import { invocationXY } from './tiled.js';
import { pickMoeTile, chooseS2STc, chooseXtyTc } from './choose.js';
import { tileKey, type SimtTile as Tile } from './tiles.js';
import { knob } from '../backend/tuning.js';
import { s2sTc, xtyTc } from './tc.js';
import {
  blockTable, comp, ROW_CHUNK, rowLoadFn, rowOfFn, s2sBlock, s2sRowTable, s2sUniformWgsl, s2sUniforms, srcKey, vec4Rows,
  xtyBindings, xtyRowTables, xtyUniformWgsl, xtyUniforms, type RowSrc, type S2SArgs, type XtYArgs,
} from './rows.js';



interface Shape {
  T: number; WX: number; SA4: number; SB4: number; LA: number; LB: number; GA: number; GB: number;
  rowStride4: number; colStride4: number;
}
function shape(c: Tile): Shape {
  const WX = c.TN / c.RN;
  const T = WX * (c.TM / c.RM);
  const GA = c.RM / 4;
  const GB = c.RN / 4;
  return {
    T, WX, SA4: (c.TM + 4) / 4, SB4: (c.TN + 4) / 4, LA: (c.TM * c.BK) / 4 / T, LB: (c.TN * c.BK) / 4 / T,
    GA, GB, rowStride4: c.TM / GA / 4, colStride4: c.TN / GB / 4,
  };
}

/** Store of a k-major element (kq vec4 group of k, row m) transposed into buffer `nb` of a
 * [k][m] tile. */
function storeT(c: Tile, arr: string, S4: number, reg: string, idx: string, div: number, nb: string): string {
  let s = `    { let e = lid + ${idx}; let m = e / ${div}u; let kq = e % ${div}u;\n`;
  s += '      let q = kq * 4u; let mq = m / 4u; let c = m % 4u;\n';
  for (let i = 0; i < 4; i++) s += `      ${sharedAt(!!c.split, arr, c.BK, S4, nb, `q + ${i}u`, 'mq')}[c] = ${reg}.${comp[i]};\n`;
  return s + '    }\n';
}

/** The products of one K step from shared buffer `cur` (a WGSL u32 expression). */
function innerProduct(c: Tile, sh: Shape, bias: boolean, cur: string): string {
  let inner = '';
  for (let k = 0; k < c.BK; k++) {
    for (let g = 0; g < sh.GA; g++) inner += `    let a${k}_${g} = ${sharedAt(!!c.split, 'As', c.BK, sh.SA4, cur, `${k}u`, `${g * sh.rowStride4}u + ty`)};\n`;
    for (let j = 0; j < sh.GB; j++) inner += `    let b${k}_${j} = ${sharedAt(!!c.split, 'Bs', c.BK, sh.SB4, cur, `${k}u`, `${j * sh.colStride4}u + tx`)};\n`;
    for (let r = 0; r < c.RM; r++) {
      for (let j = 0; j < sh.GB; j++) inner += `    c${r}_${j} = fma(vec4<f32>(a${k}_${Math.floor(r / 4)}.${comp[r % 4]}), b${k}_${j}, c${r}_${j});\n`;
    }
    if (bias) for (let j = 0; j < sh.GB; j++) inner += `    s${j} += b${k}_${j};\n`;
  }
  return inner;
}

function accDecl(c: Tile, sh: Shape, bias: boolean): string {
  let s = '';
  for (let r = 0; r < c.RM; r++) for (let j = 0; j < sh.GB; j++) s += `  var c${r}_${j} = vec4<f32>(0.0);\n`;
  if (bias) for (let j = 0; j < sh.GB; j++) s += `  var s${j} = vec4<f32>(0.0);\n`;
  for (let i = 0; i < sh.LA; i++) s += `  var pa${i}: vec4<f32>;\n`;
  for (let i = 0; i < sh.LB; i++) s += `  var pb${i}: vec4<f32>;\n`;
  return s;
}

/** The SIMT kernels' K loop (gemm/kloop.ts). Not unrolled, the buffers are the WGSL vars
 * nb (filled) and cur (read, saved before nb flips); `rows` (groupXtY) refills the row tables. */
function simtLoop(c: Tile, kTiles: string, loads: string, stores: (nb: string) => string, body: (cur: string) => string,
  rows?: (k: string) => string): string {
  return kLoop({
    kTiles, step: c.BK, loads: () => loads, stores: (b) => stores(bufExpr(b, 'nb')), body: (b) => body(bufExpr(b, 'cur')),
    unroll: c.unroll2 ? 2 : 1, head: '    let cur = nb;\n', refill: rows ? { code: rows, every: ROW_CHUNK } : undefined,
  });
}

// ---- scatter2scatter ----

export function s2sGpu(o: S2SArgs): void {
  const tc = chooseS2STc(o);
  if (tc) return s2sTc(o, tc);
  const { a, w, bias, sse, offsets, y } = o;
  const g = y.storage.gpu!;
  const [, K, N] = w.shape;
  const n = sse.numel;
  const tile = pickMoeTile(g, (c) => Math.ceil(n / c.TM) * Math.ceil(N / c.TN));
  const { table, cap } = blockTable(g, offsets, n, tile.TM);
  const tilesN = Math.ceil(N / tile.TN);
  const [ws0, ws1, ws2] = w.strides;
  // W's layout: n-fast (ws2 = 1), k-fast (ws1 = 1, the transposed view of the dX path), or neither.
  const wMode: 'n4' | 'k4' | 'n1' =
    ws2 === 1 && N % 4 === 0 && ws1 % 4 === 0 && ws0 % 4 === 0 && w.offset % 4 === 0 ? 'n4'
      : ws1 === 1 && K % 4 === 0 && ws2 % 4 === 0 && ws0 % 4 === 0 && w.offset % 4 === 0 ? 'k4' : 'n1';
  const aVec = vec4Rows(a.t) && K % 4 === 0;
  const yVec = N % 4 === 0 && y.offset % 4 === 0;
  const dtype = y.dtype === 'float16' ? 'float16' : 'float32';
  const inputs = [a.t.buffer, w.buffer, sse.buffer, table.buffer];
  if (a.coef) inputs.push(a.coef.buffer);
  if (bias) inputs.push(bias.buffer);
  const u = s2sUniforms(o, cap, tilesN);
  g.dispatch({
    key: `moe.s2s:${y.dtype}:${tileKey(tile)}:a${srcKey(a, aVec)}:w${wMode}:y${yVec ? 4 : 1}${o.groupedOut ? 'go' : 'so'}${bias ? ':b' : ''}`,
    wgsl: () => s2sWgsl(tile, dtype, a, aVec, wMode, yVec, o.groupedOut, bias !== null, knob('moeSimtTileGroup')),
    inputs,
    outputs: [y.buffer],
    uniforms: u,
    workgroups: grid(cap * tilesN),
  });
  table.dispose();
}

function s2sWgsl(c: Tile, dtype: 'float32' | 'float16', a: RowSrc, aVec: boolean, wMode: 'n4' | 'k4' | 'n1', yVec: boolean,
  groupedOut: boolean, hasBias: boolean, group: number): string {
  const sh = shape(c);
  const { TM, TN, BK } = c;
  const wVec = wMode !== 'n1';
  let bi = 0;
  let binds = `@group(0) @binding(${++bi}) var<storage, read> X: array<${aVec ? 'vec4<T>' : 'T'}>;\n`;
  binds += `@group(0) @binding(${++bi}) var<storage, read> W: array<${wVec ? 'vec4<T>' : 'T'}>;\n`;
  binds += `@group(0) @binding(${++bi}) var<storage, read> SSE: array<i32>;\n`;
  binds += `@group(0) @binding(${++bi}) var<storage, read> BT: array<vec4<u32>>;\n`;
  if (a.coef) binds += `@group(0) @binding(${++bi}) var<storage, read> AC: array<T>;\n`;
  if (hasBias) binds += `@group(0) @binding(${++bi}) var<storage, read> BIAS: array<T>;\n`;
  binds += `@group(0) @binding(${++bi}) var<storage, read_write> Y: array<${yVec ? 'vec4<T>' : 'T'}>;\n`;

  // A: TM gathered rows x BK, k-fast, transposed into As[k][m]. An invocation's rows (and
  // their coefficients) are the same at every K step: looked up once, before the loop.
  let loads = '';
  const st: ((nb: string) => string)[] = [];
  let hoist = '';
  for (let s = 0; s < sh.LA; s++) {
    hoist += `  let ri${s} = rowIn[(lid + ${s * sh.T}u) / ${BK / 4}u];\n`;
    if (a.coef) hoist += `  let cf${s} = rowC[(lid + ${s * sh.T}u) / ${BK / 4}u];\n`;
    loads += `    { let e = lid + ${s * sh.T}u; let gk = k0 + (e % ${BK / 4}u) * 4u;\n`;
    loads += `      pa${s} = vec4<f32>(0.0); if (ri${s} != NONE && gk < u.K) { pa${s} = loadA(ri${s}, gk)${a.coef ? ` * cf${s}` : ''}; } }\n`;
    st.push((nb) => storeT(c, 'As', sh.SA4, `pa${s}`, `${s * sh.T}u`, BK / 4, nb));
  }
  for (let s = 0; s < sh.LB; s++) {
    if (wMode === 'k4') {
      loads += `    { let e = lid + ${s * sh.T}u; let gn = n0 + e / ${BK / 4}u; let gk = k0 + (e % ${BK / 4}u) * 4u;\n`;
      loads += `      pb${s} = vec4<f32>(0.0); if (gn < u.N && gk < u.K) { pb${s} = vec4<f32>(W[(wBase + gn * u.ws2 + gk) / 4u]); } }\n`;
      st.push((nb) => storeT(c, 'Bs', sh.SB4, `pb${s}`, `${s * sh.T}u`, BK / 4, nb));
    } else {
      loads += `    { let e = lid + ${s * sh.T}u; let gk = k0 + e / ${TN / 4}u; let gn = n0 + (e % ${TN / 4}u) * 4u;\n`;
      loads += `      pb${s} = vec4<f32>(0.0); if (gn < u.N && gk < u.K) { pb${s} = loadB(gk, gn); } }\n`;
      st.push((nb) => `    { let e = lid + ${s * sh.T}u; ${sharedAt(!!c.split, 'Bs', BK, sh.SB4, nb, `e / ${TN / 4}u`, `e % ${TN / 4}u`)} = pb${s}; }\n`);
    }
  }
  let loadB = '';
  if (wMode === 'n4') loadB = 'fn loadB(k: u32, col: u32) -> vec4<f32> { return vec4<f32>(W[(wBase + k * u.ws1 + col) / 4u]); }\n';
  else if (wMode === 'n1') {
    loadB = 'fn loadB(k: u32, col: u32) -> vec4<f32> {\n  var v = vec4<f32>(0.0);\n';
    for (let i = 0; i < 4; i++) loadB += `  if (col + ${i}u < u.N) { v.${comp[i]} = f32(W[wBase + k * u.ws1 + (col + ${i}u) * u.ws2]); }\n`;
    loadB += '  return v;\n}\n';
  }

  let out = '';
  for (let r = 0; r < c.RM; r++) {
    out += `  { let ro = rowOut[${Math.floor(r / 4) * sh.rowStride4 * 4 + (r % 4)}u + ty * 4u];\n    if (ro != NONE) {\n`;
    for (let j = 0; j < sh.GB; j++) {
      const v = hasBias ? `c${r}_${j} + bv${j}` : `c${r}_${j}`;
      if (yVec) out += `      { let gn = n0 + ${j * sh.colStride4 * 4}u + tx * 4u; if (gn < u.N) { Y[(u.yOff + ro * u.N + gn) / 4u] = vec4<T>(${v}); } }\n`;
      else {
        out += `      { let gn = n0 + ${j * sh.colStride4 * 4}u + tx * 4u; let v = ${v};\n`;
        for (let i = 0; i < 4; i++) out += `        if (gn + ${i}u < u.N) { Y[u.yOff + ro * u.N + gn + ${i}u] = T(v.${comp[i]}); }\n`;
        out += '      }\n';
      }
    }
    out += '    }\n  }\n';
  }
  let biasLoad = '';
  if (hasBias) {
    for (let j = 0; j < sh.GB; j++) {
      biasLoad += `  var bv${j} = vec4<f32>(0.0);\n  if (t.w == 1u) {\n    let gn = n0 + ${j * sh.colStride4 * 4}u + tx * 4u;\n`;
      for (let i = 0; i < 4; i++) biasLoad += `    if (gn + ${i}u < u.N) { bv${j}.${comp[i]} = f32(BIAS[u.bOff + t.x * u.bs0 + (gn + ${i}u) * u.bs1]); }\n`;
      biasLoad += '  }\n';
    }
  }

  return `${header(dtype)}
${s2sUniformWgsl()}
${binds}
const NONE = 0xffffffffu;
${sharedDecl(!!c.split, 'As', BK, sh.SA4)}${sharedDecl(!!c.split, 'Bs', BK, sh.SB4)}var<workgroup> rowIn: array<u32, ${TM}>;
var<workgroup> rowOut: array<u32, ${TM}>;
var<workgroup> rowC: array<f32, ${TM}>;
var<workgroup> tile: vec4<u32>;
var<private> wBase: u32;

${rowLoadFn('loadA', 'X', 'a', aVec, 'u.K')}${loadB}${rowOfFn('rowA', 'a', a)}
@compute @workgroup_size(${sh.T})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
${s2sBlock(TN, group)}${invocationXY(sh.WX, sh.T, c.bx)}  wBase = u.wOff + t.x * u.ws0;
${s2sRowTable(TM, sh.T)}  workgroupBarrier();
${accDecl(c, sh, false)}${hoist}
${simtLoop(c, `(u.K + ${BK - 1}u) / ${BK}u`, loads, (nb) => st.map((f) => f(nb)).join(''), (cur) => innerProduct(c, sh, false, cur))}${biasLoad}${out}}
`;
}

// ---- groupXtY ----

export function xtyGpu(o: XtYArgs): void {
  const tc = chooseXtyTc(o);
  if (tc) return xtyTc(o, tc);
  const { a, d, sse, offsets, dw, db } = o;
  const g = dw.storage.gpu!;
  const [numE, M, N] = dw.shape;
  const tile = pickMoeTile(g, (c) => numE * Math.ceil(M / c.TM) * Math.ceil(N / c.TN));
  const tilesM = Math.ceil(M / tile.TM);
  const tilesN = Math.ceil(N / tile.TN);
  const aVec = vec4Rows(a.t);
  const dVec = vec4Rows(d.t);
  const oVec = N % 4 === 0;
  const dtype = dw.dtype === 'float16' ? 'float16' : 'float32';
  const inputs = [a.t.buffer, d.t.buffer, sse.buffer, offsets.buffer];
  if (a.coef) inputs.push(a.coef.buffer);
  if (d.coef) inputs.push(d.coef.buffer);
  const u = xtyUniforms(o, tilesM, tilesN);
  g.dispatch({
    key: `moe.xty:${dw.dtype}:${tileKey(tile)}:a${srcKey(a, aVec)}:d${srcKey(d, dVec)}:o${oVec ? 4 : 1}${db ? ':b' : ''}`,
    wgsl: () => xtyWgsl(tile, dtype, a, aVec, d, dVec, oVec, db !== null),
    inputs,
    outputs: db ? [dw.buffer, db.buffer] : [dw.buffer],
    uniforms: u,
    workgroups: grid(numE * tilesM * tilesN),
  });
}

function xtyWgsl(c: Tile, dtype: 'float32' | 'float16', a: RowSrc, aVec: boolean, d: RowSrc, dVec: boolean, oVec: boolean, hasBias: boolean): string {
  const sh = shape(c);
  const { TM, TN, BK } = c;
  const v = (vec: boolean): string => (vec ? 'vec4<T>' : 'T');
  const binds = xtyBindings(a, v(aVec), d, v(dVec), v(oVec), hasBias);

  // Both tiles are k-major already (k = the expert's rows): As[k][m] and Bs[k][n].
  let loads = '';
  const st: ((nb: string) => string)[] = [];
  for (let s = 0; s < sh.LA; s++) {
    loads += `    { let e = lid + ${s * sh.T}u; let kr = k0 + e / ${TM / 4}u; let gm = m0 + (e % ${TM / 4}u) * 4u;\n`;
    loads += `      pa${s} = vec4<f32>(0.0); let q = RA[kr % ${ROW_CHUNK}u]; if (q.x != NONE && gm < u.M) { pa${s} = loadA(q.x, gm) * bitcast<f32>(q.y); } }\n`;
    st.push((nb) => `    { let e = lid + ${s * sh.T}u; ${sharedAt(!!c.split, 'As', BK, sh.SA4, nb, `e / ${TM / 4}u`, `e % ${TM / 4}u`)} = pa${s}; }\n`);
  }
  for (let s = 0; s < sh.LB; s++) {
    loads += `    { let e = lid + ${s * sh.T}u; let kr = k0 + e / ${TN / 4}u; let gn = n0 + (e % ${TN / 4}u) * 4u;\n`;
    loads += `      pb${s} = vec4<f32>(0.0); let q = RD[kr % ${ROW_CHUNK}u]; if (q.x != NONE && gn < u.N) { pb${s} = loadD(q.x, gn) * bitcast<f32>(q.y); } }\n`;
    st.push((nb) => `    { let e = lid + ${s * sh.T}u; ${sharedAt(!!c.split, 'Bs', BK, sh.SB4, nb, `e / ${TN / 4}u`, `e % ${TN / 4}u`)} = pb${s}; }\n`);
  }
  let out = '';
  for (let r = 0; r < c.RM; r++) {
    out += `  { let gm = m0 + ${Math.floor(r / 4) * sh.rowStride4 * 4 + (r % 4)}u + ty * 4u;\n    if (gm < u.M) {\n`;
    for (let j = 0; j < sh.GB; j++) {
      if (oVec) out += `      { let gn = n0 + ${j * sh.colStride4 * 4}u + tx * 4u; if (gn < u.N) { DW[((e * u.M + gm) * u.N + gn) / 4u] = vec4<T>(c${r}_${j}); } }\n`;
      else {
        out += `      { let gn = n0 + ${j * sh.colStride4 * 4}u + tx * 4u;\n`;
        for (let i = 0; i < 4; i++) out += `        if (gn + ${i}u < u.N) { DW[(e * u.M + gm) * u.N + gn + ${i}u] = T(c${r}_${j}.${comp[i]}); }\n`;
        out += '      }\n';
      }
    }
    out += '    }\n  }\n';
  }
  if (hasBias) {
    out += '  if (tm == 0u && ty == 0u) {\n';
    for (let j = 0; j < sh.GB; j++) {
      out += `    { let gn = n0 + ${j * sh.colStride4 * 4}u + tx * 4u;\n`;
      for (let i = 0; i < 4; i++) out += `      if (gn + ${i}u < u.N) { DB[e * u.N + gn + ${i}u] = T(s${j}.${comp[i]}); }\n`;
      out += '    }\n';
    }
    out += '  }\n';
  }

  return `${header(dtype)}
${xtyUniformWgsl()}
${binds}
const NONE = 0xffffffffu;
${sharedDecl(!!c.split, 'As', BK, sh.SA4)}${sharedDecl(!!c.split, 'Bs', BK, sh.SB4)}var<workgroup> rowRange: vec2<u32>;

${rowLoadFn('loadA', 'X', 'a', aVec, 'u.M')}${rowLoadFn('loadD', 'D', 'd', dVec, 'u.N')}${rowOfFn('rowA', 'a', a)}${rowOfFn('rowD', 'd', d)}${xtyRowTables(sh.T)}
fn clampOff(i: u32, lo: u32) -> u32 { return clamp(u32(max(OFF[u.oOff + i], 0)), lo, u.n); }

@compute @workgroup_size(${sh.T})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;
  let per = u.tilesM * u.tilesN;
  if (g >= u.E * per) { return; }
  let e = g / per;
  let tm = (g % per) / u.tilesN;
  let tn = g % u.tilesN;
  let m0 = tm * ${TM}u;
  let n0 = tn * ${TN}u;
${invocationXY(sh.WX, sh.T, c.bx)}  if (lid == 0u) {
    var start = 0u;
    if (e > 0u) { start = clampOff(e - 1u, 0u); }
    rowRange = vec2<u32>(start, clampOff(e, start));
  }
  let r = workgroupUniformLoad(&rowRange);
${accDecl(c, sh, hasBias)}
${simtLoop(c, `(r.y - r.x + ${BK - 1}u) / ${BK}u`, loads, (nb) => st.map((f) => f(nb)).join(''), (cur) => innerProduct(c, sh, hasBias, cur), (k) => `fillRows(lid, r, ${k});`)}${out}}
`;
}
