// Creation: tensor(), zeros/ones/full/arange, and seeded random numbers. Random numbers
// are drawn on the CPU from one seeded generator and uploaded, so a seed gives the same
// numbers on every backend.
import { Tensor, checkAllocation } from './tensor.js';
import { checkScalarFits } from './check.js';
import { checkDType, isFloat, keepBelow, type DType } from './dtype.js';
import { checkOptions, checkShape, describe, fmtShape, MAX_NDIM, numel } from './shape.js';
import { runtime } from '../backend/runtime.js';
import type { DeviceKind } from '../backend/storage.js';
import { fromArray, full as fullRaw } from '../ops/view.js';

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
  device?: DeviceKind;
  shape?: number[];
}

export interface RandomOptions extends CreateOptions {
  seed?: number;
}

type Nested = number | boolean | Nested[] | ArrayLike<number>;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Checks an options object: a plain object whose keys are known and whose values are valid. */
function checkOpts<T extends RandomOptions>(op: string, opts: unknown, allowed: ReadonlyArray<keyof RandomOptions>): T {
  const o = checkOptions(op, opts, allowed);
  if (o.dtype !== undefined) checkDType(op, 'dtype', o.dtype);
  if (o.requiresGrad !== undefined && typeof o.requiresGrad !== 'boolean') throw new Error(`${op}: requiresGrad must be a boolean, got ${describe(o.requiresGrad)}`);
  if (o.device !== undefined && o.device !== 'cpu' && o.device !== 'webgpu') throw new Error(`${op}: device must be 'cpu' or 'webgpu', got ${describe(o.device)}`);
  if (o.seed !== undefined) checkSeed(op, o.seed);
  if (o.shape !== undefined) checkShape(op, o.shape);
  return o as T;
}

function checkSeed(op: string, seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) throw new Error(`${op}: seed must be an integer, got ${describe(seed)}`);
  return seed;
}

/** Throws unless every value is an integer that int32 holds (PyTorch would wrap or truncate silently). */
function checkInt32Values(op: string, values: ArrayLike<number>): void {
  if (values instanceof Int32Array) return;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) {
      throw new Error(`${op}: value ${v} at index ${i} is not an int32 (an integer from ${INT32_MIN} to ${INT32_MAX}); use dtype 'float32' or round it first`);
    }
  }
}

/** requiresGrad on an int32 or bool tensor is refused before anything is allocated. */
function checkGradDType(op: string, o: CreateOptions, dtype: DType): void {
  if (o.requiresGrad && !isFloat(dtype)) throw new Error(`${op}: only floating point tensors can require grad, this one would be ${dtype}`);
}

