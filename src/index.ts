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
export { compile } from './compile.js';
export type { Compiled, CompileStats } from './compile.js';
export type { GradcheckOptions } from './autograd/gradcheck.js';
export type { GradHook, RemovableHandle } from './autograd/hooks.js';
export {
  add, sub, mul, div, pow, maximum, minimum, eq, ne, lt, le, gt, ge, neg, exp, log, sqrt, rsqrt, abs,
  relu, gelu, silu, sigmoid, tanh, where, cast,
} from './ops/elementwise.js';
export { glu, gatedActivation } from './ops/glu.js';
export type { GateActivation } from './ops/glu.js';
export { view, reshape, permute, transpose, unsqueeze, squeeze, expand, flatten, narrow, slice, split, chunk, contiguous, clone } from './ops/view.js';
export { sum, mean, max, min, amax, amin, argmax, argmin } from './ops/reduce.js';
export { softmax, logSoftmax } from './ops/softmax.js';
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
// #24 masks and selection
export { maskedFill, any, all, isnan, isinf, isfinite, logicalNot, logicalAnd, logicalOr, logicalXor, tril, triu, select } from './ops/mask.js';
// #24 math
export { clamp, clip, sin, cos, erfFn as erf, floor, ceil, round, trunc, softplus, leakyRelu, elu, logsigmoid, remainder, fmod } from './ops/math.js';
export { floorDivide } from './ops/intdiv.js';
export {
  sign, square, reciprocal, log1p, expm1, log2, log10, exp2, sinh, cosh, tan, asin, acos, atan, asinh, acosh, atanh, frac,
  relu6, hardtanh, hardsigmoid, hardswish, mish, selu, celu, softsign,
} from './ops/math-unary.js';
export { atan2, lerp, hypot, xlogy, logaddexp, fmax, fmin } from './ops/math-binary.js';
export { clampMin, clampMax } from './ops/math.js';
export { signbit, sgn, positive, deg2rad, rad2deg, hardshrink, softshrink, threshold, softmin } from './ops/math-unary.js';
export { erfc, erfinv, lgamma, digamma, logit, sinc, tanhshrink } from './ops/math-special.js';
export { copysign, ldexp, logaddexp2, heaviside, trueDivide, addcmul, addcdiv } from './ops/math-binary.js';
export { crossEntropy, nllLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits, mseLoss, l1Loss, smoothL1Loss, huberLoss } from './ops/loss.js';
export type { RegressionLossOptions } from './ops/loss.js';
export {
  klDiv, poissonNllLoss, gaussianNllLoss, cosineEmbeddingLoss, marginRankingLoss, hingeEmbeddingLoss, softMarginLoss, multiLabelSoftMarginLoss, tripletMarginLoss,
} from './ops/loss-extra.js';
export type { KlDivReduction } from './ops/loss-extra.js';
// #24 convolution and pooling
export { conv1d, conv2d } from './ops/conv.js';
export type { ConvOptions, Padding } from './ops/conv.js';
export { maxPool2d, avgPool2d } from './ops/pool.js';
export type { MaxPool2dOptions, AvgPool2dOptions } from './ops/pool.js';
export { interpolate } from './ops/interpolate.js';
export type { InterpolateMode, InterpolateOptions } from './ops/interpolate.js';
export { pixelShuffle, pixelUnshuffle } from './ops/pixel-shuffle.js';
// #24 reductions, scans, sorting, scatter
export { variance as var, std, varMean, stdMean, prod } from './ops/stats.js';
export type { VarOptions } from './ops/stats.js';
export { cumsum } from './ops/scan.js';
export { cumprod, cummax, cummin, logcumsumexp, diff } from './ops/cumulative.js';
export { nansum, nanmean, nanToNum, countNonzero } from './ops/nanreduce.js';
export { median, nanmedian, kthvalue, quantile, nanquantile } from './ops/order.js';
export type { QuantileInterpolation } from './ops/order.js';
export { isclose, allclose, equal } from './ops/close.js';
export { sort, argsort } from './ops/sort.js';
export type { SortOptions } from './ops/sort.js';
export { scatter, scatterAdd, scatterReduce, oneHot } from './ops/scatter.js';
export type { ReduceMode } from './ops/scatter.js';
// #24 attention
export { scaledDotProductAttention } from './ops/attention.js';
export type { SdpaOptions } from './ops/attention.js';
// #24 shaping, creation and misc
export { pad } from './ops/pad.js';
export type { PadMode, PadOptions } from './ops/pad.js';
export { repeat, repeatInterleave, flip, roll } from './ops/rearrange.js';
export { movedim, moveaxis, swapaxes, swapdims, unflatten, unbind, tile } from './ops/dims.js';
export { take, takeAlongDim, indexFill, indexCopy, maskedScatter } from './ops/indexing.js';
export { expandAs, viewAs, reshapeAs, typeAs, ravel, fliplr, flipud, rot90 } from './ops/dims.js';
export { nonzero, argwhere, maskedSelect, unique, bincount, searchsorted, bucketize, histc, type UniqueOptions } from './ops/select.js';
export { randLike, randnLike, randintLike, randperm, bernoulli, normal, type PermOptions } from './ops/random.js';
export { linspace, logspace, eye, fullLike, meshgrid } from './tensor/create-more.js';
export { einsum } from './ops/einsum.js';
export { multinomial } from './ops/sample.js';
export type { MultinomialOptions } from './ops/sample.js';
// linalg and norms
export * as linalg from './linalg/index.js';
export { norm } from './ops/norms.js';
export { dist, normalize, cosineSimilarity, pairwiseDistance, cdist } from './ops/distance.js';
export { outer, dot, mv, mm, addmm, addmv, baddbmm, diag, diagonal, diagEmbed, trace, cross, kron, triuIndices, trilIndices } from './ops/linalg.js';
export type { AddmmOptions } from './ops/linalg.js';
// #25 Jupyter display (Symbol.for('Jupyter.display') on Tensor and Module, graphs, charts)
export * as display from './display/index.js';
export { graph } from './display/index.js';
