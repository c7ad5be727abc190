// matmul and bmm. One Function (Matmul) covers every rank combination of PyTorch's matmul:
// 1-D operands become 2-D views before it and the extra dim is squeezed after, and the batch
// dims of N-D operands broadcast by reading with batch stride 0. Both kernels (CPU and WGSL)
// read each operand through its row, column and batch strides plus offset, so transposed
// and permuted views (the backward's Bᵀ and Aᵀ) are never copied. Output is contiguous.
// Float dtypes promote as in the elementwise ops (float16·float32 -> float32; PyTorch would
// refuse); the backward relies on it when a float32 gradient meets a float16 operand.
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { broadcastShapes, contiguousStrides, fmtShape, numel, describe } from '../tensor/shape.js';
import { isFloat, promote, roundF16, wgslType, type DType } from '../tensor/dtype.js';
import { tidy } from '../tensor/scope.js';
import { coalesce } from './map.js';
import { sumToShape } from './elementwise.js';
import * as V from './view.js';
import type { Plan } from '../gemm/plan.js';
import { tilesFor, tiledWgsl, tileKey, autoTile, forcedTile, forcedKernel, loopShape, type TileConfig } from '../gemm/tiled.js';
import { knob } from '../backend/tuning.js';
import { regWgsl, regKey, regTile, type RegConfig, type RegMode } from '../gemm/reg.js';
import { matmulHeader, BATCH_BASES } from '../gemm/wgsl.js';
import { hasSubgroupMatrix, subgroupWgsl, SG_TM, SG_TN } from '../gemm/subgroup.js';
import { matmulTc } from '../gemm/tc.js';
import type { GpuBackend } from '../backend/webgpu.js';

// ---- validation (before any GPU work) ----

function checkArgs(op: string, a: unknown, b: unknown): asserts a is Tensor {
  for (const [name, x] of [['a', a], ['b', b]] as const) {
    if (!(x instanceof Tensor)) throw new Error(`${op}: ${name} must be a Tensor, got ${describe(x)}`);
    if (x.disposed) throw new Error(`${op}: ${name} (shape ${fmtShape(x.shape)}, ${x.dtype}) was already disposed`);
    x.assertAlive(op);
    if (!isFloat(x.dtype)) {
      throw new Error(`${op}: ${name} (shape ${fmtShape(x.shape)}) has dtype ${x.dtype}; matmul needs floating point tensors (cast with .float())`);
    }
  }
  const ta = a as Tensor;
  const tb = b as Tensor;
  if (ta.device !== tb.device) throw new Error(`${op}: a is on ${ta.device} and b is on ${tb.device}; move one with await t.to(device)`);
}

const pair = (a: Tensor, b: Tensor): string => `a has shape ${fmtShape(a.shape)} and b has shape ${fmtShape(b.shape)}`;

function checkInner(op: string, a: Tensor, b: Tensor): void {
  const ka = a.shape[a.ndim - 1];
  const kb = b.shape[b.ndim === 1 ? 0 : b.ndim - 2];
  if (ka !== kb) throw new Error(`${op}: ${pair(a, b)}: inner dims ${ka} and ${kb} differ`);
}

// ---- the raw product: a [...Ba, M, K] · b [...Bb, K, N] -> [...broadcast(Ba, Bb), M, N] ----

/** The batch dims after merging, with each operand's batch strides (0 where broadcast). */

function plan(a: Tensor, b: Tensor, batch: number[]): Plan {
  let M = a.shape[a.ndim - 2];
  const K = a.shape[a.ndim - 1];
  const N = b.shape[b.ndim - 1];
  let rsA = a.strides[a.ndim - 2];
  const csA = a.strides[a.ndim - 1];
  const rsB = b.strides[b.ndim - 2];
  const csB = b.strides[b.ndim - 1];
  const bcast = (t: Tensor): number[] => {
    const s = t.shape.slice(0, -2);
    const st = t.strides.slice(0, -2);
    const off = batch.length - s.length;
    return batch.map((_, i) => (i < off || s[i - off] === 1 ? 0 : st[i - off]));
  };
  // Output batch strides are contiguous, so merged dims are merged for all three.
  const lay = coalesce(batch, [contiguousStrides(batch), bcast(a), bcast(b)]);
  const bshape = lay.shape;
  const [, bsa, bsb] = lay.strides;
  // When b is shared by every batch entry and a's batches are stacked rows, the batch folds
  // into M: [B, M, K]·[K, N] becomes one [B·M, K]·[K, N] (the linear-layer case).
  while (bshape.length && bsb[bshape.length - 1] === 0) {
    const d = bshape.length - 1;
    if (M === 1) rsA = bsa[d];
    if (bsa[d] !== rsA * M) break;
    M *= bshape[d];
    bshape.pop(); bsa.pop(); bsb.pop();
  }
  return { M, N, K, rsA, csA, rsB, csB, bshape, bsa, bsb };
}

