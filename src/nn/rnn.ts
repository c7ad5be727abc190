// RNN, LSTM and GRU, and their one-step cells, as torch.nn has them: composites of matmul,
// add, mul, sigmoid, tanh, relu, chunk and stack, so both backends and every gradient come
// from those ops. Parameter names, shapes, gate order and init are torch's, so a torch
// state dict loads as is. forward returns arrays nested as torch's tuples:
// `[output, hn]` (RNN, GRU) and `[output, [hn, cn]]` (LSTM).
import { Tensor } from '../tensor/tensor.js';
import { rand, zeros } from '../tensor/create.js';
import { stack, cat } from '../ops/join.js';
import { tidy } from '../tensor/scope.js';
import { isFloat } from '../tensor/dtype.js';
import { describe, fmtShape } from '../tensor/shape.js';
import { Module } from './module.js';
import { checkModuleOptions, checkSize, childSeed, uniformParam, type ParamOptions } from './init.js';

type Kind = 'RNN' | 'LSTM' | 'GRU';
/** Gate blocks stacked in weight_ih's rows: LSTM i, f, g, o; GRU r, z, n. */
const GATES: Record<Kind, number> = { RNN: 1, LSTM: 4, GRU: 3 };

export interface RNNBaseOptions extends ParamOptions {
  numLayers?: number;
  bias?: boolean;
  /** Input and output as (N, T, H) instead of (T, N, H); h and c keep (layers·dirs, N, H). */
  batchFirst?: boolean;
  /** Dropout on each layer's output but the last, in training mode only. */
  dropout?: number;
  bidirectional?: boolean;
}

export interface RNNOptions extends RNNBaseOptions {
  nonlinearity?: 'tanh' | 'relu';
}

export interface RNNCellOptions extends ParamOptions {
  bias?: boolean;
  nonlinearity?: 'tanh' | 'relu';
}

/** One direction of one layer: its weights, read by name at each call (gradcheck swaps them). */
interface Weights { ih: Tensor; hh: Tensor; bih: Tensor | null; bhh: Tensor | null }

/** x·Wᵀ + b over the last dim. */
function project(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const y = x.matmul(w.transpose(0, 1));
  return b ? y.add(b) : y;
}

/**
 * One time step from the input projection gi = W_ih·x + b_ih and the hidden one
 * gh = W_hh·h + b_hh: the new h and (LSTM) c, with torch's formulas.
 */
function cellStep(kind: Kind, relu: boolean, gi: Tensor, gh: Tensor, h: Tensor, c: Tensor | null): [Tensor, Tensor | null] {
  if (kind === 'RNN') {
    const pre = gi.add(gh);
    return [relu ? pre.relu() : pre.tanh(), null];
  }
  if (kind === 'LSTM') {
    const [i, f, g, o] = gi.add(gh).chunk(4, -1);
    const c2 = f.sigmoid().mul(c!).add(i.sigmoid().mul(g.tanh()));
    return [o.sigmoid().mul(c2.tanh()), c2];
  }
  // GRU: the reset gate scales W_hn·h + b_hn, so the hidden projection is split, not summed.
  const [ir, iz, inn] = gi.chunk(3, -1);
  const [hr, hz, hn] = gh.chunk(3, -1);
  const r = ir.add(hr).sigmoid();
  const z = iz.add(hz).sigmoid();
  const n = inn.add(r.mul(hn)).tanh();
  // (1 − z)·n + z·h, with one multiply fewer.
  return [n.add(z.mul(h.sub(n))), null];
}

/** Runs one direction of one layer over x (T, N, In): every h as (T, N, H), and the last h, c. */
function runDirection(kind: Kind, relu: boolean, x: Tensor, w: Weights, h0: Tensor, c0: Tensor | null, reverse: boolean): [Tensor, Tensor, Tensor | null] {
  // The input projection of every step at once: one matmul instead of T.
  const gi = project(x, w.ih, w.bih);
  const steps = x.shape[0];
  const hs = new Array<Tensor>(steps);
  let h = h0;
  let c = c0;
  for (let s = 0; s < steps; s++) {
    const t = reverse ? steps - 1 - s : s;
    [h, c] = cellStep(kind, relu, gi.select(0, t), project(h, w.hh, w.bhh), h, c);
    hs[t] = h;
  }
  return [stack(hs, 0), h, c];
}

