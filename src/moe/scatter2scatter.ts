// scatter2scatter: the grouped matmul at the heart of ScatteredExperts. For every grouped
// row p of expert e (the rows [offsets[e-1], offsets[e]) ), with s = sse[p]:
//   in  = x[p] (groupedIn) or x[floor(s / k)] (times coef[s] when given)
//   out = y[p] (groupedOut) or y[s]
//   y[out] = in · W[e] (+ b[e])
// W is read through its strides, so the transposed view Wᵀ used for dX costs no copy.
//
// Expert ranges come from `offsets`, not from sortedExpertIdxs: rows that belong to no range
// (those flattenSortCount sorted to the tail because their expert index was out of range)
// are written as zeros, so a bad index never makes a kernel read or write out of bounds.
import { Tensor } from '../tensor/tensor.js';
import { intAt, storeFn } from './wgsl.js';
import { runGemm, type RowSrc } from '../gemm/index.js';

export interface S2SOptions {
  k: number;
  groupedIn: boolean;
  groupedOut: boolean;
  /** Scale input row floor(s / k) by coef[floor(s / k), s % k] ((·, k), any strides): the
   * gates fused into the gather (only without groupedIn). */
  coef?: Tensor | null;
}

/**
 * y (N, dOut) = the grouped matmul of x with w (E, dIn, dOut; any strides) over the N
 * grouped rows described by sse (int32 [N], contiguous) and offsets (int32 [E], contiguous).
 * Not recorded by autograd.
 */
export function scatter2scatter(x: Tensor, w: Tensor, bias: Tensor | null, sse: Tensor, offsets: Tensor, o: S2SOptions): Tensor {
  const n = sse.numel;
  const y = Tensor.empty([n, w.shape[2]], x.dtype, x.device);
  if (n === 0 || w.shape[2] === 0) return y;
  if (x.device === 'cpu') s2sCpu(x, w, bias, sse, offsets, o, y);
  else s2sGpu(x, w, bias, sse, offsets, o, y);
  return y;
}

// ---- CPU ----

function s2sCpu(x: Tensor, w: Tensor, bias: Tensor | null, sse: Tensor, offsets: Tensor, o: S2SOptions, y: Tensor): void {
  const [numE, dIn, dOut] = w.shape;
  const n = sse.numel;
  const [xs0, xs1] = x.strides;
  const [ws0, ws1, ws2] = w.strides;
  const xd = x.data;
  const wd = w.data;
  const yd = y.data;
  const s = intAt(sse);
  const off = intAt(offsets);
  const store = storeFn(y);
  const acc = new Float64Array(dOut);
  const xrow = new Float64Array(dIn);
  // float32 products rounded to float32 as on the GPU (an overflowing one is ±Inf); sums in doubles.
  const fr = y.dtype === 'float64' ? (v: number) => v : Math.fround;
  // Loop order follows W's layout: walk the unit-stride dim innermost.
  const rowMajorW = ws2 <= ws1;
  let start = 0;
  for (let e = 0; e < numE; e++) {
    const end = Math.min(Math.max(off(e), start), n);
    for (let p = start; p < end; p++) {
      const sc = s(p);
      if (sc < 0 || sc >= n) continue; // unreachable with validated indices; never out of bounds
      const xr = x.offset + (o.groupedIn ? p : Math.floor(sc / o.k)) * xs0;
      const cf = o.coef && !o.groupedIn ? o.coef.data[o.coef.offset + Math.floor(sc / o.k) * o.coef.strides[0] + (sc % o.k) * o.coef.strides[1]] : 1;
      const wb = w.offset + e * ws0;
      // The gate scales the input row before the product (ScatterMoE groups dY times the
      // gates, then multiplies): with an infinite gate the sum can be NaN where a scaled sum
      // would be ±Inf. No zero is skipped either, since 0 · ±Inf is NaN.
      for (let i = 0; i < dIn; i++) xrow[i] = fr(xd[xr + i * xs1] * cf);
      if (rowMajorW) {
        acc.fill(0);
        for (let i = 0; i < dIn; i++) {
          const xv = xrow[i];
          const wr = wb + i * ws1;
          for (let c = 0; c < dOut; c++) acc[c] += fr(xv * wd[wr + c * ws2]);
        }
      } else {
        for (let c = 0; c < dOut; c++) {
          let a = 0;
          const wc = wb + c * ws2;
          for (let i = 0; i < dIn; i++) a += fr(xrow[i] * wd[wc + i * ws1]);
          acc[c] = a;
        }
      }
      if (bias) {
        const bb = bias.offset + e * bias.strides[0];
        for (let c = 0; c < dOut; c++) acc[c] += bias.data[bb + c * bias.strides[1]];
      }
      const yr = y.offset + (o.groupedOut ? p : sc) * dOut;
      for (let c = 0; c < dOut; c++) yd[yr + c] = store(acc[c]);
    }
    start = end;
  }
  // Rows past the last range were left at zero by Tensor.empty (typed arrays start zeroed).
}

// ---- WebGPU: a gathered GEMM (src/gemm) ----

function s2sGpu(x: Tensor, w: Tensor, bias: Tensor | null, sse: Tensor, offsets: Tensor, o: S2SOptions, y: Tensor): void {
  const a: RowSrc = { t: x, grouped: o.groupedIn, fan: o.k, coef: o.groupedIn ? null : o.coef ?? null };
  const [, K, N] = w.shape;
  const [ws0, ws1, ws2] = w.strides;
  runGemm({
    M: sse.numel, N, K, batch: [], a: { kind: 'gathered', rows: a }, b: { kind: 'strided', t: w, rs: ws1, cs: ws2, batch: [ws0] },
    out: { t: y, scattered: !o.groupedOut }, bias: bias ? { t: bias, sum: false } : null, groups: { index: sse, offsets },
  });
}