function matmulRaw(a: Tensor, b: Tensor): Tensor {
  const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const out = Tensor.empty([...batch, a.shape[a.ndim - 2], b.shape[b.ndim - 1]], promote(a.dtype, b.dtype), a.device, 'matmul');
  if (out.numel === 0) return out;
  const p = plan(a, b, batch);
  if (a.device === 'cpu') cpuMatmul(a, b, out, p);
  else gpuMatmul(a, b, out, p);
  return out;
}

// ---- CPU kernel ----

function cpuMatmul(a: Tensor, b: Tensor, out: Tensor, p: Plan): void {
  const { M, N, K, rsA, csA, rsB, csB, bshape, bsa, bsb } = p;
  const A = a.data;
  const B = b.data;
  const O = out.data;
  const f16 = out.dtype === 'float16';
  // float32 products are rounded to float32, as on the GPU and in PyTorch: one that
  // overflows is ±Inf (1e20·1e20 − 1e20·1e20 is NaN, not 0); the sum stays in a double.
  const f32 = out.dtype !== 'float64';
  const acc = new Float64Array(N);
  const idx = new Array<number>(bshape.length).fill(0);
  let oa = a.offset;
  let ob = b.offset;
  let oo = out.offset;
  for (let bi = 0, nb = numel(bshape); bi < nb; bi++) {
    for (let m = 0; m < M; m++) {
      acc.fill(0);
      // k outer, n inner: streams a row of b per step instead of a column per output.
      for (let k = 0; k < K; k++) {
        const av = A[oa + m * rsA + k * csA];
        const rowB = ob + k * rsB;
        if (f32) for (let n = 0; n < N; n++) acc[n] += Math.fround(av * B[rowB + n * csB]);
        else for (let n = 0; n < N; n++) acc[n] += av * B[rowB + n * csB];
      }
      const row = oo + m * N;
      if (f16) for (let n = 0; n < N; n++) O[row + n] = roundF16(acc[n]);
      else for (let n = 0; n < N; n++) O[row + n] = acc[n];
    }
    oo += M * N;
    for (let d = bshape.length - 1; d >= 0; d--) {
      idx[d]++;
      oa += bsa[d];
      ob += bsb[d];
      if (idx[d] < bshape[d]) break;
      idx[d] = 0;
      oa -= bsa[d] * bshape[d];
      ob -= bsb[d] * bshape[d];
    }
  }
}

// ---- WGSL kernel ----

// A 16x16 workgroup computes a 64x64 output tile, each invocation a 4x4 block held in
// registers, walking K in steps of 16 through shared memory (8 KiB: fits the 16 KiB every
// adapter offers). Rows and columns of the block are strided by 16 so that neighbouring
// invocations touch neighbouring shared-memory words and output columns.
const TM = 64;
const TN = 64;
const BK = 16;
const WX = 16;
const WY = 16;
const RM = TM / WY;
const RN = TN / WX;
const THREADS = WX * WY;
const PAD_A = TM + 1; // A's tile is stored transposed; the pad keeps its stores off one bank
/** Batch dims the kernel decodes itself; more (rare after merging) loop in JS. */
const KERNEL_BATCH_DIMS = 4;

/** Which kernel a product takes: decided from dtypes, strides and alignment, never cached by size. */
interface KernelChoice { key: string; wgsl: () => string; tm: number; tn: number; perOutput?: boolean }

const m4 = (x: number): boolean => x % 4 === 0;
const m16 = (x: number): boolean => x % 16 === 0;

/** The CPU-adapter kernel's config for a product with M rows: 32 rows per workgroup, fewer
 * where M is smaller (clamped rows are computed for nothing), never fewer than a vector's lanes
 * (each lane loads its share of them). Without broadcasts every lane loads all its rows, and
 * 8x8 per lane balances the two operands' loads. */
