// Closeness: isclose (a bool tensor, PyTorch's formula as a composite of existing ops) and
// allclose / equal, which answer a JS boolean as PyTorch does. That answer needs the data, so
// those two return a Promise<boolean>, as the engine's other readbacks (item, toArray) do;
// their arguments are checked synchronously, so a bad call throws before any GPU work.
import { Tensor } from '../tensor/tensor.js';
import { isFloat } from '../tensor/dtype.js';
import { broadcastShapes, describe, shapesEqual } from '../tensor/shape.js';
import { tidy } from '../tensor/scope.js';
import { noGrad } from '../autograd/grad-mode.js';
import { checkBool, checkInput } from './rows.js';
import { abs, add, cast, eq, le, mul, sub } from './elementwise.js';
import { all, isfinite, isnan, logicalAnd, logicalOr } from './mask.js';

interface CloseArgs { rtol: number; atol: number; equalNan: boolean }

function checkClose(op: string, a: unknown, b: unknown, rtol: unknown, atol: unknown, equalNan: unknown): CloseArgs {
  checkInput(op, a, 'input');
  checkInput(op, b, 'other');
  if (a.device !== b.device) throw new Error(`${op}: input is on ${a.device} but other is on ${b.device}`);
  if (a.dtype !== b.dtype) throw new Error(`${op}: input dtype ${a.dtype} does not match other dtype ${b.dtype} (as in PyTorch; cast one of them first)`);
  for (const [arg, v] of [['rtol', rtol], ['atol', atol]] as const) {
    if (typeof v !== 'number' || !(v >= 0)) throw new Error(`${op}: ${arg} must be a number greater than or equal to zero, got ${describe(v)}`);
  }
  checkBool(op, 'equalNan', equalNan);
  broadcastShapes(op, a.shape, b.shape);
  return { rtol: rtol as number, atol: atol as number, equalNan: equalNan as boolean };
}

/** PyTorch's isclose: equal, or both NaN with equalNan, or |a − b| finite and <= atol + |rtol·b|. */
function closeRaw(a: Tensor, b: Tensor, { rtol, atol, equalNan }: CloseArgs): Tensor {
  return noGrad(() => tidy(() => {
    let close = eq(a, b);
    if (equalNan && isFloat(a.dtype)) close = logicalOr(close, logicalAnd(isnan(a), isnan(b)));
    if (rtol === 0 && atol === 0) return close;
    // int32 and bool measure the error in float32 (PyTorch's default dtype), as PyTorch does.
    const [x, y] = isFloat(a.dtype) ? [a, b] : [cast(a, 'float32'), cast(b, 'float32')];
    const allowed = add(abs(mul(y, rtol)), atol);
    const actual = abs(sub(x, y));
    return logicalOr(close, logicalAnd(isfinite(actual), le(actual, allowed)));
  }));
}

/**
 * Elementwise closeness as a bool tensor of the broadcast shape: a == b, or
 * |a − b| <= atol + rtol·|b| with |a − b| finite (so ±Inf is close only to itself), or both
 * NaN when `equalNan`. The inputs must share a dtype, as PyTorch requires.
 */
export function isclose(a: Tensor, b: Tensor, rtol = 1e-5, atol = 1e-8, equalNan = false): Tensor {
  return closeRaw(a, b, checkClose('isclose', a, b, rtol, atol, equalNan));
}

/** Whether every element is close (isclose's rule, broadcasting): a Promise<boolean>, since
 * the answer needs a readback. */
export function allclose(a: Tensor, b: Tensor, rtol = 1e-5, atol = 1e-8, equalNan = false): Promise<boolean> {
  const args = checkClose('allclose', a, b, rtol, atol, equalNan);
  const ok = noGrad(() => tidy(() => all(closeRaw(a, b, args))));
  return readBool(ok);
}

/** Whether a and b have the same shape and equal elements (NaN equals nothing; the dtypes may
 * differ, as in PyTorch): a Promise<boolean>, since the answer needs a readback. */
export function equal(a: Tensor, b: Tensor): Promise<boolean> {
  checkInput('equal', a, 'input');
  checkInput('equal', b, 'other');
  if (a.device !== b.device) throw new Error(`equal: input is on ${a.device} but other is on ${b.device}`);
  if (!shapesEqual(a.shape, b.shape)) return Promise.resolve(false);
  const ok = noGrad(() => tidy(() => all(eq(a, b))));
  return readBool(ok);
}

async function readBool(t: Tensor): Promise<boolean> {
  try { return (await t.item()) !== 0; } finally { t.dispose(); }
}
