// Neural-network modules, after torch.nn: `sg.nn.Linear`, `sg.nn.MoE`, ...
export { Module } from './module.js';
export type { StateDict, LoadStateDictOptions, RegisterBufferOptions } from './module.js';
export type { ParamOptions } from './init.js';
export { Linear, Embedding } from './linear.js';
export type { LinearOptions } from './linear.js';
export { LayerNorm, RMSNorm } from './norm.js';
export type { LayerNormOptions, RMSNormOptions } from './norm.js';
export { BatchNorm1d, BatchNorm2d } from './batchnorm.js';
export type { BatchNormOptions } from './batchnorm.js';
export { Dropout } from './dropout.js';
export { CausalSelfAttention } from './attention.js';
export type { CausalSelfAttentionOptions } from './attention.js';
export { ParallelExperts, MoE } from './moe.js';
export type { ParallelExpertsOptions, ParallelExpertsForwardOptions, MoEOptions, MoEOutput, Activation } from './moe.js';
export { Conv1d, Conv2d, MaxPool2d, AvgPool2d } from './conv.js';
export type { ConvOptions as ConvModuleOptions, MaxPool2dOptions as MaxPool2dModuleOptions, AvgPool2dOptions as AvgPool2dModuleOptions } from './conv.js';
export { RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell } from './rnn.js';
export type { RNNBaseOptions, RNNOptions, RNNCellOptions } from './rnn.js';
export { Upsample, PixelShuffle, PixelUnshuffle } from './upsample.js';
export type { UpsampleOptions } from './upsample.js';
export { Sequential, ModuleList, ModuleDict, Identity, Flatten, Unflatten } from './container.js';
export {
  ReLU, GELU, SiLU, Tanh, Sigmoid, Softmax, LogSoftmax, Softmin, LeakyReLU, ELU, CELU, SELU, Softplus, Mish, Hardswish, Hardsigmoid, Hardtanh, ReLU6,
  Softsign, Tanhshrink, Hardshrink, Softshrink, Threshold, LogSigmoid, GLU,
} from './activation.js';
export {
  MSELoss, L1Loss, SmoothL1Loss, HuberLoss, CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss, PoissonNLLLoss, GaussianNLLLoss,
  HingeEmbeddingLoss, SoftMarginLoss, MultiLabelSoftMarginLoss, CosineEmbeddingLoss, MarginRankingLoss, TripletMarginLoss,
} from './loss.js';
