// The one place that picks a GEMM kernel and its tile. Dense products (matmul, bmm) choose
// among the tensor-core, subgroup-matrix, tiled, CPU-adapter, per-output, dot and scalar
// kernels from dtypes, strides, alignment and size; the MoE GEMMs (scatter2scatter, groupXtY)
// choose a SIMT or tensor-core tile. Every choice is a function of the problem, the adapter
// and the tuning knobs, so a pipeline key names what was chosen.
import type { GpuBackend } from '../backend/webgpu.js';
import type { Tensor } from '../tensor/tensor.js';
import { numel } from '../tensor/shape.js';
import { wgslType } from '../tensor/dtype.js';
import { knob } from '../backend/tuning.js';
import type { Plan } from './problem.js';
import { TILES, tileKey, parseTile, outputOf, fitsAdapter, wellFormed, type SimtTile, type TcTile, type RegTile } from './tiles.js';
import { tiledWgsl, sharedBytes } from './tiled.js';
import { regWgsl, type RegMode } from './reg.js';
import { hasSubgroupMatrix, subgroupWgsl, SG_TM, SG_TN } from './subgroup.js';
import { simpleWgsl, smallWgsl, dotWgsl, TM, TN, BK, RM, RN } from './simple.js';
import { ROW_CHUNK, type S2SArgs, type XtYArgs } from './rows.js';
import { tm, tn, tcBytes, vecOf, type Kernel, type BLayout, type Vec } from './tc-parts.js';

/**
 * Fewer big tiles than these and the smaller tiles finish first, keeping more of the GPU busy.
 * Dense SIMT: on an H100 (132 SMs) 64 big tiles lose to the small ones and 100 win, since a
 * big tile's wave costs as long with 64 tiles as with 132; the two meet near 82. MoE SIMT and
 * tensor cores: the same trade measured on their own kernels.
 */
const BIG_MIN_TILES = { dense: 88, moe: 256, tc: 264 };

// ---- the adapter ----

/** A CPU implementation of WebGPU (lavapipe/llvmpipe, SwiftShader): its invocations are SIMD
 * lanes of CPU threads, and the tiled kernel's workgroup memory and barriers cost instead of
 * saving (see gemm/reg.ts). */
export function isCpuAdapter(g: GpuBackend): boolean {
  const info = g.adapter?.info as (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | undefined;
  return info?.isFallbackAdapter === true || /llvmpipe|lavapipe|swiftshader|\bsoftware\b/i.test(g.adapterName);
}

/** The dense SIMT tiles by the matmulTile knob's names. */
const DENSE_TILES: Record<string, SimtTile> = { big: TILES.big, wide: TILES.wide, tall: TILES.tall, mid: TILES.mid, small: TILES.small };

/** A dense SIMT tile as this adapter can run it: the K step halves until the tiles fit its
 * workgroup memory; null when even that fails (too many invocations, say). */
function fitTile(c: SimtTile, g: GpuBackend): SimtTile | null {
  for (let BK = c.BK; BK >= 4; BK /= 2) {
    const x = { ...c, BK };
    if (wellFormed(x) && fitsAdapter(x, g, sharedBytes(x))) return x;
  }
  return null;
}

interface Adapter {
  cpu: boolean;
  tiles: Record<string, SimtTile>;
  /** Invocations of one SIMD vector on a CPU adapter (its subgroup size), and whether
   * subgroupBroadcast can cross them (a fixed subgroup size and the subgroups feature). */
  lanes: number;
  bcast: boolean;
}
const adapters = new WeakMap<GpuBackend, Adapter>();

/** What this adapter can run, decided once per device. */
function adapterOf(g: GpuBackend): Adapter {
  let c = adapters.get(g);
  if (c) return c;
  const tiles: Record<string, SimtTile> = {};
  for (const [name, cfg] of Object.entries(DENSE_TILES)) {
    const f = fitTile(cfg, g);
    if (f) tiles[name] = f;
  }
  // Every adapter runs 256 invocations and 16 KiB of workgroup memory: `low` fits.
  for (const name of Object.keys(DENSE_TILES)) tiles[name] ??= tiles.small ?? TILES.low;
  // llvmpipe's SIMD width in 32-bit lanes is its subgroup size; 8 where the adapter does not say.
  const info = g.adapter?.info as (GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number }) | undefined;
  const sg = g.subgroupSize;
  const fixed = sg >= 4 && sg <= 64 && info?.subgroupMaxSize === sg;
  c = { cpu: isCpuAdapter(g), tiles, lanes: fixed ? sg : 8, bcast: fixed && g.features.has('subgroups') };
  adapters.set(g, c);
  return c;
}

