// The building blocks of the tensor-core kernels (gemm/tc.ts): 8-half loads of global rows,
// f16 packing, the subgroup-matrix builtins (real, or written out in plain WGSL), views of the
// staging buffer, the fragment products of a K step, the K loop and the way results leave.
import type { Tensor } from '../tensor/tensor.js';
import { knob } from '../backend/tuning.js';
import { kLoop, REG_SETS, type Buf, type Regs } from './kloop.js';
import type { TcTile } from './tiles.js';
import { ROW_CHUNK, type RowSrc } from './rows.js';

// ---- the staging buffer ----

export const tm = (c: TcTile): number => c.SGM * c.FM * 16;
export const tn = (c: TcTile): number => c.SGN * c.FN * 16;
export const nt = (c: TcTile): number => c.SGM * c.SGN * c.SIZE;
// Halves of padding per staged row: 16 bytes by default, so 8 rows' fragment loads hit distinct
// banks; the moeTcPad knob tries another (kernel work).
const padOf = (): number => knob('moeTcPad');

export type Kernel = 's2s' | 'xty';
/** Where the right operand sits in workgroup memory: [k][n] rows, or [n][k] (scatter2scatter's
 * Wᵀ of the dX path, k-contiguous in its buffer, read back as column-major fragments). */
export type BLayout = 'kn' | 'nk';

/** The staging buffer (in halves): A's two buffers, then B's two. */
export interface Layout { sa: number; aBuf: number; sb: number; bBuf: number; bOff: number; bytes: number }
export function layout(c: TcTile, k: Kernel, b: BLayout, bStaged: boolean, aKm = k === 'xty'): Layout {
  const TM = tm(c), TN = tn(c), { TK } = c;
  const PAD = padOf();
  const sa = aKm ? TM + PAD : TK + PAD; // As[m][k], or As[k][m] (groupXtY; a matmul's Aᵀ view)
  const aBuf = aKm ? TK * sa : TM * sa;
  const sb = b === 'kn' ? TN + PAD : TK + PAD;
  const bBuf = bStaged ? (b === 'kn' ? TK * sb : TN * sb) : 0;
  const staging = 2 * (2 * aBuf + 2 * bBuf);
  // The same bytes hold each subgroup's row of result fragments afterwards (FN 16x16 f32
  // blocks), and groupXtY's column sums for db (8 floats per invocation).
  const out = Math.max(c.SGM * c.SGN * c.FN * 256 * 4, k === 'xty' ? nt(c) * 32 : 0);
  return { sa, aBuf, sb, bBuf, bOff: 2 * aBuf, bytes: Math.ceil(Math.max(staging, out) / 16) * 16 };
}
const EXTRA = { s2s: (c: TcTile) => 3 * tm(c) * 4 + 16, xty: () => 2 * ROW_CHUNK * 8 + 16 };

/** Workgroup memory the kernel `k` needs with tile `c` (`emulated`: the emulation's fragments
 * too), whatever the layout of B; null where the tile does not divide the staging evenly, or
 * (groupXtY) its K step does not divide the ROW_CHUNK rows of its row tables. */
export function tcBytes(c: TcTile, k: Kernel, emulated: boolean): number | null {
  if (!divides(c) || (k === 'xty' && ROW_CHUNK % c.TK !== 0)) return null;
  const emBytes = emulated ? c.SGM * c.SGN * (c.FM + c.FN + c.FM * c.FN) * 1024 : 0;
  const staged = k === 'xty' ? layout(c, k, 'kn', true).bytes
    : Math.max(...(['kn', 'nk'] as const).flatMap((b) => [false, true].map((aKm) => layout(c, k, b, true, aKm).bytes)));
  return staged + EXTRA[k](c) + emBytes;
}

/** Every invocation stages the same number of 8-half chunks, and always the same column of
 * them across a K step's rows (groupXtY's db sums rely on it). */
function divides(c: TcTile): boolean {
  const chunksA = (tm(c) * c.TK) / 8;
  const chunksB = (tn(c) * c.TK) / 8;
  return c.TK % 16 === 0 && chunksA % nt(c) === 0 && chunksB % nt(c) === 0 && nt(c) % (tn(c) / 8) === 0 && nt(c) % (tm(c) / 8) === 0;
}

// ---- loading 8 halves at a time ----

/** How a source is read along its contiguous dim: 8 halves per load (vec4<u32>), 4 (vec4<f16>),
 * or one at a time with any stride. */
