// The dense product as the GEMM kernels see it, shared by ops/matmul.ts (which plans it) and
// the kernels that run it.

/** A product's layout: M x K times K x N over merged batch dims, with their strides. */
export interface Plan {
  M: number; N: number; K: number;
  rsA: number; csA: number; rsB: number; csB: number;
  bshape: number[]; bsa: number[]; bsb: number[];
}