function regConfig(lanes: number, bcast: boolean, M: number): RegConfig {
  if (!bcast) return { RM: 8, RN: 8, lanes, bcast };
  let RM = 32;
  while (RM > lanes && RM / 2 >= M) RM /= 2;
  return { RM: Math.max(RM, lanes), RN: 4, lanes, bcast };
}

function chooseKernel(g: GpuBackend, a: Tensor, b: Tensor, out: Tensor, p: Plan, bsa: number[], bsb: number[]): KernelChoice {
  const { M, N, K } = p;
  const ta = wgslType(a.dtype);
  const tb = wgslType(b.dtype);
  const to = wgslType(out.dtype);
  const aM = p.csA !== 1 && p.rsA === 1; // A contiguous along M (a transposed view)
  const bK = p.csB !== 1 && p.rsB === 1; // B contiguous along K (a transposed view)
  const aOk = aM ? p.rsA === 1 && m4(M) && m4(p.csA) : p.csA === 1 && m4(K) && m4(p.rsA);
  const bOk = bK ? p.rsB === 1 && m4(K) && m4(p.csB) : p.csB === 1 && m4(N) && m4(p.rsB);
  const aligned = aOk && bOk && m4(N) && m4(a.offset) && m4(b.offset) && m4(out.offset) && bsa.every(m4) && bsb.every(m4);
  const forced = forcedKernel();
  const simple = (): KernelChoice => ({ key: `matmul:${ta},${tb}>${to}:${TM}x${TN}x${BK}:${RM}x${RN}`, wgsl: () => matmulWgsl(ta, tb, to), tm: TM, tn: TN });
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
    if (K >= DOT_MIN_K && p.csA === 1 && p.rsB === 1 && !tilesFor(g).cpu) return dot();
    // B's rows read as vec4 along N (the gates' combine, (T,1,k) by (T,k,d)): four outputs
    // per invocation, one 4-wide load of B per k.
    const n4 = m4(N) && p.csB === 1 && m4(p.rsB) && m4(b.offset) && bsb.every(m4) && m4(out.offset);
    if (n4) return { key: `matmul-small:${ta},${tb}>${to}:n4`, wgsl: () => smallWgsl(ta, tb, to, true), tm: 1, tn: 4, perOutput: true };
    return { key: `matmul-small:${ta},${tb}>${to}`, wgsl: () => smallWgsl(ta, tb, to, false), tm: 1, tn: 1, perOutput: true };
  }
  const choice = tilesFor(g);
  const auto = !forced || forced.kind === 'sgmat';
  // A CPU adapter takes the register-blocked kernel for every layout and alignment.
  if (forced?.kind === 'reg' || (auto && choice.cpu)) {
    const c = regConfig(choice.lanes, choice.bcast && !(forced?.kind === 'reg' && forced.plain), M);
    // Vectors along K, else along the outer dim, else scalars: each needs its contiguous dim
    // a multiple of 4 and every other stride and offset too (so vec4 indices are exact).
    const base4 = (t: Tensor, bs: number[]): boolean => m4(t.offset) && bs.every(m4);
    const aMode: RegMode = p.csA === 1 && m4(K) && m4(p.rsA) && base4(a, bsa) ? 'k4'
      : p.rsA === 1 && m4(M) && m4(p.csA) && base4(a, bsa) ? 'o4' : 's';
    const bMode: RegMode = p.rsB === 1 && m4(K) && m4(p.csB) && base4(b, bsb) ? 'k4'
      : p.csB === 1 && m4(N) && m4(p.rsB) && base4(b, bsb) ? 'o4' : 's';
    const o4 = m4(N) && m4(out.offset);
    const { tm, tn } = regTile(c);
    return { key: `matmul-reg:${ta},${tb}>${to}:${regKey(c)}:a${aMode}b${bMode}o${o4 ? 4 : 1}`, wgsl: () => regWgsl(c, ta, tb, to, aMode, bMode, o4), tm, tn };
  }
  // Tensor cores: float16 in and out, dims in whole 16x16 fragments, 16-byte aligned rows.
  if (auto && ta === 'f16' && tb === 'f16' && to === 'f16' && aligned && m16(M) && m16(N) && m16(K) && M >= 64 && N >= 64 &&
      [a.offset, b.offset, aM ? p.csA : p.rsA, bK ? p.csB : p.rsB, ...bsa, ...bsb].every((x) => x % 8 === 0) && hasSubgroupMatrix(g)) {
    return { key: `matmul-sgmat:${aM ? 'aM' : 'aK'}${bK ? 'bK' : 'bN'}`, wgsl: () => subgroupWgsl(aM, bK), tm: SG_TM, tn: SG_TN };
  }
  // The vec4 tiled kernel, its tiles sized so that the product makes enough workgroups.
  if (aligned && M >= 32 && N >= 32 && K >= 16) {
    const c: TileConfig = forced?.kind === 'tiled' ? forcedTile(g, forced.cfg, forced.named) ?? autoTile(g, M, N, numel(p.bshape)) : autoTile(g, M, N, numel(p.bshape));
    // Whole tiles of the small config skip the bounds checks, and its K loop is unrolled by two
    // over 8 x 4 blocks of invocations (loopShape): both made it faster on a real GPU, while the
    // 128x128 kernel ran slower either way, so it keeps its checks and its loop. The
    // matmulExact knob set to off keeps the checks everywhere (kernel work).
    const { unroll2: u2, bx } = loopShape('matmul', c.RM === 4 && c.RN === 4);
    const exact = c.RM === 4 && M % c.TM === 0 && N % c.TN === 0 && K % c.BK === 0 && knob('matmulExact') !== 'off';
    return {
      key: `matmul-tiled:${ta},${tb}>${to}:${tileKey(c)}:${aM ? 'aM' : 'aK'}${bK ? 'bK' : 'bN'}${u2 ? ':u2' : ''}${bx ? `:b${bx}` : ''}${exact ? ':x' : ''}`,
      wgsl: () => tiledWgsl(c, ta, tb, to, aM, bK, exact, u2, bx),
      tm: c.TM, tn: c.TN,
    };
  }
  return simple();
}

