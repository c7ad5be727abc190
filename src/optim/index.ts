// Optimizers (SGD, AdamW) with fused in-place GPU updates, gradient clipping, and a cosine
// learning-rate schedule with warm-up.
export { Optimizer } from './optimizer.js';
export type { OptimizerStateDict, ParamState } from './optimizer.js';
export { SGD } from './sgd.js';
export type { SGDOptions } from './sgd.js';
export { AdamW } from './adamw.js';
export type { AdamWOptions } from './adamw.js';
export { clipGradNorm } from './clip.js';
export { CosineSchedule, cosineWithWarmup } from './schedule.js';
export type { CosineOptions } from './schedule.js';
