// In-place updates (optimizer steps, manual SGD, copy_ and fills): the checks PyTorch makes
// before writing into a tensor's memory, then the write itself.
import { Tensor } from '../tensor/tensor.js';
import { isGradEnabled, noGrad } from '../autograd/grad-mode.js';
import { isFloat, keepBelow } from '../tensor/dtype.js';
import { broadcastShapes, fmtShape, shapesEqual } from '../tensor/shape.js';
import { checkScalarFits } from '../tensor/check.js';
import { resultDType, type Operand } from './map.js';
import * as E from './elementwise.js';
import { checkAlpha, checkOperand, copyInto } from './elementwise.js';
import type { DType } from '../tensor/dtype.js';
import { roundingModeArg } from './intdiv.js';
import { clamp } from './math.js';
import { square } from './math-unary.js';
import { addcmul, addcdiv, lerp } from './math-binary.js';
import { maskedFill } from './mask.js';
import { fromArray } from './view.js';
import { checkOptions, describe, numel } from '../tensor/shape.js';
import { Generator, defaultGenerator } from '../tensor/create.js';

/** Whether a view covers a block of memory exactly once (PyTorch's non-overlapping and dense). */
function denseBlock(t: Tensor): boolean {
  let next = 1;
  const dims = t.shape.map((n, d) => [n, t.strides[d]]).filter(([n]) => n > 1).sort((a, b) => a[1] - b[1]);
  for (const [n, st] of dims) { if (st !== next) return false; next *= n; }
  return true;
}

/**
 * PyTorch's refusals for writes whose result would depend on the order of the elements: self
 * repeats an element (a stride-0 dim, as from expand), except for a fill from a number; or
 * other shares some memory with self without being the same view, where both are dense blocks
 * (PyTorch does not look further either).
 */
function checkOverlap(name: string, self: Tensor, other: Operand | null, assign: boolean, arg = 'other'): void {
  if (self.numel === 0) return;
  const d = self.shape.findIndex((n, i) => n > 1 && self.strides[i] === 0);
  if (d >= 0 && !(assign && !(other instanceof Tensor))) {
    throw new Error(`${name}: unsupported operation: more than one element of the written-to tensor refers to a single memory location (shape ${fmtShape(self.shape)}, stride 0 in dim ${d}); clone() it first`);
  }
  if (!(other instanceof Tensor) || other.storage !== self.storage || other.numel === 0) return;
  if (other.offset === self.offset && shapesEqual(other.shape, self.shape) && shapesEqual(other.strides, self.strides)) return;
  if (!denseBlock(self) || !denseBlock(other)) return;
  if (other.offset < self.offset + self.numel && self.offset < other.offset + other.numel) {
    throw new Error(`${name}: unsupported operation: some elements of ${arg} (shape ${fmtShape(other.shape)}) and of the written-to tensor (shape ${fmtShape(self.shape)}) refer to a single memory location; clone() ${arg} first`);
  }
}

/**
 * Writes op(self, other) into self's memory. Like PyTorch, refused on a tensor that requires
 * grad while grad mode is on (use noGrad). The result is computed into a temporary first: a
 * dispatch may not read and write the same buffer.
 */
export function inplace(name: string, self: Tensor, other: Operand | null, f: (a: Tensor, b: Operand) => Tensor,
  o: { alpha?: number; assign?: boolean } = {}): Tensor {
  self.assertAlive(name);
  checkAlpha(name, o.alpha);
  if (o.assign && typeof other === 'number') checkScalarFits(name, other, self.dtype);
  // PyTorch's rule for arithmetic in place: the result must fit self's dtype, so nothing
  // fractional lands in an int32 tensor (a copy or fill casts instead, as PyTorch's do).
  if (!o.assign && self.dtype === 'bool' && !(other instanceof Tensor && other.dtype === 'bool')) {
    throw new Error(`${name}: the result of ${other instanceof Tensor ? `a ${other.dtype} tensor` : 'a number'} can't be cast to the bool tensor modified in place`);
  }
  if (!o.assign && self.dtype === 'int32') {
    if (other instanceof Tensor && isFloat(other.dtype)) throw new Error(`${name}: result type ${other.dtype} can't be cast to the int32 tensor modified in place`);
    if (typeof other === 'number' && !Number.isInteger(other)) throw new Error(`${name}: ${other} is not an integer; the int32 tensor modified in place cannot hold the result`);
    if (o.alpha !== undefined && !Number.isInteger(o.alpha)) throw new Error(`${name}: alpha must be an integer for an int32 tensor, got ${o.alpha}`);
  }
  checkGradMode(name, self);
  if (other instanceof Tensor) checkTensorOperand(name, self, 'other', other);
  else if (other !== null) checkOperand(name, 'other', other);
  checkOverlap(name, self, other, !!o.assign);
  return write(name, self, () => f(self, other ?? 0));
}

