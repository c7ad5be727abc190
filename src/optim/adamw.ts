// AdamW (decoupled weight decay) in PyTorch's order, per parameter at its step t:
//   p *= 1 - lr·wd;  m = b1·m + (1-b1)·g;  v = b2·v + (1-b2)·g²;
//   p -= (lr / (1-b1^t)) · m / (sqrt(v) / sqrt(1-b2^t) + eps)
// which is lr·mhat/(sqrt(vhat)+eps) arranged as torch.optim.AdamW computes it. The bias
// corrections change every step, so they travel in the step's scalar buffer (fused.ts), not
// in the pipeline key or the uniforms. The two moments share one allocation on WebGPU.
// 1 - b1 and 1 - b2 are computed in float64 here, as PyTorch computes them in Python: in
// f32 on the GPU, 1 - f32(0.999) would be off by 1.3e-5 relative.
import type { Tensor } from '../tensor/tensor.js';
import { roundF16 } from '../tensor/dtype.js';
import { describe } from '../tensor/shape.js';
import { checkOptimizerOptions, type FusedBatch, type FusedKernel } from './fused.js';
import { Optimizer, type ParamState } from './optimizer.js';

export interface AdamWOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

const kernel: FusedKernel = {
  name: 'adamw', states: 2,
  scalars: ['decay', 'b1', 'b2', 'c1', 'c2', 'stepSize', 'bc2Sqrt', 'eps'],
  body: `
  p = p * h.decay;
  let m = h.b1 * s0 + h.c1 * g;
  let v = h.b2 * s1 + h.c2 * g * g;
  s0 = m;
  s1 = v;
  p = p - h.stepSize * m / (sqrt(v) / h.bc2Sqrt + h.eps);` };

export class AdamW extends Optimizer {
  betas: [number, number];
  eps: number;
  weightDecay: number;

  constructor(params: readonly Tensor[], opts: AdamWOptions = {}) {
    super('AdamW', params, checkOptimizerOptions<AdamWOptions>('AdamW', opts, ['lr', 'betas', 'eps', 'weightDecay']).lr ?? 1e-3);
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 1e-2;
    this.validate();
  }

  private validate(): void {
    const [b1, b2] = Array.isArray(this.betas) ? this.betas : [NaN, NaN];
    if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) throw new Error(`AdamW: betas must be two numbers in [0, 1), got ${describe(this.betas)}`);
    if (!(Number.isFinite(this.eps) && this.eps >= 0)) throw new Error(`AdamW: eps must be a finite number >= 0, got ${describe(this.eps)}`);
    if (!(Number.isFinite(this.weightDecay) && this.weightDecay >= 0)) throw new Error(`AdamW: weightDecay must be a finite number >= 0, got ${describe(this.weightDecay)}`);
  }

  protected update(p: Tensor, g: Tensor, st: ParamState, batch: FusedBatch): void {
    const [m, v] = this.stateTensors(p, st);
    if (p.device === 'cpu') cpuAdamW(p, g, m, v, this.scalars(st));
    else batch.add(kernel, p, g, [m, v], 0, () => {
      const s = this.scalars(st);
      return kernel.scalars.map((name) => s[name as keyof Scalars]);
    });
  }

  /** The step's scalars, in the kernel's order, from the hyperparameters and step count now. */
  private scalars(st: ParamState): Scalars {
    const [b1, b2] = this.betas;
    return {
      decay: 1 - this.lr * this.weightDecay,
      b1, b2, c1: 1 - b1, c2: 1 - b2,
      stepSize: this.lr / (1 - b1 ** st.step),
      bc2Sqrt: Math.sqrt(1 - b2 ** st.step),
      eps: this.eps,
    };
  }

  protected stateNames(): string[] {
    return ['expAvg', 'expAvgSq'];
  }

  protected hyper(): Record<string, number | number[]> {
    return { lr: this.lr, betas: [...this.betas], eps: this.eps, weightDecay: this.weightDecay };
  }

  protected setHyper(h: Record<string, number | boolean | number[]>): void {
    if (typeof h.lr === 'number') this.lr = h.lr;
    if (Array.isArray(h.betas) && h.betas.length === 2) this.betas = [h.betas[0], h.betas[1]];
    if (typeof h.eps === 'number') this.eps = h.eps;
    if (typeof h.weightDecay === 'number') this.weightDecay = h.weightDecay;
    this.validate();
  }
}

interface Scalars { decay: number; b1: number; b2: number; c1: number; c2: number; stepSize: number; bc2Sqrt: number; eps: number }

function cpuAdamW(p: Tensor, g: Tensor, m: Tensor, v: Tensor, s: Scalars): void {
  const [pd, gd, md, vd] = [p.data, g.data, m.data, v.data];
  const f16 = p.dtype === 'float16';
  for (let i = 0; i < p.numel; i++) {
    const gv = gd[g.offset + i];
    md[i] = s.b1 * md[i] + s.c1 * gv;
    vd[i] = s.b2 * vd[i] + s.c2 * gv * gv;
    const nv = pd[p.offset + i] * s.decay - (s.stepSize * md[i]) / (Math.sqrt(vd[i]) / s.bc2Sqrt + s.eps);
    pd[p.offset + i] = f16 ? roundF16(nv) : nv;
  }
}