function gpuMatmul(a: Tensor, b: Tensor, out: Tensor, p: Plan): void {
  // float16 on the tensor cores, staged through workgroup memory like the MoE kernels.
  if (out.dtype === 'float16' && forcedKernel() === null && matmulTc(a, b, out, p)) return;
  const gpu = out.storage.gpu!;
  const { M, N, K, bshape, bsa, bsb } = p;
  const inner = bshape.length - Math.min(bshape.length, KERNEL_BATCH_DIMS);
  const outer = bshape.slice(0, inner);
  const ib = bshape.slice(inner);
  const nInner = numel(ib);
  const kc = chooseKernel(gpu, a, b, out, p, bsa, bsb);
  const tilesM = Math.ceil(M / kc.tm);
  const tilesN = Math.ceil(N / kc.tn);
  const total = tilesM * tilesN * nInner; // workgroups, or outputs for the per-output kernel
  if (total > 0xffffffff) throw new Error(`matmul: ${total} workgroups exceed what one dispatch can address; split the batch`);
  // Load order follows the operand's contiguous direction, decided per call (a uniform
  // flag, not a pipeline): a transposed view is read as fast as a plain one.
  const aMFast = p.rsA < p.csA ? 1 : 0;
  const bKFast = p.rsB < p.csB ? 1 : 0;
  const vec4 = (xs: number[]): number[] => [0, 1, 2, 3].map((i) => xs[i] ?? 1);
  const pad = (xs: number[]): number[] => [0, 1, 2, 3].map((i) => xs[i] ?? 0);
  // Dispatches for batch dims beyond the kernel's four, each with its own base offsets.
  const outerIdx = new Array<number>(outer.length).fill(0);
  for (let o = 0, no = numel(outer); o < no; o++) {
    let offA = a.offset;
    let offB = b.offset;
    outerIdx.forEach((c, d) => { offA += c * bsa[d]; offB += c * bsb[d]; });
    const offO = out.offset + o * nInner * M * N;
    const uniforms = [
      M, N, K, total,
      tilesN, tilesM, ib.length, 0,
      offA, p.rsA, p.csA, aMFast,
      offB, p.rsB, p.csB, bKFast,
      offO, 0, 0, 0,
      ...vec4(ib), ...pad(bsa.slice(inner)), ...pad(bsb.slice(inner)),
    ];
    gpu.dispatch({
      key: kc.key,
      wgsl: kc.wgsl,
      inputs: [a.buffer, b.buffer],
      outputs: [out.buffer],
      uniforms: uniforms.map((x) => x >>> 0),
      workgroups: kc.perOutput ? Math.ceil(total / SMALL_WG) : total,
    });
    for (let d = outer.length - 1; d >= 0; d--) {
      if (++outerIdx[d] < outer[d]) break;
      outerIdx[d] = 0;
    }
  }
}