/**
 * How a SIMT kernel's K loop and invocations are laid out: unrolled by two (so the shared
 * buffer of each step is a constant) and `bx`, the width of each 32 invocations' block in
 * invocationXY (0: row by row). `fast` gives the defaults (2 and 8, else 1 and 0); the
 * matmulUnroll / matmulMap and moeUnroll / moeMap knobs override them (kernel work).
 */
function loopShape(kernels: 'matmul' | 'moe', fast: boolean): { unroll2: boolean; bx: number } {
  const u = knob(kernels === 'matmul' ? 'matmulUnroll' : 'moeUnroll');
  const m = knob(kernels === 'matmul' ? 'matmulMap' : 'moeMap');
  return { unroll2: u === 'auto' ? fast : u === 2, bx: m === 'auto' ? (fast ? 8 : 0) : m };
}

// ---- dense products ----

/** Everything the matmulTile knob can force: a named dense tile or TMxTNxBK:RMxRN (the tiled
 * kernel), `reg` (the CPU-adapter kernel; `reg-plain` without subgroup broadcasts), `simple`
 * (the scalar strided kernel), `dot` (a workgroup per output, for few outputs over a long K),
 * `sgmat` (subgroup matrices where they apply, else the automatic choice). */
type Forced = { kind: 'tiled'; cfg: SimtTile; named: boolean } | { kind: 'reg'; plain: boolean } | { kind: 'simple' } | { kind: 'dot' } | { kind: 'sgmat' };

const parsed = new Map<string, Forced>();

/** The forced dense kernel, or null for the automatic choice (the knob's values are checked by init). */
export function forcedKernel(): Forced | null {
  const s = knob('matmulTile');
  if (s === 'auto') return null;
  let f = parsed.get(s);
  if (!f) {
    const named = DENSE_TILES[s];
    const t = parseTile(s);
    const cfg = named ?? (t?.kind === 'simt' ? t : null);
    const g: Forced = cfg ? { kind: 'tiled', cfg, named: !!named }
      : s === 'reg' || s === 'reg-plain' ? { kind: 'reg', plain: s === 'reg-plain' } : { kind: s as 'simple' | 'dot' | 'sgmat' };
    parsed.set(s, (f = g));
  }
  return f;
}

/** A forced tile as this adapter runs it: a named one that cannot fit gives null (the automatic
 * choice); a TMxTNxBK:RMxRN one that cannot is an error. */
function forcedTile(g: GpuBackend, c: SimtTile, named: boolean): SimtTile | null {
  const f = fitTile(c, g);
  if (!f && !named) {
    throw new Error(`matmul: matmulTile (SCATTERGRAD_MATMUL_TILE) ${tileKey(c)} is not a tile this adapter can run: RM, RN and BK ` +
      `multiples of 4, vec4 loads even per invocation, at most ${g.limits.maxComputeInvocationsPerWorkgroup} invocations and ` +
      `${g.limits.maxComputeWorkgroupStorageSize} bytes of workgroup memory`);
  }
  return f;
}

/** The dense tiled kernel's tile for an (M, N) product repeated `batch` times on a GPU: the
 * 128x64, 64x128 and 64x64 (8x8) tiles never beat the small one by more than noise on an H100,
 * so the automatic choice uses `big` and `small` only. */
function autoTile(g: GpuBackend, M: number, N: number, batch: number): SimtTile {
  const { tiles } = adapterOf(g);
  const big = Math.ceil(M / tiles.big.TM) * Math.ceil(N / tiles.big.TN) * batch;
  return big >= BIG_MIN_TILES.dense ? tiles.big : tiles.small;
}

/** Products with at most this many outputs (per batch entry) take a per-output kernel. */
const SMALL_OUTPUTS = 1024;
/** K from which a product with few outputs per batch takes the dot kernel: two K elements per lane. */
const DOT_MIN_K = 128;

