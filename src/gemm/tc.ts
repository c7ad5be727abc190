// The MoE GEMMs on the tensor cores: float16 operands, f32 accumulation, through Dawn's
// chromium-experimental-subgroup-matrix (f16 x f16 -> f32 on 16x16x16 fragments).
//
// Same problems as the SIMT kernels in scatter.ts (scatter2scatter and groupXtY, with the row
// gathers, gates and scatters fused), but a workgroup of SGM x SGN subgroups shares one
// TM x TN output tile: every K step all its invocations gather TK columns of the tile's rows
// into workgroup memory, and each subgroup then multiplies its FM x FN fragments from there.
// Staging is what makes the gather possible: a subgroup-matrix load reads a strided block,
// which gathered rows in global memory are not. (It is also what is fast: on an H100,
// fragments loaded from workgroup memory run at ~620 TFLOP/s and from a storage buffer at
// 40-70; see bench/tc-ceiling.mjs, whose workgroup-memory loads the compiler may keep in
// registers, so take that figure as an upper bound.)
//
// Staging moves 8 halves (16 bytes) per WGSL store. WGSL's subgroupMatrixLoad reads an
// array<f16>; workgroup memory here is one `buffer<N>` (the buffer_view language feature)
// seen as vec4<u32> for the staging stores, as array<f16> for the fragment loads and as f32
// for the results. (Tint still lowers such a buffer to an array of 16-bit words, so in SPIR-V
// one vec4<u32> store is 8 16-bit stores; what this layout saves is the conversions.) Rows
// travel as raw f16 bits from global memory (loaded as vec4<u32>) to workgroup memory; only
// gated operands are unpacked, scaled in f32 and rounded back, when they are staged. Workgroup
// memory is double-buffered (one barrier per K step) and filled from registers loaded
// tcDepth steps earlier, during the multiplies in between. Results leave through the same buffer: each subgroup stores a
// row of its fragments there and its lanes write them out 8 halves at a time, so the scatter
// to output rows (and the bias) happen in plain WGSL. The same kernel, with every row its own
// and one "expert" per batch, is the float16 matmul (matmulTc).
//
// What limited it: staging global rows into workgroup memory, and Dawn's robustness checks
// (turning them off made a 4096³ product ~1.5x faster). So scatter2scatter and the f16 matmul
// unroll their K loop by two (tcLoop): staging stores are then proven in bounds and fragment
// loads have constant offsets into per-subgroup views, which made the checked kernel as fast
// as the unchecked one. groupXtY does the same (see xtyTcWgsl).
// 48 KiB of workgroup memory caps a tile's depth per barrier.
//
// Subgroup-matrix offsets here depend on the subgroup, which Tint's uniformity analysis
// cannot prove uniform within a subgroup; the chromium.subgroup_matrix_uniformity diagnostic
// is turned off for that. Subgroup i is invocations [32 i, 32 i + 32), as on NVIDIA's warps;
// hasSubgroupMatrix only admits adapters whose subgroups are exactly 32 wide.
//
// The moeTc knob set to emulate runs the same kernels with the subgroup-matrix builtins written
// out as plain WGSL functions (fragments held in workgroup memory, each lane computing a share
// of their elements), so the tiling, staging and scatter logic is tested on adapters without
// tensor cores (lavapipe in CI). The other knobs of these kernels (moeTcTile, moeTcXtyTile,
// moeTcPad, moeTcBdirect, tcDepth, tcKnockout) are described in src/backend/tuning.ts.
import type { Tensor } from '../tensor/tensor.js';
import type { Plan } from './problem.js';
import { grid, tileOrder } from './wgsl.js';
import { REG_SETS, type Regs } from './kloop.js';
import {
  tm, tn, nt, layout, type BLayout, type Vec, srcKey, bindType, vecOf, rowVec, load8Fn, PACKING, type Emit, REAL, EMULATED, viewH, viewF, views, type Frag, staged, multiplies, subViews, ld, stage, tcLoop, depthOf, extraRegDecls, writeOut, store8, accDecls, regDecls, knockout,
} from './tc-parts.js';
import type { TcChoice, DenseTcChoice } from './choose.js';
import { tileKey, type TcTile } from './tiles.js';
import { knob } from '../backend/tuning.js';
import {
  blockTable, ROW_CHUNK, xtyBindings, s2sBlock, s2sRowTable, xtyRowTables, rowOfFn, s2sUniformWgsl, s2sUniforms, xtyUniformWgsl, xtyUniforms,
  type RowSrc, type S2SArgs, type XtYArgs,
} from './rows.js';

