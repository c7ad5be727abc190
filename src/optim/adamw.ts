// Adam and AdamW in PyTorch's order, per parameter at its step t (g negated under maximize):
//   Adam:  g += wd·p (L2, when wd != 0)        AdamW: p *= 1 - lr·wd (decoupled)
//   m = b1·m + (1-b1)·g;  v = b2·v + (1-b2)·g²;  amsgrad: vmax = max(vmax, v), used for v
//   p -= (lr / (1-b1^t)) · m / (sqrt(v) / sqrt(1-b2^t) + eps)
// which is lr·mhat/(sqrt(vhat)+eps) arranged as torch.optim.Adam computes it. One kernel
// serves both (flags pick L2 decay and maximize; amsgrad adds a state, so it is a second
// kernel). The bias corrections change every step, so they travel in the step's scalar
// buffer (fused.ts), not in the pipeline key or the uniforms. The moments share one
// allocation on WebGPU. 1 - b1 and 1 - b2 are computed in float64 here, as PyTorch computes
// them in Python: in f32 on the GPU, 1 - f32(0.999) would be off by 1.3e-5 relative.
import type { Tensor } from '../tensor/tensor.js';
import { roundF16 } from '../tensor/dtype.js';
import { describe } from '../tensor/shape.js';
import { checkOptimizerOptions, type FusedBatch, type FusedKernel } from './fused.js';
import { Optimizer, type ParamState } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
}
export type AdamWOptions = AdamOptions;

const MAXIMIZE = 1;
const L2 = 2; // Adam's weight decay, skipped when 0 so an infinite weight does not make NaN

const SCALARS = ['decay', 'wd', 'b1', 'b2', 'c1', 'c2', 'stepSize', 'bc2Sqrt', 'eps'] as const;
type Scalars = Record<(typeof SCALARS)[number], number>;

function adamKernel(amsgrad: boolean): FusedKernel {
  return {
    name: amsgrad ? 'adam_amsgrad' : 'adam', states: amsgrad ? 3 : 2, scalars: [...SCALARS], body: `
  var d = g;
  if ((flags & ${MAXIMIZE}u) != 0u) { d = -d; }
  if ((flags & ${L2}u) != 0u) { d = d + h.wd * p; }
  p = p * h.decay;
  let m = h.b1 * s0 + h.c1 * d;
  var v = h.b2 * s1 + h.c2 * d * d;
  s0 = m;
  s1 = v;${amsgrad ? `
  s2 = max(s2, v);
  v = s2;` : ''}
  p = p - h.stepSize * m / (sqrt(v) / h.bc2Sqrt + h.eps);` };
}
const KERNELS = [adamKernel(false), adamKernel(true)];

/** Adam and AdamW: the same update, with L2 (Adam) or decoupled (AdamW) weight decay. */
abstract class AdamBase extends Optimizer {
  betas: [number, number];
  eps: number;
  // These pick the kernel and its flags (see structural()).
  private choice = { weightDecay: 0, amsgrad: false, maximize: false };
  get weightDecay(): number { return this.choice.weightDecay; }
  set weightDecay(v: number) { this.choice.weightDecay = this.structural(this.choice.weightDecay, v); }
  get amsgrad(): boolean { return this.choice.amsgrad; }
  set amsgrad(v: boolean) { this.choice.amsgrad = this.structural(this.choice.amsgrad, v); }
  get maximize(): boolean { return this.choice.maximize; }
  set maximize(v: boolean) { this.choice.maximize = this.structural(this.choice.maximize, v); }

