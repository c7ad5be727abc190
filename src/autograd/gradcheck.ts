// gradcheck: compares the gradients autograd computes with central finite differences, on
// the CPU backend in float64. Outputs are reduced to one scalar with fixed random weights,
// so every output element takes part in the check.
import { Tensor } from '../tensor/tensor.js';
import { fromArray } from '../ops/view.js';
import { Generator } from '../tensor/create.js';
import { tidy } from '../tensor/scope.js';
import { noGrad } from './grad-mode.js';
import { describe, fmtShape } from '../tensor/shape.js';
import { isFloat } from '../tensor/dtype.js';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Indices of the inputs to check (default: every float input). */
  check?: number[];
}

type Out = Tensor | Tensor[] | { [k: string]: Tensor };

function outputsOf(o: Out): Tensor[] {
  if (o instanceof Tensor) return [o];
  if (Array.isArray(o)) return o;
  return Object.values(o).filter((t) => t instanceof Tensor && isFloat(t.dtype));
}

export async function gradcheck(fn: (...xs: Tensor[]) => Out, inputs: Tensor[], opts: GradcheckOptions = {}): Promise<true> {
  if (typeof fn !== 'function') throw new Error(`gradcheck: fn must be a function, got ${describe(fn)}`);
  if (!Array.isArray(inputs)) throw new Error(`gradcheck: inputs must be an array of tensors, got ${describe(inputs)}`);
  if (opts === null || typeof opts !== 'object') throw new Error(`gradcheck: options must be an object, got ${describe(opts)}`);
  for (const k of ['eps', 'atol', 'rtol'] as const) {
    const v = opts[k];
    if (v !== undefined && !(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new Error(`gradcheck: ${k} must be a finite number > 0, got ${describe(v)}`);
  }
  if (opts.check !== undefined && !(Array.isArray(opts.check) && opts.check.every((i) => Number.isInteger(i) && i >= 0 && i < inputs.length))) {
    throw new Error(`gradcheck: check must be an array of input indices below ${inputs.length}, got ${describe(opts.check)}`);
  }
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-3;
  const xs: Tensor[] = [];
  for (const x of inputs) {
    if (!(x instanceof Tensor)) throw new Error(`gradcheck: inputs must be Tensors, got ${describe(x)}`);
    x.assertAlive('gradcheck');
    const data = await x.toArray();
    xs.push(fromArray(data, x.shape, isFloat(x.dtype) ? 'float64' : x.dtype, 'cpu'));
  }
  const which = opts.check ?? xs.map((x, i) => (x.dtype === 'float64' ? i : -1)).filter((i) => i >= 0);
  if (which.length === 0) throw new Error('gradcheck: no floating point input to check; pass float tensors (they are checked in float64)');
  for (const i of which) {
    if (!isFloat(xs[i].dtype)) throw new Error(`gradcheck: input ${i} is ${xs[i].dtype} and has no gradient to check`);
    xs[i].requiresGrad_(true);
  }
  const gen = new Generator(1234);
  let weights: Float64Array[] | null = null;
  const loss = (): Tensor => {
    const outs = outputsOf(fn(...xs));
    if (!weights) weights = outs.map((o) => Float64Array.from({ length: o.numel }, () => gen.next() * 2 - 1));
    let total: Tensor | null = null;
    outs.forEach((o, k) => {
      const w = fromArray(weights![k], o.shape, 'float64', 'cpu');
      const term = o.cast('float64').mul(w).sum();
      total = total ? total.add(term) : term;
    });
    if (!total) throw new Error('gradcheck: fn returned no float outputs');
    return total;
  };
  try {
    tidy(() => loss().backward());
    for (const i of which) {
      const x = xs[i];
      const analytic = x.grad ? Float64Array.from(await x.grad.toArray()) : new Float64Array(x.numel);
      const data = x.data as Float64Array;
      for (let j = 0; j < x.numel; j++) {
        const orig = data[j];
        data[j] = orig + eps;
        const lp = tidy(() => noGrad(() => loss().data[0]));
        data[j] = orig - eps;
        const lm = tidy(() => noGrad(() => loss().data[0]));
        data[j] = orig;
        const numeric = (lp - lm) / (2 * eps);
        if (!(Math.abs(analytic[j] - numeric) <= atol + rtol * Math.abs(numeric))) {
          throw new Error(`gradcheck: input ${i} (shape ${fmtShape(x.shape)}) element ${j}: analytic gradient ${analytic[j]} vs numeric ${numeric}`);
        }
      }
    }
  } finally {
    for (const x of xs) x.dispose();
  }
  return true;
}
