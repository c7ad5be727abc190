// More creation functions: linspace, logspace, eye, fullLike, meshgrid. Values are computed
// on the CPU in float64 and uploaded (as arange does); fullLike fills on the device, and
// meshgrid's grids are views of its inputs.
import { Tensor, checkAllocation } from './tensor.js';
import { checkScalarFits, checkInt } from './check.js';
import { checkDType, type DType } from './dtype.js';
import { checkOptions, describe } from './shape.js';
import { runtime } from '../backend/runtime.js';
import type { DeviceKind } from '../backend/storage.js';
import { expand, fromArray, full, reshape } from '../ops/view.js';
import type { CreateOptions } from './create.js';

const OPTS = ['dtype', 'device', 'requiresGrad'] as const;

/** The options object checked, with dtype and device resolved against the defaults given. */
function resolve(op: string, opts: unknown, dtype: DType, device: DeviceKind): { dtype: DType; device: DeviceKind; requiresGrad: boolean } {
  const o = checkOptions(op, opts, OPTS) as CreateOptions;
  const dt = o.dtype === undefined ? dtype : checkDType(op, 'dtype', o.dtype);
  if (o.device !== undefined && o.device !== 'cpu' && o.device !== 'webgpu') throw new Error(`${op}: device must be 'cpu' or 'webgpu', got ${describe(o.device)}`);
  if (o.requiresGrad !== undefined && typeof o.requiresGrad !== 'boolean') throw new Error(`${op}: requiresGrad must be a boolean, got ${describe(o.requiresGrad)}`);
  if (o.requiresGrad && dt === 'int32') throw new Error(`${op}: only floating point tensors can require grad, this one would be int32`);
  return { dtype: dt, device: o.device ?? device, requiresGrad: o.requiresGrad ?? false };
}

const finish = (t: Tensor, requiresGrad: boolean): Tensor => (requiresGrad ? t.requiresGrad_(true) : t);

/**
 * `steps` evenly spaced values from start to end, both included. As PyTorch, the first
 * half counts up from start and the second half down from end, so both ends are exact;
 * an int32 result truncates the float values.
 */
export function linspace(start: number, end: number, steps: number, opts: CreateOptions = {}): Tensor {
  for (const [name, v] of [['start', start], ['end', end]] as const) {
    // NaN is allowed: PyTorch gives NaN values from it.
    if (typeof v !== 'number') throw new Error(`linspace: ${name} must be a number, got ${describe(v)}`);
  }
  const n = checkInt('linspace', 'steps', steps, 0);
  const o = resolve('linspace', opts, 'float32', runtime.defaultDevice);
  checkAllocation('linspace', [n], o.dtype, o.device);
  // PyTorch converts start and end to an integer dtype before stepping.
  if (o.dtype === 'int32') [start, end] = [Math.trunc(start), Math.trunc(end)];
  const step = n > 1 ? (end - start) / (n - 1) : 0;
  const values = new Float64Array(n);
  const half = Math.floor(n / 2);
  for (let i = 0; i < n; i++) values[i] = i < half || n === 1 ? start + i * step : end - (n - 1 - i) * step;
  if (o.dtype === 'int32') {
    for (let i = 0; i < n; i++) {
      values[i] = Math.trunc(values[i]);
      checkScalarFits('linspace', values[i], 'int32');
    }
  } else for (let i = 0; i < n; i++) checkScalarFits('linspace', values[i], o.dtype);
  return finish(fromArray(values, [n], o.dtype, o.device), o.requiresGrad);
}

/**
 * `steps` values from base^start to base^end, evenly spaced in the exponent (linspace's
 * exponents, so both ends are exact powers). Computed in float64 and rounded once, where
 * PyTorch raises in the result's precision: float32 values can differ from its by an ulp.
 */
export function logspace(start: number, end: number, steps: number, base: number | CreateOptions = 10, opts: CreateOptions = {}): Tensor {
  if (typeof base === 'object' && base !== null) { opts = base; base = 10; }
  if (typeof base !== 'number') throw new Error(`logspace: base must be a number, got ${describe(base)}`);
  for (const [name, v] of [['start', start], ['end', end]] as const) {
    if (typeof v !== 'number') throw new Error(`logspace: ${name} must be a number, got ${describe(v)}`);
  }
  const n = checkInt('logspace', 'steps', steps, 0);
  const o = resolve('logspace', opts, 'float32', runtime.defaultDevice);
  checkAllocation('logspace', [n], o.dtype, o.device);
  const step = n > 1 ? (end - start) / (n - 1) : 0;
  const half = Math.floor(n / 2);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    values[i] = base ** (i < half || n === 1 ? start + i * step : end - (n - 1 - i) * step);
    if (o.dtype === 'int32') {
      values[i] = Math.trunc(values[i]);
      checkScalarFits('logspace', values[i], 'int32');
    }
  }
  return finish(fromArray(values, [n], o.dtype, o.device), o.requiresGrad);
}