export type Vec = 8 | 4 | 1;
export const srcKey = (s: RowSrc, v: Vec): string => `${s.grouped ? 'g' : 's'}${s.coef ? 'c' : ''}${v}`;
export const bindType = (v: Vec): string => (v === 8 ? 'vec4<u32>' : v === 4 ? 'vec4<f16>' : 'f16');

/** The widest load that every 8-half chunk of `dim` (length `len`, unit stride) allows, given
 * the other strides and the offset of the tensor. */
export function vecOf(len: number, unit: boolean, others: number[]): Vec {
  if (!unit) return 1;
  for (const v of [8, 4] as const) if (len % v === 0 && others.every((s) => s % v === 0)) return v;
  return 1;
}
export const rowVec = (t: Tensor): Vec => vecOf(t.shape[1], t.strides[1] === 1, [t.strides[0], t.offset]);

/** WGSL `fn name(base, col, lim, step) -> vec4<u32>`: the halves at base + (col + i)·step for
 * i < 8 as raw bits, zero where col + i >= lim. */
export function load8Fn(name: string, arr: string, v: Vec): string {
  const head = `fn ${name}(base: u32, col: u32, lim: u32, step: u32) -> vec4<u32> {\n`;
  if (v === 8) return `${head}  if (col >= lim) { return vec4<u32>(0u); }\n  return ${arr}[(base + col) / 8u];\n}\n`;
  if (v === 4) {
    return `${head}  var r = vec4<u32>(0u);
  let i = (base + col) / 4u;
  if (col < lim) { let h = bitcast<vec2<u32>>(${arr}[i]); r.x = h.x; r.y = h.y; }
  if (col + 4u < lim) { let h = bitcast<vec2<u32>>(${arr}[i + 1u]); r.z = h.x; r.w = h.y; }
  return r;
}
`;
  }
  let s = `${head}  var h: array<f16, 8>;\n`;
  for (let i = 0; i < 8; i++) s += `  if (col + ${i}u < lim) { h[${i}] = ${arr}[base + (col + ${i}u) * step]; }\n`;
  const pair = (p: number): string => `bitcast<u32>(vec2<f16>(h[${2 * p}], h[${2 * p + 1}]))`;
  return `${s}  return vec4<u32>(${[0, 1, 2, 3].map(pair).join(', ')});\n}\n`;
}

export const PACKING = `fn scale2(w: u32, c: f32) -> u32 { return bitcast<u32>(vec2<f16>(vec2<f32>(bitcast<vec2<f16>>(w)) * c)); }
fn scale8(v: vec4<u32>, c: f32) -> vec4<u32> { return vec4<u32>(scale2(v.x, c), scale2(v.y, c), scale2(v.z, c), scale2(v.w, c)); }
fn lo4(v: vec4<u32>) -> vec4<f32> { return vec4<f32>(vec2<f32>(bitcast<vec2<f16>>(v.x)), vec2<f32>(bitcast<vec2<f16>>(v.y))); }
fn hi4(v: vec4<u32>) -> vec4<f32> { return vec4<f32>(vec2<f32>(bitcast<vec2<f16>>(v.z)), vec2<f32>(bitcast<vec2<f16>>(v.w))); }
fn pack8(a: vec4<f32>, b: vec4<f32>) -> vec4<u32> {
  return vec4<u32>(bitcast<u32>(vec2<f16>(a.xy)), bitcast<u32>(vec2<f16>(a.zw)), bitcast<u32>(vec2<f16>(b.xy)), bitcast<u32>(vec2<f16>(b.zw)));
}
`;

// ---- the subgroup-matrix builtins, real or written out ----

// Fragments are named a<i> (left), b<j> (right), c<i>_<j> (accumulators); the emulation keeps
// each in a 256-float slot of workgroup memory per subgroup: a<i> in slot i, b<j> in FM + j,
// c<i>_<j> in FM + FN + i * FN + j.
export interface Emit {
  /** Real subgroup matrices (the emulation's fragment loads are not hoistable statements). */
  real: boolean;
  enables: string;
  /** Module-scope declarations the emulation needs; `srcs` maps each load source's name to
   * a WGSL pointer to it. */
  prelude(c: TcTile, srcs: Record<string, string>, outView: string): string;
  /** Statements in main once sid and lane are known. */
  init(c: TcTile): string;
  acc(c: TcTile, i: number, j: number): string;
  load(c: TcTile, kind: 'left' | 'right', idx: number, f: Frag): string;
  mma(c: TcTile, i: number, j: number): string;
  store(c: TcTile, ptr: string, off: string, i: number, j: number, stride: string): string;
}

