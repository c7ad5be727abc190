// Linear warm-up then cosine decay, as a schedule that sets optimizer.lr. With t the number
// of step() calls so far (0 right after construction), W warm-up steps, T total steps:
//   t < W:       lr = baseLr · (t + 1) / W          (the first update already moves)
//   W <= t < T:  lr = minLr + (baseLr - minLr) · ½ (1 + cos(π (t - W) / (T - W)))
//   t >= T:      lr = minLr
// Use it like PyTorch's LR schedulers: optimizer.step(), then schedule.step().
import { describe } from '../tensor/shape.js';

export interface CosineOptions {
  warmupSteps?: number;
  totalSteps: number;
  minLr?: number;
  /** The peak learning rate; defaults to the optimizer's lr when the schedule is made. */
  baseLr?: number;
}

export class CosineSchedule {
  readonly baseLr: number;
  readonly warmupSteps: number;
  readonly totalSteps: number;
  readonly minLr: number;
  private t = 0;

  constructor(readonly optimizer: { lr: number }, opts: CosineOptions) {
    const op = 'cosineWithWarmup';
    if (!optimizer || typeof optimizer.lr !== 'number') throw new Error(`${op}: expected an optimizer with a numeric lr`);
    if (!opts || !Number.isInteger(opts.totalSteps) || opts.totalSteps < 1) throw new Error(`${op}: totalSteps must be an integer >= 1, got ${describe(opts?.totalSteps)}`);
    this.warmupSteps = opts.warmupSteps ?? 0;
    this.totalSteps = opts.totalSteps;
    this.minLr = opts.minLr ?? 0;
    this.baseLr = opts.baseLr ?? optimizer.lr;
    if (!Number.isInteger(this.warmupSteps) || this.warmupSteps < 0 || this.warmupSteps > this.totalSteps) {
      throw new Error(`${op}: warmupSteps must be an integer in [0, totalSteps=${this.totalSteps}], got ${describe(this.warmupSteps)}`);
    }
    if (!(this.minLr >= 0 && this.minLr <= this.baseLr)) throw new Error(`${op}: minLr must be in [0, baseLr=${this.baseLr}], got ${describe(this.minLr)}`);
    optimizer.lr = this.lrAt(0);
  }

  /** The learning rate after `t` calls to step(). */
  lrAt(t: number): number {
    const { baseLr, minLr, warmupSteps: w, totalSteps: n } = this;
    if (t < w) return (baseLr * (t + 1)) / w;
    if (t >= n) return minLr;
    const progress = (t - w) / (n - w);
    return minLr + (baseLr - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
  }

  /** The learning rate the next optimizer step uses. */
  get lr(): number { return this.lrAt(this.t); }

  /** step() calls so far. */
  get lastStep(): number { return this.t; }

  step(): void {
    this.t++;
    this.optimizer.lr = this.lrAt(this.t);
  }

  stateDict(): { step: number } { return { step: this.t }; }

  loadStateDict(sd: { step: number }): void {
    if (!sd || !Number.isInteger(sd.step) || sd.step < 0) throw new Error(`CosineSchedule.loadStateDict: expected { step } with an integer step >= 0, got ${describe(sd)}`);
    this.t = sd.step;
    this.optimizer.lr = this.lrAt(this.t);
  }
}

export function cosineWithWarmup(optimizer: { lr: number }, opts: CosineOptions): CosineSchedule {
  return new CosineSchedule(optimizer, opts);
}