// ---- scatter2scatter ----

/** Runs scatter2scatter on the tensor cores as chooseS2STc decided. */
export function s2sTc(o: S2SArgs, { mode, tile }: TcChoice): void {
  const { a, w, bias, sse, offsets, y } = o;
  const g = y.storage.gpu!;
  const [, K, N] = w.shape;
  const n = sse.numel;
  const { table, cap } = blockTable(g, offsets, n, tm(tile));
  const tilesN = Math.ceil(N / tn(tile));
  const [ws0, ws1, ws2] = w.strides;
  // W[e] is staged [k][n] when n is its contiguous dim (or neither is), [n][k] when k is (Wᵀ).
  const bl: BLayout = ws2 !== 1 && ws1 === 1 ? 'nk' : 'kn';
  const wVec = bl === 'kn' ? vecOf(N, ws2 === 1, [ws1, ws0, w.offset]) : vecOf(K, true, [ws2, ws0, w.offset]);
  // W[e] needs no gather, so with whole tiles its fragments can be read straight from the
  // buffer (the moeTcBdirect knob): half the staging, but storage-buffer fragment loads.
  const bDirect = knob('moeTcBdirect') && wVec === 8 && N % tn(tile) === 0 && K % tile.TK === 0;
  const aVec = rowVec(a.t);
  const yVec = N % 8 === 0 && y.offset % 8 === 0;
  const inputs = [a.t.buffer, w.buffer, sse.buffer, table.buffer];
  if (a.coef) inputs.push(a.coef.buffer);
  if (bias) inputs.push(bias.buffer);
  g.dispatch({
    key: `moe.s2sTc:${mode}:${tileKey(tile)}:a${srcKey(a, aVec)}:w${bl}${wVec}${bDirect ? 'd' : ''}:y${yVec ? 8 : 1}${o.groupedOut ? 'go' : 'so'}${bias ? ':b' : ''}`,
    wgsl: () => s2sTcWgsl(tile, mode === 'real' ? REAL : EMULATED, s2sProblem(tile, a, bias !== null, knob('moeTileGroup')), aVec, bl, wVec, bDirect, yVec),
    inputs,
    outputs: [y.buffer],
    uniforms: s2sUniforms(o, cap, tilesN),
    workgroups: grid(cap * tilesN),
  });
  table.dispose();
}

/** What distinguishes scatter2scatter from a plain (batched) matmul in the s2s kernel: the
 * uniforms and bindings, how a workgroup finds its rows, and where a row lives in A and Y. */
interface RowProblem {
  /** Uniform struct and binding 0. */
  uniforms: string;
  /** Bindings between W and Y, from binding 3 on. */
  binds: string[];
  /** Module-scope WGSL (row tables, helpers). */
  decls: string;
  /** main's first statements: set n0, wBase and fill rowIn / rowOut (then a barrier follows). */
  prologue: string;
  /** A's element index of row `ri`'s start, and Y's of (row `ro`, column `gn`). */
  aRow: (ri: string) => string;
  yAt: (ro: string, gn: string) => string;
  coef: boolean;
  bias: string;
}