const SMALL_OUTPUTS = 1024;
const SMALL_WG = 256;

/** One invocation per output element over the flattened (batch, m, n) range: no shared
 * memory, no barriers; for products too small to fill a tile. Same uniforms as the tiled
 * kernel, with `total` counting outputs. With `n4` (N a multiple of 4, B and the output read
 * and written as vec4 along N) an invocation makes four neighbouring outputs and `total`
 * counts groups of four. */
function smallWgsl(ta: string, tb: string, to: string, n4: boolean): string {
  if (!n4) {
    return `${matmulHeader(ta, tb, to)}
@compute @workgroup_size(${SMALL_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${SMALL_WG}u;
  if (i >= u.total) { return; }
  let n = i % u.N;
  let m = (i / u.N) % u.M;
  var bi = i / (u.N * u.M);
${BATCH_BASES}  var acc = 0.0;
  for (var k = 0u; k < u.K; k++) {
    acc = fma(f32(A[baseA + m * u.rsA + k * u.csA]), f32(B[baseB + k * u.rsB + n * u.csB]), acc);
  }
  O[u.offO + i] = ${to}(acc);
}
`;
  }
  return `${matmulHeader(ta, `vec4<${tb}>`, `vec4<${to}>`)}
@compute @workgroup_size(${SMALL_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${SMALL_WG}u;
  if (i >= u.total) { return; }
  let n4 = u.N / 4u;
  let n = (i % n4) * 4u;
  let m = (i / n4) % u.M;
  var bi = i / (n4 * u.M);
${BATCH_BASES}  let ba = baseA + m * u.rsA;
  let bb = baseB + n;
  var acc = vec4<f32>(0.0);
  // Four k per iteration, their loads independent: they are in flight together, not one
  // memory latency after another (the loop is not unrolled otherwise).
  var k = 0u;
  for (; k + 4u <= u.K; k += 4u) {
${[0, 1, 2, 3].map((q) => `    let a${q} = f32(A[ba + (k + ${q}u) * u.csA]);\n    let b${q} = vec4<f32>(B[(bb + (k + ${q}u) * u.rsB) / 4u]);\n`).join('')}${[0, 1, 2, 3].map((q) => `    acc = fma(vec4<f32>(a${q}), b${q}, acc);\n`).join('')}  }
  for (; k < u.K; k++) {
    acc = fma(vec4<f32>(f32(A[ba + k * u.csA])), vec4<f32>(B[(bb + k * u.rsB) / 4u]), acc);
  }
  // Groups of four are contiguous in the output: group i starts at element 4i.
  O[u.offO / 4u + i] = vec4<${to}>(acc);
}
`;
}

/** K from which a product with few outputs per batch takes the dot kernel: two K elements per lane. */
const DOT_MIN_K = 128;
const DOT_WG = 64;

/** One workgroup per output over the flattened (batch, m, n) range: its invocations stride
 * along K (as vec4 when `k4`), then sum their partial sums in workgroup memory. */
function dotWgsl(ta: string, tb: string, to: string, k4: boolean): string {
  const v = (t: string): string => (k4 ? `vec4<${t}>` : t);
  const step = k4 ? 4 * DOT_WG : DOT_WG;
  const body = (k: string): string => (k4
    ? `acc += dot(vec4<f32>(A[(a0 + ${k}) / 4u]), vec4<f32>(B[(b0 + ${k}) / 4u]));`
    : `acc = fma(f32(A[a0 + ${k} * u.csA]), f32(B[b0 + ${k} * u.rsB]), acc);`);
  return `${matmulHeader(v(ta), v(tb), to)}var<workgroup> part: array<f32, ${DOT_WG}>;

@compute @workgroup_size(${DOT_WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = wid.x + wid.y * nwg.x;
  if (i >= u.total) { return; }
  let n = i % u.N;
  let m = (i / u.N) % u.M;
  var bi = i / (u.N * u.M);
${BATCH_BASES}  let a0 = baseA + m * u.rsA;
  let b0 = baseB + n * u.csB;
  var acc = 0.0;
  // Four steps per iteration, their loads independent (in flight together), then the rest.
  var k = lid${k4 ? ' * 4u' : ''};
  for (; k + ${3 * step}u < u.K; k += ${4 * step}u) {
${[0, 1, 2, 3].map((q) => `    ${body(`(k + ${q * step}u)`)}\n`).join('')}  }
  for (; k < u.K; k += ${step}u) {
    ${body('k')}
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = ${DOT_WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { part[lid] += part[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { O[u.offO + i] = ${to}(part[0]); }
}
`;
}

