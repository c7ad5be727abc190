// The GEMM layer's entry: runs a problem (gemm/problem.ts) on the GPU with the kernel that
// gemm/choose.ts picks. ops/matmul.ts and moe/ run their products only through this.
import type { Gemm } from './problem.js';
import { gpuMatmul } from './dense.js';
import { s2sGpu, xtyGpu } from './scatter.js';

export type { Gemm, Operand, Strided, Gathered, Plan } from './problem.js';
export { denseGemm } from './problem.js';
export type { RowSrc } from './rows.js';

/** Runs `p` on the GPU (its tensors' device); the output must not be empty. */
export function runGemm(p: Gemm): void {
  const { a, b, groups } = p;
  if (a.kind === 'strided' && b.kind === 'strided') return gpuMatmul({ ...p, a, b });
  if (!groups) throw new Error('runGemm: a gathered operand needs the problem\'s groups (index and offsets)');
  const bias = p.bias?.t ?? null;
  // A's rows gathered along M and B strided per expert: scatter2scatter.
  if (a.kind === 'gathered' && b.kind === 'strided' && !p.bias?.sum) {
    return s2sGpu({ a: a.rows, w: b.t, bias, sse: groups.index, offsets: groups.offsets, groupedOut: !p.out.scattered, y: p.out.t });
  }
  // Both gathered along K (each expert's rows): groupXtY, the bias an output of B's row sums.
  if (a.kind === 'gathered' && b.kind === 'gathered' && !p.out.scattered && (p.bias === null || p.bias.sum)) {
    return xtyGpu({ a: a.rows, d: b.rows, sse: groups.index, offsets: groups.offsets, dw: p.out.t, db: bias });
  }
  throw new Error(`runGemm: no kernel reads A ${a.kind} and B ${b.kind}${p.out.scattered ? ' into scattered rows' : ''}`);
}