/** Which kernel a product takes: decided from dtypes, strides and alignment, never cached by size. */
export interface KernelChoice { key: string; wgsl: () => string; tm: number; tn: number; perOutput?: boolean }

const m4 = (x: number): boolean => x % 4 === 0;
const m16 = (x: number): boolean => x % 16 === 0;

/** The CPU-adapter kernel's config for a product with M rows: 32 rows per workgroup, fewer
 * where M is smaller (clamped rows are computed for nothing), never fewer than a vector's lanes
 * (each lane loads its share of them). Without broadcasts every lane loads all its rows, and
 * 8x8 per lane balances the two operands' loads. */
function regTileFor(lanes: number, bcast: boolean, M: number): RegTile {
  if (!bcast) return { kind: 'reg', RM: 8, RN: 8, lanes, bcast };
  let RM = 32;
  while (RM > lanes && RM / 2 >= M) RM /= 2;
  return { kind: 'reg', RM: Math.max(RM, lanes), RN: 4, lanes, bcast };
}

/** The kernel for out = a · b (not taken by the tensor-core kernel), laid out as `p`. */
export function chooseDense(g: GpuBackend, a: Tensor, b: Tensor, out: Tensor, p: Plan): KernelChoice {
  const { M, N, K, bsa, bsb } = p;
  const ta = wgslType(a.dtype);
  const tb = wgslType(b.dtype);
  const to = wgslType(out.dtype);
  const aM = p.csA !== 1 && p.rsA === 1; // A contiguous along M (a transposed view)
  const bK = p.csB !== 1 && p.rsB === 1; // B contiguous along K (a transposed view)
  const aOk = aM ? p.rsA === 1 && m4(M) && m4(p.csA) : p.csA === 1 && m4(K) && m4(p.rsA);
  const bOk = bK ? p.rsB === 1 && m4(K) && m4(p.csB) : p.csB === 1 && m4(N) && m4(p.rsB);
  const aligned = aOk && bOk && m4(N) && m4(a.offset) && m4(b.offset) && m4(out.offset) && bsa.every(m4) && bsb.every(m4);
  const forced = forcedKernel();
  const simple = (): KernelChoice => ({ key: `matmul:${ta},${tb}>${to}:${TM}x${TN}x${BK}:${RM}x${RN}`, wgsl: () => simpleWgsl(ta, tb, to), tm: TM, tn: TN });
  if (forced?.kind === 'simple') return simple();
  // Both operands read as vec4 along K (a dot product's loads).
  const k4 = m4(K) && p.csA === 1 && p.rsB === 1 && m4(a.offset) && m4(b.offset) && m4(p.rsA) && m4(p.csB) && bsa.every(m4) && bsb.every(m4);
  const dot = (): KernelChoice => ({ key: `matmul-dot:${ta},${tb}>${to}:${k4 ? 'k4' : 's'}`, wgsl: () => dotWgsl(ta, tb, to, k4), tm: 1, tn: 1 });
  if (forced?.kind === 'dot') return dot();
  // Many tiny products (a bmm of gates (T,1,k) with (T,k,d), attention over short rows):
  // a 64x64 tile would leave almost every invocation idle and pay barriers for nothing.
  if (M * N <= SMALL_OUTPUTS || M < 8 || N < 8) {
    // Over a long K with both operands contiguous along it (the MoE gates' gradient, (T,k,d)
    // by (T,d,1)), one invocation per output would walk its own rows alone, uncoalesced: a
    // workgroup per output reads them side by side instead. Not on CPU adapters: there its
    // barriers cost more than the loads save (lavapipe, (2048,2,256)·(2048,256,1): 32.6 ms
    // against 7.5).
    if (K >= DOT_MIN_K && p.csA === 1 && p.rsB === 1 && !adapterOf(g).cpu) return dot();
    // B's rows read as vec4 along N (the gates' combine, (T,1,k) by (T,k,d)): four outputs
    // per invocation, one 4-wide load of B per k.
    const n4 = m4(N) && p.csB === 1 && m4(p.rsB) && m4(b.offset) && bsb.every(m4) && m4(out.offset);
    if (n4) return { key: `matmul-small:${ta},${tb}>${to}:n4`, wgsl: () => smallWgsl(ta, tb, to, true), tm: 1, tn: 4, perOutput: true };
    return { key: `matmul-small:${ta},${tb}>${to}`, wgsl: () => smallWgsl(ta, tb, to, false), tm: 1, tn: 1, perOutput: true };
  }
  const choice = adapterOf(g);
  const auto = !forced || forced.kind === 'sgmat';
  // A CPU adapter takes the register-blocked kernel for every layout and alignment.
  if (forced?.kind === 'reg' || (auto && choice.cpu)) {
    const c = regTileFor(choice.lanes, choice.bcast && !(forced?.kind === 'reg' && forced.plain), M);
    // Vectors along K, else along the outer dim, else scalars: each needs its contiguous dim
    // a multiple of 4 and every other stride and offset too (so vec4 indices are exact).
    const base4 = (t: Tensor, bs: number[]): boolean => m4(t.offset) && bs.every(m4);
    const aMode: RegMode = p.csA === 1 && m4(K) && m4(p.rsA) && base4(a, bsa) ? 'k4'
      : p.rsA === 1 && m4(M) && m4(p.csA) && base4(a, bsa) ? 'o4' : 's';
    const bMode: RegMode = p.rsB === 1 && m4(K) && m4(p.csB) && base4(b, bsb) ? 'k4'
      : p.csB === 1 && m4(N) && m4(p.rsB) && base4(b, bsb) ? 'o4' : 's';
    const o4 = m4(N) && m4(out.offset);
    const { tm, tn } = outputOf(c);
    return { key: `matmul-reg:${ta},${tb}>${to}:${tileKey(c)}:a${aMode}b${bMode}o${o4 ? 4 : 1}`, wgsl: () => regWgsl(c, ta, tb, to, aMode, bMode, o4), tm, tn };
  }
  // Tensor cores: float16 in and out, dims in whole 16x16 fragments, 16-byte aligned rows.
  if (auto && ta === 'f16' && tb === 'f16' && to === 'f16' && aligned && m16(M) && m16(N) && m16(K) && M >= 64 && N >= 64 &&
      [a.offset, b.offset, aM ? p.csA : p.rsA, bK ? p.csB : p.rsB, ...bsa, ...bsb].every((x) => x % 8 === 0) && hasSubgroupMatrix(g)) {
    return { key: `matmul-sgmat:${aM ? 'aM' : 'aK'}${bK ? 'bK' : 'bN'}`, wgsl: () => subgroupWgsl(aM, bK), tm: SG_TM, tn: SG_TN };
  }
  // The vec4 tiled kernel, its tiles sized so that the product makes enough workgroups.
  if (aligned && M >= 32 && N >= 32 && K >= 16) {
    const c: SimtTile = forced?.kind === 'tiled' ? forcedTile(g, forced.cfg, forced.named) ?? autoTile(g, M, N, numel(p.bshape)) : autoTile(g, M, N, numel(p.bshape));
    // Whole tiles of the small config skip the bounds checks, and its K loop is unrolled by two
    // over 8 x 4 blocks of invocations (loopShape): both made it faster on a real GPU, while the
    // 128x128 kernel ran slower either way, so it keeps its checks and its loop. The
    // matmulExact knob set to off keeps the checks everywhere (kernel work).
    const { unroll2: u2, bx } = loopShape('matmul', c.RM === 4 && c.RN === 4);
    const exact = c.RM === 4 && M % c.TM === 0 && N % c.TN === 0 && K % c.BK === 0 && knob('matmulExact') !== 'off';
    return {
      key: `matmul-tiled:${ta},${tb}>${to}:${tileKey(c)}:${aM ? 'aM' : 'aK'}${bK ? 'bK' : 'bN'}${u2 ? ':u2' : ''}${bx ? `:b${bx}` : ''}${exact ? ':x' : ''}`,
      wgsl: () => tiledWgsl(c, ta, tb, to, aM, bK, exact, u2, bx, knob('matmulTileGroup')),
      tm: c.TM, tn: c.TN,
    };
  }
  return simple();
}

