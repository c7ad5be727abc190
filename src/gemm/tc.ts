// The MoE GEMMs on the tensor cores: float16 operands, f32 accumulation, through Dawn's
// chromium-experimental-subgroup-matrix (f16 x f16 -> f32 on 16x16x16 fragments).
//
// Same problems as the SIMT kernels in gemm.ts (scatter2scatter and groupXtY, with the row
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
// gated operands are unpacked, scaled in f32 and rounded back. Workgroup memory is
// double-buffered (one barrier per K step) and filled from registers loaded during the
// previous step's multiplies. Results leave through the same buffer: each subgroup stores a
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
import type { GpuBackend } from '../backend/webgpu.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Plan } from './plan.js';
import { hasSubgroupMatrix } from './subgroup.js';
import { grid } from './wgsl.js';
import { kLoop, type Buf, type Regs } from './kloop.js';
import { knob } from '../backend/tuning.js';
import {
  blockTable, ROW_CHUNK, xtyBindings, s2sBlock, s2sRowTable, xtyRowTables, rowOfFn, s2sUniformWgsl, s2sUniforms, xtyUniformWgsl, xtyUniforms,
  type RowSrc, type S2SArgs, type XtYArgs,
} from './rows.js';

/** SGM x SGN subgroups of SIZE invocations, each computing FM x FN fragments; TK = K per step. */
export interface TcTile { SGM: number; SGN: number; FM: number; FN: number; TK: number; SIZE: number }

// Big tiles. The MoE's: 8 subgroups of 64 x 64, 16 deep per K step (what fits twice in 48 KiB
// of workgroup memory); its f16 MLP ran 1.05-1.12x faster with them than with 128 x 128
// tiles of 32 x 64 subgroups 32 deep, gathered rows being staged once per 256 columns. The
// dense matmul's: those 128 x 128 x 32 tiles, ~1.25x faster than 256 x 128 x 16 once the K
// loop was unrolled: half the accumulators per invocation (two workgroups fit an SM's
// registers) and half the K steps.
const BIG: TcTile = { SGM: 2, SGN: 4, FM: 4, FN: 4, TK: 16, SIZE: 32 }; // 128 x 256
const DENSE_BIG: TcTile = { SGM: 4, SGN: 2, FM: 2, FN: 4, TK: 32, SIZE: 32 }; // 128 x 128
const MID: TcTile = { SGM: 2, SGN: 2, FM: 2, FN: 2, TK: 32, SIZE: 32 }; // 64 x 64, 4 subgroups
// Emulated (workgroup memory holds every fragment): small tiles that between them cover
// several subgroups both ways, several fragments per subgroup both ways, and two 16-deep
// products per K step. The moeTcTile knob set to emu2 picks the second.
// Wide emulated subgroups keep the unrolled code per invocation short: llvmpipe's compile
// time grows with it.
const EMU: TcTile = { SGM: 2, SGN: 2, FM: 1, FN: 1, TK: 16, SIZE: 16 }; // 32 x 32, 4 subgroups
const EMU2: TcTile = { SGM: 1, SGN: 1, FM: 2, FN: 2, TK: 32, SIZE: 64 }; // 32 x 32, 1 subgroup
/** Fewer big tiles than this and the 64 x 64 tiles keep more of the GPU busy. */
const BIG_MIN_TILES = 264;

const tm = (c: TcTile): number => c.SGM * c.FM * 16;
const tn = (c: TcTile): number => c.SGN * c.FN * 16;
const nt = (c: TcTile): number => c.SGM * c.SGN * c.SIZE;
// Halves of padding per staged row: 16 bytes by default, so 8 rows' fragment loads hit distinct
// banks; the moeTcPad knob tries another (kernel work).
const padOf = (): number => knob('moeTcPad');
const tileKey = (c: TcTile): string => `${c.SGM}x${c.SGN}x${c.FM}x${c.FN}x${c.TK}x${c.SIZE}`;

type Kernel = 's2s' | 'xty';
/** Where the right operand sits in workgroup memory: [k][n] rows, or [n][k] (scatter2scatter's
 * Wᵀ of the dX path, k-contiguous in its buffer, read back as column-major fragments). */
type BLayout = 'kn' | 'nk';

