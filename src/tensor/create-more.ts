// More creation functions: linspace, eye, fullLike. Values are computed on the CPU in
// float64 and uploaded (as arange does); fullLike fills on the device.
import { Tensor, checkAllocation } from './tensor.js';
import { checkScalarFits, checkInt } from './check.js';
import { checkDType, type DType } from './dtype.js';
import { checkOptions, describe } from './shape.js';
import { runtime } from '../backend/runtime.js';
import type { DeviceKind } from '../backend/storage.js';
import { fromArray, full } from '../ops/view.js';
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
