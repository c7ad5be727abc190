// The MoE GEMMs on the tensor cores: float16 operands, f32 accumulation, through Dawn's
// chromium-experimental-subgroup-matrix (f16 x f16 -> f32 on 16x16x16 fragments).
//
// Same problems as the SIMT kernels in gemm.ts (scatter2scatter and groupXtY, with the row
// gathers, gates and scatters fused), but a workgroup of SGM x SGN subgroups shares one
// TM x TN output tile: every K step all its invocations gather TK columns of the tile's rows
// into workgroup memory (rounded to f16, gates applied in f32 first), and each subgroup then
// multiplies its FM x FN fragments from there. Staging is what makes the gather possible: a
// subgroup-matrix load reads a strided block, which gathered rows in global memory are not.
// (It is also what is fast: on an H100, fragments loaded from workgroup memory run at ~620
// TFLOP/s and from a storage buffer at 40-70; see bench/tc-ceiling.mjs.) scatter2scatter's
// weights need no gather, so whole tiles of W are read straight from their buffer.
// Workgroup memory is double-buffered (one barrier per K step) and filled from registers
// loaded during the previous step's multiplies. Results leave through a per-subgroup 16x16
// f32 scratch, so the scatter to output rows (and the bias) happen in plain WGSL.
//
// Subgroup-matrix offsets here depend on the subgroup, which Tint's uniformity analysis
// cannot prove uniform within a subgroup; the chromium.subgroup_matrix_uniformity diagnostic
// is turned off for that. Subgroup i is invocations [32 i, 32 i + 32), as on NVIDIA's warps;
// hasSubgroupMatrix only admits adapters whose subgroups are exactly 32 wide.
//
// SCATTERGRAD_MOE_TC=emulate runs the same kernels with the subgroup-matrix builtins written
// out as plain WGSL functions (fragments held in workgroup memory, each lane computing a share
// of their elements), so the tiling, staging and scatter logic is tested on adapters without
// tensor cores (lavapipe in CI).
// SCATTERGRAD_MOE_TC=off forces the SIMT kernels; SCATTERGRAD_MOE_TC_TILE=big|mid|wide a tile.
import type { GpuBackend } from '../backend/webgpu.js';
import { hasSubgroupMatrix } from '../ops/matmul-subgroup.js';
import { grid } from './wgsl.js';
import {
  blockTable, env, kLoop, ROW_CHUNK, rowLoadFn, s2sBlock, s2sRowTable, xtyBindings, xtyRowTables, rowOfFn, srcKey, s2sUniformWgsl, s2sUniforms, xtyUniformWgsl, xtyUniforms, vec4Rows,
  type RowSrc, type S2SArgs, type XtYArgs,
} from './gemm.js';

/** SGM x SGN subgroups of SIZE invocations, each computing FM x FN fragments; TK = K per step. */
export interface TcTile { SGM: number; SGN: number; FM: number; FN: number; TK: number; SIZE: number }

const BIG: TcTile = { SGM: 2, SGN: 4, FM: 4, FN: 2, TK: 32, SIZE: 32 }; // 128 x 128, 8 subgroups
const MID: TcTile = { SGM: 2, SGN: 2, FM: 2, FN: 2, TK: 32, SIZE: 32 }; // 64 x 64, 4 subgroups
const WIDE: TcTile = { SGM: 2, SGN: 2, FM: 4, FN: 4, TK: 32, SIZE: 32 }; // 128 x 128, 4 subgroups
// Emulated (workgroup memory holds every fragment): small tiles that between them cover
// several subgroups both ways, several fragments per subgroup both ways, and two 16-deep
// products per K step. SCATTERGRAD_MOE_TC_TILE=emu2 picks the second.
// Wide emulated subgroups keep the unrolled staging code per invocation short: llvmpipe's
// compile time grows with it.
const EMU: TcTile = { SGM: 2, SGN: 2, FM: 1, FN: 1, TK: 16, SIZE: 16 }; // 32 x 32, 4 subgroups
const EMU2: TcTile = { SGM: 1, SGN: 1, FM: 2, FN: 2, TK: 32, SIZE: 64 }; // 32 x 32, 1 subgroup
/** Fewer big tiles than this and the 64 x 64 tiles keep more of the GPU busy. */
const BIG_MIN_TILES = 264;