  constructor(name: string, params: readonly Tensor[], opts: AdamOptions, defaultDecay: number, private readonly decoupled: boolean) {
    super(name, params, checkOptimizerOptions<AdamOptions>(name, opts, ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad', 'maximize'], ['amsgrad', 'maximize']).lr ?? 1e-3);
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? defaultDecay;
    this.amsgrad = opts.amsgrad ?? false;
    this.maximize = opts.maximize ?? false;
    this.validate();
  }

  private validate(): void {
    const [b1, b2] = Array.isArray(this.betas) && this.betas.length === 2 ? this.betas : [NaN, NaN];
    if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) throw new Error(`${this.name}: betas must be two numbers in [0, 1), got ${describe(this.betas)}`);
    if (!(Number.isFinite(this.eps) && this.eps >= 0)) throw new Error(`${this.name}: eps must be a finite number >= 0, got ${describe(this.eps)}`);
    if (!(Number.isFinite(this.weightDecay) && this.weightDecay >= 0)) throw new Error(`${this.name}: weightDecay must be a finite number >= 0, got ${describe(this.weightDecay)}`);
    for (const k of ['amsgrad', 'maximize'] as const) if (typeof this[k] !== 'boolean') throw new Error(`${this.name}: ${k} must be a boolean, got ${describe(this[k])}`);
  }

  protected update(p: Tensor, g: Tensor, st: ParamState, batch: FusedBatch): void {
    const states = this.stateTensors(p, st);
    const flags = (this.maximize ? MAXIMIZE : 0) | (!this.decoupled && this.weightDecay !== 0 ? L2 : 0);
    if (p.device === 'cpu') cpuAdam(p, g, states, flags, this.scalars(st));
    else batch.add(KERNELS[this.amsgrad ? 1 : 0], p, g, states, flags, () => {
      const s = this.scalars(st);
      return SCALARS.map((name) => s[name]);
    });
  }

  /** The step's scalars from the hyperparameters and step count now. */
  private scalars(st: ParamState): Scalars {
    const [b1, b2] = this.betas;
    return {
      decay: this.decoupled ? 1 - this.lr * this.weightDecay : 1,
      wd: this.weightDecay,
      b1, b2, c1: 1 - b1, c2: 1 - b2,
      stepSize: this.lr / (1 - b1 ** st.step),
      bc2Sqrt: Math.sqrt(1 - b2 ** st.step),
      eps: this.eps,
    };
  }

  protected stateNames(): string[] {
    return this.amsgrad ? ['expAvg', 'expAvgSq', 'maxExpAvgSq'] : ['expAvg', 'expAvgSq'];
  }

  protected hyper(): Record<string, number | boolean | number[]> {
    return { lr: this.lr, betas: [...this.betas], eps: this.eps, weightDecay: this.weightDecay, amsgrad: this.amsgrad, maximize: this.maximize };
  }

  protected setHyper(h: Record<string, number | boolean | number[]>): void {
    if (typeof h.lr === 'number') this.lr = h.lr;
    if (Array.isArray(h.betas) && h.betas.length === 2) this.betas = [h.betas[0], h.betas[1]];
    if (typeof h.eps === 'number') this.eps = h.eps;
    if (typeof h.weightDecay === 'number') this.weightDecay = h.weightDecay;
    if (typeof h.amsgrad === 'boolean') this.amsgrad = h.amsgrad;
    if (typeof h.maximize === 'boolean') this.maximize = h.maximize;
    this.validate();
  }
}

/** torch.optim.Adam: weight decay (default 0) is added to the gradient (L2). */
export class Adam extends AdamBase {
  constructor(params: readonly Tensor[], opts: AdamOptions = {}) {
    super('Adam', params, opts, 0, false);
  }
}

/** torch.optim.AdamW: weight decay (default 1e-2) shrinks the parameter itself, by lr·wd. */
export class AdamW extends AdamBase {
  constructor(params: readonly Tensor[], opts: AdamWOptions = {}) {
    super('AdamW', params, opts, 1e-2, true);
  }
}

function cpuAdam(p: Tensor, g: Tensor, [m, v, vmax]: Tensor[], flags: number, s: Scalars): void {
  const [pd, gd, md, vd] = [p.data, g.data, m.data, v.data];
  const xd = vmax ? vmax.data : null;
  const f16 = p.dtype === 'float16';
  for (let i = 0; i < p.numel; i++) {
    const pv = pd[p.offset + i];
    let d = gd[g.offset + i];
    if (flags & MAXIMIZE) d = -d;
    if (flags & L2) d += s.wd * pv;
    md[i] = s.b1 * md[i] + s.c1 * d;
    vd[i] = s.b2 * vd[i] + s.c2 * d * d;
    let den = vd[i];
    // NaN-propagating max, as torch.maximum
    if (xd) den = xd[i] = xd[i] >= den || Number.isNaN(xd[i]) ? xd[i] : den;
    const nv = pv * s.decay - (s.stepSize * md[i]) / (Math.sqrt(den) / s.bc2Sqrt + s.eps);
    pd[p.offset + i] = f16 ? roundF16(nv) : nv;
  }
}
