// OneCycleLR, as torch.optim.lr_scheduler.OneCycleLR: the lr climbs from maxLr/divFactor to
// maxLr over the first pctStart of totalSteps and anneals (cosine or linear) to
// maxLr/(divFactor·finalDivFactor) by the last step; the momentum (SGD's and RMSprop's
// momentum, Adam's beta1) moves the opposite way between maxMomentum and baseMomentum.
// threePhase anneals back to the initial lr first, then to the minimum.
import { describe } from '../tensor/shape.js';
import { LRScheduler, checkNumber, withInitialLr, type LrTarget } from './lr-scheduler.js';

export interface OneCycleLROptions {
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  cycleMomentum?: boolean;
  baseMomentum?: number;
  maxMomentum?: number;
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
}

/** An optimizer whose momentum OneCycleLR can cycle. */
type MomentumTarget = LrTarget & { momentum?: number; betas?: number[] };

interface Phase { endStep: number; lr: [number, number]; momentum: [number, number] }

const KEYS = ['totalSteps', 'epochs', 'stepsPerEpoch', 'pctStart', 'annealStrategy', 'cycleMomentum', 'baseMomentum', 'maxMomentum', 'divFactor', 'finalDivFactor', 'threePhase'];

function checkOpts(maxLr: number, opts: OneCycleLROptions): { total: number; divFactor: number } {
  const op = 'OneCycleLR';
  checkNumber(op, 'maxLr', maxLr, (x) => Number.isFinite(x) && x >= 0, 'a finite number >= 0');
  if (!opts || typeof opts !== 'object') throw new Error(`${op}: options must be an object, got ${describe(opts)}`);
  for (const k of Object.keys(opts)) if (!KEYS.includes(k)) throw new Error(`${op}: unknown option '${k}' (expected one of ${KEYS.join(', ')})`);
  const posInt = (x: number): boolean => Number.isInteger(x) && x >= 1;
  let total: number;
  if (opts.totalSteps !== undefined) total = checkNumber(op, 'totalSteps', opts.totalSteps, posInt, 'an integer >= 1');
  else if (opts.epochs !== undefined && opts.stepsPerEpoch !== undefined) {
    total = checkNumber(op, 'epochs', opts.epochs, posInt, 'an integer >= 1') * checkNumber(op, 'stepsPerEpoch', opts.stepsPerEpoch, posInt, 'an integer >= 1');
  } else throw new Error(`${op}: give totalSteps, or epochs and stepsPerEpoch`);
  checkNumber(op, 'pctStart', opts.pctStart ?? 0.3, (x) => x >= 0 && x <= 1, 'a number in [0, 1]');
  const fin = (x: number): boolean => Number.isFinite(x) && x > 0;
  const divFactor = checkNumber(op, 'divFactor', opts.divFactor ?? 25, fin, 'a finite number > 0');
  checkNumber(op, 'finalDivFactor', opts.finalDivFactor ?? 1e4, fin, 'a finite number > 0');
  for (const k of ['baseMomentum', 'maxMomentum'] as const) checkNumber(op, k, opts[k] ?? 0.9, (x) => x >= 0 && x < 1, 'a number in [0, 1)');
  if (opts.annealStrategy !== undefined && opts.annealStrategy !== 'cos' && opts.annealStrategy !== 'linear') {
    throw new Error(`${op}: annealStrategy must be 'cos' or 'linear', got ${describe(opts.annealStrategy)}`);
  }
  for (const k of ['cycleMomentum', 'threePhase'] as const) {
    if (opts[k] !== undefined && typeof opts[k] !== 'boolean') throw new Error(`${op}: ${k} must be a boolean, got ${describe(opts[k])}`);
  }
  return { total, divFactor };
}

export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  private readonly phases: Phase[];
  private readonly anneal: (start: number, end: number, pct: number) => number;
  private readonly useBeta1: boolean;
  private readonly cycleMomentum: boolean;

  constructor(optimizer: MomentumTarget, readonly maxLr: number, opts: OneCycleLROptions) {
    const { total, divFactor } = checkOpts(maxLr, opts);
    super('OneCycleLR', withInitialLr(optimizer, maxLr / divFactor));
    this.totalSteps = total;
    const o = { pctStart: 0.3, annealStrategy: 'cos', cycleMomentum: true, baseMomentum: 0.85, maxMomentum: 0.95, finalDivFactor: 1e4, threePhase: false, ...opts };
    this.cycleMomentum = o.cycleMomentum;
    this.useBeta1 = Array.isArray(optimizer.betas);
    if (o.cycleMomentum && !this.useBeta1 && typeof optimizer.momentum !== 'number') {
      throw new Error('OneCycleLR: cycleMomentum needs an optimizer with momentum (SGD, RMSprop) or betas (Adam, AdamW); pass cycleMomentum: false');
    }
    const initial = maxLr / divFactor;
    const min = initial / o.finalDivFactor;
    const [lo, hi] = [o.baseMomentum, o.maxMomentum];
    const p = o.pctStart * total;
    this.phases = o.threePhase
      ? [{ endStep: p - 1, lr: [initial, maxLr], momentum: [hi, lo] }, { endStep: 2 * p - 2, lr: [maxLr, initial], momentum: [lo, hi] }, { endStep: total - 1, lr: [initial, min], momentum: [hi, hi] }]
      : [{ endStep: p - 1, lr: [initial, maxLr], momentum: [hi, lo] }, { endStep: total - 1, lr: [maxLr, min], momentum: [lo, hi] }];
    this.anneal = o.annealStrategy === 'cos'
      ? (start, end, pct) => end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1)
      : (start, end, pct) => (end - start) * pct + start;
    this.initialStep();
  }

  /** The phase of step `t` and how far into it, as PyTorch finds them. */
  private at(t: number): { phase: Phase; pct: number } {
    let start = 0;
    for (let i = 0; i < this.phases.length; i++) {
      const phase = this.phases[i];
      if (t <= phase.endStep || i === this.phases.length - 1) return { phase, pct: (t - start) / (phase.endStep - start) };
      start = phase.endStep;
    }
    throw new Error('OneCycleLR: unreachable');
  }

  protected getLr(): number {
    if (this.lastEpoch > this.totalSteps) throw new Error(`OneCycleLR.step: tried to step ${this.lastEpoch} times; totalSteps is ${this.totalSteps}`);
    const { phase, pct } = this.at(this.lastEpoch);
    // Step totalSteps (after the last update) is past the end: PyTorch's linear anneal
    // extrapolates there to a negative lr, which an sg optimizer refuses; 0 here.
    return Math.max(0, this.anneal(phase.lr[0], phase.lr[1], pct));
  }

  override step(): void {
    super.step();
    if (!this.cycleMomentum) return;
    const { phase, pct } = this.at(this.lastEpoch);
    const m = this.anneal(phase.momentum[0], phase.momentum[1], pct);
    const opt = this.optimizer as MomentumTarget;
    if (this.useBeta1) opt.betas = [m, opt.betas![1]];
    else opt.momentum = m;
  }
}
