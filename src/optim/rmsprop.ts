// RMSprop in PyTorch's order, per parameter (g negated under maximize):
//   g += wd·p (when wd != 0);  sq = alpha·sq + (1-alpha)·g²
//   centered: ga = ga + (1-alpha)·(g - ga);  avg = sqrt(sq - ga²) + eps;  else avg = sqrt(sq) + eps
//   momentum > 0: b = momentum·b + g/avg;  p -= lr·b;  else p -= lr·g/avg
// Momentum and centered decide which state a parameter keeps, so each combination is its
// own kernel (states in one block on WebGPU, in stateNames() order).
import type { Tensor } from '../tensor/tensor.js';
import { roundF16 } from '../tensor/dtype.js';
import { describe } from '../tensor/shape.js';
import { checkOptimizerOptions, type FusedBatch, type FusedKernel } from './fused.js';
import { Optimizer, type ParamState } from './optimizer.js';

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
  maximize?: boolean;
}

const MAXIMIZE = 1;
const DECAY = 2; // skipped when 0, so an infinite weight does not make NaN

const SCALARS = ['lr', 'alpha', 'c', 'eps', 'wd', 'momentum'] as const;
type Scalars = Record<(typeof SCALARS)[number], number>;

function rmspropKernel(momentum: boolean, centered: boolean): FusedKernel {
  // State order: squareAvg, then momentumBuffer, then gradAvg (as stateNames()).
  const ga = `s${momentum ? 2 : 1}`;
  return {
    name: `rmsprop${momentum ? '_momentum' : ''}${centered ? '_centered' : ''}`,
    states: 1 + (momentum ? 1 : 0) + (centered ? 1 : 0),
    scalars: [...SCALARS],
    body: `
  var d = g;
  if ((flags & ${MAXIMIZE}u) != 0u) { d = -d; }
  if ((flags & ${DECAY}u) != 0u) { d = d + h.wd * p; }
  s0 = h.alpha * s0 + h.c * d * d;
  ${centered ? `${ga} = ${ga} + h.c * (d - ${ga});
  let avg = sqrt(s0 - ${ga} * ${ga}) + h.eps;` : 'let avg = sqrt(s0) + h.eps;'}
  ${momentum ? `s1 = h.momentum * s1 + d / avg;
  p = p - h.lr * s1;` : 'p = p - h.lr * d / avg;'}` };
}
const KERNELS = [rmspropKernel(false, false), rmspropKernel(true, false), rmspropKernel(false, true), rmspropKernel(true, true)];

export class RMSprop extends Optimizer {
  alpha: number;
  eps: number;
  // These pick the kernel, its flags and the state kept (see structural()).
  private choice = { weightDecay: 0, momentum: 0, centered: false, maximize: false };
  get weightDecay(): number { return this.choice.weightDecay; }
  set weightDecay(v: number) { this.choice.weightDecay = this.structural(this.choice.weightDecay, v); }
  get momentum(): number { return this.choice.momentum; }
  set momentum(v: number) { this.choice.momentum = this.structural(this.choice.momentum, v); }
  get centered(): boolean { return this.choice.centered; }
  set centered(v: boolean) { this.choice.centered = this.structural(this.choice.centered, v); }
  get maximize(): boolean { return this.choice.maximize; }
  set maximize(v: boolean) { this.choice.maximize = this.structural(this.choice.maximize, v); }

  constructor(params: readonly Tensor[], opts: RMSpropOptions = {}) {
    const keys = ['lr', 'alpha', 'eps', 'weightDecay', 'momentum', 'centered', 'maximize'];
    super('RMSprop', params, checkOptimizerOptions<RMSpropOptions>('RMSprop', opts, keys, ['centered', 'maximize']).lr ?? 1e-2);
    this.alpha = opts.alpha ?? 0.99;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    this.momentum = opts.momentum ?? 0;
    this.centered = opts.centered ?? false;
    this.maximize = opts.maximize ?? false;
    this.validate();
  }

  private validate(): void {
    for (const k of ['alpha', 'eps', 'weightDecay', 'momentum'] as const) {
      if (typeof this[k] !== 'number' || !Number.isFinite(this[k]) || this[k] < 0) throw new Error(`RMSprop: ${k} must be a finite number >= 0, got ${describe(this[k])}`);
    }
    for (const k of ['centered', 'maximize'] as const) if (typeof this[k] !== 'boolean') throw new Error(`RMSprop: ${k} must be a boolean, got ${describe(this[k])}`);
  }

  protected update(p: Tensor, g: Tensor, st: ParamState, batch: FusedBatch): void {
    const states = this.stateTensors(p, st);
    const flags = (this.maximize ? MAXIMIZE : 0) | (this.weightDecay !== 0 ? DECAY : 0);
    const kernel = KERNELS[(this.momentum > 0 ? 1 : 0) + (this.centered ? 2 : 0)];
    if (p.device === 'cpu') cpuRmsprop(p, g, states, flags, this.momentum > 0, this.centered, this.scalars());
    else batch.add(kernel, p, g, states, flags, () => {
      const s = this.scalars();
      return SCALARS.map((name) => s[name]);
    });
  }

  private scalars(): Scalars {
    return { lr: this.lr, alpha: this.alpha, c: 1 - this.alpha, eps: this.eps, wd: this.weightDecay, momentum: this.momentum };
  }

  protected stateNames(): string[] {
    return ['squareAvg', ...(this.momentum > 0 ? ['momentumBuffer'] : []), ...(this.centered ? ['gradAvg'] : [])];
  }

  protected hyper(): Record<string, number | boolean> {
    return { lr: this.lr, alpha: this.alpha, eps: this.eps, weightDecay: this.weightDecay, momentum: this.momentum, centered: this.centered, maximize: this.maximize };
  }

  protected setHyper(h: Record<string, number | boolean | number[]>): void {
    if (typeof h.lr === 'number') this.lr = h.lr;
    for (const k of ['alpha', 'eps', 'weightDecay', 'momentum'] as const) if (typeof h[k] === 'number') this[k] = h[k];
    for (const k of ['centered', 'maximize'] as const) if (typeof h[k] === 'boolean') this[k] = h[k];
    this.validate();
  }
}

function cpuRmsprop(p: Tensor, g: Tensor, states: Tensor[], flags: number, momentum: boolean, centered: boolean, s: Scalars): void {
  const [pd, gd, sq] = [p.data, g.data, states[0].data];
  const buf = momentum ? states[1].data : null;
  const ga = centered ? states[momentum ? 2 : 1].data : null;
  const f16 = p.dtype === 'float16';
  for (let i = 0; i < p.numel; i++) {
    const pv = pd[p.offset + i];
    let d = gd[g.offset + i];
    if (flags & MAXIMIZE) d = -d;
    if (flags & DECAY) d += s.wd * pv;
    sq[i] = s.alpha * sq[i] + s.c * d * d;
    let avg: number;
    if (ga) {
      ga[i] = ga[i] + s.c * (d - ga[i]);
      avg = Math.sqrt(sq[i] - ga[i] * ga[i]) + s.eps;
    } else avg = Math.sqrt(sq[i]) + s.eps;
    let nv: number;
    if (buf) {
      buf[i] = s.momentum * buf[i] + d / avg;
      nv = pv - s.lr * buf[i];
    } else nv = pv - (s.lr * d) / avg;
    pd[p.offset + i] = f16 ? roundF16(nv) : nv;
  }
}