/** Inverted dropout with a seeded mask, as sg.nn.Dropout draws it. */
function dropout(x: Tensor, p: number, seed: number): Tensor {
  if (p === 1) return x.mul(0);
  return x.mul(rand(x.shape, { seed, device: x.device }).ge(p).cast(x.dtype).mul(1 / (1 - p)));
}

let unseeded = 0;

/** What RNN, LSTM and GRU share: parameters per layer and direction, checks, the layer loop. */
/** The given states (h0, c0, hx ...) are tensors of `want`'s shape, dtype and device as the weights w. */
function checkStates(name: string, states: Array<[string, unknown]>, want: number[], input: Tensor, w: Tensor): void {
  for (const [arg, s] of states) {
    if (s === undefined) continue;
    if (!(s instanceof Tensor)) throw new Error(`${name}: ${arg} must be a Tensor, got ${describe(s)}`);
    s.assertAlive(name);
    if (fmtShape(s.shape) !== fmtShape(want)) throw new Error(`${name}: expected ${arg} of shape ${fmtShape(want)} for input ${fmtShape(input.shape)}, got ${fmtShape(s.shape)}`);
    if (s.dtype !== w.dtype || s.device !== w.device) throw new Error(`${name}: ${arg} must be ${w.dtype} on ${w.device} as the weights, got ${s.dtype} on ${s.device}`);
  }
}

abstract class RNNBase extends Module {
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  private readonly dropSeed: number;
  private dropCalls = 0;

  protected constructor(protected readonly kind: Kind, readonly inputSize: number, readonly hiddenSize: number, opts: RNNBaseOptions, extra: Record<string, 'string'> = {}) {
    super();
    const name = kind;
    const o = checkModuleOptions<RNNOptions>(name, opts, { numLayers: 'positive', bias: 'boolean', batchFirst: 'boolean', dropout: 'probability', bidirectional: 'boolean', ...extra });
    if (kind === 'RNN') checkNonlinearity(name, o);
    checkSize(name, 'inputSize', inputSize);
    checkSize(name, 'hiddenSize', hiddenSize);
    if (o.numLayers !== undefined) checkSize(name, 'numLayers', o.numLayers);
    this.numLayers = o.numLayers ?? 1;
    this.bias = o.bias ?? true;
    this.batchFirst = o.batchFirst ?? false;
    this.dropout = o.dropout ?? 0;
    this.bidirectional = o.bidirectional ?? false;
    this.dropSeed = o.seed ?? 0x52ee0000 + unseeded++;
    // torch: every weight and bias U(±1/√hidden), in state-dict order.
    const bound = 1 / Math.sqrt(hiddenSize);
    const rows = GATES[kind] * hiddenSize;
    const self = this as unknown as Record<string, Tensor>;
    let i = 0;
    for (let l = 0; l < this.numLayers; l++) {
      for (const sfx of this.suffixes(l)) {
        const inSize = l === 0 ? inputSize : hiddenSize * this.dirs;
        self[`weight_ih${sfx}`] = uniformParam(name, [rows, inSize], bound, o, i++);
        self[`weight_hh${sfx}`] = uniformParam(name, [rows, hiddenSize], bound, o, i++);
        if (this.bias) {
          self[`bias_ih${sfx}`] = uniformParam(name, [rows], bound, o, i++);
          self[`bias_hh${sfx}`] = uniformParam(name, [rows], bound, o, i++);
        }
      }
    }
  }

  get dirs(): number { return this.bidirectional ? 2 : 1; }

