// Random sampling beyond rand/randn/randint: the *Like shorthands, randperm, bernoulli and
// normal. As everywhere in the engine, the random numbers come from the seeded CPU generator
// (so both backends draw the same values for a seed) and the arithmetic on them (comparing
// with probabilities, scaling by std) runs on the tensors' device.
import { Tensor, checkAllocation } from '../tensor/tensor.js';
import { checkTensor, checkInt } from '../tensor/check.js';
import { Generator, defaultGenerator, rand, randint, randn, type CreateOptions, type RandomOptions } from '../tensor/create.js';
import { isFloat, type DType } from '../tensor/dtype.js';
import { broadcastShapes, checkOptions, describe, fmtShape, forEachOffset } from '../tensor/shape.js';
import { noGrad } from '../autograd/grad-mode.js';
import { tidy } from '../tensor/scope.js';
import { runtime } from '../backend/runtime.js';
import { add, cast, lt, mul } from './elementwise.js';
import { fromArray } from './view.js';

/** rand/randn/randint's options with the shape, dtype and device of t as defaults. */
function like(op: string, t: unknown, opts: unknown): RandomOptions {
  checkTensor(op, t);
  const o = checkOptions(op, opts ?? {}, ['dtype', 'device', 'requiresGrad', 'seed']) as RandomOptions;
  return { ...o, dtype: o.dtype ?? t.dtype, device: o.device ?? t.device };
}

/** Uniform samples in [0, 1) shaped like t (its dtype and device unless opts say otherwise). */
export function randLike(t: Tensor, opts: RandomOptions = {}): Tensor {
  const o = like('randLike', t, opts);
  return rand([...t.shape], floatOnly('randLike', o));
}

/** Standard normal samples shaped like t. */
export function randnLike(t: Tensor, opts: RandomOptions = {}): Tensor {
  const o = like('randnLike', t, opts);
  return randn([...t.shape], floatOnly('randnLike', o));
}

/** PyTorch refuses uniform or normal samples of an integer dtype. */
function floatOnly(op: string, o: RandomOptions): RandomOptions {
  if (o.dtype !== undefined && !isFloat(o.dtype)) throw new Error(`${op}: dtype must be a float type, got ${o.dtype}`);
  return o;
}

/** Integers in [low, high) shaped like t: randintLike(t, high) or randintLike(t, low, high). */
export function randintLike(t: Tensor, low: number, high?: number | RandomOptions, opts: RandomOptions = {}): Tensor {
  if (typeof high === 'object' && high !== null) { opts = high; high = undefined; }
  const o = like('randintLike', t, opts);
  if (o.dtype === 'bool') throw new Error(`randintLike: dtype bool is not supported, give dtype 'int32' or a float type`);
  // randint's checks, under this op's name.
  try {
    return high === undefined ? randint(0, low, [...t.shape], o) : randint(low, high, [...t.shape], o);
  } catch (e) { throw new Error(`randintLike: ${(e as Error).message.replace(/^randint: /, '')}`); }
}

export interface PermOptions extends CreateOptions { seed?: number; generator?: Generator }