/** The staging buffer (in halves): A's two buffers, then B's two. */
interface Layout { sa: number; aBuf: number; sb: number; bBuf: number; bOff: number; bytes: number }
function layout(c: TcTile, k: Kernel, b: BLayout, bStaged: boolean, aKm = k === 'xty'): Layout {
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

function fits(c: TcTile, g: GpuBackend, k: Kernel, emulated: boolean): boolean {
  const emBytes = emulated ? c.SGM * c.SGN * (c.FM + c.FN + c.FM * c.FN) * 1024 : 0;
  const staged = k === 'xty' ? layout(c, k, 'kn', true).bytes
    : Math.max(...(['kn', 'nk'] as const).flatMap((b) => [false, true].map((aKm) => layout(c, k, b, true, aKm).bytes)));
  const bytes = staged + EXTRA[k](c) + emBytes;
  return nt(c) <= g.limits.maxComputeInvocationsPerWorkgroup && nt(c) <= g.limits.maxComputeWorkgroupSizeX &&
    bytes <= g.limits.maxComputeWorkgroupStorageSize && divides(c);
}

/** Every invocation stages the same number of 8-half chunks, and always the same column of
 * them across a K step's rows (groupXtY's db sums rely on it). */
function divides(c: TcTile): boolean {
  const chunksA = (tm(c) * c.TK) / 8;
  const chunksB = (tn(c) * c.TK) / 8;
  return c.TK % 16 === 0 && chunksA % nt(c) === 0 && chunksB % nt(c) === 0 && nt(c) % (tn(c) / 8) === 0 && nt(c) % (tm(c) / 8) === 0;
}

type Mode = 'real' | 'emulate' | null;

const hasBufferView = (g: GpuBackend): boolean => {
  const f = (g.instance as GPU & { wgslLanguageFeatures?: ReadonlySet<string> }).wgslLanguageFeatures;
  return !!f && f.has('buffer_view');
};

/** Whether (and how) the tensor-core kernels run on this adapter. */
export function tcMode(g: GpuBackend): Mode {
  const want = knob('moeTc');
  if (want === 'off' || !hasBufferView(g)) return null;
  if (want === 'emulate') return g.features.has('shader-f16') ? 'emulate' : null;
  return hasSubgroupMatrix(g) ? 'real' : null;
}

function parseTile(s: string): TcTile | null {
  const m = /^(\d+)x(\d+)x(\d+)x(\d+)x(\d+)$/.exec(s);
  if (!m) return null;
  const [SGM, SGN, FM, FN, TK] = m.slice(1).map(Number);
  return { SGM, SGN, FM, FN, TK, SIZE: 32 };
}

function pick(g: GpuBackend, mode: Mode, k: Kernel, tilesOf: (c: TcTile) => number, big = BIG): TcTile | null {
  const xty = k === 'xty' ? knob('moeTcXtyTile') : 'same';
  const forced = xty !== 'same' ? xty : knob('moeTcTile');
  if (mode === 'emulate') {
    const c = forced === 'emu2' ? EMU2 : EMU;
    return fits(c, g, k, true) ? c : null;
  }
  const custom = parseTile(forced);
  if (custom) return fits(custom, g, k, false) ? custom : null;
  if (forced === 'big' && fits(big, g, k, false)) return big;
  if (forced === 'mid' && fits(MID, g, k, false)) return MID;
  if (fits(big, g, k, false) && tilesOf(big) >= BIG_MIN_TILES) return big;
  return fits(MID, g, k, false) ? MID : null;
}

// ---- loading 8 halves at a time ----

/** How a source is read along its contiguous dim: 8 halves per load (vec4<u32>), 4 (vec4<f16>),
 * or one at a time with any stride. */
type Vec = 8 | 4 | 1;
const srcKey = (s: RowSrc, v: Vec): string => `${s.grouped ? 'g' : 's'}${s.coef ? 'c' : ''}${v}`;
const bindType = (v: Vec): string => (v === 8 ? 'vec4<u32>' : v === 4 ? 'vec4<f16>' : 'f16');

/** The widest load that every 8-half chunk of `dim` (length `len`, unit stride) allows, given
 * the other strides and the offset of the tensor. */
function vecOf(len: number, unit: boolean, others: number[]): Vec {
  if (!unit) return 1;
  for (const v of [8, 4] as const) if (len % v === 0 && others.every((s) => s % v === 0)) return v;
  return 1;
}
const rowVec = (t: Tensor): Vec => vecOf(t.shape[1], t.strides[1] === 1, [t.strides[0], t.offset]);

/** WGSL `fn name(base, col, lim, step) -> vec4<u32>`: the halves at base + (col + i)·step for
 * i < 8 as raw bits, zero where col + i >= lim. */
function load8Fn(name: string, arr: string, v: Vec): string {
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

const PACKING = `fn scale2(w: u32, c: f32) -> u32 { return bitcast<u32>(vec2<f16>(vec2<f32>(bitcast<vec2<f16>>(w)) * c)); }
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
interface Emit {
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
const REAL: Emit = {
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
const EMULATED: Emit = {
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
const viewH = (bytes: number): string => `bufferView<array<f16, ${bytes / 2}>>(&SM, 0u)`;
const viewV = (bytes: number): string => `bufferView<array<vec4<u32>, ${bytes / 16}>>(&SM, 0u)`;
const viewF = (bytes: number): string => `bufferView<array<f32, ${bytes / 4}>>(&SM, 0u)`;
const viewF4 = (bytes: number): string => `bufferView<array<vec4<f32>, ${bytes / 16}>>(&SM, 0u)`;
/** The lets main declares for them (SH: fragment loads, SV: staging stores, SF/SF4: results). */
const views = (bytes: number): string =>
  `  let SH = ${viewH(bytes)};\n  let SV = ${viewV(bytes)};\n  let SF = ${viewF(bytes)};\n  let SF4 = ${viewF4(bytes)};\n`;

/** Where a fragment is loaded from: `ptr` and `off` for subgroupMatrixLoad, `flat` the same
 * element as an index into the whole of source `src` (the emulation's view). */
interface Frag { src: string; ptr: string; off: string; flat: string; stride: string; col: boolean }

/**
 * A staged fragment: `off` halves into the subgroup's view `view` of one staging buffer, which
 * starts at half `base` of SM. Dawn checks every subgroupMatrixLoad against its array's length
 * unless the offset, the stride and the length are all constants; through a view that starts
 * at the subgroup's own rows they are, so the checks happen once, when the view is made.
 */
const staged = (view: string, base: string, off: number, stride: number, col: boolean): Frag =>
  ({ src: 'SH', ptr: view, off: `${off}u`, flat: `${base} + ${off}u`, stride: `${stride}u`, col });

/** The fragment products of one K step: the subgroup's FM left and FN right fragments
 * (`aAt(i, kk)`, `bAt(j, kk)` say where they are). `part` is for the tcKnockout knob's frag:
 * the products without their (real) fragment loads, or the first 16-deep slice's loads alone. */
function multiplies(c: TcTile, em: Emit, aAt: (i: number, kk: number) => Frag, bAt: (j: number, kk: number) => Frag,
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
function subViews(name: string, base0: string, apart: number, len: number): string {
  let s = `  let ${name}V0 = ${base0};\n  let ${name}V1 = ${name}V0 + ${apart}u;\n`;
  for (const b of [0, 1]) s += `  let ${name}${b} = bufferView<array<f16, ${len}>>(&SM, ${name}V${b} * 2u);\n`;
  return s;
}

// The tcKnockout knob (kernel work only) builds the K loop with one part taken out, wrong
// results on purpose: global loads become loads of one fixed chunk (cache hits; the bindings
// must stay in the layout), staging stores sit behind a test the data never passes (so the
// loads stay), and `mma` / `frag` drop the products or hoist the fragment loads out of the loop.
type Knockout = 'none' | 'loads' | 'stores' | 'mma' | 'frag';
/** A call of a load8Fn, or of the fixed chunk under the loads knockout. */
const ld = (ko: Knockout, fn: string, args: string): string => (ko === 'loads' ? `${fn}(0u, 0u, 8u, 1u)` : `${fn}(${args})`);
/** A staging store of register `reg` at vec4 `idx` of SV, kept from running under the stores knockout. */
const stage = (ko: Knockout, idx: string, reg: string): string =>
  ko === 'stores' ? `if (${reg}.x == 0x7fff7fffu && ${reg}.y == 0x12345u) { SV[${idx}] = ${reg}; }` : `SV[${idx}] = ${reg};`;

/**
 * The tensor-core kernels' K loop (gemm/kloop.ts), always unrolled by two: which staging buffer
 * a step reads and fills is then a constant, so the fragment loads go through views with
 * constant offsets and the staging stores' indices are sums of constants and
 * local_invocation_index, which Dawn's range analysis proves in bounds (no clamps).
 * `mult(cur, kt, part)` is a step's products (see multiplies).
 */
function tcLoop(ko: Knockout, depth: 1 | 2, kTiles: string, TK: number, loads: (set: Regs, k0: string) => string,
  stores: (b: 0 | 1, set: Regs) => string, mult: (cur: 0 | 1, kt: string, part?: 'noLoads' | 'firstLoads') => string, rows = ''): string {
  const body = (cur: Buf, kt: string): string => (ko === 'mma' ? '' : mult(cur ?? 0, kt, ko === 'frag' ? 'noLoads' : undefined));
  const pre = ko === 'frag' ? mult(0, '0u', 'firstLoads') : '';
  return pre + kLoop({
    kTiles, step: TK, loads, stores: (b, set) => stores(b ?? 0, set), body, unroll: 2, depth,
    refill: rows ? { code: rows, every: ROW_CHUNK } : undefined,
  });
}

/** How many K steps ahead the tensor-core s2s kernel loads (the tcDepth knob); the knockouts
 * exist in the one-ahead loop only. */
const depthOf = (): 1 | 2 => (knockout() !== 'none' ? 1 : knob('tcDepth'));

/**
 * Each subgroup's results, a row of FN fragments at a time, through its share of the staging
 * buffer (now f32) to `write`, which sees orow and cl (the row and first column of 8 in the
 * subgroup's block, from smB and snB) and lo, hi (the 8 f32 values).
 */
function writeOut(c: TcTile, em: Emit, write: string): string {
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
function store8(arr: string, vec8: boolean, at: string, col: string, lim: string, add = ''): string {
  const lo = add ? `lo + ${add}0` : 'lo';
  const hi = add ? `hi + ${add}1` : 'hi';
  if (vec8) return `      ${arr}[(${at}) / 8u] = pack8(${lo}, ${hi});\n`;
  let s = `      let v0 = ${lo};\n      let v1 = ${hi};\n`;
  for (let q = 0; q < 8; q++) s += `      if (${col} + ${q}u < ${lim}) { ${arr}[${at} + ${q}u] = f16(v${q >> 2}[${q & 3}]); }\n`;
  return s;
}

function accDecls(c: TcTile, em: Emit): string {
  let s = '';
  for (let i = 0; i < c.FM; i++) for (let j = 0; j < c.FN; j++) s += em.acc(c, i, j);
  return s;
}

const regDecls = (n: number, p: string): string => Array.from({ length: n }, (_, i) => `  var ${p}${i} = vec4<u32>(0u);\n`).join('');

// ---- scatter2scatter ----

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
    wgsl: () => s2sTcWgsl(tile, mode === 'real' ? REAL : EMULATED, s2sProblem(tile, a, bias !== null), aVec, bl, wVec, bDirect, yVec),
    inputs,
    outputs: [y.buffer],
    uniforms: s2sUniforms(o, cap, tilesN),
    workgroups: grid(cap * tilesN),
  });
  table.dispose();
  return true;
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
      l += `      if (ri != NONE) { ${r} = ${ld(ko, 'ldX', `${P.aRow('ri')}, ${k0} + (e % ${KC}u) * 8u, u.K, u.as1`)}${P.coef ? `; ${r} = scale8(${r}, rowC[m])` : ''}; } }\n`;
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
      t += `    { let e = lid + ${s * NT}u; ${stage(ko, `(${b}u * ${L.aBuf}u + (e / ${C}u) * ${L.sa}u + (e % ${C}u) * 8u) / 8u`, `${set}a${s}`)} }\n`;
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
${views(L.bytes)}${sub}${em.init(c)}${accDecls(c, em)}${regDecls(LA, 'pa')}${regDecls(LB, 'pb')}${depth === 2 ? regDecls(LA, 'qa') + regDecls(LB, 'qb') : ''}
${tcLoop(ko, depth, `(u.K + ${TK - 1}u) / ${TK}u`, TK, loads, stores, mult)}${writeOut(c, em, write)}}
`;
}

