// Activation modules, after torch.nn: each is a thin wrapper over the sg function of the same
// math, with torch's constructor arguments (positional, in torch's order). The arguments are
// checked when the module is made; an error from forward starts with the class name.
import type { Tensor } from '../tensor/tensor.js';
import { describe } from '../tensor/shape.js';
import { checkFinite, checkInt, checkTensor } from '../tensor/check.js';
import { relu, gelu, silu, sigmoid, tanh } from '../ops/elementwise.js';
import { softmax, logSoftmax } from '../ops/softmax.js';
import { softplus, leakyRelu, elu, logsigmoid } from '../ops/math.js';
import { relu6, hardtanh, hardsigmoid, hardswish, mish, selu, celu, softsign, hardshrink, softshrink, threshold, softmin } from '../ops/math-unary.js';
import { tanhshrink } from '../ops/math-special.js';
import { glu } from '../ops/glu.js';
import { Module } from './module.js';
import { keepNames, named } from './container.js';

/** A module applying `fn` to its input; subclasses only hold their constructor arguments. */
abstract class Activation extends Module {
  protected abstract act(x: Tensor): Tensor;

  forward(input: Tensor): Tensor {
    const name = this.constructor.name;
    checkTensor(name, input);
    return named(name, () => this.act(input));
  }
}

export class ReLU extends Activation { protected act(x: Tensor): Tensor { return relu(x); } }
export class SiLU extends Activation { protected act(x: Tensor): Tensor { return silu(x); } }
export class Sigmoid extends Activation { protected act(x: Tensor): Tensor { return sigmoid(x); } }
export class Tanh extends Activation { protected act(x: Tensor): Tensor { return tanh(x); } }
export class ReLU6 extends Activation { protected act(x: Tensor): Tensor { return relu6(x); } }
export class Hardsigmoid extends Activation { protected act(x: Tensor): Tensor { return hardsigmoid(x); } }
export class Hardswish extends Activation { protected act(x: Tensor): Tensor { return hardswish(x); } }
export class Mish extends Activation { protected act(x: Tensor): Tensor { return mish(x); } }
export class SELU extends Activation { protected act(x: Tensor): Tensor { return selu(x); } }
export class Softsign extends Activation { protected act(x: Tensor): Tensor { return softsign(x); } }
export class Tanhshrink extends Activation { protected act(x: Tensor): Tensor { return tanhshrink(x); } }
export class LogSigmoid extends Activation { protected act(x: Tensor): Tensor { return logsigmoid(x); } }

/** approximate: 'none' (erf, the default) or 'tanh'. */
export class GELU extends Activation {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
    if (approximate !== 'none' && approximate !== 'tanh') throw new Error(`GELU: approximate must be 'none' or 'tanh', got ${describe(approximate)}`);
  }
  protected act(x: Tensor): Tensor { return gelu(x, this.approximate); }
}

export class LeakyReLU extends Activation {
  constructor(readonly negativeSlope = 0.01) { super(); checkFinite('LeakyReLU', 'negativeSlope', negativeSlope); }
  protected act(x: Tensor): Tensor { return leakyRelu(x, this.negativeSlope); }
}

export class ELU extends Activation {
  constructor(readonly alpha = 1) { super(); checkFinite('ELU', 'alpha', alpha); }
  protected act(x: Tensor): Tensor { return elu(x, this.alpha); }
}

export class CELU extends Activation {
  constructor(readonly alpha = 1) {
    super();
    checkFinite('CELU', 'alpha', alpha);
    if (alpha === 0) throw new Error('CELU: alpha cannot be 0, got 0');
  }
  protected act(x: Tensor): Tensor { return celu(x, this.alpha); }
}

/** log(1 + exp(beta·x)) / beta, and x itself where beta·x > threshold. */
export class Softplus extends Activation {
  constructor(readonly beta = 1, readonly threshold = 20) {
    super();
    checkFinite('Softplus', 'beta', beta);
    checkFinite('Softplus', 'threshold', threshold);
    if (beta === 0) throw new Error('Softplus: beta must be nonzero, got 0');
  }
  protected act(x: Tensor): Tensor { return softplus(x, this.beta, this.threshold); }
}

export class Hardtanh extends Activation {
  constructor(readonly minVal = -1, readonly maxVal = 1) {
    super();
    checkFinite('Hardtanh', 'minVal', minVal);
    checkFinite('Hardtanh', 'maxVal', maxVal);
    if (!(maxVal > minVal)) throw new Error(`Hardtanh: maxVal (${maxVal}) must be greater than minVal (${minVal})`);
  }
  protected act(x: Tensor): Tensor { return hardtanh(x, this.minVal, this.maxVal); }
}

/** value where x <= threshold, else x. Both arguments are required, as in torch. */
export class Threshold extends Activation {
  constructor(readonly threshold: number, readonly value: number) {
    super();
    checkFinite('Threshold', 'threshold', threshold);
    checkFinite('Threshold', 'value', value);
  }
  protected act(x: Tensor): Tensor { return threshold(x, this.threshold, this.value); }
}

export class Hardshrink extends Activation {
  constructor(readonly lambd = 0.5) { super(); checkFinite('Hardshrink', 'lambd', lambd); }
  protected act(x: Tensor): Tensor { return hardshrink(x, this.lambd); }
}

export class Softshrink extends Activation {
  constructor(readonly lambd = 0.5) {
    super();
    checkFinite('Softshrink', 'lambd', lambd);
    if (lambd < 0) throw new Error(`Softshrink: lambd must be >= 0, got ${lambd}`);
  }
  protected act(x: Tensor): Tensor { return softshrink(x, this.lambd); }
}

/** The dim argument of Softmax, LogSoftmax and Softmin: required here (torch's implicit-dim
 * choice is deprecated there and guesses from the input's rank). */
function dimArg(module: string, dim: unknown): number {
  if (dim === undefined) throw new Error(`${module}: dim is required (torch's implicit dim is deprecated), e.g. new ${module}(-1)`);
  return checkInt(module, 'dim', dim);
}

export class Softmax extends Activation {
  readonly dim: number;
  constructor(dim: number) { super(); this.dim = dimArg('Softmax', dim); }
  protected act(x: Tensor): Tensor { return softmax(x, this.dim); }
}

export class LogSoftmax extends Activation {
  readonly dim: number;
  constructor(dim: number) { super(); this.dim = dimArg('LogSoftmax', dim); }
  protected act(x: Tensor): Tensor { return logSoftmax(x, this.dim); }
}

export class Softmin extends Activation {
  readonly dim: number;
  constructor(dim: number) { super(); this.dim = dimArg('Softmin', dim); }
  protected act(x: Tensor): Tensor { return softmin(x, this.dim); }
}

/** Splits dim `dim` in halves a, b and returns a·sigmoid(b). */
export class GLU extends Activation {
  constructor(readonly dim = -1) { super(); checkInt('GLU', 'dim', dim); }
  protected act(x: Tensor): Tensor { return glu(x, this.dim); }
}

keepNames({
  ReLU, GELU, SiLU, Tanh, Sigmoid, Softmax, LogSoftmax, Softmin, LeakyReLU, ELU, CELU, SELU, Softplus, Mish, Hardswish, Hardsigmoid, Hardtanh, ReLU6,
  Softsign, Tanhshrink, Hardshrink, Softshrink, Threshold, LogSigmoid, GLU,
});