// ---- the MoE GEMMs on SIMT cores ----

/** Workgroup memory of the MoE SIMT kernels: the dense kernel's tiles plus the row tables. */
const moeShared = (c: SimtTile): number => sharedBytes(c) + 3 * c.TM * 4 + 2 * ROW_CHUNK * 8 + 64;

/** The MoE SIMT tile for a product with `tilesOf(tile)` output tiles. The moeTile knob (big,
 * mid or TMxTNxBK:RMxRN; kernel work) forces one. */
export function pickMoeTile(g: GpuBackend, tilesOf: (c: SimtTile) => number): SimtTile {
  const forced = knob('moeTile');
  const t = forced === 'auto' || forced === 'big' || forced === 'mid' ? null : parseTile(forced);
  const custom = t?.kind === 'simt' ? t : null;
  const fits = (c: SimtTile): boolean => fitsAdapter(c, g, moeShared(c));
  // groupXtY's row tables hold ROW_CHUNK rows, so its K steps (BK) must divide that.
  if (custom && !(wellFormed(custom) && ROW_CHUNK % custom.BK === 0 && fits(custom))) {
    throw new Error(`scatteredExperts: moeTile (SCATTERGRAD_MOE_TILE) ${forced} is not a tile this adapter can run: RM, RN and BK ` +
      `multiples of 4, BK dividing ${ROW_CHUNK}, vec4 loads even per invocation, at most ${g.limits.maxComputeInvocationsPerWorkgroup} invocations and ` +
      `${g.limits.maxComputeWorkgroupStorageSize} bytes of workgroup memory`);
  }
  const { moeBig: BIG, moeMid: MID, low: LOW } = TILES;
  let c: SimtTile;
  if (custom) c = custom;
  else if (forced === 'big' && fits(BIG)) c = BIG;
  else if (forced === 'mid' && fits(MID)) c = MID;
  else if (fits(BIG) && tilesOf(BIG) >= BIG_MIN_TILES.moe) c = BIG;
  else c = fits(MID) ? MID : LOW;
  // On GPUs the tiles of 8x8 per invocation unroll their K loop by two, with flat shared tiles
  // and each 32 invocations an 8 x 4 block (loopShape), about 5% faster on the MoE MLP. The
  // 64x64 tiles (4x4 each) gained nothing so and keep the rolled loop over split tiles; CPU
  // adapters keep the rolled loop over flat ones (llvmpipe's compile time grows with the
  // code). The moeShared knob (flat or split) overrides the layout.
  const gpu = !isCpuAdapter(g);
  const { unroll2, bx } = loopShape('moe', gpu && c.RM === 8 && c.RN === 8);
  const layout = knob('moeShared');
  return { ...c, unroll2, bx, split: layout === 'auto' ? gpu && !unroll2 : layout === 'split' };
}

