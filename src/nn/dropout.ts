// Dropout. The mask comes from sg.rand with a seed derived from the module's seed and a
// per-module call counter: the same numbers on every backend, reproducible runs, and no
// readback (the uniform numbers are drawn on the CPU and uploaded with the step's work).
import type { Tensor } from '../tensor/tensor.js';
import { rand } from '../tensor/create.js';
import { tidy } from '../tensor/scope.js';
import { Module } from './module.js';
import { checkModuleOptions, childSeed } from './init.js';
import { describe } from '../tensor/shape.js';
import { checkTensor } from '../tensor/check.js';

let unseeded = 0;

export class Dropout extends Module {
  private calls = 0;
  private readonly seed: number;

  /** p: the probability of zeroing an element. Without a seed, modules made in the same
   * order get the same masks run to run. */
  constructor(readonly p = 0.5, opts: { seed?: number } = {}) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`Dropout: p must be a probability in [0, 1], got ${describe(p)}`);
    opts = checkModuleOptions('Dropout', opts);
    this.seed = opts.seed ?? 0x5eed0000 + unseeded++;
  }

  /** In training, zeroes each element with probability p and scales the rest by 1/(1−p);
   * in eval (or with p = 0), returns x itself. */
  forward(x: Tensor): Tensor {
    checkTensor('Dropout', x);
    if (!this.training || this.p === 0) return x;
    if (this.p === 1) return x.mul(0);
    const seed = childSeed(this.seed, this.calls++);
    return tidy(() => {
      const kept = rand(x.shape, { seed, device: x.device }).ge(this.p);
      return x.mul(kept.cast(x.dtype).mul(1 / (1 - this.p)));
    });
  }
}