const tm = (c: TcTile): number => c.SGM * c.FM * 16;
const tn = (c: TcTile): number => c.SGN * c.FN * 16;
const nt = (c: TcTile): number => c.SGM * c.SGN * c.SIZE;
const PAD = 8; // halves of padding per staged row: 16 bytes, to spread rows over banks
type Kernel = 's2s' | 'xty';
/** Bytes of workgroup memory a kernel declares with tile c (see s2sTcWgsl and xtyTcWgsl). */
function sharedBytes(c: TcTile, k: Kernel, emulated: boolean): number {
  const slotsB = emulated ? c.SGM * c.SGN * (c.FM + c.FN + c.FM * c.FN) * 1024 : 0;
  const scratch = Math.max(c.SGM * c.SGN * 1024, nt(c) * 16);
  const b = 2 * c.TK * (tn(c) + PAD) * 2;
  if (k === 's2s') return slotsB + 2 * tm(c) * (c.TK + PAD) * 2 + b + scratch + 3 * tm(c) * 4 + 64;
  return slotsB + 2 * c.TK * (tm(c) + PAD) * 2 + b + scratch + 2 * ROW_CHUNK * 8 + 64;
}
const fits = (c: TcTile, g: GpuBackend, k: Kernel, emulated = false): boolean =>
  nt(c) <= g.limits.maxComputeInvocationsPerWorkgroup && nt(c) <= g.limits.maxComputeWorkgroupSizeX &&
  sharedBytes(c, k, emulated) <= g.limits.maxComputeWorkgroupStorageSize;
const tileKey = (c: TcTile): string => `${c.SGM}x${c.SGN}x${c.FM}x${c.FN}x${c.TK}x${c.SIZE}`;

type Mode = 'real' | 'emulate' | null;

/** Whether (and how) the tensor-core kernels run on this adapter. */
export function tcMode(g: GpuBackend): Mode {
  const want = env('SCATTERGRAD_MOE_TC');
  if (want === 'off') return null;
  if (want === 'emulate') return g.features.has('shader-f16') ? 'emulate' : null;
  return hasSubgroupMatrix(g) ? 'real' : null;
}

function pick(g: GpuBackend, mode: Mode, k: Kernel, tilesOf: (c: TcTile) => number): TcTile | null {
  const forced = env('SCATTERGRAD_MOE_TC_TILE');
  if (mode === 'emulate') {
    const c = forced === 'emu2' ? EMU2 : EMU;
    return fits(c, g, k, true) ? c : null;
  }
  if (forced === 'big' && fits(BIG, g, k)) return BIG;
  if (forced === 'mid' && fits(MID, g, k)) return MID;
  if (forced === 'wide' && fits(WIDE, g, k)) return WIDE;
  if (fits(BIG, g, k) && tilesOf(BIG) >= BIG_MIN_TILES) return BIG;
  return fits(MID, g, k) ? MID : null;
}

// ---- the subgroup-matrix builtins, real or written out ----

// Fragments are named a<i> (left), b<j> (right), c<i>_<j> (accumulators); the emulation keeps
// each in a 256-float slot of workgroup memory per subgroup: a<i> in slot i, b<j> in FM + j,
// c<i>_<j> in FM + FN + i * FN + j.
interface Emit {
  enables: string;
  /** Module-scope declarations the emulation needs. */
  prelude(c: TcTile, loadArrs: string[], storeArr: string): string;
  /** Statements in main once sid and lane are known. */
  init(c: TcTile): string;
  acc(c: TcTile, i: number, j: number): string;
  load(c: TcTile, kind: 'left' | 'right', idx: number, arr: string, off: string, stride: string, colMajor: boolean): string;
  mma(c: TcTile, i: number, j: number): string;
  store(c: TcTile, arr: string, off: string, i: number, j: number, stride: string): string;
}

const slots = (c: TcTile): number => c.FM + c.FN + c.FM * c.FN;
const accSlot = (c: TcTile, i: number, j: number): number => c.FM + c.FN + i * c.FN + j;