function matmulWgsl(ta: string, tb: string, to: string): string {
  const loadsA = (TM * BK) / THREADS;
  const loadsB = (BK * TN) / THREADS;
  let fmaLines = '';
  for (let i = 0; i < RM; i++) fmaLines += `      acc[${i}] = fma(vec4<f32>(As[ak + l.y + ${i * WY}u]), bv, acc[${i}]);\n`;
  const bvec = Array.from({ length: RN }, (_, j) => `Bs[bk + l.x + ${j * WX}u]`).join(', ');
  let stores = '';
  for (let i = 0; i < RM; i++) {
    for (let j = 0; j < RN; j++) {
      stores += `  if (r${i} < u.M && c${j} < u.N) { O[baseO + r${i} * u.N + c${j}] = ${to}(acc[${i}][${j}]); }\n`;
    }
  }
  const rows = Array.from({ length: RM }, (_, i) => `  let r${i} = m0 + l.y + ${i * WY}u;\n`).join('');
  const cols = Array.from({ length: RN }, (_, j) => `  let c${j} = n0 + l.x + ${j * WX}u;\n`).join('');
  return `${matmulHeader(ta, tb, to)}var<workgroup> As: array<f32, ${BK * PAD_A}>;
var<workgroup> Bs: array<f32, ${BK * TN}>;

@compute @workgroup_size(${WX}, ${WY})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) l: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // Workgroups are one linear range (tiles of N fastest, then M, then batch) so that no
  // count is bound by the 65535-per-dimension limit.
  let g = wid.x + wid.y * nwg.x;
  if (g >= u.total) { return; }
  let tn = g % u.tilesN;
  let tm = (g / u.tilesN) % u.tilesM;
  var bi = g / (u.tilesN * u.tilesM);
  let baseO = u.offO + bi * u.M * u.N;
${BATCH_BASES}  let m0 = tm * ${TM}u;
  let n0 = tn * ${TN}u;
  var acc: array<vec4<f32>, ${RM}>;
  let kTiles = (u.K + ${BK - 1}u) / ${BK}u;
  for (var kt = 0u; kt < kTiles; kt++) {
    let k0 = kt * ${BK}u;
    for (var s = 0u; s < ${loadsA}u; s++) {
      let e = lid + s * ${THREADS}u;
      let m = select(e / ${BK}u, e % ${TM}u, u.aMFast != 0u);
      let k = select(e % ${BK}u, e / ${TM}u, u.aMFast != 0u);
      var v = 0.0;
      if (m0 + m < u.M && k0 + k < u.K) { v = f32(A[baseA + (m0 + m) * u.rsA + (k0 + k) * u.csA]); }
      As[k * ${PAD_A}u + m] = v;
    }
    for (var s = 0u; s < ${loadsB}u; s++) {
      let e = lid + s * ${THREADS}u;
      let k = select(e / ${TN}u, e % ${BK}u, u.bKFast != 0u);
      let n = select(e % ${TN}u, e / ${BK}u, u.bKFast != 0u);
      var v = 0.0;
      if (k0 + k < u.K && n0 + n < u.N) { v = f32(B[baseB + (k0 + k) * u.rsB + (n0 + n) * u.csB]); }
      Bs[k * ${TN}u + n] = v;
    }
    workgroupBarrier();
    for (var k = 0u; k < ${BK}u; k++) {
      let ak = k * ${PAD_A}u;
      let bk = k * ${TN}u;
      let bv = vec4<f32>(${bvec});
${fmaLines}    }
    workgroupBarrier();
  }
${rows}${cols}${stores}}
`;
}

// ---- the Function ----

class Matmul extends Function {
  static override forward(ctx: Ctx, a: Tensor, b: Tensor): Tensor {
    ctx.saveForBackward(ctx.needsInputGrad[1] ? a : null, ctx.needsInputGrad[0] ? b : null);
    // A 2-D b whose transpose is contiguous (weight.T in Linear): see backward.
    const bTransposed = b.ndim === 2 && b.strides[0] === 1 && b.strides[1] === b.shape[0] && b.shape[0] > 1 && b.shape[1] > 1;
    ctx.meta = { aShape: a.shape, bShape: b.shape, aDType: a.dtype, bDType: b.dtype, K: a.shape[a.ndim - 1], bTransposed };
    return matmulRaw(a, b);
  }