const slots = (c: TcTile): number => c.FM + c.FN + c.FM * c.FN;
const accSlot = (c: TcTile, i: number, j: number): number => c.FM + c.FN + i * c.FN + j;

const ENABLES = 'enable f16;\nrequires buffer_view;\n';
export const REAL: Emit = {
  real: true,
  enables: `${ENABLES}enable chromium_experimental_subgroup_matrix;\ndiagnostic(off, chromium.subgroup_matrix_uniformity);\n`,
  prelude: () => '',
  init: () => '',
  acc: (_c, i, j) => `  var c${i}_${j} = subgroup_matrix_result<f32, 16, 16>();\n`,
  load: (_c, kind, idx, f) =>
    `      let ${kind === 'left' ? 'a' : 'b'}${idx} = subgroupMatrixLoad<subgroup_matrix_${kind}<f16, 16, 16>, ${f.col ? 'col_major' : 'row_major'}>(${f.ptr}, ${f.off}, ${f.stride});\n`,
  mma: (_c, i, j) => `      c${i}_${j} = subgroupMatrixMultiplyAccumulate(a${i}, b${j}, c${i}_${j});\n`,
  store: (_c, ptr, off, i, j, stride) => `    subgroupMatrixStore<row_major>(${ptr}, ${off}, c${i}_${j}, ${stride});\n`,
};