/** A random permutation of 0 .. n-1 (int32 unless opts.dtype says otherwise). */
export function randperm(n: number, opts: PermOptions = {}): Tensor {
  const count = checkInt('randperm', 'n', n, 0);
  const o = checkOptions('randperm', opts, ['dtype', 'device', 'requiresGrad', 'seed', 'generator']) as PermOptions;
  const dtype: DType = o.dtype ?? 'int32';
  if (dtype === 'bool' || (dtype === 'float16' && count > 2049)) throw new Error(`randperm: dtype ${dtype} cannot hold the values 0 to ${count - 1}`);
  if (o.requiresGrad && !isFloat(dtype)) throw new Error(`randperm: only floating point tensors can require grad, this one would be ${dtype}`);
  const device = o.device ?? runtime.defaultDevice;
  checkAllocation('randperm', [count], dtype, device);
  const gen = generatorOf('randperm', o);
  // Fisher-Yates, drawing from the end: each of the n! orders is equally likely.
  const p = dtype === 'int32' ? new Int32Array(count) : new Float64Array(count);
  for (let i = 0; i < count; i++) p[i] = i;
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(gen.next() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  const t = fromArray(p, [count], dtype, device);
  return o.requiresGrad ? t.requiresGrad_(true) : t;
}

function generatorOf(op: string, o: { seed?: number; generator?: Generator }): Generator {
  if (o.seed !== undefined && o.generator !== undefined) throw new Error(`${op}: pass seed or generator, not both`);
  if (o.generator !== undefined && !(o.generator instanceof Generator)) throw new Error(`${op}: generator must be an sg.Generator, got ${describe(o.generator)}`);
  return o.generator ?? (o.seed !== undefined ? new Generator(checkInt(op, 'seed', o.seed)) : defaultGenerator());
}

/**
 * 0/1 samples, 1 with probability input (or with probability p where given, input then
 * giving only the shape), in input's dtype. Not differentiable (PyTorch's gradient is zero).
 */
export function bernoulli(input: Tensor, p?: number | { seed?: number }, opts: { seed?: number } = {}): Tensor {
  checkTensor('bernoulli', input);
  if (typeof p === 'object' && p !== null) { opts = p; p = undefined; }
  const o = checkOptions('bernoulli', opts, ['seed']) as { seed?: number };
  if (!isFloat(input.dtype)) throw new Error(`bernoulli: input must be a float tensor of probabilities, got ${input.dtype}`);
  if (p !== undefined && (typeof p !== 'number' || !(p >= 0 && p <= 1))) throw new Error(`bernoulli: p must be a number in [0, 1], got ${describe(p)}`);
  if (p === undefined && input.device === 'cpu') {
    forEachOffset(input.shape, input.strides, input.offset, (off) => {
      const v = input.data[off];
      if (!(v >= 0 && v <= 1)) throw new Error(`bernoulli: every probability must be in [0, 1], got ${v} (input shape ${fmtShape(input.shape)})`);
    });
  }
  return noGrad(() => tidy(() => {
    const u = rand([...input.shape], { device: input.device, seed: o.seed, dtype: input.dtype === 'float64' ? 'float64' : 'float32' });
    return cast(lt(u, p ?? input), input.dtype);
  }));
}

/**
 * Normal samples: normal(mean, std) with tensors or numbers broadcast against each other
 * (at least one a tensor), or normal(mean, std, size) with two numbers. Not differentiable
 * (PyTorch's gradients are zeros).
 */
export function normal(mean: Tensor | number, std: Tensor | number = 1, size?: number[] | { seed?: number }, opts: { seed?: number; device?: 'cpu' | 'webgpu'; dtype?: DType } = {}): Tensor {
  if (typeof size === 'object' && size !== null && !Array.isArray(size)) { opts = size; size = undefined; }
  const o = checkOptions('normal', opts, ['seed', 'device', 'dtype']) as { seed?: number; device?: 'cpu' | 'webgpu'; dtype?: DType };
  for (const [name, v] of [['mean', mean], ['std', std]] as const) {
    if (v instanceof Tensor) {
      v.assertAlive('normal');
      if (!isFloat(v.dtype)) throw new Error(`normal: ${name} must be a float tensor, got ${v.dtype}`);
    } else if (typeof v !== 'number') throw new Error(`normal: ${name} must be a Tensor or a number, got ${describe(v)}`);
  }
  if (typeof std === 'number' && !(std >= 0)) throw new Error(`normal: std must be >= 0, got ${std}`);
  if (std instanceof Tensor && std.device === 'cpu') {
    forEachOffset(std.shape, std.strides, std.offset, (off) => {
      if (!(std.data[off] >= 0)) throw new Error(`normal: every element of std must be >= 0, got ${std.data[off]} (std shape ${fmtShape(std.shape)})`);
    });
  }
  const tensors = [mean, std].filter((v): v is Tensor => v instanceof Tensor);
  if (tensors.length === 2 && tensors[0].device !== tensors[1].device) throw new Error(`normal: mean is on ${tensors[0].device} but std is on ${tensors[1].device}`);
  let shape: number[];
  if (tensors.length === 0) {
    if (!Array.isArray(size)) throw new Error(`normal: with a number mean and std, give the size, got ${describe(size)}`);
    shape = size;
  } else {
    if (size !== undefined) throw new Error(`normal: size is only taken with a number mean and std (PyTorch's normal(mean, std, size)), got size ${describe(size)}`);
    shape = tensors.length === 2 ? broadcastShapes('normal', tensors[0].shape, tensors[1].shape) : [...tensors[0].shape];
  }
  const device = tensors[0]?.device ?? o.device ?? runtime.defaultDevice;
  const dtype = tensors.length === 2 && tensors[0].dtype !== tensors[1].dtype ? 'float32' : tensors[0]?.dtype ?? o.dtype ?? 'float32';
  if (!isFloat(dtype)) throw new Error(`normal: dtype must be a float type, got ${dtype}`);
  return noGrad(() => tidy(() => {
    const z = randn(shape, { device, seed: o.seed, dtype: dtype === 'float64' ? 'float64' : 'float32' });
    const y = add(mul(z, std), mean);
    return y.dtype === dtype ? y : cast(y, dtype);
  }));
}
