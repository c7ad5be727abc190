// Creation: tensor(), zeros/ones/full/arange, and seeded random numbers. Random numbers
// are drawn on the CPU from one seeded generator and uploaded, so a seed gives the same
// numbers on every backend.
import { Tensor } from './tensor.js';
import { checkDType, type DType } from './dtype.js';
import { fmtShape, numel, parseShapeArgs } from './shape.js';
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

type Nested = number | Nested[] | ArrayLike<number>;

function finish(t: Tensor, opts: CreateOptions): Tensor {
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

function resolveDevice(op: string, d: DeviceKind | undefined): DeviceKind {
  const dev = d ?? runtime.defaultDevice;
  if (dev !== 'cpu' && dev !== 'webgpu') throw new Error(`${op}: device must be 'cpu' or 'webgpu', got ${JSON.stringify(dev)}`);
  return dev;
}

function flattenNested(op: string, data: Nested): { values: number[] | ArrayLike<number>; shape: number[] } {
  if (typeof data === 'number') return { values: [data], shape: [] };
  if (ArrayBuffer.isView(data)) return { values: data as ArrayLike<number>, shape: [(data as ArrayLike<number>).length] };
  if (!Array.isArray(data)) throw new Error(`${op}: data must be a number, a (nested) array of numbers or a typed array`);
  const shape: number[] = [];
  let probe: Nested = data;
  while (Array.isArray(probe)) { shape.push(probe.length); probe = probe[0]; }
  if (ArrayBuffer.isView(probe)) shape.push((probe as ArrayLike<number>).length);
  const values: number[] = [];
  const walk = (x: Nested, d: number): void => {
    if (d === shape.length) {
      if (typeof x !== 'number') throw new Error(`${op}: ragged nested array (expected a number at depth ${d}, shape ${fmtShape(shape)})`);
      values.push(x);
      return;
    }
    const arr = x as ArrayLike<Nested>;
    if (typeof x === 'number' || arr.length !== shape[d]) throw new Error(`${op}: ragged nested array: expected length ${shape[d]} at depth ${d} (shape ${fmtShape(shape)})`);
    for (let i = 0; i < arr.length; i++) walk(arr[i], d + 1);
  };
  walk(data, 0);
  return { values, shape };
}

/**
 * A tensor from data: a number, nested arrays or a typed array. dtype defaults to int32 for
 * an Int32Array and float32 otherwise (TensorFlow.js's choice; PyTorch would pick int64).
 */
export function tensor(data: Nested, opts: CreateOptions = {}): Tensor {
  const dtype = checkDType('tensor', 'dtype', opts.dtype ?? (data instanceof Int32Array ? 'int32' : 'float32'));
  const { values, shape } = flattenNested('tensor', data);
  const target = opts.shape ?? shape;
  if (numel(target) !== values.length) throw new Error(`tensor: ${values.length} values do not fill shape ${fmtShape(target)}`);
  return finish(fromArray(values, target, dtype, resolveDevice('tensor', opts.device)), opts);
}

function shapeFrom(op: string, args: Array<number | number[] | CreateOptions>): { shape: number[]; opts: CreateOptions } {
  const last = args[args.length - 1];
  const opts = last !== undefined && typeof last === 'object' && !Array.isArray(last) ? (args.pop() as CreateOptions) : {};
  const shape = parseShapeArgs(args as Array<number | number[]>);
  for (const s of shape) if (!Number.isInteger(s) || s < 0) throw new Error(`${op}: invalid shape ${fmtShape(shape)}`);
  return { shape, opts };
}

export function full(shape: number[], value: number, opts: CreateOptions = {}): Tensor {
  const dtype = checkDType('full', 'dtype', opts.dtype ?? 'float32');
  return finish(fullRaw(shape, value, dtype, resolveDevice('full', opts.device)), opts);
}

export function zeros(...args: Array<number | number[] | CreateOptions>): Tensor {
  const { shape, opts } = shapeFrom('zeros', args);
  return full(shape, 0, opts);
}

export function ones(...args: Array<number | number[] | CreateOptions>): Tensor {
  const { shape, opts } = shapeFrom('ones', args);
  return full(shape, 1, opts);
}

export function zerosLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  return full(t.shape, 0, { dtype: t.dtype, device: t.device, ...opts });
}

export function onesLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  return full(t.shape, 1, { dtype: t.dtype, device: t.device, ...opts });
}

/** arange(end) or arange(start, end, step?); int32 when all arguments are integers. */
export function arange(start: number, end?: number | CreateOptions, step: number | CreateOptions = 1, opts: CreateOptions = {}): Tensor {
  if (typeof end === 'object') { opts = end; end = undefined; }
  if (typeof step === 'object') { opts = step; step = 1; }
  if (end === undefined) { end = start; start = 0; }
  if (step === 0 || !Number.isFinite(step)) throw new Error(`arange: step must be a nonzero number, got ${step}`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  const ints = [start, end, step].every(Number.isInteger);
  const dtype = checkDType('arange', 'dtype', opts.dtype ?? (ints ? 'int32' : 'float32'));
  const values = Array.from({ length: n }, (_, i) => start + i * (step as number));
  return finish(fromArray(values, [n], dtype, resolveDevice('arange', opts.device)), opts);
}

// ---- random numbers ----

/** xoshiro128**: small, fast, and good enough for initialization and dropout. */
export class Generator {
  private s = new Uint32Array(4);
  constructor(seed = 0) { this.seed(seed); }

  seed(seed: number): void {
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
  globalGen.seed(seed);
}

function random(op: string, args: Array<number | number[] | RandomOptions>, draw: (g: Generator) => number): Tensor {
  const { shape, opts } = shapeFrom(op, args);
  const g = (opts as RandomOptions).seed !== undefined ? new Generator((opts as RandomOptions).seed) : globalGen;
  const n = numel(shape);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = draw(g);
  const dtype = checkDType(op, 'dtype', opts.dtype ?? 'float32');
  if (dtype === 'int32') throw new Error(`${op}: dtype must be a float type, got int32`);
  return finish(fromArray(values, shape, dtype, resolveDevice(op, opts.device)), opts);
}

/** Standard normal samples; randn(2, 3, { seed: 1 }). */
export function randn(...args: Array<number | number[] | RandomOptions>): Tensor {
  return random('randn', args, (g) => g.normal());
}

/** Uniform samples in [0, 1). */
export function rand(...args: Array<number | number[] | RandomOptions>): Tensor {
  return random('rand', args, (g) => g.next());
}

/** Uniform integers in [low, high), int32. */
export function randint(low: number, high: number, shape: number[], opts: RandomOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) throw new Error(`randint: need integers low < high, got ${low}, ${high}`);
  const g = opts.seed !== undefined ? new Generator(opts.seed) : globalGen;
  const values = Array.from({ length: numel(shape) }, () => low + Math.floor(g.next() * (high - low)));
  return fromArray(values, shape, 'int32', resolveDevice('randint', opts.device));
}
