// PyTorch's learning-rate schedulers (torch.optim.lr_scheduler), for an optimizer's single
// lr. As in PyTorch, making one performs its first step (epoch 0) and sets optimizer.lr;
// call step() after each optimizer.step(). The chainable ones compute the next lr from the
// optimizer's current lr (their get_lr recursions, in float64 as Python floats), so the
// sequences match PyTorch's to the last bits and two schedulers on one optimizer compose.
import { describe } from '../tensor/shape.js';

/** What a scheduler drives: an optimizer, or anything with a numeric lr. */
export interface LrTarget { lr: number }

export interface LRSchedulerState { lastEpoch: number; baseLrs: number[]; lastLr: number[] }

// PyTorch records a group's lr as 'initial_lr' when its first scheduler is made; later
// schedulers on the same optimizer take their base lr from there, not from the current lr.
const initialLr = new WeakMap<LrTarget, number>();

/** Records `lr` as the optimizer's initial lr (OneCycleLR's maxLr / divFactor, as PyTorch
 * overwrites 'initial_lr'); returns the optimizer. */
export function withInitialLr<T extends LrTarget>(optimizer: T, lr: number): T {
  if (optimizer && typeof optimizer === 'object') initialLr.set(optimizer, lr);
  return optimizer;
}

function checkTarget(name: string, optimizer: LrTarget): void {
  if (!optimizer || typeof optimizer !== 'object' || typeof optimizer.lr !== 'number') throw new Error(`${name}: expected an optimizer with a numeric lr, got ${describe(optimizer)}`);
}

export function checkNumber(name: string, key: string, v: unknown, ok: (x: number) => boolean, what: string): number {
  if (typeof v !== 'number' || !ok(v)) throw new Error(`${name}: ${key} must be ${what}, got ${describe(v)}`);
  return v;
}

/** Python's a % b for b > 0 (never negative). */
const pyMod = (a: number, b: number): number => ((a % b) + b) % b;

export abstract class LRScheduler {
  /** The optimizer's lr when its first scheduler was made (PyTorch's base_lrs, one group). */
  readonly baseLrs: number[];
  /** Steps taken; 0 right after construction (PyTorch's last_epoch). */
  lastEpoch = -1;
  private lastLr: number[] = [];
  private initial = false;

  constructor(protected readonly name: string, readonly optimizer: LrTarget) {
    checkTarget(name, optimizer);
    if (!initialLr.has(optimizer)) initialLr.set(optimizer, optimizer.lr);
    this.baseLrs = [initialLr.get(optimizer)!];
  }

  /** The subclass constructor's last call: PyTorch's initial step to epoch 0. */
  protected initialStep(): void {
    this.initial = true;
    try {
      this.step();
    } finally {
      this.initial = false;
    }
  }

  /** Whether the step being computed is the one construction performs. */
  protected get isInitial(): boolean { return this.initial; }

  /** The lr at epoch lastEpoch (already advanced), from the optimizer's current lr. */
  protected abstract getLr(): number;

  /** Advances one epoch and sets the optimizer's lr. */
  step(): void {
    this.lastEpoch++;
    let lr: number;
    try {
      lr = this.getLr();
      if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) throw new Error(`${this.name}.step: the lr for epoch ${this.lastEpoch} came out ${describe(lr)}; it must be a finite number >= 0`);
    } catch (e) {
      this.lastEpoch--; // a failed step changes nothing
      throw e;
    }
    this.optimizer.lr = lr;
    this.lastLr = [lr];
  }

  /** The lr this scheduler set last, as a one-element list (PyTorch: one per param group). */
  getLastLr(): number[] { return [...this.lastLr]; }

  stateDict(): LRSchedulerState {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs], lastLr: [...this.lastLr] };
  }

  /** Restores the epoch counters (the optimizer's lr comes back with its own loadStateDict). */
  loadStateDict(sd: LRSchedulerState): void {
    if (!sd || !Number.isInteger(sd.lastEpoch) || sd.lastEpoch < -1 || !Array.isArray(sd.baseLrs) || sd.baseLrs.length !== 1 || !Array.isArray(sd.lastLr)) {
      throw new Error(`${this.name}.loadStateDict: expected { lastEpoch, baseLrs, lastLr } as stateDict() returns, got ${describe(sd)}`);
    }
    this.lastEpoch = sd.lastEpoch;
    this.baseLrs[0] = sd.baseLrs[0];
    this.lastLr = [...sd.lastLr];
  }
}