const knockout = (): Knockout => knob('tcKnockout');
/** scatter2scatter's side of the s2s kernel: blocks from the block table, gathered rows. */
function s2sProblem(c: TcTile, a: RowSrc, hasBias: boolean): RowProblem {
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
    prologue: `${s2sBlock(tn(c))}  wBase = u.wOff + t.x * u.ws0;\n${s2sRowTable(tm(c), nt(c))}`,
    aRow: (ri) => `u.aOff + ${ri} * u.as0`,
    yAt: (ro, gn) => `u.yOff + ${ro} * u.N + ${gn}`,
    coef: a.coef !== null,
    bias,
  };
}

// ---- dense (batched) matmul: the s2s kernel with every row its own, one "expert" per batch ----

/**
 * out = a · b (float16, f32 accumulation) on the tensor cores, staged as the MoE kernels are;
 * false when it does not apply (dtypes, more than one merged batch dim, tiny products, A or B
 * with neither dim contiguous): the caller's kernels take those.
 * The matmulTc knob set to off turns it off.
 */
export function matmulTc(a: Tensor, b: Tensor, out: Tensor, p: Plan): boolean {
  if (a.dtype !== 'float16' || b.dtype !== 'float16' || out.dtype !== 'float16') return false;
  const { M, N, K } = p;
  // A is staged [m][k] when k is its contiguous dim, [k][m] when m is (aᵀ views: a linear
  // layer's weight gradient).
  const aKm = p.csA !== 1 && p.rsA === 1;
  if (knob('matmulTc') === 'off' || p.bshape.length > 1 || M < 16 || N < 16 || K < 16 || (p.csA !== 1 && !aKm)) return false;
  const g = out.storage.gpu!;
  const mode = tcMode(g);
  if (!mode) return false;
  const nb = p.bshape[0] ?? 1;
  const [bsa, bsb] = [p.bsa[0] ?? 0, p.bsb[0] ?? 0];
  const bl: BLayout = p.csB !== 1 && p.rsB === 1 ? 'nk' : 'kn';
  const aVec = aKm ? vecOf(M, true, [p.csA, bsa, a.offset]) : vecOf(K, true, [p.rsA, bsa, a.offset]);
  const wVec = bl === 'kn' ? vecOf(N, p.csB === 1, [p.rsB, bsb, b.offset]) : vecOf(K, true, [p.csB, bsb, b.offset]);
  if (aVec === 1 || wVec === 1) return false;
  // The 128 x 128 x 32 tile only where A and B both stage row-major: with a transposed operand
  // (column-major fragments) it ran ~4x slower than the MoE's 128 x 256 x 16 tile.
  const big = !aKm && bl === 'kn' ? DENSE_BIG : BIG;
  const tile = pick(g, mode, 's2s', (c) => nb * Math.ceil(M / tm(c)) * Math.ceil(N / tn(c)), big);
  if (!tile) return false;
  const tilesM = Math.ceil(M / tm(tile));
  const tilesN = Math.ceil(N / tn(tile));
  const yVec = N % 8 === 0 && out.offset % 8 === 0;
  g.dispatch({
    key: `matmul-tc:${mode}:${tileKey(tile)}:a${aKm ? 'km' : ''}${aVec}:w${bl}${wVec}:y${yVec ? 8 : 1}`,
    wgsl: () => s2sTcWgsl(tile, mode === 'real' ? REAL : EMULATED, denseProblem(tile), aVec, bl, wVec, false, yVec, aKm),
    inputs: [a.buffer, b.buffer],
    outputs: [out.buffer],
    uniforms: [M, N, K, nb, tilesM, tilesN, a.offset, p.rsA, p.csA, bsa, b.offset, bsb, p.rsB, p.csB, out.offset, 0].map((v) => v >>> 0),
    workgroups: grid(nb * tilesM * tilesN),
  });
  return true;
}