function s2sTcWgsl(c: TcTile, em: Emit, P: RowProblem, aVec: Vec, bl: BLayout, wVec: Vec, bDirect: boolean, yVec: boolean,
  aKm = false, depth = depthOf()): string {
  const TM = tm(c), TN = tn(c), { TK } = c, NT = nt(c);
  const L = layout(c, 's2s', bl, !bDirect, aKm);
  const LA = (TM * TK) / 8 / NT;
  const LB = bDirect ? 0 : (TK * TN) / 8 / NT;
  const binds = [`var<storage, read> X: array<${bindType(aVec)}>;`, `var<storage, read> W: array<${bDirect ? 'f16' : bindType(wVec)}>;`,
    ...P.binds, `var<storage, read_write> Y: array<${yVec ? 'vec4<u32>' : 'f16'}>;`]
    .map((b, i) => `@group(0) @binding(${i + 1}) ${b}\n`).join('');

  // A: TM rows x TK, 8 halves of a row per chunk, staged as As[m][k]; or, for a dense A
  // contiguous along M (aKm), 8 rows of a column per chunk, staged as As[k][m].
  // B: TK x TN of W[e]: [k][n] (8 columns of a k row per chunk) or [n][k] (8 k of a column).
  const KC = TK / 8, MC = TM / 8;
  const NC = bl === 'kn' ? TN / 8 : TK / 8;
  // Register `a<s>` / `b<s>` of set `p` or `q`, the loads of the step at `k0`, the stores into buffer `b`.
  const ko = knockout();
  const loads = (set: Regs, k0: string): string => {
    let l = '';
    for (let s = 0; s < LA && aKm; s++) {
      l += `    { let e = lid + ${s * NT}u; let gk = ${k0} + e / ${MC}u; ${set}a${s} = vec4<u32>(0u);\n`;
      l += `      if (gk < u.K) { ${set}a${s} = ${ld(ko, 'ldX', `${P.aRow('0u')} + gk * u.as1, m0 + (e % ${MC}u) * 8u, u.M, u.as0`)}; } }\n`;
    }
    for (let s = 0; s < LA && !aKm; s++) {
      const r = `${set}a${s}`;
      l += `    { let e = lid + ${s * NT}u; let m = e / ${KC}u; let ri = rowIn[m]; ${r} = vec4<u32>(0u);\n`;
      l += `      if (ri != NONE) { ${r} = ${ld(ko, 'ldX', `${P.aRow('ri')}, ${k0} + (e % ${KC}u) * 8u, u.K, u.as1`)}; } }\n`;
    }
    for (let s = 0; s < LB; s++) {
      if (bl === 'kn') {
        l += `    { let e = lid + ${s * NT}u; let gk = ${k0} + e / ${NC}u; ${set}b${s} = vec4<u32>(0u);\n`;
        l += `      if (gk < u.K) { ${set}b${s} = ${ld(ko, 'ldW', `wBase + gk * u.ws1, n0 + (e % ${NC}u) * 8u, u.N, u.ws2`)}; } }\n`;
      } else {
        l += `    { let e = lid + ${s * NT}u; let gn = n0 + e / ${NC}u; ${set}b${s} = vec4<u32>(0u);\n`;
        l += `      if (gn < u.N) { ${set}b${s} = ${ld(ko, 'ldW', `wBase + gn * u.ws2, ${k0} + (e % ${NC}u) * 8u, u.K, u.ws1`)}; } }\n`;
      }
    }
    return l;
  };
  const stores = (b: 0 | 1, set: Regs): string => {
    let t = '';
    for (let s = 0; s < LA; s++) {
      const C = aKm ? MC : KC;
      // Gated rows are scaled here, after the step's products, not where they are loaded:
      // the scale waits for the load, and there it would wait before the products.
      const v = P.coef && !aKm ? `scale8(${set}a${s}, cfa${s})` : `${set}a${s}`;
      t += `    { let e = lid + ${s * NT}u; ${stage(ko, `(${b}u * ${L.aBuf}u + (e / ${C}u) * ${L.sa}u + (e % ${C}u) * 8u) / 8u`, v)} }\n`;
    }
    for (let s = 0; s < LB; s++) {
      t += `    { let e = lid + ${s * NT}u; ${stage(ko, `(${L.bOff}u + ${b}u * ${L.bBuf}u + (e / ${NC}u) * ${L.sb}u + (e % ${NC}u) * 8u) / 8u`, `${set}b${s}`)} }\n`;
    }
    return t;
  };
  // Each subgroup's views: its FM·16 rows of As[m][k]; its FN·16 columns of Bs[k][n] (TK rows
  // apart by sb) or its FN·16 rows of Bs[n][k].
  let sub = aKm ? subViews('sa', 'smB', L.aBuf, (TK - 1) * L.sa + c.FM * 16) : subViews('sa', 'smB * ' + `${L.sa}u`, L.aBuf, c.FM * 16 * L.sa);
  if (!bDirect) {
    sub += bl === 'kn' ? subViews('sb', `${L.bOff}u + snB`, L.bBuf, (TK - 1) * L.sb + c.FN * 16)
      : subViews('sb', `${L.bOff}u + snB * ${L.sb}u`, L.bBuf, c.FN * 16 * L.sb);
  }
  const bFrag = (cur: 0 | 1, kt: string) => (j: number, kk: number): Frag => {
    if (bDirect) {
      const gn = `(n0 + snB + ${j * 16}u)`, gk = `(${kt} * ${TK}u + ${kk * 16}u)`;
      const off = bl === 'kn' ? `wBase + ${gk} * u.ws1 + ${gn}` : `wBase + ${gn} * u.ws2 + ${gk}`;
      return { src: 'W', ptr: '&W', off, flat: off, stride: bl === 'kn' ? 'u.ws1' : 'u.ws2', col: bl === 'nk' };
    }
    return bl === 'kn' ? staged(`sb${cur}`, `sbV${cur}`, kk * 16 * L.sb + j * 16, L.sb, false)
      : staged(`sb${cur}`, `sbV${cur}`, j * 16 * L.sb + kk * 16, L.sb, true);
  };
  // A's fragment (m, k): row-major from As[m][k], column-major from As[k][m].
  const mult = (cur: 0 | 1, kt: string, part?: 'noLoads' | 'firstLoads'): string => multiplies(c, em, (i, kk) => aKm
    ? staged(`sa${cur}`, `saV${cur}`, kk * 16 * L.sa + i * 16, L.sa, true)
    : staged(`sa${cur}`, `saV${cur}`, i * 16 * L.sa + kk * 16, L.sa, false), bFrag(cur, kt), part);
  const write = `    let ro = rowOut[orow];\n    let gn = n0 + cl;\n    if (ro != NONE && gn < u.N) {\n${P.bias}` +
    store8('Y', yVec, P.yAt('ro', 'gn'), 'gn', 'u.N', P.bias ? 'bv' : '') + '    }\n';
  const srcs: Record<string, string> = { SH: viewH(L.bytes) };
  if (bDirect) srcs.W = '&W';
  // Each invocation stages the same rows of A at every K step, so their gates are read once.
  let coefs = '';
  for (let s = 0; s < LA; s++) coefs += `  let cfa${s} = rowC[(lid + ${s * NT}u) / ${KC}u];\n`;

  return `${em.enables}alias T = f16;
${P.uniforms}
${binds}
const NONE = 0xffffffffu;
var<workgroup> SM: buffer<${L.bytes}>;
var<workgroup> rowIn: array<u32, ${TM}>;
var<workgroup> rowOut: array<u32, ${TM}>;
var<private> wBase: u32;
${P.decls}
${PACKING}${load8Fn('ldX', 'X', aVec)}${bDirect ? '' : load8Fn('ldW', 'W', wVec)}${em.prelude(c, srcs, viewF(L.bytes))}
@compute @workgroup_size(${NT})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
${P.prologue}  workgroupBarrier();
  let sid = lid / ${c.SIZE}u;
  let lane = lid % ${c.SIZE}u;
  let smB = (sid % ${c.SGM}u) * ${c.FM * 16}u;
  let snB = (sid / ${c.SGM}u) * ${c.FN * 16}u;
${views(L.bytes)}${sub}${em.init(c)}${P.coef && !aKm ? coefs : ''}${accDecls(c, em)}${regDecls(LA, 'pa')}${regDecls(LB, 'pb')}${extraRegDecls(depth, LA, LB)}
${tcLoop(ko, depth, `(u.K + ${TK - 1}u) / ${TK}u`, TK, loads, stores, mult)}${writeOut(c, em, write)}}
`;
}