  static override backward(ctx: Ctx, dy: Tensor): Array<Tensor | null> {
    const [a, b] = ctx.savedTensors;
    const { aShape, bShape, aDType, bDType, K, bTransposed } = ctx.meta as { aShape: number[]; bShape: number[]; aDType: DType; bDType: DType; K: number; bTransposed: boolean };
    const T = (x: Tensor): Tensor => V.transpose(x, -1, -2);
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    // dA = dY · Bᵀ, dB = Aᵀ · dY, summed over the batch dims each operand was broadcast along.
    if (ctx.needsInputGrad[0]) da = asDType(sumToShape(Matmul.apply(dy, T(b)), aShape), aDType);
    if (ctx.needsInputGrad[1]) {
      if (bShape.length === 2 && aShape.length > 2) {
        // b was shared by every batch entry: fold the batch into the rows, one [K, B·M]·[B·M, N].
        const rowsA = V.reshape(a, [numel(aShape.slice(0, -1)), K]);
        const rowsDy = V.reshape(dy, [numel(dy.shape.slice(0, -1)), dy.shape[dy.ndim - 1]]);
        // When b was a transposed view (Linear's weight.T), make dB in the transposed layout,
        // as (dYᵀ·A)ᵀ: the gradient then reaches the weight dense, with no copy on the way.
        db = bTransposed ? T(Matmul.apply(T(rowsDy), rowsA)) : Matmul.apply(T(rowsA), rowsDy);
      } else if (bTransposed && bShape.length === 2 && aShape.length === 2) db = T(Matmul.apply(T(dy), a));
      else db = sumToShape(Matmul.apply(T(a), dy), bShape);
      db = asDType(db!, bDType);
    }
    return [da, db];
  }
}

function asDType(t: Tensor, d: DType): Tensor {
  return t.dtype === d ? t : t.cast(d);
}

// ---- public ----

/** Batched matrix product: a [B, M, K] · b [B, K, N] -> [B, M, N] (no broadcasting, as in PyTorch). */
export function bmm(a: Tensor, b: Tensor): Tensor {
  checkArgs('bmm', a, b);
  for (const [name, x] of [['a', a], ['b', b]] as const) {
    if (x.ndim !== 3) throw new Error(`bmm: ${name} must be 3-D [batch, rows, cols], got shape ${fmtShape(x.shape)} (${pair(a, b)})`);
  }
  if (a.shape[0] !== b.shape[0]) throw new Error(`bmm: ${pair(a, b)}: batch sizes ${a.shape[0]} and ${b.shape[0]} differ`);
  checkInner('bmm', a, b);
  return Matmul.apply(a, b);
}

/**
 * PyTorch's matmul: 1-D·1-D is a dot product (0-d result); a 1-D operand gets a dim
 * prepended (a) or appended (b) that is removed from the result; the batch dims of N-D
 * operands broadcast, e.g. [2, 1, 3, 4]·[5, 4, 6] -> [2, 5, 3, 6].
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkArgs('matmul', a, b);
  for (const [name, x] of [['a', a], ['b', b]] as const) {
    if (x.ndim === 0) throw new Error(`matmul: ${name} is 0-d (${pair(a, b)}); both arguments need at least 1 dim (use mul for scalars)`);
  }
  checkInner('matmul', a, b);
  const ba = a.shape.slice(0, -2);
  const bb = b.shape.slice(0, -2);
  try {
    broadcastShapes('matmul', ba, bb);
  } catch {
    throw new Error(`matmul: ${pair(a, b)}: batch dims ${fmtShape(ba)} and ${fmtShape(bb)} cannot be broadcast together`);
  }
  if (a.ndim >= 2 && b.ndim >= 2) return Matmul.apply(a, b);
  // The temporary 2-D views are disposed here; autograd keeps its own references.
  return tidy(() => {
    const a2 = a.ndim === 1 ? V.unsqueeze(a, 0) : a;
    const b2 = b.ndim === 1 ? V.unsqueeze(b, 1) : b;
    let y = Matmul.apply(a2, b2);
    if (a.ndim === 1) y = V.squeeze(y, -2);
    if (b.ndim === 1) y = V.squeeze(y, -1);
    return y;
  });
}