/** PyTorch's refusal of in-place writes into a tensor that requires grad while grad mode is on. */
function checkGradMode(name: string, self: Tensor): void {
  if (self.requiresGrad && isGradEnabled()) {
    throw new Error(`${name}: a tensor that requires grad cannot be modified in place while grad mode is on; wrap the update in sg.noGrad(() => ...)`);
  }
}

/** A tensor operand: alive, on self's device, broadcasting to self's shape without growing it. */
function checkTensorOperand(name: string, self: Tensor, arg: string, t: Tensor): void {
  t.assertAlive(name);
  if (t.device !== self.device) throw new Error(`${name}: ${arg} is on ${t.device} but self is on ${self.device}`);
  const s = broadcastShapes(name, self.shape, t.shape);
  if (!shapesEqual(s, self.shape)) throw new Error(`${name}: ${arg} of shape ${fmtShape(t.shape)} does not broadcast to self's shape ${fmtShape(self.shape)}`);
}

/**
 * Computes the out-of-place result and copies it into self's memory (any strides: a view
 * writes into its base), then bumps the version counter so backward sees the change. An
 * Error the out-of-place op raises names the in-place method that was called.
 */
function write(name: string, self: Tensor, f: () => Tensor): Tensor {
  const tmp = asMethod(name, () => noGrad(f));
  copyInto(self, tmp);
  tmp.dispose();
  self.storage.version++;
  return self;
}

/** Runs f; an Error raised by the out-of-place op (`exp: ...`) is renamed for the in-place method (`exp_: ...`). */
function asMethod<T>(name: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    const base = name.slice(0, -1);
    if (e instanceof Error && e.message.startsWith(`${base}:`)) e.message = name + e.message.slice(base.length);
    throw e;
  }
}

/** PyTorch's can_cast for an in-place result: no float into an integer or bool tensor, no integer into bool. */
function checkResultFits(name: string, result: DType, self: Tensor): void {
  const rank = (d: DType): number => (d === 'bool' ? 0 : d === 'int32' ? 1 : 2);
  if (rank(result) > rank(self.dtype)) throw new Error(`${name}: result type ${result} can't be cast to the ${self.dtype} tensor modified in place (shape ${fmtShape(self.shape)})`);
}

/**
 * The general in-place op: self = f(), where f is the out-of-place op on self and the named
 * operands (Tensors or numbers; null/undefined skipped). `result` gives the dtype the
 * out-of-place op would return, checked to fit self as PyTorch checks it; every check runs
 * before any GPU work.
 */
export function inplaceOp(name: string, self: Tensor, operands: ReadonlyArray<readonly [string, unknown]>, result: (xs: Operand[]) => DType, f: () => Tensor): Tensor {
  if (!(self instanceof Tensor)) throw new Error(`${name}: self must be a Tensor`);
  self.assertAlive(name);
  checkGradMode(name, self);
  const xs: Operand[] = [];
  for (const [arg, x] of operands) {
    if (x === null || x === undefined) continue;
    if (x instanceof Tensor) checkTensorOperand(name, self, arg, x);
    else checkOperand(name, arg, x);
    xs.push(x as Operand);
  }
  checkResultFits(name, result([self, ...xs]), self);
  checkOverlap(name, self, null, false);
  for (const [arg, x] of operands) if (x instanceof Tensor) checkOverlap(name, self, x, false, arg);
  return write(name, self, f);
}

/** The out-of-place result dtype of an op that keeps its operands' promoted type. */
export const promoted = (xs: Operand[]): DType => resultDType(xs);
/** ... and of one that gives floats for integer inputs (exp, sqrt, true division). */
export const floating = (xs: Operand[]): DType => { const d = resultDType(xs); return isFloat(d) ? d : 'float32'; };


// ---- the in-place ops (PyTorch's x.exp_(), x.clamp_(...), ...) ----

/** An in-place unary op: `result` maps self's dtype to the out-of-place result's. */
function unary_(name: string, f: (x: Tensor) => Tensor, result: (xs: Operand[]) => DType = promoted): (x: Tensor) => Tensor {
  return (x) => inplaceOp(name, x, [], result, () => f(x));
}
export const exp_ = unary_('exp_', E.exp, floating);
export const log_ = unary_('log_', E.log, floating);
export const sqrt_ = unary_('sqrt_', E.sqrt, floating);
export const sigmoid_ = unary_('sigmoid_', E.sigmoid, floating);
export const tanh_ = unary_('tanh_', E.tanh, floating);
export const abs_ = unary_('abs_', E.abs);
export const neg_ = unary_('neg_', E.neg);
export const relu_ = unary_('relu_', E.relu);
// The square of a bool tensor is an integer one, as PyTorch's (which then refuses square_).
export const square_ = unary_('square_', square, (xs) => { const d = resultDType(xs); return d === 'bool' ? 'int32' : d; });

/** x /= other, true division (a float result) or rounded ('trunc', 'floor', or { roundingMode }). */
export function div_(x: Tensor, other: Operand, roundingMode?: unknown): Tensor {
  const mode = asMethod('div_', () => roundingModeArg(roundingMode));
  return inplaceOp('div_', x, [['other', other]], mode ? promoted : floating, () => E.div(x, other, mode));
}