function finish(t: Tensor, opts: CreateOptions): Tensor {
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

function resolveDevice(op: string, d: DeviceKind | undefined): DeviceKind {
  const dev = d ?? runtime.defaultDevice;
  if (dev !== 'cpu' && dev !== 'webgpu') throw new Error(`${op}: device must be 'cpu' or 'webgpu', got ${describe(dev)}`);
  return dev;
}

/** The values (true and false as 1 and 0), the shape, and whether every value was a boolean. */
function flattenNested(op: string, data: unknown): { values: ArrayLike<number>; shape: number[]; bools?: boolean } {
  if (typeof data === 'number') return { values: [data], shape: [] };
  if (typeof data === 'boolean') return { values: [+data], shape: [], bools: true };
  if (ArrayBuffer.isView(data)) {
    if (data instanceof BigInt64Array || data instanceof BigUint64Array || data instanceof DataView) throw new Error(`${op}: data is ${describe(data)}; use a Float32Array, Int32Array or an array of numbers`);
    return { values: data as unknown as ArrayLike<number>, shape: [(data as unknown as ArrayLike<number>).length] };
  }
  if (!Array.isArray(data)) throw new Error(`${op}: data must be a number, a (nested) array of numbers or a typed array, got ${describe(data)}`);
  const shape: number[] = [];
  let probe: unknown = data;
  while (Array.isArray(probe)) {
    if (shape.length === MAX_NDIM) throw new Error(`${op}: data is nested more than ${MAX_NDIM} deep; at most ${MAX_NDIM} dims are supported`);
    shape.push(probe.length);
    probe = probe[0];
  }
  if (ArrayBuffer.isView(probe)) shape.push((probe as unknown as ArrayLike<number>).length);
  const values: number[] = [];
  let bools = 0;
  const walk = (x: unknown, d: number): void => {
    if (d === shape.length) {
      if (typeof x === 'boolean') { bools++; values.push(+x); return; }
      if (typeof x !== 'number') throw new Error(`${op}: expected a number or a boolean at depth ${d} (shape ${fmtShape(shape)}), got ${describe(x)}`);
      values.push(x);
      return;
    }
    const arr = x as ArrayLike<unknown>;
    if (typeof x !== 'object' || x === null || arr.length !== shape[d]) throw new Error(`${op}: ragged nested array: expected length ${shape[d]} at depth ${d} (shape ${fmtShape(shape)}), got ${describe(x)}`);
    for (let i = 0; i < arr.length; i++) walk(arr[i], d + 1);
  };
  walk(data, 0);
  return { values, shape, bools: bools > 0 && bools === values.length };
}

/**
 * A tensor from data: a number, a boolean, nested arrays or a typed array. dtype defaults to
 * bool when every value is a boolean, int32 for an Int32Array and float32 otherwise
 * (TensorFlow.js's choice; PyTorch would pick int64 for integers).
 */
export function tensor(data: Nested, opts: CreateOptions = {}): Tensor {
  const o = checkOpts<CreateOptions>('tensor', opts, ['dtype', 'device', 'requiresGrad', 'shape']);
  if (o.dtype !== undefined) checkDType('tensor', 'dtype', o.dtype);
  const { values, shape, bools } = flattenNested('tensor', data);
  const dtype = o.dtype ?? (bools ? 'bool' : data instanceof Int32Array ? 'int32' : 'float32');
  const target = o.shape ?? shape;
  if (numel(target) !== values.length) throw new Error(`tensor: ${values.length} values do not fill shape ${fmtShape(target)}`);
  if (dtype === 'int32') checkInt32Values('tensor', values);
  checkGradDType('tensor', o, dtype);
  const device = resolveDevice('tensor', o.device);
  checkAllocation('tensor', target, dtype, device);
  return finish(fromArray(values, target, dtype, device), o);
}

/** The sizes and options of `zeros(2, 3, opts)` / `zeros([2, 3], opts)`. */
function shapeFrom<T extends RandomOptions>(op: string, args: unknown[], allowed: ReadonlyArray<keyof RandomOptions>): { shape: number[]; opts: T } {
  const last = args[args.length - 1];
  const hasOpts = last !== undefined && last !== null && typeof last === 'object' && !Array.isArray(last) && !ArrayBuffer.isView(last);
  const opts = checkOpts<T>(op, hasOpts ? last : undefined, allowed);
  const sizes = hasOpts ? args.slice(0, -1) : args;
  const shape = checkShape(op, sizes.length === 1 && Array.isArray(sizes[0]) ? sizes[0] : sizes);
  return { shape, opts };
}

/** A new tensor of `shape` filled with `value`; `op` names the public caller in errors. */
function filled(op: string, shape: number[], value: unknown, o: CreateOptions, defaultDType: DType = 'float32'): Tensor {
  // A boolean fill makes a bool tensor unless dtype says otherwise, as torch.full(s, True).
  if (typeof value === 'boolean') { value = +value; defaultDType = 'bool'; }
  if (typeof value !== 'number') throw new Error(`${op}: fill value must be a number or a boolean, got ${describe(value)}`);
  const dtype = checkDType(op, 'dtype', o.dtype ?? defaultDType);
  checkScalarFits(op, value, dtype);
  checkGradDType(op, o, dtype);
  const device = resolveDevice(op, o.device);
  checkAllocation(op, shape, dtype, device);
  return finish(fullRaw(shape, value, dtype, device), o);
}

const FILL_OPTS = ['dtype', 'device', 'requiresGrad'] as const;

export function full(shape: number | number[], value: number | boolean, opts: CreateOptions = {}): Tensor {
  const o = checkOpts<CreateOptions>('full', opts, FILL_OPTS);
  return filled('full', checkShape('full', typeof shape === 'number' ? [shape] : shape), value, o);
}

export function zeros(...args: Array<number | number[] | CreateOptions>): Tensor {
  const { shape, opts } = shapeFrom<CreateOptions>('zeros', args, FILL_OPTS);
  return filled('zeros', shape, 0, opts);
}

export function ones(...args: Array<number | number[] | CreateOptions>): Tensor {
  const { shape, opts } = shapeFrom<CreateOptions>('ones', args, FILL_OPTS);
  return filled('ones', shape, 1, opts);
}

function filledLike(op: string, t: unknown, value: number, opts: unknown): Tensor {
  if (!(t instanceof Tensor)) throw new Error(`${op}: input must be a Tensor, got ${describe(t)}`);
  t.assertAlive(op);
  const o = checkOpts<CreateOptions>(op, opts, FILL_OPTS);
  return filled(op, t.shape, value, { ...o, dtype: o.dtype ?? t.dtype, device: o.device ?? t.device });
}

export function zerosLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  return filledLike('zerosLike', t, 0, opts);
}

