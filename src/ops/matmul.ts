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
import { isFloat, promote, roundF16, type DType } from '../tensor/dtype.js';
import { tidy } from '../tensor/scope.js';
import { coalesce } from './map.js';
import { sumToShape } from './elementwise.js';
import * as V from './view.js';
import { runGemm, denseGemm, type Plan } from '../gemm/index.js';

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
  else runGemm(denseGemm(a, b, out, p));
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