const REAL: Emit = {
  enables: 'enable f16;\nenable chromium_experimental_subgroup_matrix;\ndiagnostic(off, chromium.subgroup_matrix_uniformity);\n',
  prelude: () => '',
  init: () => '',
  acc: (_c, i, j) => `  var c${i}_${j} = subgroup_matrix_result<f32, 16, 16>();\n`,
  load: (_c, kind, idx, arr, off, stride, col) =>
    `      let ${kind === 'left' ? 'a' : 'b'}${idx} = subgroupMatrixLoad<subgroup_matrix_${kind}<f16, 16, 16>, ${col ? 'col_major' : 'row_major'}>(&${arr}, ${off}, ${stride});\n`,
  mma: (_c, i, j) => `      c${i}_${j} = subgroupMatrixMultiplyAccumulate(a${i}, b${j}, c${i}_${j});\n`,
  store: (_c, arr, off, i, j, stride) => `    subgroupMatrixStore<row_major>(&${arr}, ${off}, c${i}_${j}, ${stride});\n`,
};

// The emulation: each lane of a subgroup handles the elements lane, lane + SIZE, ... of a
// fragment (row-major: element (r, c) at r * 16 + c). Every call is made in uniform control
// flow by all subgroups alike, so the products can be fenced with workgroup barriers. Element
// (r, c) of a row-major load sits at off + r * stride + c, of a column-major one at
// off + c * stride + r. (Private 256-float arrays would be simpler, but llvmpipe takes
// minutes to compile them.)
const EMULATED: Emit = {
  enables: 'enable f16;\n',
  prelude: (c, loadArrs, storeArr) => {
    let s = `var<workgroup> Em: array<f32, ${c.SGM * c.SGN * slots(c) * 256}>;
var<private> emBase: u32;
var<private> emLane: u32;
`;
    for (const arr of loadArrs) {
      s += `fn emLoad${arr}(slot: u32, off: u32, stride: u32, colMajor: bool) {
  for (var i = emLane; i < 256u; i += ${c.SIZE}u) {
    let r = i / 16u;
    let q = i % 16u;
    Em[emBase + slot * 256u + i] = f32(${arr}[select(off + r * stride + q, off + q * stride + r, colMajor)]);
  }
}
`;
    }
    return `${s}fn emZero(slot: u32) {
  for (var i = emLane; i < 256u; i += ${c.SIZE}u) { Em[emBase + slot * 256u + i] = 0.0; }
}
fn emMma(cs: u32, ls: u32, rs: u32) {
  workgroupBarrier();
  for (var i = emLane; i < 256u; i += ${c.SIZE}u) {
    let r = i / 16u;
    let q = i % 16u;
    var s = Em[emBase + cs * 256u + i];
    for (var k = 0u; k < 16u; k++) { s = fma(Em[emBase + ls * 256u + r * 16u + k], Em[emBase + rs * 256u + k * 16u + q], s); }
    Em[emBase + cs * 256u + i] = s;
  }
  workgroupBarrier();
}
fn emStore(cs: u32, off: u32, stride: u32) {
  for (var i = emLane; i < 256u; i += ${c.SIZE}u) { ${storeArr}[off + (i / 16u) * stride + i % 16u] = Em[emBase + cs * 256u + i]; }
}
`;
  },
  init: (c) => `  emBase = sid * ${slots(c) * 256}u;\n  emLane = lane;\n`,
  acc: (c, i, j) => `  emZero(${accSlot(c, i, j)}u);\n`,
  load: (c, kind, idx, arr, off, stride, col) => `      emLoad${arr}(${kind === 'left' ? idx : c.FM + idx}u, ${off}, ${stride}, ${col});\n`,
  mma: (c, i, j) => `      emMma(${accSlot(c, i, j)}u, ${i}u, ${c.FM + j}u);\n`,
  store: (c, _arr, off, i, j, stride) => `    emStore(${accSlot(c, i, j)}u, ${off}, ${stride});\n`,
};
const comp = ['x', 'y', 'z', 'w'];

/** The fragment products of one K step: the subgroup's FM left and FN right fragments from
 * the staged tiles (`aAt(i, kk)`, `bAt(j, kk)` give their offsets and layouts). */