/** Multiplies the lr by gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  constructor(optimizer: LrTarget, readonly stepSize: number, readonly gamma = 0.1) {
    super('StepLR', optimizer);
    checkNumber('StepLR', 'stepSize', stepSize, (x) => Number.isInteger(x) && x >= 1, 'an integer >= 1');
    checkNumber('StepLR', 'gamma', gamma, Number.isFinite, 'a finite number');
    this.initialStep();
  }

  protected getLr(): number {
    const lr = this.optimizer.lr;
    return this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0 ? lr : lr * this.gamma;
  }
}

/** Multiplies the lr by gamma at each milestone epoch (by gamma^k for one listed k times). */
export class MultiStepLR extends LRScheduler {
  readonly milestones: number[];

  constructor(optimizer: LrTarget, milestones: readonly number[], readonly gamma = 0.1) {
    super('MultiStepLR', optimizer);
    if (!Array.isArray(milestones) || milestones.some((m) => !Number.isInteger(m))) throw new Error(`MultiStepLR: milestones must be an array of integers, got ${describe(milestones)}`);
    checkNumber('MultiStepLR', 'gamma', gamma, Number.isFinite, 'a finite number');
    this.milestones = [...milestones].sort((a, b) => a - b);
    this.initialStep();
  }

  protected getLr(): number {
    const k = this.milestones.filter((m) => m === this.lastEpoch).length;
    return k === 0 ? this.optimizer.lr : this.optimizer.lr * this.gamma ** k;
  }
}

/** Multiplies the lr by gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  constructor(optimizer: LrTarget, readonly gamma: number) {
    super('ExponentialLR', optimizer);
    checkNumber('ExponentialLR', 'gamma', gamma, Number.isFinite, 'a finite number');
    this.initialStep();
  }

  protected getLr(): number {
    return this.isInitial ? this.optimizer.lr : this.optimizer.lr * this.gamma;
  }
}

/** lr = baseLr · lrLambda(epoch). */
export class LambdaLR extends LRScheduler {
  constructor(optimizer: LrTarget, readonly lrLambda: (epoch: number) => number) {
    super('LambdaLR', optimizer);
    if (typeof lrLambda !== 'function') throw new Error(`LambdaLR: lrLambda must be a function of the epoch, got ${describe(lrLambda)}`);
    this.initialStep();
  }

  protected getLr(): number {
    return this.baseLrs[0] * this.lrLambda(this.lastEpoch);
  }
}

/** Cosine annealing from the base lr to etaMin over tMax epochs, by PyTorch's recursion
 * (past tMax it climbs back up, as PyTorch's does). */
export class CosineAnnealingLR extends LRScheduler {
  constructor(optimizer: LrTarget, readonly tMax: number, readonly etaMin = 0) {
    super('CosineAnnealingLR', optimizer);
    checkNumber('CosineAnnealingLR', 'tMax', tMax, (x) => Number.isInteger(x) && x >= 1, 'an integer >= 1');
    checkNumber('CosineAnnealingLR', 'etaMin', etaMin, (x) => Number.isFinite(x) && x >= 0, 'a finite number >= 0');
    this.initialStep();
  }

  protected getLr(): number {
    const { lastEpoch: t, tMax: T, etaMin } = this;
    const lr = this.optimizer.lr;
    if (this.isInitial) return lr;
    if (pyMod(t - 1 - T, 2 * T) === 0) return lr + ((this.baseLrs[0] - etaMin) * (1 - Math.cos(Math.PI / T))) / 2;
    return ((1 + Math.cos((Math.PI * t) / T)) / (1 + Math.cos((Math.PI * (t - 1)) / T))) * (lr - etaMin) + etaMin;
  }
}

/** Scales the lr by a factor going linearly from startFactor to endFactor over totalIters epochs. */
export class LinearLR extends LRScheduler {
  constructor(optimizer: LrTarget, readonly startFactor = 1 / 3, readonly endFactor = 1, readonly totalIters = 5) {
    super('LinearLR', optimizer);
    checkNumber('LinearLR', 'startFactor', startFactor, (x) => x > 0 && x <= 1, 'a number in (0, 1]');
    checkNumber('LinearLR', 'endFactor', endFactor, (x) => x >= 0 && x <= 1, 'a number in [0, 1]');
    checkNumber('LinearLR', 'totalIters', totalIters, (x) => Number.isInteger(x) && x >= 1, 'an integer >= 1');
    this.initialStep();
  }

  protected getLr(): number {
    const { lastEpoch: t, startFactor: s, endFactor: e, totalIters: n } = this;
    const lr = this.optimizer.lr;
    if (t === 0) return lr * s;
    if (this.isInitial || t > n) return lr;
    return lr * (1 + (e - s) / (n * s + (t - 1) * (e - s)));
  }
}