/** scatter2scatter's side of the s2s kernel: blocks from the block table, gathered rows. */
function s2sProblem(c: TcTile, a: RowSrc, hasBias: boolean, group: number): RowProblem {
  const binds = ['var<storage, read> SSE: array<i32>;', 'var<storage, read> BT: array<vec4<u32>>;'];
  if (a.coef) binds.push('var<storage, read> AC: array<T>;');
  if (hasBias) binds.push('var<storage, read> BIAS: array<T>;');
  let bias = '';
  if (hasBias) {
    bias = '      var bv0 = vec4<f32>(0.0);\n      var bv1 = vec4<f32>(0.0);\n      if (t.w == 1u) {\n';
    for (let q = 0; q < 8; q++) bias += `        if (gn + ${q}u < u.N) { bv${q >> 2}[${q & 3}] = f32(BIAS[u.bOff + t.x * u.bs0 + (gn + ${q}u) * u.bs1]); }\n`;
    bias += '      }\n';
  }
  return {
    uniforms: s2sUniformWgsl(),
    binds,
    decls: `var<workgroup> rowC: array<f32, ${tm(c)}>;\nvar<workgroup> tile: vec4<u32>;\n${rowOfFn('rowA', 'a', a)}`,
    prologue: `${s2sBlock(tn(c), group)}  wBase = u.wOff + t.x * u.ws0;\n${s2sRowTable(tm(c), nt(c))}`,
    aRow: (ri) => `u.aOff + ${ri} * u.as0`,
    yAt: (ro, gn) => `u.yOff + ${ro} * u.N + ${gn}`,
    coef: a.coef !== null,
    bias,
  };
}