function multiplies(c: TcTile, em: Emit, aAt: (i: number, kk: number) => [string, string, boolean], bAt: (j: number, kk: number) => [string, string, boolean], bArr = 'Bs'): string {
  let s = '';
  for (let kk = 0; kk < c.TK / 16; kk++) {
    s += '    {\n';
    for (let i = 0; i < c.FM; i++) { const [off, st, col] = aAt(i, kk); s += em.load(c, 'left', i, 'As', off, st, col); }
    for (let j = 0; j < c.FN; j++) { const [off, st, col] = bAt(j, kk); s += em.load(c, 'right', j, bArr, off, st, col); }
    for (let i = 0; i < c.FM; i++) for (let j = 0; j < c.FN; j++) s += em.mma(c, i, j);
    s += '    }\n';
  }
  return s;
}

/** Each step reads buffer `cur`; `kc` is its first K (W's direct loads use it). */
const tcHead = (TK: number): string => `    let cur = nb;\n    let kc = kt * ${TK}u;\n`;

/** Each subgroup's fragments through its scratch to `write(i, j)`, which sees fr, cc (the
 * element's row and column in the fragment) and v (its f32 value). */
function writeOut(c: TcTile, em: Emit, write: (i: number, j: number) => string): string {
  let s = '';
  for (let i = 0; i < c.FM; i++) {
    for (let j = 0; j < c.FN; j++) {
      s += em.store(c, 'Sc', 'sid * 256u', i, j, '16u');
      s += `  workgroupBarrier();
  for (var q = 0u; q < ${256 / c.SIZE}u; q++) {
    let e = q * ${c.SIZE}u + lane;
    let fr = e / 16u;
    let cc = e % 16u;
    let v = Sc[sid * 256u + e];
${write(i, j)}  }
  workgroupBarrier();
`;
    }
  }
  return s;
}

function accDecls(c: TcTile, em: Emit): string {
  let s = '';
  for (let i = 0; i < c.FM; i++) for (let j = 0; j < c.FN; j++) s += em.acc(c, i, j);
  return s;
}

function regDecls(n: number, p: string): string {
  let s = '';
  for (let i = 0; i < n; i++) s += `  var ${p}${i} = vec4<f32>(0.0);\n`;
  return s;
}

function check(c: TcTile): void {
  const per = (tm(c) * c.TK) / 4 / nt(c);
  const perB = (c.TK * tn(c)) / 4 / nt(c);
  if (!Number.isInteger(per) || !Number.isInteger(perB) || per < 1 || perB < 1 || nt(c) % (tn(c) / 4) !== 0 || nt(c) % (tm(c) / 4) !== 0) {
    throw new Error(`moe: tensor-core tile ${tileKey(c)} does not divide its loads evenly`);
  }
}

// ---- scatter2scatter ----

type WMode = 'n4' | 'k4' | 'n1';

/** Runs scatter2scatter on the tensor cores when it applies (float16 throughout); false otherwise. */
export function s2sTc(o: S2SArgs): boolean {
  const { a, w, bias, sse, offsets, y } = o;
  if (y.dtype !== 'float16' || a.t.dtype !== 'float16' || w.dtype !== 'float16') return false;
  const g = y.storage.gpu!;
  const mode = tcMode(g);
  if (!mode) return false;
  const [, K, N] = w.shape;
  const n = sse.numel;
  const tile = pick(g, mode, 's2s', (c) => Math.ceil(n / tm(c)) * Math.ceil(N / tn(c)));
  if (!tile) return false;
  check(tile);
  const { table, cap } = blockTable(g, offsets, n, tm(tile));
  const tilesN = Math.ceil(N / tn(tile));
  const [ws0, ws1, ws2] = w.strides;
  const wMode: WMode =
    ws2 === 1 && N % 4 === 0 && ws1 % 4 === 0 && ws0 % 4 === 0 && w.offset % 4 === 0 ? 'n4'
      : ws1 === 1 && K % 4 === 0 && ws2 % 4 === 0 && ws0 % 4 === 0 && w.offset % 4 === 0 ? 'k4' : 'n1';
  const aVec = vec4Rows(a.t) && K % 4 === 0;
  // W[e] needs no gather: with whole tiles and aligned strides its fragments are read straight
  // from the buffer, skipping half the staging (5% faster at the medium MoE on an H100, where
  // staging, not the multiplies, is what limits). SCATTERGRAD_MOE_TC_BDIRECT=0 stages it anyway.
  const bDirect = env('SCATTERGRAD_MOE_TC_BDIRECT') !== '0' && wMode !== 'n1' && N % tn(tile) === 0 && K % tile.TK === 0 &&
    [w.offset, ws0, wMode === 'n4' ? ws1 : ws2].every((x) => x % 8 === 0);
  const inputs = [a.t.buffer, w.buffer, sse.buffer, table.buffer];
  if (a.coef) inputs.push(a.coef.buffer);
  if (bias) inputs.push(bias.buffer);
  const u = s2sUniforms(o, cap, tilesN);
  g.dispatch({
    key: `moe.s2sTc:${mode}:${tileKey(tile)}:a${srcKey(a, aVec)}:w${wMode}${bDirect ? 'd' : ''}:${o.groupedOut ? 'go' : 'so'}${bias ? ':b' : ''}`,
    wgsl: () => s2sTcWgsl(tile, mode === 'real' ? REAL : EMULATED, a, aVec, wMode, bDirect, bias !== null),
    inputs,
    outputs: [y.buffer],
    uniforms: u,
    workgroups: grid(cap * tilesN),
  });
  table.dispose();
  return true;
}

