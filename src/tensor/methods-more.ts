// More of the Tensor methods a PyTorch user types: small accessors and conversions (dim(),
// nelement(), t(), double(), long()...), new* creators that default to this tensor's dtype and
// device, and the in-place ops of ops/inplace.ts. Installed on the prototype as methods.ts does.
import { Tensor, type ShapeArg } from './tensor.js';
import { checkDType, gpuBytes, isFloat, type DType } from './dtype.js';
import { describe, fmtShape } from './shape.js';
import * as C from './create.js';
import type { CreateOptions } from './create.js';
import * as E from '../ops/elementwise.js';
import * as V from '../ops/view.js';
import * as I from '../ops/inplace.js';
import type { Operand } from '../ops/map.js';
import * as H from '../autograd/hooks.js';

type NewOptions = Pick<CreateOptions, 'dtype' | 'device' | 'requiresGrad'>;
type SizeArgs = Array<ShapeArg | NewOptions>;
type Nested = Parameters<typeof C.tensor>[0];

declare module './tensor.js' {
  interface Tensor {
    /** The number of dims (torch's dim(); same as ndim). */
    dim(): number;
    /** Same as dim(). */
    ndimension(): number;
    /** The number of elements (torch's nelement(); same as numel). */
    nelement(): number;
    isFloatingPoint(): boolean;
    /** Bytes per element as stored on this tensor's device (bool and float16 differ from torch, see docs). */
    elementSize(): number;
    /** torch.t: a 2-D tensor transposed; 0-d and 1-d come back as they are; more dims is an Error. */
    t(): Tensor;
    /** A float64 copy (CPU only). */
    double(): Tensor;
    /** torch's .long(): scattergrad has no int64, so this is .int() (int32). */
    long(): Tensor;
    /** type(): the dtype's name; type(dtype): a cast (this tensor itself when the dtype already matches). */
    type(): DType;
    type(dtype: DType): Tensor;
    newZeros(...size: SizeArgs): Tensor;
    newOnes(...size: SizeArgs): Tensor;
    /** Zeros: scattergrad never hands out uninitialized memory. */
    newEmpty(...size: SizeArgs): Tensor;
    newFull(size: ShapeArg, value: number | boolean, opts?: NewOptions): Tensor;
    newTensor(data: Nested, opts?: NewOptions): Tensor;
    // autograd hooks (autograd/hooks.ts)
    /** Makes backward keep this non-leaf tensor's gradient in .grad (summed over backward calls); a no-op on a leaf. */
    retainGrad(): void;
    /** PyTorch's retains_grad: true for a non-leaf after retainGrad(), false for leaves. */
    readonly retainsGrad: boolean;
    /** fn(grad) runs during backward with the gradient flowing into this tensor; a returned Tensor replaces it. */
    registerHook(fn: H.GradHook): H.RemovableHandle;
    // in place (ops/inplace.ts): refused on tensors that require grad unless inside noGrad
    div_(other: Tensor | number, roundingMode?: 'trunc' | 'floor' | null | { roundingMode?: 'trunc' | 'floor' | null }): this;
    pow_(exponent: Tensor | number): this;
    clamp_(min?: Tensor | number | null, max?: Tensor | number | null): this;
    clampMin_(min: Tensor | number): this;
    clampMax_(max: Tensor | number): this;
    exp_(): this;
    log_(): this;
    sqrt_(): this;
    abs_(): this;
    neg_(): this;
    sigmoid_(): this;
    tanh_(): this;
    relu_(): this;
    square_(): this;
    maskedFill_(mask: Tensor, value: number | Tensor): this;
    addcmul_(tensor1: Tensor, tensor2: Tensor, opts?: number | { value?: number }): this;
    addcdiv_(tensor1: Tensor, tensor2: Tensor, opts?: number | { value?: number }): this;
    lerp_(end: Tensor, weight: Tensor | number): this;
    uniform_(from?: number, to?: number, opts?: { seed?: number }): this;
    normal_(mean?: number, std?: number, opts?: { seed?: number }): this;
  }
}

/** The size arguments of newZeros(2, 3, opts) / newZeros([2, 3], opts), with this tensor's dtype and device as defaults. */
function withDefaults(self: Tensor, op: string, args: SizeArgs): Array<number | number[] | CreateOptions> {
  self.assertAlive(op);
  const last = args[args.length - 1];
  const hasOpts = last !== null && typeof last === 'object' && !Array.isArray(last);
  const opts = (hasOpts ? last : {}) as NewOptions;
  if (opts === null || typeof opts !== 'object') throw new Error(`${op}: options must be an object, got ${describe(opts)}`);
  const sizes = (hasOpts ? args.slice(0, -1) : args) as Array<number | number[]>;
  return [...sizes, { ...opts, dtype: opts.dtype ?? self.dtype, device: opts.device ?? self.device }];
}

function newOpts(self: Tensor, op: string, opts: unknown): CreateOptions {
  self.assertAlive(op);
  if (opts === undefined) opts = {};
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new Error(`${op}: options must be an object, got ${describe(opts)}`);
  const o = opts as NewOptions;
  return { ...o, dtype: o.dtype ?? self.dtype, device: o.device ?? self.device };
}

/** Reports the creator's errors under the method's name (zeros: ... -> newZeros: ...). */
function renamed<T>(op: string, base: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof Error && e.message.startsWith(`${base}:`)) e.message = op + e.message.slice(base.length);
    throw e;
  }
}

