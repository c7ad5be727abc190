// Distances and similarities built on the vector norm, written as PyTorch writes them (so the
// values and gradients are its): dist, normalize, cosineSimilarity, pairwiseDistance, and
// cdist, whose kernel is the norm's over the broadcast differences and whose gradient is
// PyTorch's _cdist_backward (the Inf-norm's gradient is not shared among ties there).
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { isFloat } from '../tensor/dtype.js';
import { broadcastShapes, describe, fmtShape, normDim } from '../tensor/shape.js';
import { tidy } from '../tensor/scope.js';
import { checkFinite } from '../tensor/check.js';
import { checkBool, checkInput } from './rows.js';
import { resultDType } from './map.js';
import { abs, add, cast, div, eq, mul, pow, sqrt, sub, sumToShape, where } from './elementwise.js';
import { sign } from './math-unary.js';
import { clamp, clampMin } from './math.js';
import { sum } from './reduce.js';
import { isnan } from './mask.js';
import { expand, full, transpose, unsqueeze } from './view.js';
import { cat } from './join.js';
import { matmul } from './matmul.js';
import { checkOrd, normRaw, vectorNorm, type NormKind } from './norms.js';

function checkPair(op: string, a: unknown, b: unknown, names: [string, string]): asserts a is Tensor {
  checkInput(op, a, names[0]);
  checkInput(op, b, names[1]);
  if (a.device !== (b as Tensor).device) throw new Error(`${op}: ${names[0]} is on ${a.device} and ${names[1]} on ${(b as Tensor).device}`);
}

/** torch.dist: the p-norm of x − y (broadcast) over every element. */
export function dist(x: Tensor, y: Tensor, p = 2): Tensor {
  checkPair('dist', x, y, ['input', 'other']);
  checkOrd('dist', 'p', p);
  broadcastShapes('dist', x.shape, y.shape);
  const dt = resultDType([x, y]);
  if (!isFloat(dt)) throw new Error(`dist: expected floating point inputs, got ${x.dtype} and ${y.dtype}`);
  return tidy(() => vectorNorm(sub(x, y), p));
}

/** F.normalize: x / max(‖x‖_p over dim, eps), the norm kept as a dim. */
export function normalize(x: Tensor, p = 2, dim = 1, eps = 1e-12): Tensor {
  checkInput('normalize', x);
  checkOrd('normalize', 'p', p);
  if (typeof dim !== 'number') throw new Error(`normalize: dim must be a number, got ${describe(dim)}`);
  normDim('normalize', dim, Math.max(x.ndim, 1));
  checkFinite('normalize', 'eps', eps);
  if (!isFloat(x.dtype)) throw new Error(`normalize: expected a floating point tensor as input, got dtype ${x.dtype} (shape ${fmtShape(x.shape)})`);
  return tidy(() => div(x, clamp(vectorNorm(x, p, dim, true), eps)));
}

/** max(n, eps) whose gradient passes as if unclamped: cosine_similarity clamps under no_grad. */
class ClampMinThrough extends Function {
  static override forward(_ctx: Ctx, n: Tensor, eps: number): Tensor { return clamp(n, eps); }
  static override backward(_ctx: Ctx, g: Tensor): Array<Tensor | null> { return [g, null]; }
}

/**
 * F.cosine_similarity, PyTorch 2's formula: Σ (x1 / max(‖x1‖, eps)) · (x2 / max(‖x2‖, eps))
 * along `dim`, each norm clamped on its own after broadcasting the two.
 */