function s2sTcWgsl(c: TcTile, em: Emit, a: RowSrc, aVec: boolean, wMode: WMode, bDirect: boolean, hasBias: boolean): string {
  const TM = tm(c);
  const TN = tn(c);
  const { TK } = c;
  const NT = nt(c);
  const SA = TK + PAD; // As[m][k]
  const SB = TN + PAD; // Bs[k][n]
  const LA = (TM * TK) / 4 / NT;
  const LB = (TK * TN) / 4 / NT;
  let bi = 0;
  let binds = `@group(0) @binding(${++bi}) var<storage, read> X: array<${aVec ? 'vec4<T>' : 'T'}>;\n`;
  binds += `@group(0) @binding(${++bi}) var<storage, read> W: array<${wMode === 'n1' || bDirect ? 'T' : 'vec4<T>'}>;\n`;
  binds += `@group(0) @binding(${++bi}) var<storage, read> SSE: array<i32>;\n`;
  binds += `@group(0) @binding(${++bi}) var<storage, read> BT: array<vec4<u32>>;\n`;
  if (a.coef) binds += `@group(0) @binding(${++bi}) var<storage, read> AC: array<T>;\n`;
  if (hasBias) binds += `@group(0) @binding(${++bi}) var<storage, read> BIAS: array<T>;\n`;
  binds += `@group(0) @binding(${++bi}) var<storage, read_write> Y: array<T>;\n`;

  // A: TM gathered rows x TK, read as vec4 along k, staged as As[m][k] (f16).
  let loads = '';
  let stores = '';
  for (let s = 0; s < LA; s++) {
    loads += `    { let e = lid + ${s * NT}u; let m = e / ${TK / 4}u; let gk = k0 + (e % ${TK / 4}u) * 4u; let ri = rowIn[m];\n`;
    loads += `      pa${s} = vec4<f32>(0.0); if (ri != NONE && gk < u.K) { pa${s} = loadA(ri, gk) * rowC[m]; } }\n`;
    stores += `    { let e = lid + ${s * NT}u; let o = nb * ${TM * SA}u + (e / ${TK / 4}u) * ${SA}u + (e % ${TK / 4}u) * 4u;\n`;
    stores += `      ${comp.map((q, i) => `As[o + ${i}u] = f16(pa${s}.${q});`).join(' ')} }\n`;
  }
  // B: TK x TN of W[e], staged as Bs[k][n] whichever way W is laid out (or not at all).
  for (let s = 0; s < (bDirect ? 0 : LB); s++) {
    if (wMode === 'k4') {
      loads += `    { let e = lid + ${s * NT}u; let gn = n0 + e / ${TK / 4}u; let gk = k0 + (e % ${TK / 4}u) * 4u;\n`;
      loads += `      pb${s} = vec4<f32>(0.0); if (gn < u.N && gk < u.K) { pb${s} = vec4<f32>(W[(wBase + gn * u.ws2 + gk) / 4u]); } }\n`;
      stores += `    { let e = lid + ${s * NT}u; let o = nb * ${TK * SB}u + (e % ${TK / 4}u) * ${4 * SB}u + e / ${TK / 4}u;\n`;
      stores += `      ${comp.map((q, i) => `Bs[o + ${i * SB}u] = f16(pb${s}.${q});`).join(' ')} }\n`;
    } else {
      loads += `    { let e = lid + ${s * NT}u; let gk = k0 + e / ${TN / 4}u; let gn = n0 + (e % ${TN / 4}u) * 4u;\n`;
      loads += `      pb${s} = vec4<f32>(0.0); if (gk < u.K && gn < u.N) { pb${s} = loadB(gk, gn); } }\n`;
      stores += `    { let e = lid + ${s * NT}u; let o = nb * ${TK * SB}u + (e / ${TN / 4}u) * ${SB}u + (e % ${TN / 4}u) * 4u;\n`;
      stores += `      ${comp.map((q, i) => `Bs[o + ${i}u] = f16(pb${s}.${q});`).join(' ')} }\n`;
    }
  }
  let loadB = '';
  if (bDirect) loadB = '';
  else if (wMode === 'n4') loadB = 'fn loadB(k: u32, col: u32) -> vec4<f32> { return vec4<f32>(W[(wBase + k * u.ws1 + col) / 4u]); }\n';
  else if (wMode === 'n1') {
    loadB = 'fn loadB(k: u32, col: u32) -> vec4<f32> {\n  var v = vec4<f32>(0.0);\n';
    for (let i = 0; i < 4; i++) loadB += `  if (col + ${i}u < u.N) { v.${comp[i]} = f32(W[wBase + k * u.ws1 + (col + ${i}u) * u.ws2]); }\n`;
    loadB += '  return v;\n}\n';
  }
  const bFrag = (j: number, kk: number): [string, string, boolean] => {
    if (!bDirect) return [`cur * ${TK * SB}u + ${kk * 16 * SB}u + snB + ${j * 16}u`, `${SB}u`, false];
    const n = `(n0 + snB + ${j * 16}u)`;
    const k = `(kc + ${kk * 16}u)`;
    return wMode === 'n4' ? [`wBase + ${k} * u.ws1 + ${n}`, 'u.ws1', false] : [`wBase + ${n} * u.ws2 + ${k}`, 'u.ws2', true];
  };
  const mult = multiplies(c, em,
    (i, kk) => [`cur * ${TM * SA}u + (smB + ${i * 16}u) * ${SA}u + ${kk * 16}u`, `${SA}u`, false],
    bFrag, bDirect ? 'W' : 'Bs');
  const out = writeOut(c, em, (i, j) => {
    let s = `    let ro = rowOut[smB + ${i * 16}u + fr];\n    let gn = n0 + snB + ${j * 16}u + cc;\n`;
    s += '    if (ro != NONE && gn < u.N) {\n';
    if (hasBias) s += '      var b = 0.0;\n      if (t.w == 1u) { b = f32(BIAS[u.bOff + t.x * u.bs0 + gn * u.bs1]); }\n      Y[u.yOff + ro * u.N + gn] = T(v + b);\n';
    else s += '      Y[u.yOff + ro * u.N + gn] = T(v);\n';
    return s + '    }\n';
  });

  return `${em.enables}alias T = f16;
${s2sUniformWgsl()}
${binds}
const NONE = 0xffffffffu;
var<workgroup> As: array<f16, ${2 * TM * SA}>;
${bDirect ? '' : `var<workgroup> Bs: array<f16, ${2 * TK * SB}>;\n`}var<workgroup> Sc: array<f32, ${c.SGM * c.SGN * 256}>;
var<workgroup> rowIn: array<u32, ${TM}>;
var<workgroup> rowOut: array<u32, ${TM}>;
var<workgroup> rowC: array<f32, ${TM}>;
var<workgroup> tile: vec4<u32>;
var<private> wBase: u32;

${rowLoadFn('loadA', 'X', 'a', aVec, 'u.K')}${loadB}${rowOfFn('rowA', 'a', a)}${em.prelude(c, ['As', bDirect ? 'W' : 'Bs'], 'Sc')}
@compute @workgroup_size(${NT})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
${s2sBlock(TN)}  let sid = lid / ${c.SIZE}u;
  let lane = lid % ${c.SIZE}u;
  let smB = (sid % ${c.SGM}u) * ${c.FM * 16}u;
  let snB = (sid / ${c.SGM}u) * ${c.FN * 16}u;
${em.init(c)}  wBase = u.wOff + t.x * u.ws0;
${s2sRowTable(TM, NT)}  workgroupBarrier();
${accDecls(c, em)}${regDecls(LA, 'pa')}${regDecls(LB, 'pb')}
${kLoop(`(u.K + ${TK - 1}u) / ${TK}u`, TK, tcHead(TK), loads, stores, mult)}${out}}
`;
}