// ---- the tensor cores (MoE and dense float16) ----

const hasBufferView = (g: GpuBackend): boolean => {
  const f = (g.instance as GPU & { wgslLanguageFeatures?: ReadonlySet<string> }).wgslLanguageFeatures;
  return !!f && f.has('buffer_view');
};

/** Whether (and how) the tensor-core kernels run on this adapter: on real subgroup matrices,
 * emulated in plain WGSL (the moeTc knob), or not at all. */
export function tcMode(g: GpuBackend): 'real' | 'emulate' | null {
  const want = knob('moeTc');
  if (want === 'off' || !hasBufferView(g)) return null;
  if (want === 'emulate') return g.features.has('shader-f16') ? 'emulate' : null;
  return hasSubgroupMatrix(g) ? 'real' : null;
}

/** A tensor-core kernel and its tile. */
export interface TcChoice { mode: 'real' | 'emulate'; tile: TcTile }

/** The tensor-core tile for a product with `tilesOf(tile)` output tiles, among those whose
 * staging fits the adapter; null where none does. The moeTcTile / moeTcXtyTile knobs (kernel
 * work) force one. */
function pickTc(g: GpuBackend, mode: 'real' | 'emulate', k: Kernel, tilesOf: (c: TcTile) => number, big: TcTile = TILES.tcBig): TcTile | null {
  const fits = (c: TcTile, emulated: boolean): boolean => { const n = tcBytes(c, k, emulated); return n !== null && fitsAdapter(c, g, n); };
  const xty = k === 'xty' ? knob('moeTcXtyTile') : 'same';
  const forced = xty !== 'same' ? xty : knob('moeTcTile');
  if (mode === 'emulate') {
    const c = forced === 'emu2' ? TILES.tcEmu2 : TILES.tcEmu;
    return fits(c, true) ? c : null;
  }
  const t = parseTile(forced);
  if (t?.kind === 'tc') return fits(t, false) ? t : null;
  const MID = TILES.tcMid;
  if (forced === 'big' && fits(big, false)) return big;
  if (forced === 'mid' && fits(MID, false)) return MID;
  if (fits(big, false) && tilesOf(big) >= BIG_MIN_TILES.tc) return big;
  return fits(MID, false) ? MID : null;
}