  /** Parameter-name suffixes of layer l: `_l0`, and `_l0_reverse` when bidirectional. */
  private suffixes(l: number): string[] {
    return this.bidirectional ? [`_l${l}`, `_l${l}_reverse`] : [`_l${l}`];
  }

  private weights(sfx: string): Weights {
    const self = this as unknown as Record<string, Tensor | undefined>;
    return { ih: self[`weight_ih${sfx}`]!, hh: self[`weight_hh${sfx}`]!, bih: self[`bias_ih${sfx}`] ?? null, bhh: self[`bias_hh${sfx}`] ?? null };
  }

  /** Checks input and the initial states before any work; returns whether input is batched. */
  protected checkInputs(input: unknown, states: Array<[string, unknown]>): input is Tensor {
    const name = this.kind;
    if (!(input instanceof Tensor)) throw new Error(`${name}: input must be a Tensor, got ${describe(input)}`);
    input.assertAlive(name);
    const w = this.weights('_l0').ih;
    if (input.ndim !== 2 && input.ndim !== 3) throw new Error(`${name}: expected input to be 2-D or 3-D, got ${input.ndim}-D (shape ${fmtShape(input.shape)})`);
    if (input.shape[input.ndim - 1] !== this.inputSize) throw new Error(`${name}: input.size(-1) must be equal to inputSize ${this.inputSize}, got shape ${fmtShape(input.shape)}`);
    if (!isFloat(input.dtype) || input.dtype !== w.dtype) throw new Error(`${name}: input must be ${w.dtype} as the weights, got ${input.dtype}`);
    if (input.device !== w.device) throw new Error(`${name}: input is on ${input.device} but the module is on ${w.device}`);
    const batched = input.ndim === 3;
    const steps = input.shape[batched && this.batchFirst ? 1 : 0];
    if (steps === 0) throw new Error(`${name}: expected sequence length to be larger than 0, got input shape ${fmtShape(input.shape)}`);
    const n = batched ? input.shape[this.batchFirst ? 0 : 1] : 0;
    const want = batched ? [this.numLayers * this.dirs, n, this.hiddenSize] : [this.numLayers * this.dirs, this.hiddenSize];
    checkStates(name, states, want, input, w);
    return batched;
  }

  /** The layer loop on checked inputs: (output, h_n, c_n) with torch's layouts. */
  protected run(input: Tensor, h0: Tensor | undefined, c0: Tensor | undefined, relu = false): [Tensor, Tensor, Tensor | null] {
    const batched = input.ndim === 3;
    const p = this.training ? this.dropout : 0;
    const seeds = p > 0 ? Array.from({ length: this.numLayers - 1 }, () => childSeed(this.dropSeed, this.dropCalls++)!) : [];
    return tidy(() => {
      // Work in (T, N, ·), with a batch of 1 for unbatched input.
      let x = batched ? (this.batchFirst ? input.transpose(0, 1) : input) : input.unsqueeze(1);
      const init = (s: Tensor | undefined): Tensor => (s ? (batched ? s : s.unsqueeze(1)) : zeros([this.numLayers * this.dirs, x.shape[1], this.hiddenSize], { device: x.device, dtype: x.dtype }));
      const hx = init(h0);
      const cx = this.kind === 'LSTM' ? init(c0) : null;
      const hn: Tensor[] = [];
      const cn: Tensor[] = [];
      for (let l = 0; l < this.numLayers; l++) {
        const outs = this.suffixes(l).map((sfx, d) => {
          const k = l * this.dirs + d;
          const [out, h, c] = runDirection(this.kind, relu, x, this.weights(sfx), hx.select(0, k), cx ? cx.select(0, k) : null, d === 1);
          hn.push(h);
          if (c) cn.push(c);
          return out;
        });
        x = outs.length === 1 ? outs[0] : cat(outs, 2);
        if (l < this.numLayers - 1 && p > 0) x = dropout(x, p, seeds[l]);
      }
      const out = batched ? (this.batchFirst ? x.transpose(0, 1) : x) : x.squeeze(1);
      const fix = (s: Tensor[]): Tensor => (batched ? stack(s, 0) : stack(s, 0).squeeze(1));
      return [out, fix(hn), cx ? fix(cn) : null];
    });
  }
}

