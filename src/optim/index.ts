// Optimizers (SGD, Adam, AdamW, RMSprop, Adagrad) with fused in-place GPU updates, gradient
// clipping, PyTorch's learning-rate schedulers and a cosine schedule with warm-up.
export { Optimizer } from './optimizer.js';
export type { OptimizerStateDict, ParamState } from './optimizer.js';
export { SGD } from './sgd.js';
export type { SGDOptions } from './sgd.js';
export { Adam, AdamW } from './adamw.js';
export type { AdamOptions, AdamWOptions } from './adamw.js';
export { RMSprop } from './rmsprop.js';
export type { RMSpropOptions } from './rmsprop.js';
export { Adagrad } from './adagrad.js';
export type { AdagradOptions } from './adagrad.js';
export { LRScheduler, StepLR, MultiStepLR, ExponentialLR, LambdaLR, CosineAnnealingLR, LinearLR } from './lr-scheduler.js';
export type { LrTarget, LRSchedulerState } from './lr-scheduler.js';
export { ReduceLROnPlateau } from './plateau.js';
export { OneCycleLR } from './onecycle.js';
export type { OneCycleLROptions } from './onecycle.js';
export type { ReduceLROnPlateauOptions, ReduceLROnPlateauState } from './plateau.js';
export { clipGradNorm } from './clip.js';
export { CosineSchedule, cosineWithWarmup } from './schedule.js';
export type { CosineOptions } from './schedule.js';