export function onesLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  return filledLike('onesLike', t, 1, opts);
}

/** arange(end) or arange(start, end, step?); int32 when all arguments are integers. */
export function arange(start: number, end?: number | CreateOptions, step: number | CreateOptions = 1, opts: CreateOptions = {}): Tensor {
  if (typeof end === 'object' && end !== null) { opts = end; end = undefined; }
  if (typeof step === 'object' && step !== null) { opts = step; step = 1; }
  if (end === undefined) { end = start; start = 0; }
  const o = checkOpts<CreateOptions>('arange', opts, ['dtype', 'device', 'requiresGrad']);
  for (const [name, v] of [['start', start], ['end', end], ['step', step]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`arange: ${name} must be a finite number, got ${describe(v)}`);
  }
  const [a, b, st] = [start, end as number, step as number];
  if (st === 0) throw new Error(`arange: step must be nonzero, got ${st}`);
  // PyTorch refuses a range that runs against the step rather than returning it empty.
  if ((b - a) * st < 0) throw new Error(`arange: the range from start ${a} to end ${b} runs against step ${st}`);
  const n = Math.ceil((b - a) / st);
  const ints = [a, b, st].every(Number.isInteger);
  const dtype = checkDType('arange', 'dtype', o.dtype ?? (ints ? 'int32' : 'float32'));
  if (dtype === 'bool') throw new Error('arange: dtype bool is not supported (as in PyTorch)');
  checkGradDType('arange', o, dtype);
  const device = resolveDevice('arange', o.device);
  const shape = checkShape('arange', [n]);
  checkAllocation('arange', shape, dtype, device);
  if (dtype === 'int32' && n > 0) checkInt32Values('arange', [a, a + (n - 1) * st]);
  const values = dtype === 'float64' ? new Float64Array(n) : dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = a + i * st;
  return finish(fromArray(values, shape, dtype, device), o);
}

// ---- random numbers ----

/** xoshiro128**: small, fast, and good enough for initialization and dropout. */
export class Generator {
  private s = new Uint32Array(4);
  constructor(seed = 0) { this.seed(seed); }

