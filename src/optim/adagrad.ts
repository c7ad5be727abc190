// Adagrad in PyTorch's order, per parameter at its step t (g negated under maximize):
//   g += wd·p (when wd != 0);  clr = lr / (1 + (t-1)·lrDecay);  sum += g²;  p -= clr·g / (sqrt(sum) + eps)
// The sum starts at initialAccumulatorValue. clr changes every step, so it travels in the
// step's scalar buffer (fused.ts).
import type { Tensor } from '../tensor/tensor.js';
import { roundF16 } from '../tensor/dtype.js';
import { describe } from '../tensor/shape.js';
import { checkOptimizerOptions, type FusedBatch, type FusedKernel } from './fused.js';
import { Optimizer, type ParamState } from './optimizer.js';

export interface AdagradOptions {
  lr?: number;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
  maximize?: boolean;
}

const MAXIMIZE = 1;
const DECAY = 2; // skipped when 0, so an infinite weight does not make NaN

const kernel: FusedKernel = {
  name: 'adagrad', states: 1, scalars: ['clr', 'wd', 'eps'], body: `
  var d = g;
  if ((flags & ${MAXIMIZE}u) != 0u) { d = -d; }
  if ((flags & ${DECAY}u) != 0u) { d = d + h.wd * p; }
  s0 = s0 + d * d;
  p = p - h.clr * d / (sqrt(s0) + h.eps);` };

export class Adagrad extends Optimizer {
  lrDecay: number;
  initialAccumulatorValue: number;
  eps: number;
  // These pick the kernel's flags (see structural()).
  private choice = { weightDecay: 0, maximize: false };
  get weightDecay(): number { return this.choice.weightDecay; }
  set weightDecay(v: number) { this.choice.weightDecay = this.structural(this.choice.weightDecay, v); }
  get maximize(): boolean { return this.choice.maximize; }
  set maximize(v: boolean) { this.choice.maximize = this.structural(this.choice.maximize, v); }

  constructor(params: readonly Tensor[], opts: AdagradOptions = {}) {
    const keys = ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps', 'maximize'];
    super('Adagrad', params, checkOptimizerOptions<AdagradOptions>('Adagrad', opts, keys, ['maximize']).lr ?? 1e-2);
    this.lrDecay = opts.lrDecay ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    this.initialAccumulatorValue = opts.initialAccumulatorValue ?? 0;
    this.eps = opts.eps ?? 1e-10;
    this.maximize = opts.maximize ?? false;
    this.validate();
  }

  private validate(): void {
    for (const k of ['lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps'] as const) {
      if (typeof this[k] !== 'number' || !Number.isFinite(this[k]) || this[k] < 0) throw new Error(`Adagrad: ${k} must be a finite number >= 0, got ${describe(this[k])}`);
    }
    if (typeof this.maximize !== 'boolean') throw new Error(`Adagrad: maximize must be a boolean, got ${describe(this.maximize)}`);
  }

  protected update(p: Tensor, g: Tensor, st: ParamState, batch: FusedBatch): void {
    const [sum] = this.stateTensors(p, st, this.initialAccumulatorValue);
    const flags = (this.maximize ? MAXIMIZE : 0) | (this.weightDecay !== 0 ? DECAY : 0);
    if (p.device === 'cpu') cpuAdagrad(p, g, sum, flags, this.clr(st), this.weightDecay, this.eps);
    else batch.add(kernel, p, g, [sum], flags, () => [this.clr(st), this.weightDecay, this.eps]);
  }

  private clr(st: ParamState): number {
    return this.lr / (1 + (st.step - 1) * this.lrDecay);
  }

  protected stateNames(): string[] {
    return ['sum'];
  }

  protected hyper(): Record<string, number | boolean> {
    return { lr: this.lr, lrDecay: this.lrDecay, weightDecay: this.weightDecay, initialAccumulatorValue: this.initialAccumulatorValue, eps: this.eps, maximize: this.maximize };
  }

  protected setHyper(h: Record<string, number | boolean | number[]>): void {
    if (typeof h.lr === 'number') this.lr = h.lr;
    for (const k of ['lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps'] as const) if (typeof h[k] === 'number') this[k] = h[k];
    if (typeof h.maximize === 'boolean') this.maximize = h.maximize;
    this.validate();
  }
}

function cpuAdagrad(p: Tensor, g: Tensor, sum: Tensor, flags: number, clr: number, wd: number, eps: number): void {
  const [pd, gd, sd] = [p.data, g.data, sum.data];
  const f16 = p.dtype === 'float16';
  for (let i = 0; i < p.numel; i++) {
    const pv = pd[p.offset + i];
    let d = gd[g.offset + i];
    if (flags & MAXIMIZE) d = -d;
    if (flags & DECAY) d += wd * pv;
    sd[i] = sd[i] + d * d;
    const nv = pv - (clr * d) / (Math.sqrt(sd[i]) + eps);
    pd[p.offset + i] = f16 ? roundF16(nv) : nv;
  }
}