export function pow_(x: Tensor, exponent: Operand): Tensor {
  return inplaceOp('pow_', x, [['exponent', exponent]], promoted, () => E.pow(x, exponent));
}

export function clamp_(x: Tensor, min?: Operand | null, max?: Operand | null, name = 'clamp_'): Tensor {
  if ((min ?? null) === null && (max ?? null) === null) throw new Error(`${name}: at least one of min and max must be given (got neither)`);
  return inplaceOp(name, x, [['min', min], ['max', max]], promoted, () => clamp(x, min, max, name.slice(0, -1)));
}

export function clampMin_(x: Tensor, min: Operand): Tensor {
  if (min === null || min === undefined) throw new Error(`clampMin_: min must be a Tensor or a number, got ${describe(min)}`);
  return clamp_(x, min, null, 'clampMin_');
}
export function clampMax_(x: Tensor, max: Operand): Tensor {
  if (max === null || max === undefined) throw new Error(`clampMax_: max must be a Tensor or a number, got ${describe(max)}`);
  return clamp_(x, null, max, 'clampMax_');
}

/** Fills x with value where mask (bool, broadcasting to x's shape) is true; the value is cast to x's dtype. */
export function maskedFill_(x: Tensor, mask: Tensor, value: number | Tensor): Tensor {
  if (!(mask instanceof Tensor)) throw new Error(`maskedFill_: mask must be a bool Tensor, got ${describe(mask)}`);
  const v = value instanceof Tensor ? value : null;
  return inplaceOp('maskedFill_', x, [['mask', mask], ['value', v]], (xs) => xs[0] instanceof Tensor ? xs[0].dtype : 'float32', () => maskedFill(x, mask, value));
}

type ValueOpt = number | { value?: number };
export function addcmul_(x: Tensor, tensor1: Tensor, tensor2: Tensor, opts?: ValueOpt): Tensor {
  return inplaceOp('addcmul_', x, [['tensor1', tensor1], ['tensor2', tensor2]], promoted, () => addcmul(x, tensor1, tensor2, opts));
}
export function addcdiv_(x: Tensor, tensor1: Tensor, tensor2: Tensor, opts?: ValueOpt): Tensor {
  return inplaceOp('addcdiv_', x, [['tensor1', tensor1], ['tensor2', tensor2]], floating, () => addcdiv(x, tensor1, tensor2, opts));
}
export function lerp_(x: Tensor, end: Tensor, weight: Tensor | number): Tensor {
  return inplaceOp('lerp_', x, [['end', end], ['weight', weight]], promoted, () => lerp(x, end, weight));
}

// ---- random fills: drawn on the host like sg.rand/randn, so a seed gives the same values on every backend ----

function randomFill(name: string, x: Tensor, opts: unknown, draw: (g: Generator) => number): Tensor {
  if (!(x instanceof Tensor)) throw new Error(`${name}: self must be a Tensor`);
  x.assertAlive(name);
  if (!isFloat(x.dtype)) throw new Error(`${name}: needs a floating point tensor, got ${x.dtype} (shape ${fmtShape(x.shape)})`);
  const o = checkOptions(name, opts ?? {}, ['seed']);
  if (o.seed !== undefined && (typeof o.seed !== 'number' || !Number.isSafeInteger(o.seed))) throw new Error(`${name}: seed must be an integer, got ${describe(o.seed)}`);
  const g = o.seed !== undefined ? new Generator(o.seed as number) : defaultGenerator();
  return inplaceOp(name, x, [], () => x.dtype, () => {
    const n = numel(x.shape);
    const values = x.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = draw(g);
    return fromArray(values, x.shape, x.dtype, x.device);
  });
}

function checkFiniteArg(name: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${name}: ${arg} must be a finite number, got ${describe(v)}`);
  return v;
}

/** Uniform values in [from, to), as torch's uniform_. */
export function uniform_(x: Tensor, from = 0, to = 1, opts?: { seed?: number }): Tensor {
  checkFiniteArg('uniform_', 'from', from);
  checkFiniteArg('uniform_', 'to', to);
  if (from > to) throw new Error(`uniform_: expects a [from, to) range, but found from=${from} > to=${to}`);
  if (!Number.isFinite(to - from)) throw new Error(`uniform_: to - from (${to} - ${from}) overflows`);
  return randomFill('uniform_', x, opts, (g) => (from === to ? from : keepBelow(from + (to - from) * g.next(), to, x.dtype)));
}

/** Normal values with this mean and standard deviation (std >= 0), as torch's normal_. */
export function normal_(x: Tensor, mean = 0, std = 1, opts?: { seed?: number }): Tensor {
  checkFiniteArg('normal_', 'mean', mean);
  checkFiniteArg('normal_', 'std', std);
  if (std < 0) throw new Error(`normal_: expects std >= 0, but found std ${std}`);
  return randomFill('normal_', x, opts, (g) => mean + std * g.normal());
}