// ---- dense (batched) matmul: the s2s kernel with every row its own, one "expert" per batch ----

/** out = a · b (float16, f32 accumulation) on the tensor cores, staged as the MoE kernels are,
 * as chooseDenseTc decided. */
export function matmulTc(a: Tensor, b: Tensor, out: Tensor, p: Plan, { mode, tile, aKm, bl, aVec, wVec }: DenseTcChoice): void {
  const { M, N, K } = p;
  const g = out.storage.gpu!;
  const nb = p.bshape[0] ?? 1;
  const [bsa, bsb] = [p.bsa[0] ?? 0, p.bsb[0] ?? 0];
  const tilesM = Math.ceil(M / tm(tile));
  const tilesN = Math.ceil(N / tn(tile));
  const yVec = N % 8 === 0 && out.offset % 8 === 0;
  g.dispatch({
    key: `matmul-tc:${mode}:${tileKey(tile)}:a${aKm ? 'km' : ''}${aVec}:w${bl}${wVec}:y${yVec ? 8 : 1}`,
    wgsl: () => s2sTcWgsl(tile, mode === 'real' ? REAL : EMULATED, denseProblem(tile, knob('matmulTileGroup')), aVec, bl, wVec, false, yVec, aKm),
    inputs: [a.buffer, b.buffer],
    outputs: [out.buffer],
    uniforms: [M, N, K, nb, tilesM, tilesN, a.offset, p.rsA, p.csA, bsa, b.offset, bsb, p.rsB, p.csB, out.offset, 0].map((v) => v >>> 0),
    workgroups: grid(nb * tilesM * tilesN),
  });
}

