// SGD with momentum, dampening, Nesterov and (L2) weight decay, in PyTorch's order:
//   d = g + wd·p;  b = d on the first step, else momentum·b + (1 - dampening)·d;
//   d = nesterov ? d + momentum·b : b;  p -= lr·d
// as one fused update per parameter (batched into a few dispatches on WebGPU) or one loop (CPU).
import type { Tensor } from '../tensor/tensor.js';
import { roundF16 } from '../tensor/dtype.js';
import { checkOptimizerOptions, type FusedBatch, type FusedKernel } from './fused.js';
import { describe } from '../tensor/shape.js';
import { Optimizer, type ParamState } from './optimizer.js';
import { programChanged } from '../tensor/epoch.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

const FIRST = 1; // the momentum buffer starts as the first gradient
const NESTEROV = 2;
const DECAY = 4; // skipped when 0, so an infinite weight does not turn the gradient into NaN

const scalars = ['lr', 'wd', 'momentum', 'dampK'];
const plain: FusedKernel = {
  name: 'sgd', states: 0, scalars, body: `
  var d = g;
  if ((flags & ${DECAY}u) != 0u) { d = d + h.wd * p; }
  p = p - h.lr * d;` };
const withMomentum: FusedKernel = {
  name: 'sgd_momentum', states: 1, scalars, body: `
  var d = g;
  if ((flags & ${DECAY}u) != 0u) { d = d + h.wd * p; }
  var b = d;
  if ((flags & ${FIRST}u) == 0u) { b = h.momentum * s0 + h.dampK * d; }
  s0 = b;
  if ((flags & ${NESTEROV}u) != 0u) { d = d + h.momentum * b; } else { d = b; }
  p = p - h.lr * d;` };

export class SGD extends Optimizer {
  dampening: number;
  // momentum, nesterov and whether weightDecay is 0 choose the kernel and its flags, which a
  // compiled step (sg.compile) records; changing them makes it record again.
  private choice = { momentum: 0, weightDecay: 0, nesterov: false };
  get momentum(): number { return this.choice.momentum; }
  set momentum(v: number) { this.choose('momentum', v); }
  get weightDecay(): number { return this.choice.weightDecay; }
  set weightDecay(v: number) { this.choose('weightDecay', v); }
  get nesterov(): boolean { return this.choice.nesterov; }
  set nesterov(v: boolean) { this.choose('nesterov', v); }

  private choose<K extends keyof SGD['choice']>(k: K, v: SGD['choice'][K]): void {
    if (v !== this.choice[k]) programChanged();
    this.choice[k] = v;
  }

  constructor(params: readonly Tensor[], opts: SGDOptions) {
    if (!opts || typeof opts !== 'object' || opts.lr === undefined) throw new Error(`SGD: options { lr } are required, got ${describe(opts)}`);
    super('SGD', params, checkOptimizerOptions<SGDOptions>('SGD', opts, ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov'], ['nesterov']).lr);
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    this.nesterov = opts.nesterov ?? false;
    this.validate();
  }

  private validate(): void {
    for (const k of ['momentum', 'dampening', 'weightDecay'] as const) {
      if (!Number.isFinite(this[k]) || this[k] < 0) throw new Error(`SGD: ${k} must be a finite number >= 0, got ${describe(this[k])}`);
    }
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new Error(`SGD: nesterov needs momentum > 0 and dampening 0 (got momentum ${this.momentum}, dampening ${this.dampening})`);
    }
  }

  protected update(p: Tensor, g: Tensor, st: ParamState, batch: FusedBatch): void {
    const m = this.momentum;
    const first = m !== 0 && !st.tensors.momentumBuffer;
    const [buf = null] = this.stateTensors(p, st);
    const flags = (first ? FIRST : 0) | (this.nesterov ? NESTEROV : 0) | (this.weightDecay !== 0 ? DECAY : 0);
    if (p.device === 'cpu') {
      cpuSgd(p, g, buf, flags, this.lr, this.weightDecay, m, 1 - this.dampening);
      return;
    }
    batch.add(buf ? withMomentum : plain, p, g, buf ? [buf] : [], flags, () => [this.lr, this.weightDecay, this.momentum, 1 - this.dampening]);
  }

  protected stateNames(): string[] {
    return this.momentum !== 0 ? ['momentumBuffer'] : [];
  }

  protected hyper(): Record<string, number | boolean> {
    return { lr: this.lr, momentum: this.momentum, dampening: this.dampening, weightDecay: this.weightDecay, nesterov: this.nesterov };
  }

  protected setHyper(h: Record<string, number | boolean | number[]>): void {
    if (typeof h.lr === 'number') this.lr = h.lr;
    if (typeof h.momentum === 'number') this.momentum = h.momentum;
    if (typeof h.dampening === 'number') this.dampening = h.dampening;
    if (typeof h.weightDecay === 'number') this.weightDecay = h.weightDecay;
    if (typeof h.nesterov === 'boolean') this.nesterov = h.nesterov;
    this.validate();
  }
}

function cpuSgd(p: Tensor, g: Tensor, buf: Tensor | null, flags: number, lr: number, wd: number, momentum: number, dampK: number): void {
  const pd = p.data;
  const gd = g.data;
  const bd = buf ? buf.data : null;
  const f16 = p.dtype === 'float16';
  for (let i = 0; i < p.numel; i++) {
    const pv = pd[p.offset + i];
    let d = gd[g.offset + i];
    if (flags & DECAY) d += wd * pv;
    if (bd) {
      bd[i] = flags & FIRST ? d : momentum * bd[i] + dampK * d;
      d = flags & NESTEROV ? d + momentum * bd[i] : bd[i];
    }
    const nv = pv - lr * d;
    pd[p.offset + i] = f16 ? roundF16(nv) : nv;
  }
}