  seed(seed: number): void {
    checkSeed('Generator.seed', seed);
    // splitmix32 to spread the seed over the state
    let z = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      z = (z + 0x9e3779b9) >>> 0;
      let x = z;
      x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
      x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (x ^ (x >>> 16)) >>> 0;
    }
  }

  /** A uniform float in [0, 1). */
  next(): number {
    const s = this.s;
    const r = Math.imul(((Math.imul(s[1], 5) << 7) | (Math.imul(s[1], 5) >>> 25)), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 11) | (s[3] >>> 21);
    return r / 4294967296;
  }

  /** A standard normal draw (Box-Muller). */
  normal(): number {
    let u = this.next();
    while (u === 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}

const globalGen = new Generator(0);

/** Seeds the global generator that randn/rand use when no seed is given. */
export function manualSeed(seed: number): void {
  checkSeed('manualSeed', seed);
  globalGen.seed(seed);
}

function random(op: string, args: unknown[], draw: (g: Generator, dtype: DType) => number): Tensor {
  const { shape, opts } = shapeFrom<RandomOptions>(op, args, ['dtype', 'device', 'requiresGrad', 'seed']);
  const dtype = checkDType(op, 'dtype', opts.dtype ?? 'float32');
  if (!isFloat(dtype)) throw new Error(`${op}: dtype must be a float type, got ${dtype}`);
  const device = resolveDevice(op, opts.device);
  checkAllocation(op, shape, dtype, device);
  const g = opts.seed !== undefined ? new Generator(opts.seed) : globalGen;
  const n = numel(shape);
  // Drawn straight into the stored precision: a float64 staging copy would double the memory.
  const values = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = draw(g, dtype);
  return finish(fromArray(values, shape, dtype, device), opts);
}

/** Standard normal samples; randn(2, 3, { seed: 1 }). */
export function randn(...args: Array<number | number[] | RandomOptions>): Tensor {
  return random('randn', args, (g) => g.normal());
}

/** Uniform samples in [0, 1). */
export function rand(...args: Array<number | number[] | RandomOptions>): Tensor {
  return random('rand', args, (g, dtype) => keepBelow(g.next(), 1, dtype));
}

/**
 * Uniform integers in [low, high): randint(low, high, shape, opts) or, as in PyTorch,
 * randint(high, shape, opts) with low = 0. int32 unless opts.dtype says otherwise.
 */
export function randint(low: number, high: number | number[], shape?: number[] | RandomOptions, opts: RandomOptions = {}): Tensor {
  if (Array.isArray(high)) {
    if (shape !== undefined) opts = shape as RandomOptions;
    shape = high;
    high = low;
    low = 0;
  }
  const o = checkOpts<RandomOptions>('randint', opts, ['dtype', 'device', 'requiresGrad', 'seed']);
  for (const [name, v] of [['low', low], ['high', high]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`randint: ${name} must be an integer, got ${describe(v)}`);
  }
  if (high <= low) throw new Error(`randint: need low < high, got low ${low}, high ${high}`);
  if (low < INT32_MIN || high > INT32_MAX + 1) throw new Error(`randint: low ${low} and high ${high} must lie within int32 (${INT32_MIN} to ${INT32_MAX + 1})`);
  const size = checkShape('randint', shape);
  const dtype = checkDType('randint', 'dtype', o.dtype ?? 'int32');
  checkGradDType('randint', o, dtype);
  const device = resolveDevice('randint', o.device);
  checkAllocation('randint', size, dtype, device);
  const g = o.seed !== undefined ? new Generator(o.seed) : globalGen;
  const n = numel(size);
  const values = dtype === 'int32' ? new Int32Array(n) : dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  const span = (high as number) - low;
  for (let i = 0; i < n; i++) values[i] = low + Math.floor(g.next() * span);
  return finish(fromArray(values, size, dtype, device), o);
}

/** The global generator (manualSeed seeds it), for the samplers outside this file. */
export function defaultGenerator(): Generator { return globalGen; }