export function cosineSimilarity(x1: Tensor, x2: Tensor, dim = 1, eps = 1e-8): Tensor {
  const op = 'cosineSimilarity';
  checkPair(op, x1, x2, ['x1', 'x2']);
  if (typeof dim !== 'number') throw new Error(`${op}: dim must be a number, got ${describe(dim)}`);
  checkFinite(op, 'eps', eps);
  const shape = broadcastShapes(op, x1.shape, x2.shape);
  normDim(op, dim, Math.max(shape.length, 1));
  const dt = resultDType([x1, x2]);
  if (!isFloat(dt)) throw new Error(`${op}: expected a floating point common dtype, got ${dt} (x1 ${x1.dtype}, x2 ${x2.dtype})`);
  return tidy(() => {
    // Integer operands are cast to the common dtype; float ones are kept (float16 stays so).
    const [a, b] = [x1, x2].map((t) => expand(isFloat(t.dtype) ? t : cast(t, dt), shape));
    const na = ClampMinThrough.apply(vectorNorm(a, 2, dim, true), eps) as Tensor;
    const nb = ClampMinThrough.apply(vectorNorm(b, 2, dim, true), eps) as Tensor;
    return sum(mul(div(a, na), div(b, nb)), dim);
  });
}

/** F.pairwise_distance: ‖x1 − x2 + eps‖_p along the last dim of the broadcast shape. */
export function pairwiseDistance(x1: Tensor, x2: Tensor, p = 2, eps = 1e-6, keepdim = false): Tensor {
  const op = 'pairwiseDistance';
  checkPair(op, x1, x2, ['x1', 'x2']);
  checkOrd(op, 'p', p);
  checkFinite(op, 'eps', eps);
  checkBool(op, 'keepdim', keepdim);
  const shape = broadcastShapes(op, x1.shape, x2.shape);
  const dt = resultDType([x1, x2, eps]);
  if (!isFloat(dt)) throw new Error(`${op}: x1 − x2 + eps is ${dt} (x1 ${x1.dtype}, x2 ${x2.dtype}, eps ${eps}); the norm needs floating point`);
  return tidy(() => vectorNorm(add(sub(x1, x2), eps), p, shape.length - 1, keepdim));
}

// ---- cdist ----

const cdistKind = (p: number): NormKind => (p === 0 ? 'zeroN' : p === Infinity ? 'infI' : p === 1 ? 'one' : p === 2 ? 'two' : 'p');

/** x1 [..., P, M] and x2 [..., R, M] -> their differences [..., P, R, M] (batch dims broadcast). */
function differences(x1: Tensor, x2: Tensor): Tensor {
  return sub(unsqueeze(x1, -2), unsqueeze(x2, -3));
}

/** cdist's sign: NaN for NaN (its kernel's ceil/floor-based sign), unlike torch.sign. */
const nanSign = (d: Tensor): Tensor => where(isnan(d), d, sign(d));

class Cdist extends Function {
  static override forward(ctx: Ctx, x1: Tensor, x2: Tensor, p: number): Tensor {
    const d = differences(x1, x2);
    const out = normRaw(d, [d.ndim - 1], false, p, cdistKind(p));
    ctx.saveForBackward(x1, x2, out);
    ctx.p = p;
    return out;
  }
  static override backward(ctx: Ctx, g: Tensor): Array<Tensor | null> {
    const [x1, x2, out] = ctx.savedTensors;
    const p: number = ctx.p;
    // cdist's 0-norm gradient is zeros (torch.linalg.vector_norm's is none at all).
    if (p === 0) return [full(x1.shape, 0, x1.dtype, x1.device), full(x2.shape, 0, x2.dtype, x2.device), null];
    const d = differences(x1, x2);
    const sg = nanSign(d);
    const [dk, gk] = [unsqueeze(out, -1), unsqueeze(g, -1)];
    const zero = eq(dk, 0);
    let gd: Tensor;
    if (p === 1) gd = mul(sg, gk);
    else if (p === 2) gd = where(zero, 0, div(mul(gk, d), dk));
    else if (p === Infinity) gd = mul(mul(sg, cast(eq(abs(d), dk), d.dtype)), gk);
    else if (p < 2) {
      gd = where(zero, 0, div(mul(mul(sg, pow(abs(d), p - 1)), gk), pow(dk, p - 1)));
      if (p < 1) gd = where(eq(d, 0), 0, gd);
    } else gd = where(zero, 0, div(mul(mul(d, pow(abs(d), p - 2)), gk), pow(dk, p - 1)));
    const g1 = sumToShape(sum(gd, -2), x1.shape);
    const g2 = sumToShape(sum(gd, -3).neg(), x2.shape);
    return [g1, g2, null];
  }
}

