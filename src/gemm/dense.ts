// Runs a dense (batched) product on the GPU: the tensor-core kernel where it applies, else the
// kernel that gemm/choose.ts picks, dispatched once per block of up to four merged batch dims.
import { numel } from '../tensor/shape.js';
import { planOf, type Gemm, type Strided } from './problem.js';
import { chooseDense, chooseDenseTc } from './choose.js';
import { matmulTc } from './tc.js';
import { SMALL_WG } from './simple.js';

/** Batch dims the kernels decode themselves; more (rare after merging) loop here. */
const KERNEL_BATCH_DIMS = 4;

/** A strided problem on the GPU (out contiguous, not empty). */
export function gpuMatmul(g: Gemm & { a: Strided; b: Strided }): void {
  const [a, b, out, p] = [g.a.t, g.b.t, g.out.t, planOf(g)];
  // float16 on the tensor cores, staged through workgroup memory like the MoE kernels.
  const tc = chooseDenseTc(a, b, out, p);
  if (tc) return matmulTc(a, b, out, p, tc);
  const gpu = out.storage.gpu!;
  const { M, N, K, bshape, bsa, bsb } = p;
  const inner = bshape.length - Math.min(bshape.length, KERNEL_BATCH_DIMS);
  const outer = bshape.slice(0, inner);
  const ib = bshape.slice(inner);
  const nInner = numel(ib);
  const kc = chooseDense(gpu, a, b, out, p);
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