// ---- groupXtY ----

/** Runs groupXtY on the tensor cores when it applies (float16 throughout); false otherwise. */
export function xtyTc(o: XtYArgs): boolean {
  const { a, d, sse, offsets, dw, db } = o;
  if (dw.dtype !== 'float16' || a.t.dtype !== 'float16' || d.t.dtype !== 'float16') return false;
  const g = dw.storage.gpu!;
  const mode = tcMode(g);
  if (!mode) return false;
  const [numE, M, N] = dw.shape;
  const tile = pick(g, mode, 'xty', (c) => numE * Math.ceil(M / tm(c)) * Math.ceil(N / tn(c)));
  if (!tile) return false;
  check(tile);
  const tilesM = Math.ceil(M / tm(tile));
  const tilesN = Math.ceil(N / tn(tile));
  const aVec = vec4Rows(a.t) && M % 4 === 0;
  const dVec = vec4Rows(d.t) && N % 4 === 0;
  const inputs = [a.t.buffer, d.t.buffer, sse.buffer, offsets.buffer];
  if (a.coef) inputs.push(a.coef.buffer);
  if (d.coef) inputs.push(d.coef.buffer);
  const u = xtyUniforms(o, tilesM, tilesN);
  g.dispatch({
    key: `moe.xtyTc:${mode}:${tileKey(tile)}:a${srcKey(a, aVec)}:d${srcKey(d, dVec)}${db ? ':b' : ''}`,
    wgsl: () => xtyTcWgsl(tile, mode === 'real' ? REAL : EMULATED, a, aVec, d, dVec, db !== null),
    inputs,
    outputs: db ? [dw.buffer, db.buffer] : [dw.buffer],
    uniforms: u,
    workgroups: grid(numE * tilesM * tilesN),
  });
  return true;
}