function denseProblem(c: TcTile, group: number): RowProblem {
  return {
    uniforms: `struct U {
  M: u32, N: u32, K: u32, nb: u32, tilesM: u32, tilesN: u32, aOff: u32, as0: u32,
  as1: u32, aBs: u32, wOff: u32, ws0: u32, ws1: u32, ws2: u32, yOff: u32, p0: u32,
}
@group(0) @binding(0) var<uniform> u: U;`,
    binds: [],
    decls: 'var<private> aBase: u32;\n',
    prologue: `  let g = wid.x + wid.y * nwg.x;
  let per = u.tilesM * u.tilesN;
  if (g >= u.nb * per) { return; }
  let bi = g / per;
  let tt = g % per;
${tileOrder('tt', 'u.tilesM', 'u.tilesN', group)}  let m0 = tm * ${tm(c)}u;
  let n0 = tn * ${tn(c)}u;
  wBase = u.wOff + bi * u.ws0;
  aBase = u.aOff + bi * u.aBs;
  for (var q = lid; q < ${tm(c)}u; q += ${nt(c)}u) {
    let v = select(NONE, m0 + q, m0 + q < u.M);
    rowIn[q] = v;
    rowOut[q] = v;
  }
`,
    aRow: (ri) => `aBase + ${ri} * u.as0`,
    yAt: (ro, gn) => `u.yOff + (bi * u.M + ${ro}) * u.N + ${gn}`,
    coef: false,
    bias: '',
  };
}

// ---- groupXtY ----

/** Runs groupXtY on the tensor cores as chooseXtyTc decided. */
export function xtyTc(o: XtYArgs, { mode, tile }: TcChoice): void {
  const { a, d, sse, offsets, dw, db } = o;
  const g = dw.storage.gpu!;
  const [numE, M, N] = dw.shape;
  const tilesM = Math.ceil(M / tm(tile));
  const tilesN = Math.ceil(N / tn(tile));
  const aVec = rowVec(a.t);
  const dVec = rowVec(d.t);
  const oVec = N % 8 === 0 && dw.offset % 8 === 0;
  const inputs = [a.t.buffer, d.t.buffer, sse.buffer, offsets.buffer];
  if (a.coef) inputs.push(a.coef.buffer);
  if (d.coef) inputs.push(d.coef.buffer);
  g.dispatch({
    key: `moe.xtyTc:${mode}:${tileKey(tile)}:a${srcKey(a, aVec)}:d${srcKey(d, dVec)}:o${oVec ? 8 : 1}${db ? ':b' : ''}`,
    wgsl: () => xtyTcWgsl(tile, mode === 'real' ? REAL : EMULATED, a, aVec, d, dVec, oVec, db !== null),
    inputs,
    outputs: db ? [dw.buffer, db.buffer] : [dw.buffer],
    uniforms: xtyUniforms(o, tilesM, tilesN),
    workgroups: grid(numE * tilesM * tilesN),
  });
}