/** The tensor-core kernel for scatter2scatter, or null: float16 throughout and an adapter that
 * runs the kernels and one of their tiles. */
export function chooseS2STc(o: S2SArgs): TcChoice | null {
  const { a, w, sse, y } = o;
  if (y.dtype !== 'float16' || a.t.dtype !== 'float16' || w.dtype !== 'float16') return null;
  const g = y.storage.gpu!;
  const mode = tcMode(g);
  if (!mode) return null;
  const N = w.shape[2];
  const tile = pickTc(g, mode, 's2s', (c) => Math.ceil(sse.numel / tm(c)) * Math.ceil(N / tn(c)));
  return tile && { mode, tile };
}

/** The tensor-core kernel for groupXtY, or null (as chooseS2STc). */
export function chooseXtyTc(o: XtYArgs): TcChoice | null {
  const { a, d, dw } = o;
  if (dw.dtype !== 'float16' || a.t.dtype !== 'float16' || d.t.dtype !== 'float16') return null;
  const g = dw.storage.gpu!;
  const mode = tcMode(g);
  if (!mode) return null;
  const [numE, M, N] = dw.shape;
  const tile = pickTc(g, mode, 'xty', (c) => numE * Math.ceil(M / tm(c)) * Math.ceil(N / tn(c)));
  return tile && { mode, tile };
}

/** How a dense product runs on the tensor cores: its tile, whether A is staged [k][m] (A
 * contiguous along M: a linear layer's weight gradient), how B is staged, and how wide A's and
 * B's loads are. */
export interface DenseTcChoice extends TcChoice { aKm: boolean; bl: BLayout; aVec: Vec; wVec: Vec }

/**
 * The staged tensor-core kernel for out = a · b, or null where it does not apply: dtypes other
 * than float16, a forced matmulTile, more than one merged batch dim, tiny products, A or B with
 * neither dim contiguous or too narrow loads. The matmulTc knob set to off turns it off.
 */
export function chooseDenseTc(a: Tensor, b: Tensor, out: Tensor, p: Plan): DenseTcChoice | null {
  if (out.dtype !== 'float16' || forcedKernel() !== null) return null;
  if (a.dtype !== 'float16' || b.dtype !== 'float16') return null;
  const { M, N, K } = p;
  const aKm = p.csA !== 1 && p.rsA === 1;
  if (knob('matmulTc') === 'off' || p.bshape.length > 1 || M < 16 || N < 16 || K < 16 || (p.csA !== 1 && !aKm)) return null;
  const g = out.storage.gpu!;
  const mode = tcMode(g);
  if (!mode) return null;
  const nb = p.bshape[0] ?? 1;
  const [bsa, bsb] = [p.bsa[0] ?? 0, p.bsb[0] ?? 0];
  // B is staged [k][n] when n is its contiguous dim (or neither is), [n][k] when k is (Bᵀ).
  const bl: BLayout = p.csB !== 1 && p.rsB === 1 ? 'nk' : 'kn';
  const aVec = aKm ? vecOf(M, true, [p.csA, bsa, a.offset]) : vecOf(K, true, [p.rsA, bsa, a.offset]);
  const wVec = bl === 'kn' ? vecOf(N, p.csB === 1, [p.rsB, bsb, b.offset]) : vecOf(K, true, [p.csB, bsb, b.offset]);
  if (aVec === 1 || wVec === 1) return null;
  // tcDenseBig only where A and B both stage row-major: with a transposed operand (column-major
  // fragments) it ran ~4x slower than tcBig.
  const big = !aKm && bl === 'kn' ? TILES.tcDenseBig : TILES.tcBig;
  const tile = pickTc(g, mode, 's2s', (c) => nb * Math.ceil(M / tm(c)) * Math.ceil(N / tn(c)), big);
  return tile && { mode, tile, aKm, bl, aVec, wVec };
}
