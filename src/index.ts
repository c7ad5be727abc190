// The public API. Nothing lives here; everything is re-exported. methods.ts comes first: it
// installs the Tensor's op methods.
import './tensor/methods.js';
export { Tensor, liveTensors, leaks } from './tensor/tensor.js';
export type { LeakInfo } from './tensor/tensor.js';
export type { DType, PublicDType } from './tensor/dtype.js';
export { tensor, zeros, ones, full, zerosLike, onesLike, arange, randn, rand, randint, manualSeed, Generator } from './tensor/create.js';
export type { CreateOptions, RandomOptions } from './tensor/create.js';
export { tidy, keep } from './tensor/scope.js';
export { init, destroy, deviceInfo, debug } from './backend/runtime.js';
export type { InitOptions, DeviceInfo } from './backend/runtime.js';
export { withTuning, currentTuning } from './backend/tuning.js';
export type { Tuning } from './backend/tuning.js';
export { memory, flush, emptyCache } from './backend/memory.js';
export { gpuTime } from './backend/timing.js';
export type { GpuTiming, GpuTimeOptions } from './backend/timing.js';
export { Function, Ctx } from './autograd/function.js';
export { noGrad, enableGrad, isGradEnabled } from './autograd/grad-mode.js';
export { gradcheck } from './autograd/gradcheck.js';
export type { GradcheckOptions } from './autograd/gradcheck.js';
export {
  add, sub, mul, div, pow, maximum, minimum, eq, ne, lt, le, gt, ge, neg, exp, log, sqrt, rsqrt, abs,
  relu, gelu, silu, sigmoid, tanh, where, cast,
} from './ops/elementwise.js';
export { view, reshape, permute, transpose, unsqueeze, squeeze, expand, flatten, narrow, slice, split, chunk, contiguous, clone } from './ops/view.js';
export { sum, mean, max, min, amax, amin, argmax, argmin } from './ops/reduce.js';
export { softmax, logSoftmax, crossEntropy } from './ops/softmax.js';
export { topk } from './ops/topk.js';
export { matmul, bmm } from './ops/matmul.js';
export { layerNorm, rmsNorm } from './ops/norm.js';
export { logsumexp } from './ops/logsumexp.js';
export { gather, indexSelect, indexAdd, cat, stack } from './ops/gather.js';
export { scatteredExperts, ScatteredExperts, flattenSortCount } from './moe/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export { serializeSafetensors, parseSafetensors, saveSafetensors, loadSafetensors } from './io/index.js';
export type { ParseOptions, Safetensors } from './io/index.js';
// #24 shaping, creation and misc
export { pad } from './ops/pad.js';
export type { PadMode, PadOptions } from './ops/pad.js';
export { repeat, repeatInterleave, flip, roll } from './ops/rearrange.js';
export { linspace, eye, fullLike } from './tensor/create-more.js';
export { einsum } from './ops/einsum.js';
export { multinomial } from './ops/sample.js';
export type { MultinomialOptions } from './ops/sample.js';