function xtyTcWgsl(c: TcTile, em: Emit, a: RowSrc, aVec: Vec, d: RowSrc, dVec: Vec, oVec: boolean, hasBias: boolean): string {
  const TM = tm(c), TN = tn(c), { TK } = c, NT = nt(c);
  const L = layout(c, 'xty', 'kn', true);
  const LA = (TK * TM) / 8 / NT;
  const LB = (TK * TN) / 8 / NT;
  const binds = xtyBindings(a, bindType(aVec), d, bindType(dVec), oVec ? 'vec4<u32>' : 'f16', hasBias);

  // Row (and coefficient) of the expert's k-th row for operand A or D, from the row tables.
  const rowOf = (t: 'A' | 'D', k: string): string => `R${t}[(${k}) % ${ROW_CHUNK}u]`;

  // Both operands are k-major already (k = the expert's rows): As[k][m], Bs[k][n], 8 columns
  // of a row per chunk.
  const ko = knockout();
  const MC = TM / 8, NC = TN / 8;
  const loads = (set: Regs, k0: string): string => {
    let l = '';
    for (let s = 0; s < LA; s++) {
      const r = `${set}a${s}`;
      l += `    { let e = lid + ${s * NT}u; let q = ${rowOf('A', `${k0} + e / ${MC}u`)}; ${r} = vec4<u32>(0u);\n`;
      l += `      if (q.x != NONE) { ${r} = ${ld(ko, 'ldX', `u.aOff + q.x * u.as0, m0 + (e % ${MC}u) * 8u, u.M, u.as1`)}; }${a.coef ? ` ${set}fa${s} = bitcast<f32>(q.y);` : ''} }\n`;
    }
    for (let s = 0; s < LB; s++) {
      const r = `${set}b${s}`;
      l += `    { let e = lid + ${s * NT}u; let q = ${rowOf('D', `${k0} + e / ${NC}u`)}; ${r} = vec4<u32>(0u);\n`;
      l += `      if (q.x != NONE) { ${r} = ${ld(ko, 'ldD', `u.dOff + q.x * u.ds0, n0 + (e % ${NC}u) * 8u, u.N, u.ds1`)}; }${d.coef ? ` ${set}fb${s} = bitcast<f32>(q.y);` : ''} }\n`;
    }
    return l;
  };
  const stores = (b: 0 | 1, set: Regs): string => {
    let t = '';
    // As in scatter2scatter, coefficients (and db's column sums) wait for the loads here,
    // after the step's products.
    for (let s = 0; s < LA; s++) {
      const v = a.coef ? `scale8(${set}a${s}, ${set}fa${s})` : `${set}a${s}`;
      t += `    { let e = lid + ${s * NT}u; ${stage(ko, `(${b}u * ${L.aBuf}u + (e / ${MC}u) * ${L.sa}u + (e % ${MC}u) * 8u) / 8u`, v)} }\n`;
    }
    for (let s = 0; s < LB; s++) {
      const v = d.coef ? `scale8(${set}b${s}, ${set}fb${s})` : `${set}b${s}`;
      const sum = hasBias ? ' colSum0 += lo4(v); colSum1 += hi4(v);' : '';
      const idx = `(${L.bOff}u + ${b}u * ${L.bBuf}u + (e / ${NC}u) * ${L.sb}u + (e % ${NC}u) * 8u) / 8u`;
      t += d.coef || hasBias ? `    { let e = lid + ${s * NT}u; let v = ${v}; ${stage(ko, idx, 'v')}${sum} }\n`
        : `    { let e = lid + ${s * NT}u; ${stage(ko, idx, v)} }\n`;
    }
    return t;
  };
  // Each subgroup's views: its FM·16 columns of As[k][m] and FN·16 of Bs[k][n], TK rows each.
  const sub = subViews('sa', 'smB', L.aBuf, (TK - 1) * L.sa + c.FM * 16) + subViews('sb', `${L.bOff}u + snB`, L.bBuf, (TK - 1) * L.sb + c.FN * 16);
  const mult = (cur: 0 | 1, _kt: string, part?: 'noLoads' | 'firstLoads'): string => multiplies(c, em,
    // Left fragment (m, k) from As[k][m]: column-major.
    (i, kk) => staged(`sa${cur}`, `saV${cur}`, kk * 16 * L.sa + i * 16, L.sa, true),
    (j, kk) => staged(`sb${cur}`, `sbV${cur}`, kk * 16 * L.sb + j * 16, L.sb, false), part);
  const kTiles = `(r.y - r.x + ${TK - 1}u) / ${TK}u`;
  const rows = (k: string): string => `fillRows(lid, r, ${k});`;
  // The unrolled loop, as scatter2scatter's, loading tcDepth steps ahead. It once gave wrong dW
  // on the GPUs' real subgroup matrices (H200 and H100, driver 580.159) while its one-step
  // form was right: the expert's row range then came through a vec2<u32> workgroup variable
  // and workgroupUniformLoad. As a vec4, or with no workgroup variable at all (below), the
  // same loop is right on the H100; the cause inside the driver is not known.
  const depth = depthOf();
  const xtyLoop = tcLoop(ko, depth, kTiles, TK, loads, stores, mult, rows);
  let out = writeOut(c, em, `    let gm = m0 + orow;\n    let gn = n0 + cl;\n    if (gm < u.M && gn < u.N) {\n${store8('DW', oVec, '(ex * u.M + gm) * u.N + gn', 'gn', 'u.N')}    }\n`);
  if (hasBias) {
    // db[e] = the sum of D's rows: every invocation summed the 8 columns it staged, gates
    // applied (always the same ones: NT is a multiple of TN / 8); the tile-row-0 workgroups
    // add those up.
    out += `  if (tmi == 0u) {
    SF4[lid * 2u] = colSum0;
    SF4[lid * 2u + 1u] = colSum1;
  }
  workgroupBarrier();
  if (tmi == 0u && lid < ${NC}u) {
    var s0 = vec4<f32>(0.0);
    var s1 = vec4<f32>(0.0);
    for (var i = lid; i < ${NT}u; i += ${NC}u) { s0 += SF4[i * 2u]; s1 += SF4[i * 2u + 1u]; }
    let gn = n0 + lid * 8u;
${Array.from({ length: 8 }, (_, q) => `    if (gn + ${q}u < u.N) { DB[ex * u.N + gn + ${q}u] = T(s${q >> 2}[${q & 3}]); }`).join('\n')}
  }
`;
  }

  return `${em.enables}alias T = f16;
${xtyUniformWgsl()}
${binds}
const NONE = 0xffffffffu;
var<workgroup> SM: buffer<${L.bytes}>;

${PACKING}${load8Fn('ldX', 'X', aVec)}${load8Fn('ldD', 'D', dVec)}${rowOfFn('rowA', 'a', a)}${rowOfFn('rowD', 'd', d)}${xtyRowTables(NT)}${em.prelude(c, { SH: viewH(L.bytes) }, viewF(L.bytes))}
fn clampOff(i: u32, lo: u32) -> u32 { return clamp(u32(max(OFF[u.oOff + i], 0)), lo, u.n); }

@compute @workgroup_size(${NT})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;
  let per = u.tilesM * u.tilesN;
  if (g >= u.E * per) { return; }
  let ex = g / per;
  let tmi = (g % per) / u.tilesN;
  let m0 = tmi * ${TM}u;
  let n0 = (g % u.tilesN) * ${TN}u;
  let sid = lid / ${c.SIZE}u;
  let lane = lid % ${c.SIZE}u;
  let smB = (sid % ${c.SGM}u) * ${c.FM * 16}u;
  let snB = (sid / ${c.SGM}u) * ${c.FN * 16}u;
${views(L.bytes)}${sub}${em.init(c)}  // The expert's rows, read by every invocation from a read-only buffer: uniform, and no
  // workgroup variable (see xtyLoop above).
  var start = 0u;
  if (ex > 0u) { start = clampOff(ex - 1u, 0u); }
  let r = vec2<u32>(start, clampOff(ex, start));
${accDecls(c, em)}${regDecls(LA, 'pa')}${regDecls(LB, 'pb')}${extraRegDecls(depth, LA, LB)}${REG_SETS.slice(0, depth).map((set) => (a.coef ? regDecls(LA, `${set}fa`, '0.0') : '') + (d.coef ? regDecls(LB, `${set}fb`, '0.0') : '')).join('')}${hasBias ? '  var colSum0 = vec4<f32>(0.0);\n  var colSum1 = vec4<f32>(0.0);\n' : ''}
${xtyLoop}${out}}
`;
}
