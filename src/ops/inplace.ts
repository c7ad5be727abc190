// In-place updates (optimizer steps, manual SGD, copy_ and fills): the checks PyTorch makes
// before writing into a tensor's memory, then the write itself.
import { Tensor } from '../tensor/tensor.js';
import { isGradEnabled, noGrad } from '../autograd/grad-mode.js';
import { isFloat } from '../tensor/dtype.js';
import { broadcastShapes, fmtShape, shapesEqual } from '../tensor/shape.js';
import { checkScalarFits } from '../tensor/check.js';
import type { Operand } from './map.js';
import { checkAlpha, checkOperand, copyInto } from './elementwise.js';

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
function checkOverlap(name: string, self: Tensor, other: Operand | null, assign: boolean): void {
  if (self.numel === 0) return;
  const d = self.shape.findIndex((n, i) => n > 1 && self.strides[i] === 0);
  if (d >= 0 && !(assign && !(other instanceof Tensor))) {
    throw new Error(`${name}: unsupported operation: more than one element of the written-to tensor refers to a single memory location (shape ${fmtShape(self.shape)}, stride 0 in dim ${d}); clone() it first`);
  }
  if (!(other instanceof Tensor) || other.storage !== self.storage || other.numel === 0) return;
  if (other.offset === self.offset && shapesEqual(other.shape, self.shape) && shapesEqual(other.strides, self.strides)) return;
  if (!denseBlock(self) || !denseBlock(other)) return;
  if (other.offset < self.offset + self.numel && self.offset < other.offset + other.numel) {
    throw new Error(`${name}: unsupported operation: some elements of other (shape ${fmtShape(other.shape)}) and of the written-to tensor (shape ${fmtShape(self.shape)}) refer to a single memory location; clone() other first`);
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
  if (self.requiresGrad && isGradEnabled()) {
    throw new Error(`${name}: a tensor that requires grad cannot be modified in place while grad mode is on; wrap the update in sg.noGrad(() => ...)`);
  }
  if (other instanceof Tensor) {
    other.assertAlive(name);
    if (other.device !== self.device) throw new Error(`${name}: other is on ${other.device} but self is on ${self.device}`);
    const s = broadcastShapes(name, self.shape, other.shape);
    if (!shapesEqual(s, self.shape)) throw new Error(`${name}: other of shape ${fmtShape(other.shape)} does not broadcast to self's shape ${fmtShape(self.shape)}`);
  } else if (other !== null) checkOperand(name, 'other', other);
  checkOverlap(name, self, other, !!o.assign);
  const tmp = noGrad(() => f(self, other ?? 0));
  copyInto(self, tmp);
  tmp.dispose();
  self.storage.version++;
  return self;
}
