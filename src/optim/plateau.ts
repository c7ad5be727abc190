// ReduceLROnPlateau, as torch.optim.lr_scheduler.ReduceLROnPlateau for one parameter group:
// step(metric) after each evaluation; after more than `patience` epochs without an
// improvement (by `threshold`, relative or absolute) the lr is multiplied by `factor`
// (not below minLr, and only by more than eps), then `cooldown` epochs pass unwatched.
import { describe } from '../tensor/shape.js';
import type { LrTarget } from './lr-scheduler.js';

export interface ReduceLROnPlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  minLr?: number;
  eps?: number;
}

export interface ReduceLROnPlateauState { lastEpoch: number; best: number; numBadEpochs: number; cooldownCounter: number; lastLr: number[] }

const KEYS = ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps'];

export class ReduceLROnPlateau {
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLr: number;
  readonly eps: number;
  lastEpoch = 0;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  private lastLr: number[];

  constructor(readonly optimizer: LrTarget, opts: ReduceLROnPlateauOptions = {}) {
    const op = 'ReduceLROnPlateau';
    if (!optimizer || typeof optimizer !== 'object' || typeof optimizer.lr !== 'number') throw new Error(`${op}: expected an optimizer with a numeric lr, got ${describe(optimizer)}`);
    if (!opts || typeof opts !== 'object') throw new Error(`${op}: options must be an object, got ${describe(opts)}`);
    for (const k of Object.keys(opts)) if (!KEYS.includes(k)) throw new Error(`${op}: unknown option '${k}' (expected one of ${KEYS.join(', ')})`);
    this.mode = opts.mode ?? 'min';
    this.factor = opts.factor ?? 0.1;
    this.patience = opts.patience ?? 10;
    this.threshold = opts.threshold ?? 1e-4;
    this.thresholdMode = opts.thresholdMode ?? 'rel';
    this.cooldown = opts.cooldown ?? 0;
    this.minLr = opts.minLr ?? 0;
    this.eps = opts.eps ?? 1e-8;
    if (this.mode !== 'min' && this.mode !== 'max') throw new Error(`${op}: mode must be 'min' or 'max', got ${describe(this.mode)}`);
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs') throw new Error(`${op}: thresholdMode must be 'rel' or 'abs', got ${describe(this.thresholdMode)}`);
    if (typeof this.factor !== 'number' || !(this.factor >= 0 && this.factor < 1)) throw new Error(`${op}: factor must be a number in [0, 1), got ${describe(this.factor)}`);
    for (const k of ['patience', 'cooldown'] as const) {
      if (!Number.isInteger(this[k]) || this[k] < 0) throw new Error(`${op}: ${k} must be an integer >= 0, got ${describe(this[k])}`);
    }
    for (const k of ['threshold', 'minLr', 'eps'] as const) {
      if (typeof this[k] !== 'number' || !Number.isFinite(this[k]) || this[k] < 0) throw new Error(`${op}: ${k} must be a finite number >= 0, got ${describe(this[k])}`);
    }
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.lastLr = [optimizer.lr];
  }

  /** One epoch's metric (a number: read a tensor with await loss.item()). */
  step(metric: number): void {
    if (typeof metric !== 'number') throw new Error(`ReduceLROnPlateau.step: metric must be a number (use await t.item() for a tensor), got ${describe(metric)}`);
    this.lastEpoch++;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else this.numBadEpochs++;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0; // bad epochs in cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      const old = this.optimizer.lr;
      const lr = Math.max(old * this.factor, this.minLr);
      if (old - lr > this.eps) this.optimizer.lr = lr;
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = [this.optimizer.lr];
  }

  private isBetter(a: number): boolean {
    const best = this.best;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === 'rel' ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }

  getLastLr(): number[] { return [...this.lastLr]; }

  stateDict(): ReduceLROnPlateauState {
    return { lastEpoch: this.lastEpoch, best: this.best, numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter, lastLr: [...this.lastLr] };
  }

  loadStateDict(sd: ReduceLROnPlateauState): void {
    if (!sd || typeof sd.best !== 'number' || !Number.isInteger(sd.lastEpoch) || !Number.isInteger(sd.numBadEpochs) || !Number.isInteger(sd.cooldownCounter)) {
      throw new Error(`ReduceLROnPlateau.loadStateDict: expected { lastEpoch, best, numBadEpochs, cooldownCounter, lastLr } as stateDict() returns, got ${describe(sd)}`);
    }
    ({ lastEpoch: this.lastEpoch, best: this.best, numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter } = sd);
    if (Array.isArray(sd.lastLr)) this.lastLr = [...sd.lastLr];
  }
}
