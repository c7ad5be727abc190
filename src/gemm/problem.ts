// The one description of a GEMM: out = A · B (+ bias) with M rows, N columns, depth K and a
// batch. The dense matmul and bmm, ScatterMoE's scatter2scatter and groupXtY are all such
// problems; they differ only in how A and B are read and how the output is written.
import type { Tensor } from '../tensor/tensor.js';
import type { RowSrc } from './rows.js';

/** An operand read where it lies: element (i, j) at offset + i·rs + j·cs (any transposition),
 * plus one stride per batch dim (0 where broadcast). For A, i runs over M and j over K; for
 * B, i over K and j over N. */
export interface Strided { kind: 'strided'; t: Tensor; rs: number; cs: number; batch: number[] }

/** Rows gathered through the problem's index: row p is row floor(index[p] / fan) of the source
 * (or row p itself when grouped), times an optional per-row coefficient. A's rows run over M
 * (scatter2scatter), or over K with B's (groupXtY, where each expert's rows are its depth). */
export interface Gathered { kind: 'gathered'; rows: RowSrc }

export type Operand = Strided | Gathered;

export interface Gemm {
  M: number; N: number; K: number;
  /** Merged batch dims of a strided problem; [] for a grouped one (its batch is the experts). */
  batch: number[];
  a: Operand;
  b: Operand;
  /** The output: contiguous rows, or rows scattered back through the index (scattered). */
  out: { t: Tensor; scattered: boolean };
  /** Bias rows added to the output (one per expert), or, with `sum`, an output that receives
   * the sum of B's rows per expert (groupXtY's db). */
  bias: { t: Tensor; sum: boolean } | null;
  /** Grouped problems: the index of each grouped row (int32) and the end of each expert's
   * range of grouped rows (int32). */
  groups: { index: Tensor; offsets: Tensor } | null;
}

/** The dense layout the dense kernels read: M x K times K x N over merged batch dims. */
export interface Plan {
  M: number; N: number; K: number;
  rsA: number; csA: number; rsB: number; csB: number;
  bshape: number[]; bsa: number[]; bsb: number[];
}

/** A strided problem as a Plan. */
export function planOf(p: Gemm & { a: Strided; b: Strided }): Plan {
  const { M, N, K, a, b } = p;
  return { M, N, K, rsA: a.rs, csA: a.cs, rsB: b.rs, csB: b.cs, bshape: p.batch, bsa: a.batch, bsb: b.batch };
}

/** A dense product out = a · b laid out as `p` (out contiguous). */
export function denseGemm(a: Tensor, b: Tensor, out: Tensor, p: Plan): Gemm & { a: Strided; b: Strided } {
  return {
    M: p.M, N: p.N, K: p.K, batch: p.bshape,
    a: { kind: 'strided', t: a, rs: p.rsA, cs: p.csA, batch: p.bsa },
    b: { kind: 'strided', t: b, rs: p.rsB, cs: p.csB, batch: p.bsb },
    out: { t: out, scattered: false }, bias: null, groups: null,
  };
}