/**
 * torch.cdist: the p-norm distance (p >= 0) between each row of x1 [..., P, M] and each row of
 * x2 [..., R, M], batch dims broadcast, -> [..., P, R]; float32 or float64 only, as PyTorch.
 * computeMode as PyTorch's: for p = 2 the matmul form is used above 25 rows by default (its
 * memory is that of the output; it rounds differently), the exact difference form otherwise.
 */
export function cdist(x1: Tensor, x2: Tensor, p = 2, computeMode: CdistMode = 'use_mm_for_euclid_dist_if_necessary'): Tensor {
  const op = 'cdist';
  if (!CDIST_MODES.includes(computeMode)) throw new Error(`${op}: computeMode must be one of ${CDIST_MODES.map((m) => `'${m}'`).join(', ')}, got ${describe(computeMode)}`);
  checkPair(op, x1, x2, ['x1', 'x2']);
  checkOrd(op, 'p', p);
  if (p < 0) throw new Error(`${op}: p must be >= 0, got ${p}`);
  for (const [name, t] of [['x1', x1], ['x2', x2]] as const) {
    if (t.ndim < 2) throw new Error(`${op}: ${name} must have at least 2 dims [..., rows, features], got shape ${fmtShape(t.shape)}`);
    if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new Error(`${op}: ${name} has dtype ${t.dtype}; cdist takes float32 or float64, as PyTorch`);
  }
  if (x1.dtype !== x2.dtype) throw new Error(`${op}: x1 and x2 must have the same dtype, got ${x1.dtype} and ${x2.dtype}`);
  const m = [x1.shape[x1.ndim - 1], x2.shape[x2.ndim - 1]];
  if (m[0] !== m[1]) throw new Error(`${op}: x1 and x2 must have the same number of columns, got shapes ${fmtShape(x1.shape)} and ${fmtShape(x2.shape)}`);
  broadcastShapes(op, x1.shape.slice(0, -2), x2.shape.slice(0, -2));
  const rows = Math.max(x1.shape[x1.ndim - 2], x2.shape[x2.ndim - 2]);
  const mm = p === 2 && (computeMode === 'use_mm_for_euclid_dist' || (computeMode === 'use_mm_for_euclid_dist_if_necessary' && rows > 25));
  return mm ? euclidByMatmul(x1, x2) : Cdist.apply(x1, x2, p);
}

export type CdistMode = 'use_mm_for_euclid_dist_if_necessary' | 'use_mm_for_euclid_dist' | 'donot_use_mm_for_euclid_dist';
const CDIST_MODES: readonly string[] = ['use_mm_for_euclid_dist_if_necessary', 'use_mm_for_euclid_dist', 'donot_use_mm_for_euclid_dist'];

/**
 * PyTorch's matmul form of the euclidean distance: |a|² − 2a·b + |b|² as one product of
 * [−2a, |a|², 1] and [b, 1, |b|²], clamped at 0, then the root. Its gradient is autograd's
 * through those ops, as PyTorch's (infinite at a distance of 0).
 */
function euclidByMatmul(x1: Tensor, x2: Tensor): Tensor {
  return tidy(() => {
    const n1 = sum(mul(x1, x1), -1, true);
    const n2 = sum(mul(x2, x2), -1, true);
    const a = cat([mul(x1, -2), n1, full(n1.shape, 1, n1.dtype, n1.device)], -1);
    const b = cat([x2, full(n2.shape, 1, n2.dtype, n2.device), n2], -1);
    return sqrt(clampMin(matmul(a, transpose(b, -2, -1)), 0));
  });
}