/**
 * Elman RNN: h_t = act(W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh), act tanh or relu.
 * forward(input, h0?) → [output, h_n].
 */
export class RNN extends RNNBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    super('RNN', inputSize, hiddenSize, opts, { nonlinearity: 'string' });
    this.nonlinearity = opts.nonlinearity ?? 'tanh';
  }

  /** input (T, N, In), (N, T, In) with batchFirst, or unbatched (T, In); h0 (layers·dirs, N, H) or (layers·dirs, H). */
  forward(input: Tensor, h0?: Tensor): [Tensor, Tensor] {
    this.checkInputs(input, [['h0', h0]]);
    const [out, h] = this.run(input, h0, undefined, this.nonlinearity === 'relu');
    return [out, h];
  }
}

/** GRU with torch's gates r, z, n and n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn)). forward(input, h0?) → [output, h_n]. */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: RNNBaseOptions = {}) {
    super('GRU', inputSize, hiddenSize, opts);
  }

  forward(input: Tensor, h0?: Tensor): [Tensor, Tensor] {
    this.checkInputs(input, [['h0', h0]]);
    const [out, h] = this.run(input, h0, undefined);
    return [out, h];
  }
}

/** LSTM with torch's gates i, f, g, o. forward(input, [h0, c0]?) → [output, [h_n, c_n]]. */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: RNNBaseOptions = {}) {
    super('LSTM', inputSize, hiddenSize, opts);
  }

  forward(input: Tensor, hx?: [Tensor, Tensor]): [Tensor, [Tensor, Tensor]] {
    const [h0, c0] = checkPair('LSTM', hx);
    this.checkInputs(input, [['h0', h0], ['c0', c0]]);
    const [out, h, c] = this.run(input, h0, c0);
    return [out, [h, c!]];
  }
}

/** Checks RNN's nonlinearity option (before any parameter is made). */
function checkNonlinearity(name: string, opts: unknown): void {
  const v = opts !== null && typeof opts === 'object' ? (opts as RNNOptions).nonlinearity : undefined;
  if (v !== undefined && v !== 'tanh' && v !== 'relu') throw new Error(`${name}: unknown nonlinearity ${describe(v)}; select from 'tanh' or 'relu'`);
}

/** LSTM's hx: undefined, or an array [h, c] of two tensors. */
function checkPair(name: string, hx: unknown): [Tensor | undefined, Tensor | undefined] {
  if (hx === undefined) return [undefined, undefined];
  if (!Array.isArray(hx) || hx.length !== 2 || hx.some((t) => t === undefined)) {
    throw new Error(`${name}: hx must be an array [h0, c0] of two tensors, got ${describe(hx)}`);
  }
  return [hx[0] as Tensor, hx[1] as Tensor];
}

/** What the cells share: weight_ih, weight_hh, bias_ih, bias_hh and the checks of one step. */
abstract class RNNCellBase extends Module {
  weight_ih: Tensor;
  weight_hh: Tensor;
  bias_ih: Tensor | null;
  bias_hh: Tensor | null;

  protected constructor(protected readonly kind: Kind, readonly inputSize: number, readonly hiddenSize: number, opts: RNNCellOptions, extra: Record<string, 'string'> = {}) {
    super();
    const name = `${kind}Cell`;
    const o = checkModuleOptions<RNNCellOptions>(name, opts, { bias: 'boolean', ...extra });
    if (kind === 'RNN') checkNonlinearity(name, o);
    checkSize(name, 'inputSize', inputSize);
    checkSize(name, 'hiddenSize', hiddenSize);
    const bound = 1 / Math.sqrt(hiddenSize);
    const rows = GATES[kind] * hiddenSize;
    this.weight_ih = uniformParam(name, [rows, inputSize], bound, o, 0);
    this.weight_hh = uniformParam(name, [rows, hiddenSize], bound, o, 1);
    const bias = o.bias ?? true;
    this.bias_ih = bias ? uniformParam(name, [rows], bound, o, 2) : null;
    this.bias_hh = bias ? uniformParam(name, [rows], bound, o, 3) : null;
  }