// The emulation: each lane of a subgroup handles the elements lane, lane + SIZE, ... of a
// fragment (row-major: element (r, c) at r * 16 + c). Every call is made in uniform control
// flow by all subgroups alike, so the products can be fenced with workgroup barriers. Element
// (r, c) of a row-major load sits at off + r * stride + c, of a column-major one at
// off + c * stride + r. (Private 256-float arrays would be simpler, but llvmpipe takes
// minutes to compile them.)
export const EMULATED: Emit = {
  real: false,
  enables: ENABLES,
  prelude: (c, srcs, outView) => {
    let s = `var<workgroup> Em: array<f32, ${c.SGM * c.SGN * slots(c) * 256}>;
var<private> emBase: u32;
var<private> emLane: u32;
`;
    for (const [name, ptr] of Object.entries(srcs)) {
      s += `fn emLoad${name}(slot: u32, off: u32, stride: u32, colMajor: bool) {
  let src = ${ptr};
  for (var i = emLane; i < 256u; i += ${c.SIZE}u) {
    let r = i / 16u;
    let q = i % 16u;
    Em[emBase + slot * 256u + i] = f32(src[select(off + r * stride + q, off + q * stride + r, colMajor)]);
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
  let o = ${outView};
  for (var i = emLane; i < 256u; i += ${c.SIZE}u) { o[off + (i / 16u) * stride + i % 16u] = Em[emBase + cs * 256u + i]; }
}
`;
  },
  init: (c) => `  emBase = sid * ${slots(c) * 256}u;\n  emLane = lane;\n`,
  acc: (c, i, j) => `  emZero(${accSlot(c, i, j)}u);\n`,
  load: (c, kind, idx, f) => `      emLoad${f.src}(${kind === 'left' ? idx : c.FM + idx}u, ${f.flat}, ${f.stride}, ${f.col});\n`,
  mma: (c, i, j) => `      emMma(${accSlot(c, i, j)}u, ${i}u, ${c.FM + j}u);\n`,
  store: (c, _ptr, off, i, j, stride) => `    emStore(${accSlot(c, i, j)}u, ${off}, ${stride});\n`,
};

/** WGSL views of the staging buffer SM (N bytes). */
export const viewH = (bytes: number): string => `bufferView<array<f16, ${bytes / 2}>>(&SM, 0u)`;
const viewV = (bytes: number): string => `bufferView<array<vec4<u32>, ${bytes / 16}>>(&SM, 0u)`;
export const viewF = (bytes: number): string => `bufferView<array<f32, ${bytes / 4}>>(&SM, 0u)`;
const viewF4 = (bytes: number): string => `bufferView<array<vec4<f32>, ${bytes / 16}>>(&SM, 0u)`;
/** The lets main declares for them (SH: fragment loads, SV: staging stores, SF/SF4: results). */
export const views = (bytes: number): string =>
  `  let SH = ${viewH(bytes)};\n  let SV = ${viewV(bytes)};\n  let SF = ${viewF(bytes)};\n  let SF4 = ${viewF4(bytes)};\n`;

/** Where a fragment is loaded from: `ptr` and `off` for subgroupMatrixLoad, `flat` the same
 * element as an index into the whole of source `src` (the emulation's view). */
export interface Frag { src: string; ptr: string; off: string; flat: string; stride: string; col: boolean }

/**
 * A staged fragment: `off` halves into the subgroup's view `view` of one staging buffer, which
 * starts at half `base` of SM. Dawn checks every subgroupMatrixLoad against its array's length
 * unless the offset, the stride and the length are all constants; through a view that starts
 * at the subgroup's own rows they are, so the checks happen once, when the view is made.
 */
export const staged = (view: string, base: string, off: number, stride: number, col: boolean): Frag =>
  ({ src: 'SH', ptr: view, off: `${off}u`, flat: `${base} + ${off}u`, stride: `${stride}u`, col });

/** The fragment products of one K step: the subgroup's FM left and FN right fragments
 * (`aAt(i, kk)`, `bAt(j, kk)` say where they are). `part` is for the tcKnockout knob's frag:
 * the products without their (real) fragment loads, or the first 16-deep slice's loads alone. */
export function multiplies(c: TcTile, em: Emit, aAt: (i: number, kk: number) => Frag, bAt: (j: number, kk: number) => Frag,
  part: 'all' | 'noLoads' | 'firstLoads' = 'all'): string {
  const loads = part === 'all' || !em.real;
  if (part === 'firstLoads') {
    if (!em.real) return '';
    let s = '';
    for (let i = 0; i < c.FM; i++) s += em.load(c, 'left', i, aAt(i, 0));
    for (let j = 0; j < c.FN; j++) s += em.load(c, 'right', j, bAt(j, 0));
    return s;
  }
  let s = '';
  for (let kk = 0; kk < c.TK / 16; kk++) {
    s += '    {\n';
    if (loads) for (let i = 0; i < c.FM; i++) s += em.load(c, 'left', i, aAt(i, kk));
    if (loads) for (let j = 0; j < c.FN; j++) s += em.load(c, 'right', j, bAt(j, kk));
    for (let i = 0; i < c.FM; i++) for (let j = 0; j < c.FN; j++) s += em.mma(c, i, j);
    s += '    }\n';
  }
  return s;
}

/** The subgroup's views of staging buffers 0 and 1 of one operand: `<name>0`, `<name>1` (each
 * `len` halves from half `<name>V0` / `<name>V1` of SM), from the base of buffer 0 and the
 * distance between the buffers. */
export function subViews(name: string, base0: string, apart: number, len: number): string {
  let s = `  let ${name}V0 = ${base0};\n  let ${name}V1 = ${name}V0 + ${apart}u;\n`;
  for (const b of [0, 1]) s += `  let ${name}${b} = bufferView<array<f16, ${len}>>(&SM, ${name}V${b} * 2u);\n`;
  return s;
}

// The tcKnockout knob (kernel work only) builds the K loop with one part taken out, wrong
// results on purpose: global loads become loads of one fixed chunk (cache hits; the bindings
// must stay in the layout), staging stores sit behind a test the data never passes (so the
// loads stay), and `mma` / `frag` drop the products or hoist the fragment loads out of the loop.
export type Knockout = 'none' | 'loads' | 'stores' | 'mma' | 'frag';
/** A call of a load8Fn, or of the fixed chunk under the loads knockout. */
export const ld = (ko: Knockout, fn: string, args: string): string => (ko === 'loads' ? `${fn}(0u, 0u, 8u, 1u)` : `${fn}(${args})`);
/** A staging store of register `reg` at vec4 `idx` of SV, kept from running under the stores knockout. */
export const stage = (ko: Knockout, idx: string, reg: string): string =>
  ko === 'stores' ? `if (${reg}.x == 0x7fff7fffu && ${reg}.y == 0x12345u) { SV[${idx}] = ${reg}; }` : `SV[${idx}] = ${reg};`;

/**
 * The tensor-core kernels' K loop (gemm/kloop.ts), unrolled by two (by four at depth 4): which
 * staging buffer a step reads and fills is then a constant, so the fragment loads go through views with
 * constant offsets and the staging stores' indices are sums of constants and
 * local_invocation_index, which Dawn's range analysis proves in bounds (no clamps).
 * `mult(cur, kt, part)` is a step's products (see multiplies).
 */
export function tcLoop(ko: Knockout, depth: 1 | 2 | 4, kTiles: string, TK: number, loads: (set: Regs, k0: string) => string,
  stores: (b: 0 | 1, set: Regs) => string, mult: (cur: 0 | 1, kt: string, part?: 'noLoads' | 'firstLoads') => string, rows?: (k: string) => string): string {
  const body = (cur: Buf, kt: string): string => (ko === 'mma' ? '' : mult(cur ?? 0, kt, ko === 'frag' ? 'noLoads' : undefined));
  const pre = ko === 'frag' ? mult(0, '0u', 'firstLoads') : '';
  return pre + kLoop({
    kTiles, step: TK, loads, stores: (b, set) => stores(b ?? 0, set), body, unroll: 2, depth,
    refill: rows ? { code: rows, every: ROW_CHUNK } : undefined,
  });
}

/** How many K steps ahead the tensor-core kernels load (the tcDepth knob); the knockouts
 * exist in the one-ahead loop only. */
export const depthOf = (): 1 | 2 | 4 => (knockout() !== 'none' ? 1 : knob('tcDepth'));

/** The register sets a depth-`depth` loop loads into beyond p, for `la` and `lb` vec4s of A and B each. */
export const extraRegDecls = (depth: 1 | 2 | 4, la: number, lb: number): string =>
  REG_SETS.slice(1, depth).map((s) => regDecls(la, `${s}a`) + regDecls(lb, `${s}b`)).join('');

/**
 * Each subgroup's results, a row of FN fragments at a time, through its share of the staging
 * buffer (now f32) to `write`, which sees orow and cl (the row and first column of 8 in the
 * subgroup's block, from smB and snB) and lo, hi (the 8 f32 values).
 */
export function writeOut(c: TcTile, em: Emit, write: string): string {
  const W = 16 * c.FN; // floats per row of the subgroup's block
  let s = '';
  for (let i = 0; i < c.FM; i++) {
    s += '  workgroupBarrier();\n';
    for (let j = 0; j < c.FN; j++) s += em.store(c, 'SF', `sid * ${16 * W}u + ${j * 16}u`, i, j, `${W}u`);
    s += `  workgroupBarrier();
  for (var e = lane; e < ${2 * W}u; e += ${c.SIZE}u) {
    let fr = e / ${W / 8}u;
    let base = sid * ${16 * W}u + fr * ${W}u + (e % ${W / 8}u) * 8u;
    let lo = SF4[base / 4u];
    let hi = SF4[base / 4u + 1u];
    let orow = smB + ${i * 16}u + fr;
    let cl = snB + (e % ${W / 8}u) * 8u;
${write}  }
`;
  }
  return `${s}  workgroupBarrier();\n`;
}

/** Stores 8 f32 values (`lo`, `hi` plus `add`) as f16 at element `at` of an output with `lim`
 * columns, the first at column `col`: one 16-byte store when the output allows it. */
export function store8(arr: string, vec8: boolean, at: string, col: string, lim: string, add = ''): string {
  const lo = add ? `lo + ${add}0` : 'lo';
  const hi = add ? `hi + ${add}1` : 'hi';
  if (vec8) return `      ${arr}[(${at}) / 8u] = pack8(${lo}, ${hi});\n`;
  let s = `      let v0 = ${lo};\n      let v1 = ${hi};\n`;
  for (let q = 0; q < 8; q++) s += `      if (${col} + ${q}u < ${lim}) { ${arr}[${at} + ${q}u] = f16(v${q >> 2}[${q & 3}]); }\n`;
  return s;
}

export function accDecls(c: TcTile, em: Emit): string {
  let s = '';
  for (let i = 0; i < c.FM; i++) for (let j = 0; j < c.FN; j++) s += em.acc(c, i, j);
  return s;
}

/** `n` registers p0, p1, ...: 8 halves each, or what `zero` starts them as (0.0: a coefficient). */
export const regDecls = (n: number, p: string, zero = 'vec4<u32>(0u)'): string => Array.from({ length: n }, (_, i) => `  var ${p}${i} = ${zero};\n`).join('');

/** The tcKnockout knob's part to take out (kernel work only). */
export const knockout = (): Knockout => knob('tcKnockout');