const methods: ThisType<Tensor> & Record<string, (...args: never[]) => unknown> = {
  dim(): number { this.assertAlive('dim'); return this.ndim; },
  ndimension(): number { this.assertAlive('ndimension'); return this.ndim; },
  nelement(): number { this.assertAlive('nelement'); return this.numel; },
  isFloatingPoint(): boolean { this.assertAlive('isFloatingPoint'); return isFloat(this.dtype); },
  elementSize(): number {
    this.assertAlive('elementSize');
    // The CPU backend keeps float16 in a Float32Array and bool in an Int32Array.
    if (this.device === 'cpu') return this.dtype === 'float64' ? 8 : 4;
    return gpuBytes(this.dtype);
  },
  t(): Tensor {
    this.assertAlive('t');
    if (this.ndim > 2) throw new Error(`t: expects a tensor with <= 2 dims, but self has ${this.ndim} (shape ${fmtShape(this.shape)}); use transpose(d0, d1) or mT`);
    return this.ndim === 2 ? V.transpose(this, 0, 1) : V.permute(this, this.shape.map((_, i) => i));
  },
  double(): Tensor {
    this.assertAlive('double');
    if (this.device !== 'cpu') throw new Error(`double: float64 exists only on the CPU backend, and this tensor (shape ${fmtShape(this.shape)}) is on ${this.device}; use (await x.to('cpu')).double()`);
    return E.cast(this, 'float64');
  },
  long(): Tensor { this.assertAlive('long'); return E.cast(this, 'int32'); },
  type(dtype?: DType): DType | Tensor {
    this.assertAlive('type');
    if (dtype === undefined) return this.dtype;
    checkDType('type', 'dtype', dtype);
    if (dtype === 'float64' && this.device !== 'cpu') throw new Error(`type: float64 exists only on the CPU backend, and this tensor is on ${this.device}`);
    return dtype === this.dtype ? this : E.cast(this, dtype);
  },
  newZeros(...size: SizeArgs): Tensor { return renamed('newZeros', 'zeros', () => C.zeros(...withDefaults(this, 'newZeros', size))); },
  newOnes(...size: SizeArgs): Tensor { return renamed('newOnes', 'ones', () => C.ones(...withDefaults(this, 'newOnes', size))); },
  newEmpty(...size: SizeArgs): Tensor { return renamed('newEmpty', 'zeros', () => C.zeros(...withDefaults(this, 'newEmpty', size))); },
  newFull(size: ShapeArg, value: number | boolean, opts?: NewOptions): Tensor {
    const o = newOpts(this, 'newFull', opts);
    return renamed('newFull', 'full', () => C.full(size as number | number[], value, o));
  },
  newTensor(data: Nested, opts?: NewOptions): Tensor {
    const o = newOpts(this, 'newTensor', opts);
    if (data instanceof Tensor) throw new Error('newTensor: data must be numbers or nested arrays, got a Tensor; use x.clone().detach() (as PyTorch recommends)');
    return renamed('newTensor', 'tensor', () => C.tensor(data, o));
  },

  retainGrad(): void { H.retainGrad(this); },
  registerHook(fn: H.GradHook): H.RemovableHandle { return H.registerHook(this, fn); },

  div_(other: Operand, roundingMode?: unknown): Tensor { return I.div_(this, other, roundingMode); },
  pow_(exponent: Operand): Tensor { return I.pow_(this, exponent); },
  clamp_(min?: Operand | null, max?: Operand | null): Tensor { return I.clamp_(this, min, max); },
  clampMin_(min: Operand): Tensor { return I.clampMin_(this, min); },
  clampMax_(max: Operand): Tensor { return I.clampMax_(this, max); },
  exp_(): Tensor { return I.exp_(this); },
  log_(): Tensor { return I.log_(this); },
  sqrt_(): Tensor { return I.sqrt_(this); },
  abs_(): Tensor { return I.abs_(this); },
  neg_(): Tensor { return I.neg_(this); },
  sigmoid_(): Tensor { return I.sigmoid_(this); },
  tanh_(): Tensor { return I.tanh_(this); },
  relu_(): Tensor { return I.relu_(this); },
  square_(): Tensor { return I.square_(this); },
  maskedFill_(mask: Tensor, value: number | Tensor): Tensor { return I.maskedFill_(this, mask, value); },
  addcmul_(tensor1: Tensor, tensor2: Tensor, opts?: number | { value?: number }): Tensor { return I.addcmul_(this, tensor1, tensor2, opts); },
  addcdiv_(tensor1: Tensor, tensor2: Tensor, opts?: number | { value?: number }): Tensor { return I.addcdiv_(this, tensor1, tensor2, opts); },
  lerp_(end: Tensor, weight: Tensor | number): Tensor { return I.lerp_(this, end, weight); },
  uniform_(from = 0, to = 1, opts?: { seed?: number }): Tensor { return I.uniform_(this, from, to, opts); },
  normal_(mean = 0, std = 1, opts?: { seed?: number }): Tensor { return I.normal_(this, mean, std, opts); },
};

for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: fn, writable: true, configurable: true });
}
Object.defineProperty(Tensor.prototype, 'retainsGrad', { get(this: Tensor): boolean { return H.retainsGrad(this); }, configurable: true });