function xtyTcWgsl(c: TcTile, em: Emit, a: RowSrc, aVec: boolean, d: RowSrc, dVec: boolean, hasBias: boolean): string {
  const TM = tm(c);
  const TN = tn(c);
  const { TK } = c;
  const NT = nt(c);
  const SA = TM + PAD; // As[k][m]
  const SB = TN + PAD; // Bs[k][n]
  const LA = (TK * TM) / 4 / NT;
  const LB = (TK * TN) / 4 / NT;
  const binds = xtyBindings(a, aVec, d, dVec, false, hasBias);

  // Both operands are k-major already (k = the expert's rows): As[k][m], Bs[k][n].
  let loads = '';
  let stores = '';
  for (let s = 0; s < LA; s++) {
    loads += `    { let e = lid + ${s * NT}u; let kr = k0 + e / ${TM / 4}u; let gm = m0 + (e % ${TM / 4}u) * 4u;\n`;
    loads += `      pa${s} = vec4<f32>(0.0); let q = RA[kr % ${ROW_CHUNK}u]; if (q.x != NONE && gm < u.M) { pa${s} = loadA(q.x, gm) * bitcast<f32>(q.y); } }\n`;
    stores += `    { let e = lid + ${s * NT}u; let o = nb * ${TK * SA}u + (e / ${TM / 4}u) * ${SA}u + (e % ${TM / 4}u) * 4u;\n`;
    stores += `      ${comp.map((q, i) => `As[o + ${i}u] = f16(pa${s}.${q});`).join(' ')} }\n`;
  }
  for (let s = 0; s < LB; s++) {
    loads += `    { let e = lid + ${s * NT}u; let kr = k0 + e / ${TN / 4}u; let gn = n0 + (e % ${TN / 4}u) * 4u;\n`;
    loads += `      pb${s} = vec4<f32>(0.0); let q = RD[kr % ${ROW_CHUNK}u]; if (q.x != NONE && gn < u.N) { pb${s} = loadD(q.x, gn) * bitcast<f32>(q.y); } }\n`;
    if (hasBias) loads += `      colSum += pb${s};\n`;
    stores += `    { let e = lid + ${s * NT}u; let o = nb * ${TK * SB}u + (e / ${TN / 4}u) * ${SB}u + (e % ${TN / 4}u) * 4u;\n`;
    stores += `      ${comp.map((q, i) => `Bs[o + ${i}u] = f16(pb${s}.${q});`).join(' ')} }\n`;
  }
  const mult = multiplies(c, em,
    // Left fragment (m, k) from As[k][m]: column-major.
    (i, kk) => [`cur * ${TK * SA}u + ${kk * 16 * SA}u + smB + ${i * 16}u`, `${SA}u`, true],
    (j, kk) => [`cur * ${TK * SB}u + ${kk * 16 * SB}u + snB + ${j * 16}u`, `${SB}u`, false]);
  let out = writeOut(c, em, (i, j) =>
    `    let gm = m0 + smB + ${i * 16}u + fr;\n    let gn = n0 + snB + ${j * 16}u + cc;\n    if (gm < u.M && gn < u.N) { DW[(ex * u.M + gm) * u.N + gn] = T(v); }\n`);
  if (hasBias) {
    // db[e] = the sum of D's rows: every invocation summed the columns it loaded (always the
    // same four: NT is a multiple of TN / 4); the tile-row-0 workgroups add those up.
    out += `  if (tmi == 0u) {
    Sc[lid * 4u] = colSum.x; Sc[lid * 4u + 1u] = colSum.y; Sc[lid * 4u + 2u] = colSum.z; Sc[lid * 4u + 3u] = colSum.w;
  }
  workgroupBarrier();
  if (tmi == 0u && lid < ${TN / 4}u) {
    var s = vec4<f32>(0.0);
    for (var i = lid; i < ${NT}u; i += ${TN / 4}u) { s += vec4<f32>(Sc[i * 4u], Sc[i * 4u + 1u], Sc[i * 4u + 2u], Sc[i * 4u + 3u]); }
    let gn = n0 + lid * 4u;
${comp.map((q, i) => `    if (gn + ${i}u < u.N) { DB[ex * u.N + gn + ${i}u] = T(s.${q}); }`).join('\n')}
  }
`;
  }

  return `${em.enables}alias T = f16;
${xtyUniformWgsl()}
${binds}
const NONE = 0xffffffffu;
var<workgroup> As: array<f16, ${2 * TK * SA}>;
var<workgroup> Bs: array<f16, ${2 * TK * SB}>;
var<workgroup> Sc: array<f32, ${Math.max(c.SGM * c.SGN * 256, hasBias ? NT * 4 : 0)}>;
var<workgroup> rowRange: vec2<u32>;

${rowLoadFn('loadA', 'X', 'a', aVec, 'u.M')}${rowLoadFn('loadD', 'D', 'd', dVec, 'u.N')}${rowOfFn('rowA', 'a', a)}${rowOfFn('rowD', 'd', d)}${xtyRowTables(NT)}${em.prelude(c, ['As', 'Bs'], 'Sc')}
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
${em.init(c)}  if (lid == 0u) {
    var start = 0u;
    if (ex > 0u) { start = clampOff(ex - 1u, 0u); }
    rowRange = vec2<u32>(start, clampOff(ex, start));
  }
  let r = workgroupUniformLoad(&rowRange);
${accDecls(c, em)}${regDecls(LA, 'pa')}${regDecls(LB, 'pb')}${hasBias ? '  var colSum = vec4<f32>(0.0);\n' : ''}
${kLoop(`(r.y - r.x + ${TK - 1}u) / ${TK}u`, TK, tcHead(TK), loads, stores, mult, 'fillRows(lid, r, k0);')}${out}}
`;
}