  /** Checks input (N, In) or (In) and the states (N, H) or (H) before any work. */
  protected checkInputs(input: unknown, states: Array<[string, unknown]>): input is Tensor {
    const name = `${this.kind}Cell`;
    const w = this.weight_ih;
    if (!(input instanceof Tensor)) throw new Error(`${name}: input must be a Tensor, got ${describe(input)}`);
    input.assertAlive(name);
    if (input.ndim !== 1 && input.ndim !== 2) throw new Error(`${name}: expected input to be 1-D or 2-D, got ${input.ndim}-D (shape ${fmtShape(input.shape)})`);
    if (input.shape[input.ndim - 1] !== this.inputSize) throw new Error(`${name}: input.size(-1) must be equal to inputSize ${this.inputSize}, got shape ${fmtShape(input.shape)}`);
    if (input.dtype !== w.dtype || input.device !== w.device) throw new Error(`${name}: input must be ${w.dtype} on ${w.device} as the weights, got ${input.dtype} on ${input.device}`);
    const want = input.ndim === 2 ? [input.shape[0], this.hiddenSize] : [this.hiddenSize];
    checkStates(name, states, want, input, w);
    return true;
  }

  /** One step on checked inputs; unbatched input runs as a batch of one. */
  protected step(input: Tensor, h: Tensor | undefined, c: Tensor | undefined, relu = false): [Tensor, Tensor | null] {
    return tidy(() => {
      const one = input.ndim === 1;
      const x = one ? input.unsqueeze(0) : input;
      const init = (s: Tensor | undefined): Tensor => (s ? (one ? s.unsqueeze(0) : s) : zeros([x.shape[0], this.hiddenSize], { device: x.device, dtype: x.dtype }));
      const h0 = init(h);
      const [h1, c1] = cellStep(this.kind, relu, project(x, this.weight_ih, this.bias_ih), project(h0, this.weight_hh, this.bias_hh), h0, this.kind === 'LSTM' ? init(c) : null);
      return one ? [h1.squeeze(0), c1 ? c1.squeeze(0) : null] : [h1, c1];
    });
  }
}

/** One Elman RNN step: forward(input, h?) → h'. */
export class RNNCell extends RNNCellBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, opts: RNNCellOptions = {}) {
    super('RNN', inputSize, hiddenSize, opts, { nonlinearity: 'string' });
    this.nonlinearity = opts.nonlinearity ?? 'tanh';
  }

  forward(input: Tensor, hx?: Tensor): Tensor {
    this.checkInputs(input, [['hx', hx]]);
    return this.step(input, hx, undefined, this.nonlinearity === 'relu')[0];
  }
}

/** One GRU step: forward(input, h?) → h'. */
export class GRUCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, opts: Omit<RNNCellOptions, 'nonlinearity'> = {}) {
    super('GRU', inputSize, hiddenSize, opts);
  }

  forward(input: Tensor, hx?: Tensor): Tensor {
    this.checkInputs(input, [['hx', hx]]);
    return this.step(input, hx, undefined)[0];
  }
}

/** One LSTM step: forward(input, [h, c]?) → [h', c']. */
export class LSTMCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, opts: Omit<RNNCellOptions, 'nonlinearity'> = {}) {
    super('LSTM', inputSize, hiddenSize, opts);
  }

  forward(input: Tensor, hx?: [Tensor, Tensor]): [Tensor, Tensor] {
    const [h, c] = checkPair('LSTMCell', hx);
    this.checkInputs(input, [['h', h], ['c', c]]);
    const [h1, c1] = this.step(input, h, c);
    return [h1, c1!];
  }
}