function denseProblem(c: TcTile): RowProblem {
  return {
    uniforms: `struct U {
  M: u32, N: u32, K: u32, nb: u32, tilesM: u32, tilesN: u32, aOff: u32, as0: u32,
  as1: u32, aBs: u32, wOff: u32, ws0: u32, ws1: u32, ws2: u32, yOff: u32, p0: u32,
}
@group(0) @binding(0) var<uniform> u: U;`,
    binds: [],
    decls: 'var<private> aBase: u32;\n',
    // Tiles run in groups of 8 tile rows, column by column, so that neighbouring workgroups
    // share A's rows and B's columns in L2.
    prologue: `  let g = wid.x + wid.y * nwg.x;
  let per = u.tilesM * u.tilesN;
  if (g >= u.nb * per) { return; }
  let bi = g / per;
  let tt = g % per;
  let width = 8u * u.tilesN;
  let firstM = (tt / width) * 8u;
  let rowsInGroup = min(u.tilesM - firstM, 8u);
  let m0 = (firstM + (tt % width) % rowsInGroup) * ${tm(c)}u;
  let n0 = ((tt % width) / rowsInGroup) * ${tn(c)}u;
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
  return true;
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
      l += `      if (q.x != NONE) { ${r} = ${ld(ko, 'ldX', `u.aOff + q.x * u.as0, m0 + (e % ${MC}u) * 8u, u.M, u.as1`)}${a.coef ? `; ${r} = scale8(${r}, bitcast<f32>(q.y))` : ''}; } }\n`;
    }
    for (let s = 0; s < LB; s++) {
      const r = `${set}b${s}`;
      l += `    { let e = lid + ${s * NT}u; let q = ${rowOf('D', `${k0} + e / ${NC}u`)}; ${r} = vec4<u32>(0u);\n`;
      l += `      if (q.x != NONE) { ${r} = ${ld(ko, 'ldD', `u.dOff + q.x * u.ds0, n0 + (e % ${NC}u) * 8u, u.N, u.ds1`)}${d.coef ? `; ${r} = scale8(${r}, bitcast<f32>(q.y))` : ''}; } }\n`;
      if (hasBias) l += `      colSum0 += lo4(${r}); colSum1 += hi4(${r});\n`;
    }
    return l;
  };
  const stores = (b: 0 | 1, set: Regs): string => {
    let t = '';
    for (let s = 0; s < LA; s++) t += `    { let e = lid + ${s * NT}u; ${stage(ko, `(${b}u * ${L.aBuf}u + (e / ${MC}u) * ${L.sa}u + (e % ${MC}u) * 8u) / 8u`, `${set}a${s}`)} }\n`;
    for (let s = 0; s < LB; s++) t += `    { let e = lid + ${s * NT}u; ${stage(ko, `(${L.bOff}u + ${b}u * ${L.bBuf}u + (e / ${NC}u) * ${L.sb}u + (e % ${NC}u) * 8u) / 8u`, `${set}b${s}`)} }\n`;
    return t;
  };
  // Each subgroup's views: its FM·16 columns of As[k][m] and FN·16 of Bs[k][n], TK rows each.
  const sub = subViews('sa', 'smB', L.aBuf, (TK - 1) * L.sa + c.FM * 16) + subViews('sb', `${L.bOff}u + snB`, L.bBuf, (TK - 1) * L.sb + c.FN * 16);
  const mult = (cur: 0 | 1, _kt: string, part?: 'noLoads' | 'firstLoads'): string => multiplies(c, em,
    // Left fragment (m, k) from As[k][m]: column-major.
    (i, kk) => staged(`sa${cur}`, `saV${cur}`, kk * 16 * L.sa + i * 16, L.sa, true),
    (j, kk) => staged(`sb${cur}`, `sbV${cur}`, kk * 16 * L.sb + j * 16, L.sb, false), part);
  const kTiles = `(r.y - r.x + ${TK - 1}u) / ${TK}u`;
  const rows = 'fillRows(lid, r, k0);';
  // The unrolled loop, as scatter2scatter's. It once gave wrong dW on the GPUs' real subgroup
  // matrices (H200 and H100, driver 580.159) while its one-step form was right: the expert's
  // row range then came through a vec2<u32> workgroup variable and workgroupUniformLoad. As a
  // vec4, or with no workgroup variable at all (below), the same loop is right on the H100;
  // the cause inside the driver is not known.
  const xtyLoop = tcLoop(ko, 1, kTiles, TK, loads, stores, mult, rows);
  let out = writeOut(c, em, `    let gm = m0 + orow;\n    let gn = n0 + cl;\n    if (gm < u.M && gn < u.N) {\n${store8('DW', oVec, '(ex * u.M + gm) * u.N + gn', 'gn', 'u.N')}    }\n`);
  if (hasBias) {
    // db[e] = the sum of D's rows: every invocation summed the 8 columns it loaded (always the
    // same ones: NT is a multiple of TN / 8); the tile-row-0 workgroups add those up.
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
${accDecls(c, em)}${regDecls(LA, 'pa')}${regDecls(LB, 'pb')}${hasBias ? '  var colSum0 = vec4<f32>(0.0);\n  var colSum1 = vec4<f32>(0.0);\n' : ''}
${xtyLoop}${out}}
`;
}