/** An n x m (m defaults to n) matrix with ones on the diagonal. */
export function eye(n: number, m?: number | null | CreateOptions, opts: CreateOptions = {}): Tensor {
  if (typeof m === 'object' && m !== null) { opts = m; m = undefined; }
  const rows = checkInt('eye', 'n', n, 0);
  // null stands for PyTorch's m=None: square.
  const cols = m === undefined || m === null ? rows : checkInt('eye', 'm', m, 0);
  const o = resolve('eye', opts, 'float32', runtime.defaultDevice);
  checkAllocation('eye', [rows, cols], o.dtype, o.device);
  const values = new Float64Array(rows * cols);
  for (let i = 0; i < Math.min(rows, cols); i++) values[i * cols + i] = 1;
  return finish(fromArray(values, [rows, cols], o.dtype, o.device), o.requiresGrad);
}

/** A tensor shaped like t filled with value; dtype and device default to t's. */
export function fullLike(t: Tensor, value: number, opts: CreateOptions = {}): Tensor {
  if (!(t instanceof Tensor)) throw new Error(`fullLike: input must be a Tensor, got ${describe(t)}`);
  t.assertAlive('fullLike');
  if (typeof value !== 'number') throw new Error(`fullLike: fill value must be a number, got ${describe(value)}`);
  const o = resolve('fullLike', opts, t.dtype, t.device);
  checkScalarFits('fullLike', value, o.dtype);
  checkAllocation('fullLike', t.shape, o.dtype, o.device);
  return finish(full(t.shape, value, o.dtype, o.device), o.requiresGrad);
}

/**
 * Coordinate grids from 0-d or 1-d tensors: with `indexing: 'ij'` (the default, as
 * torch.meshgrid's) grid k varies along dim k; with 'xy' the first two dims are swapped.
 * Each grid is an expanded view of its input (no copy), so gradients sum back into it.
 */
export function meshgrid(...args: Array<Tensor | Tensor[] | { indexing?: 'ij' | 'xy' }>): Tensor[] {
  let opts: { indexing?: unknown } = {};
  const last = args[args.length - 1];
  if (last !== undefined && !(last instanceof Tensor) && !Array.isArray(last)) { opts = checkOptions('meshgrid', last, ['indexing']); args = args.slice(0, -1); }
  const ts = (args.length === 1 && Array.isArray(args[0]) ? args[0] : args) as unknown[];
  const indexing = opts.indexing ?? 'ij';
  if (indexing !== 'ij' && indexing !== 'xy') throw new Error(`meshgrid: indexing must be 'ij' or 'xy', got ${describe(indexing)}`);
  if (ts.length === 0) throw new Error('meshgrid: expects at least one tensor');
  ts.forEach((t, k) => {
    if (!(t instanceof Tensor)) throw new Error(`meshgrid: tensors[${k}] must be a Tensor, got ${describe(t)}`);
    t.assertAlive('meshgrid');
    if (t.ndim > 1) throw new Error(`meshgrid: tensors[${k}] must be 0-d or 1-d, got shape [${t.shape.join(', ')}]`);
  });
  const list = ts as Tensor[];
  for (const t of list) {
    if (t.dtype !== list[0].dtype || t.device !== list[0].device) {
      throw new Error(`meshgrid: every tensor must have the same dtype and device, got ${list.map((x) => `${x.dtype} on ${x.device}`).join(', ')}`);
    }
  }
  const sizes = list.map((t) => t.numel);
  // 'xy' swaps the roles of the first two inputs' dims, as NumPy's default.
  const order = list.map((_, k) => k);
  if (indexing === 'xy' && list.length > 1) [order[0], order[1]] = [order[1], order[0]];
  const shape = order.map((k) => sizes[k]);
  return list.map((t, k) => {
    const at = order.indexOf(k);
    return expand(reshape(t, shape.map((s, d) => (d === at ? s : 1))), shape);
  });
}
