// Differential fuzzing: seeded random chains of 1-4 ops over random shapes, layouts and
// dtypes, run on WebGPU and on the CPU backend, outputs and gradients compared. Used by
// test/fuzz/fuzz.test.ts (CI) and scripts/fuzz.mjs (long runs).
//
// A case is plain JSON: the input tensor (shape, dtype, seed, layout) and a list of ops
// whose parameters are resolved against the shape they meet at run time (dims modulo
// ndim, extra operands shaped from the current tensor). That keeps a case valid, or at
// least cleanly rejected by both backends, when the shrinker drops ops or shrinks dims.
//
// Discontinuous ops (comparisons, topk, max/argmax, float->int casts, amax) are only drawn
// on values both backends hold bit for bit: inputs are k/8 with |k| <= 16, and the
// generator tracks how many bits each value needs (q fraction bits, magnitude M) through
// exact ops (add, mul, sums, matmul...). Anything transcendental ends exactness.
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

// The ops the generator draws by name, as typed functions (no casts to index methods by name).
const BINARY_FNS: Record<string, (a: Tensor, b: Tensor | number) => Tensor> = {
  add: (a, b) => sg.add(a, b), sub: (a, b) => sg.sub(a, b), mul: (a, b) => sg.mul(a, b), div: (a, b) => sg.div(a, b),
  pow: (a, b) => sg.pow(a, b), maximum: (a, b) => sg.maximum(a, b as Tensor), minimum: (a, b) => sg.minimum(a, b as Tensor),
  eq: (a, b) => sg.eq(a, b), ne: (a, b) => sg.ne(a, b), lt: (a, b) => sg.lt(a, b), le: (a, b) => sg.le(a, b), gt: (a, b) => sg.gt(a, b), ge: (a, b) => sg.ge(a, b),
};
const UNARY_FNS: Record<string, (a: Tensor) => Tensor> = {
  neg: sg.neg, abs: sg.abs, relu: sg.relu, log: sg.log, sqrt: sg.sqrt, rsqrt: sg.rsqrt, sigmoid: sg.sigmoid, tanh: sg.tanh,
  gelu: (a) => sg.gelu(a), silu: sg.silu, exp: sg.exp,
};


type FDType = 'float32' | 'float16' | 'int32';
type Layout = 'c' | 'p' | 's' | 'o';

/** `specials`: how many NaN / ±Inf replace values of a float input, at seeded positions. */
export interface TensorSpec { shape: number[]; dtype: FDType; seed: number; layout: Layout; specials?: number }
export type Op = { kind: string; seed: number; [k: string]: unknown };
export interface FuzzCase { seed: number; input: TensorSpec; ops: Op[] }

export interface Meta { shape: number[]; dtype: FDType; q: number; M: number }

// ---- a tiny seeded generator (mulberry32) ----
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number { return Math.floor(this.next() * n); }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]; }
  bool(p = 0.5): boolean { return this.next() < p; }
  u32(): number { return Math.floor(this.next() * 4294967296) >>> 0; }
}

const BOUNDARY = [63, 64, 65, 255, 256, 257];
const MAX_NUMEL = 24_000;

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const bitsOf = (q: number, M: number): number => q + Math.ceil(Math.log2(M + 1));
const mantissa = (d: FDType): number => (d === 'float16' ? 11 : d === 'float32' ? 24 : 31);
/** True when both backends hold the value bit for bit (see the header comment). */
export const isExact = (m: Meta): boolean => Number.isFinite(m.q) && bitsOf(m.q, m.M) <= mantissa(m.dtype);
const INEXACT = Infinity;

function drawDim(r: Rng, empty: boolean): number {
  const p = r.next();
  if (p < 0.2) return 1;
  if (empty && p < 0.24) return 0;
  if (p < 0.33) return r.pick(BOUNDARY);
  return 2 + r.int(6);
}

export function drawShape(r: Rng, empty = true): number[] {
  const nd = r.pick([0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4]);
  const s = Array.from({ length: nd }, () => drawDim(r, empty));
  // Empty dims count as 1 here: a cat or expand later may fill them in.
  const bound = (): number => numel(s.map((v) => v || 1));
  while (bound() > MAX_NUMEL) s[s.indexOf(Math.max(...s))] = 2 + r.int(4);
  return s;
}

// ---- data ----

/** Seeded values: k/8 with |k| <= 16 for floats, -5..5 for ints, 0..hi-1 for indices. */
export function values(n: number, seed: number, kind: 'float' | 'int' | 'bool' | { hi: number }): number[] {
  const r = new Rng(seed);
  if (kind === 'float') return Array.from({ length: n }, () => (r.int(33) - 16) / 8);
  if (kind === 'int') return Array.from({ length: n }, () => r.int(11) - 5);
  if (kind === 'bool') return Array.from({ length: n }, () => r.int(2));
  return Array.from({ length: n }, () => r.int(kind.hi));
}

interface Env {
  dev: 'cpu' | 'webgpu';
  /** Leaves that require grad, in creation order: their gradients are compared. */
  leaves: Tensor[];
  /** Non-differentiable side outputs (indices) that are compared too. */
  sides: Tensor[];
  /** Whether float extras require grad (off while the generator probes on the CPU). */
  grad: boolean;
}

/** A tensor of `shape` whose layout is contiguous, permuted, stepped or offset. */
function make(env: Env, shape: number[], dtype: FDType, seed: number, layout: Layout, data: number[] | null = null, wantGrad = true, specials = 0): Tensor {
  const nd = shape.length;
  if (numel(shape) > 4 * MAX_NUMEL) throw new Error(`fuzz: operand of shape [${shape}] is too large`);
  const isF = dtype !== 'int32';
  const vals = (n: number): number[] => data ?? withSpecials(values(n, seed, isF ? 'float' : 'int'), isF ? specials : 0, seed);
  const leaf = (s: number[]): Tensor => {
    const t = sg.tensor(vals(numel(s)), { shape: s, dtype, device: env.dev });
    if (isF && env.grad && wantGrad) { t.requiresGrad_(true); env.leaves.push(t); }
    return t;
  };
  if (layout === 'p' && nd >= 2 && data === null) {
    // stored with the dims reversed, viewed back: every stride is "wrong"
    const rev = [...shape].reverse();
    const perm = rev.map((_, i) => nd - 1 - i);
    return leaf(rev).permute(perm);
  }
  if (layout === 's' && nd >= 1 && data === null) {
    const d = seed % nd;
    const big = [...shape];
    big[d] = shape[d] * 2 + 1;
    return leaf(big).slice(d, 1, undefined, 2);
  }
  if (layout === 'o' && nd >= 1 && data === null) {
    const big = [...shape];
    big[0] += 3;
    return leaf(big).narrow(0, 2, shape[0]);
  }
  return leaf(shape);
}

/** NaN, +Inf and -Inf at `count` seeded positions anywhere in `v` (not only the first). */
function withSpecials(v: number[], count: number, seed: number): number[] {
  if (count === 0 || v.length === 0) return v;
  const r = new Rng(seed ^ 0x7f4a7c15);
  for (let i = 0; i < count; i++) v[r.int(v.length)] = r.pick([NaN, NaN, Infinity, -Infinity]);
  return v;
}

const idxTensor = (env: Env, shape: number[], seed: number, hi: number): Tensor =>
  sg.tensor(new Int32Array(hi > 0 ? values(numel(shape), seed, { hi }) : new Array(numel(shape)).fill(0)), { shape, device: env.dev });

const dimOf = (raw: number, nd: number, neg: boolean): number => {
  const d = ((raw % nd) + nd) % nd;
  return neg ? d - nd : d;
};

/** Shape of a broadcast partner: some dims set to 1 (or grown where x has 1), leading dims dropped. */
function partnerShape(shape: readonly number[], op: Op): number[] {
  const mask = op.mask as number[];
  const s = shape.map((v, i) => (mask[i % mask.length] === 1 ? 1 : mask[i % mask.length] === 2 && v === 1 ? (op.grow as number) : v));
  return s.slice(Math.min(op.drop as number, s.length));
}

// ---- ops ----

interface OpDef {
  weight: number;
  /** Draw parameters for an input described by m, or null when the op does not apply. */
  draw(r: Rng, m: Meta, f16: boolean): Op | null;
  run(op: Op, x: Tensor, env: Env): Tensor;
  /** Exactness/magnitude of the result (its shape and dtype come from the real tensor). */
  acc(op: Op, m: Meta, out: Tensor): { q: number; M: number };
}

const isFloatD = (d: FDType): boolean => d !== 'int32';

const binDraw = (r: Rng, m: Meta, kind: string, fns: string[]): Op => ({
  kind, seed: r.u32(), fn: r.pick(fns),
  other: r.bool(0.3) ? 'scalar' : 'tensor',
  scalar: m.dtype === 'int32' ? r.pick([2, -3, 0, 1]) : r.pick([2, -0.5, 0.25, 3, 1.5]),
  swap: r.bool(0.3),
  mask: Array.from({ length: 4 }, () => r.pick([0, 0, 0, 1, 2])), grow: r.pick([2, 3, 64, 65]), drop: r.pick([0, 0, 0, 1, 2]),
  layout: r.pick<Layout>(['c', 'c', 'p', 's', 'o']),
});

function partner(op: Op, x: Tensor, env: Env, dtype: FDType = x.dtype as FDType): Tensor {
  return make(env, partnerShape(x.shape, op), dtype, op.seed, op.layout as Layout);
}

const OPS: Record<string, OpDef> = {
  binary: {
    weight: 6,
    // maximum/minimum split the gradient on ties, so like the other discontinuous ops they
    // need values both backends hold exactly (pow(4, 0.5) is 2 on one and 2.0000002 on the other).
    draw: (r, m) => binDraw(r, m, 'binary', [...(isFloatD(m.dtype) ? ['add', 'sub', 'mul', 'div', 'pow'] : ['add', 'sub', 'mul']), ...(isExact(m) ? ['maximum', 'minimum'] : [])]),
    run(op, x, env) {
      const fn = op.fn as string;
      const s = op.scalar as number;
      if (op.other === 'scalar' && fn !== 'maximum' && fn !== 'minimum') {
        if (fn === 'div') return op.swap ? sg.div(s, x.abs().add(0.5)) : x.div(s);
        if (fn === 'pow') {
          if (op.swap) return sg.pow(2, x);
          const e = s === 1.5 || s === 0.25 || s === -0.5 ? s : Math.round(s);
          return (Number.isInteger(e) && e >= 0 ? x : x.abs().add(0.5)).pow(e);
        }
        if (op.swap && fn === 'sub') return sg.sub(s, x);
        return BINARY_FNS[fn](x, s);
      }
      let o = partner(op, x, env);
      let a = x;
      // The divisor, whichever side it is on, stays at least 0.5 from zero: dividing by a
      // value near zero (a logSoftmax of ~1e-7) turns each backend's last-bit rounding into
      // a large difference that says nothing about either.
      if (fn === 'div' && !op.swap) o = o.abs().add(0.5);
      if (fn === 'div' && op.swap) a = x.abs().add(0.5);
      if (fn === 'pow') { a = x.abs().add(0.5); o = o.mul(0.5); }
      const [p, q] = op.swap ? [o, a] : [a, o];
      return BINARY_FNS[fn](p, q);
    },
    acc(op, m) {
      const fn = op.fn as string;
      const scalar = op.other === 'scalar' && fn !== 'maximum' && fn !== 'minimum';
      const oq = scalar ? (Number.isInteger(op.scalar) ? 0 : 2) : 3;
      const oM = scalar ? Math.abs(op.scalar as number) : 2;
      if (fn === 'add' || fn === 'sub') return { q: Math.max(m.q, oq), M: m.M + oM };
      if (fn === 'mul') return { q: m.q + oq, M: m.M * oM };
      if (fn === 'maximum' || fn === 'minimum') return { q: Math.max(m.q, oq), M: Math.max(m.M, oM) };
      if (fn === 'div') return { q: INEXACT, M: op.swap ? 6 : m.M * 4 };
      return { q: INEXACT, M: Math.max(8, (m.M + 0.5) ** 3, 2 ** m.M) };
    },
  },
  compare: {
    weight: 2,
    draw: (r, m) => (isExact(m) ? binDraw(r, m, 'compare', ['eq', 'ne', 'lt', 'le', 'gt', 'ge']) : null),
    run(op, x, env) {
      const fn = op.fn as string;
      const o: Tensor | number = op.other === 'scalar' ? (op.scalar as number) : partner(op, x, env);
      // Comparisons give bool; the chain goes on in int32, the fuzzer's integer dtype.
      return BINARY_FNS[fn](x, o).int();
    },
    acc: () => ({ q: 0, M: 1 }),
  },
  unary: {
    weight: 5,
    draw: (r, m) => {
      const fns = isFloatD(m.dtype)
        ? ['neg', 'abs', 'relu', 'log', 'sqrt', 'rsqrt', 'sigmoid', 'tanh', 'gelu', 'geluTanh', 'silu', ...(m.M <= 10 ? ['exp'] : [])]
        : ['neg', 'abs', 'relu'];
      return { kind: 'unary', seed: 0, fn: r.pick(fns) };
    },
    run(op, x) {
      const fn = op.fn as string;
      if (fn === 'geluTanh') return x.gelu('tanh');
      // domain-safe inputs for the functions that need x > 0
      if (fn === 'log' || fn === 'sqrt' || fn === 'rsqrt') return UNARY_FNS[fn](x.abs().add(0.5));
      return UNARY_FNS[fn](x);
    },
    acc(op, m) {
      const fn = op.fn as string;
      if (fn === 'neg' || fn === 'abs' || fn === 'relu') return { q: m.q, M: m.M };
      if (fn === 'exp') return { q: INEXACT, M: Math.exp(m.M) };
      if (fn === 'sigmoid' || fn === 'tanh') return { q: INEXACT, M: 1 };
      if (fn === 'rsqrt') return { q: INEXACT, M: 1.5 };
      return { q: INEXACT, M: Math.max(1, m.M + 1) };
    },
  },
  where: {
    weight: 1,
    draw: (r, m) => ({ ...binDraw(r, m, 'where', ['where']), condMask: Array.from({ length: 4 }, () => r.pick([0, 0, 1])) }),
    run(op, x, env) {
      const cs = partnerShape(x.shape, { ...op, mask: op.condMask as number[], drop: 0 });
      const cond = sg.tensor(new Int32Array(values(numel(cs), op.seed + 7, 'bool')), { shape: cs, device: env.dev });
      const o: Tensor | number = op.other === 'scalar' ? (op.scalar as number) : partner(op, x, env);
      return op.swap ? sg.where(cond, o, x) : sg.where(cond, x, o);
    },
    acc: (op, m) => ({ q: Math.max(m.q, op.other === 'scalar' ? 2 : 3), M: Math.max(m.M, Math.abs(op.scalar as number), 2) }),
  },
  cast: {
    weight: 1,
    draw(r, m, f16) {
      const to: FDType[] = m.dtype === 'int32' ? ['float32', ...(f16 ? ['float16' as const] : [])]
        : [...(isExact(m) ? ['int32' as const] : []), ...(f16 ? (m.dtype === 'float16' ? ['float32' as const] : isExact(m) ? ['float16' as const] : []) : [])];
      return to.length ? { kind: 'cast', seed: 0, to: r.pick(to) } : null;
    },
    run: (op, x) => x.cast(op.to as FDType),
    acc: (op, m) => (op.to === 'int32' ? { q: 0, M: Math.floor(m.M) } : { q: m.q, M: m.M }),
  },
  reduce: {
    weight: 4,
    draw: (r, m) => {
      const fns = m.dtype === 'int32' ? ['sum', 'amax', 'amin'] : ['sum', 'sum', 'mean', ...(isExact(m) ? ['amax', 'amin'] : [])];
      return { kind: 'reduce', seed: 0, fn: r.pick(fns), all: r.bool(0.2), dims: Array.from({ length: 1 + r.int(3) }, () => r.int(4)), neg: r.bool(0.3), keepdim: r.bool() };
    },
    run(op, x) {
      const fn = op.fn as string;
      if (fn === 'amax' || fn === 'amin') return fn === 'amax' ? x.max() : x.min();
      const nd = x.ndim;
      const dims = op.all || nd === 0 ? undefined : [...new Set((op.dims as number[]).map((d) => dimOf(d, nd, false)))].map((d) => (op.neg ? d - nd : d));
      return fn === 'sum' ? x.sum(dims, op.keepdim as boolean) : x.mean(dims, op.keepdim as boolean);
    },
    acc(op, m, out) {
      if (op.fn === 'amax' || op.fn === 'amin') return { q: m.q, M: m.M };
      const n = Math.max(1, numel(m.shape) / Math.max(1, out.numel));
      return { q: op.fn === 'mean' ? INEXACT : m.q, M: op.fn === 'mean' ? m.M : m.M * n };
    },
  },
  maxdim: {
    weight: 2,
    draw: (r, m) => (isExact(m) && m.shape.length > 0 ? { kind: 'maxdim', seed: 0, fn: r.pick(['max', 'min', 'argmax']), dim: r.int(4), neg: r.bool(0.3), keepdim: r.bool() } : null),
    run(op, x, env) {
      const d = dimOf(op.dim as number, x.ndim, op.neg as boolean);
      if (op.fn === 'argmax') return x.argmax(d, op.keepdim as boolean);
      const { values: v, indices } = op.fn === 'max' ? x.max(d, op.keepdim as boolean) : x.min(d, op.keepdim as boolean);
      env.sides.push(indices);
      return v;
    },
    acc: (op, m) => (op.fn === 'argmax' ? { q: 0, M: 300 } : { q: m.q, M: m.M }),
  },
  view: {
    weight: 6,
    draw(r, m) {
      const nd = m.shape.length;
      const fns = nd === 0 ? ['unsqueeze', 'reshape', 'expand'] : ['permute', 'transpose', 'slice', 'narrow', 'expand', 'unsqueeze', 'squeeze', 'reshape', 'flatten', 'contiguous', 'chunk', 'split'];
      return {
        kind: 'view', seed: r.u32(), fn: r.pick(fns), d0: r.int(5), d1: r.int(5), neg: r.bool(0.3),
        start: r.pick([0, 1, 2, -3, 5]), end: r.pick([undefined, -1, 3, 70, 1000]), step: r.pick([1, 2, 3, 7]),
        frac: r.next(), frac2: r.next(), grow: r.pick([2, 3, 65]), lead: r.int(2), parts: 1 + r.int(4),
      };
    },
    run(op, x) {
      const nd = x.ndim;
      const fn = op.fn as string;
      const d0 = nd ? dimOf(op.d0 as number, nd, op.neg as boolean) : 0;
      const d1 = nd ? dimOf(op.d1 as number, nd, false) : 0;
      const size = nd ? x.shape[d0 < 0 ? d0 + nd : d0] : 1;
      switch (fn) {
        case 'permute': {
          const r = new Rng(op.seed);
          const p = Array.from({ length: nd }, (_, i) => i);
          for (let i = nd - 1; i > 0; i--) { const j = r.int(i + 1); [p[i], p[j]] = [p[j], p[i]]; }
          return x.permute(p);
        }
        case 'transpose': return x.transpose(d0, d1);
        case 'slice': return x.slice(d0, op.start as number, op.end as number | undefined, op.step as number);
        case 'narrow': {
          const st = Math.floor((op.frac as number) * (size + 1));
          return x.narrow(d0, st, Math.floor((op.frac2 as number) * (size - st + 1)));
        }
        case 'expand': {
          const to = x.shape.map((s) => (s === 1 ? (op.grow as number) : s));
          const lead = op.lead ? [op.grow as number] : [];
          const full = [...lead, ...to];
          if (numel(full) > MAX_NUMEL) return x.expand([...x.shape]);
          return x.expand(full);
        }
        case 'unsqueeze': return x.unsqueeze(((op.d0 as number) % (nd + 1)) - (op.neg ? nd + 1 : 0));
        case 'squeeze': return op.frac as number < 0.3 ? x.squeeze() : x.squeeze(d0);
        case 'reshape': {
          if (nd === 0) return x.reshape([1, 1]);
          // merge d0 with its neighbour, or split it in two when it factors
          const s = [...x.shape];
          const d = d0 < 0 ? d0 + nd : d0;
          if ((op.frac as number) < 0.5 && d + 1 < nd) { s.splice(d, 2, s[d] * s[d + 1]); return x.reshape(s); }
          const f = [2, 3, 4, 5].find((k) => s[d] % k === 0 && s[d] > k);
          if (f) { s.splice(d, 1, f, -1); return x.reshape(s); }
          return x.reshape([-1]);
        }
        case 'flatten': return x.flatten(Math.min(d0 < 0 ? d0 + nd : d0, d1), Math.max(d0 < 0 ? d0 + nd : d0, d1));
        case 'contiguous': return x.contiguous();
        case 'chunk': { const cs = x.chunk(op.parts as number, d0); return cs[Math.floor((op.frac as number) * cs.length)]; }
        default: { const cs = x.split(Math.max(1, Math.floor((op.frac2 as number) * size)), d0); return cs[Math.floor((op.frac as number) * cs.length)]; }
      }
    },
    acc: (_op, m) => ({ q: m.q, M: m.M }),
  },
  matmul: {
    weight: 3,
    draw: (r, m) => (isFloatD(m.dtype) && m.shape.length >= 1 ? {
      kind: 'matmul', seed: r.u32(), variant: r.pick(['mat', 'mat', 'batch', 'vec', 'bmm']), n: r.pick([1, 2, 3, 5, 7, 16, 63, 64, 65]),
      layout: r.pick<Layout>(['c', 'c', 'p', 's']), mask: [r.pick([0, 1]), r.pick([0, 1])], swap: r.bool(0.2),
    } : null),
    run(op, x, env) {
      const k = x.shape[x.ndim - 1];
      const n = op.n as number;
      const lay = op.layout as Layout;
      const dt = x.dtype as FDType;
      if (op.variant === 'vec') return x.matmul(make(env, [k], dt, op.seed, lay));
      if (op.variant === 'bmm' && x.ndim === 3) return x.bmm(make(env, [x.shape[0], k, n], dt, op.seed, lay));
      if (op.variant === 'batch' && x.ndim >= 3) {
        const batch = x.shape.slice(0, -2).map((b, i) => ((op.mask as number[])[i % 2] ? 1 : b));
        return x.matmul(make(env, [...batch, k, n], dt, op.seed, lay));
      }
      if (op.swap && x.ndim >= 2) {
        // other @ x: contracts over x's rows
        const m2 = x.shape[x.ndim - 2];
        return make(env, [n, m2], dt, op.seed, lay).matmul(x);
      }
      return x.matmul(make(env, [k, n], dt, op.seed, lay));
    },
    acc: (_op, m) => {
      const k = m.shape[m.shape.length - 1] ?? 1;
      return { q: m.q + 3, M: m.M * 2 * Math.max(k, m.shape[m.shape.length - 2] ?? 1) };
    },
  },
  softmax: {
    weight: 2,
    draw: (r, m) => (isFloatD(m.dtype) ? { kind: 'softmax', seed: 0, fn: r.pick(['softmax', 'logSoftmax']), dim: r.int(4), neg: r.bool(0.3) } : null),
    run: (op, x) => {
      const d = dimOf(op.dim as number, Math.max(1, x.ndim), op.neg as boolean);
      return op.fn === 'softmax' ? x.softmax(d) : x.logSoftmax(d);
    },
    acc: (op, m) => ({ q: INEXACT, M: op.fn === 'softmax' ? 1 : 2 * m.M + 7 }),
  },
  gather: {
    weight: 2,
    draw: (r, m) => (m.shape.length >= 1 ? {
      kind: 'gather', seed: r.u32(), fn: r.pick(['gather', 'indexSelect', 'indexAdd']), dim: r.int(4), neg: r.bool(0.3),
      len: r.pick([0, 1, 2, 5, 64, 65]), shrink: Array.from({ length: 4 }, () => r.pick([0, 0, 1])), alpha: r.pick([1, 2, -0.5]),
      layout: r.pick<Layout>(['c', 'c', 'p', 's']),
    } : null),
    run(op, x, env) {
      const nd = x.ndim;
      const d = dimOf(op.dim as number, nd, op.neg as boolean);
      const dd = d < 0 ? d + nd : d;
      const size = x.shape[dd];
      const len = op.len as number;
      if (op.fn === 'gather') {
        const ishape = x.shape.map((s, i) => (i === dd ? len : (op.shrink as number[])[i % 4] ? Math.min(s, 1) : s));
        return x.gather(d, idxTensor(env, ishape, op.seed, size));
      }
      const idx = idxTensor(env, [len], op.seed, size);
      if (op.fn === 'indexSelect') return x.indexSelect(d, idx);
      const sshape = x.shape.map((s, i) => (i === dd ? len : s));
      const alpha = x.dtype === 'int32' ? Math.round(op.alpha as number) || 1 : (op.alpha as number);
      return x.indexAdd(d, idx, make(env, sshape, x.dtype as FDType, op.seed + 1, op.layout as Layout), alpha);
    },
    acc: (op, m) => (op.fn === 'indexAdd' ? { q: Math.max(m.q, 4), M: m.M + 2 * (op.len as number) * 2 } : { q: m.q, M: m.M }),
  },
  join: {
    weight: 2,
    draw: (r, m) => ({ kind: 'join', seed: r.u32(), fn: r.pick(['cat', 'cat', 'stack']), dim: r.int(5), neg: r.bool(0.3), sizes: [r.pick([0, 1, 3, 64]), r.pick([1, 2])], count: 1 + r.int(2), layout: r.pick<Layout>(['c', 'p', 's', 'o']) }),
    run(op, x, env) {
      const nd = x.ndim;
      const count = op.count as number;
      const dt = x.dtype as FDType;
      if (op.fn === 'stack') {
        const d = dimOf(op.dim as number, nd + 1, op.neg as boolean);
        const others = Array.from({ length: count }, (_, i) => make(env, [...x.shape], dt, op.seed + i, op.layout as Layout));
        return sg.stack([x, ...others], d);
      }
      if (nd === 0) return sg.cat([x.reshape([1]), make(env, [2], dt, op.seed, 'c')]);
      const d = dimOf(op.dim as number, nd, op.neg as boolean);
      const dd = d < 0 ? d + nd : d;
      const others = Array.from({ length: count }, (_, i) => make(env, x.shape.map((s, k) => (k === dd ? (op.sizes as number[])[i] : s)), dt, op.seed + i, op.layout as Layout));
      return sg.cat([x, ...others], d);
    },
    acc: (_op, m) => ({ q: Math.max(m.q, 3), M: Math.max(m.M, 2) }),
  },
  topk: {
    weight: 2,
    draw: (r, m) => (isExact(m) ? { kind: 'topk', seed: 0, frac: r.next(), dim: r.int(4), neg: r.bool(0.3), largest: r.bool(0.7) } : null),
    run(op, x, env) {
      const d = x.ndim ? dimOf(op.dim as number, x.ndim, op.neg as boolean) : -1;
      const n = x.ndim ? x.shape[d < 0 ? d + x.ndim : d] : 1;
      const k = x.ndim ? Math.floor((op.frac as number) * (n + 1)) : 1;
      const { values: v, indices } = x.topk(Math.min(k, n), d, op.largest as boolean);
      env.sides.push(indices);
      return v;
    },
    acc: (_op, m) => ({ q: m.q, M: m.M }),
  },
  xent: {
    weight: 1,
    draw: (r, m) => (isFloatD(m.dtype) && (m.shape.length === 2 || m.shape.length === 1) ? { kind: 'xent', seed: r.u32(), reduction: r.pick(['mean', 'sum', 'none']) } : null),
    run(op, x, env) {
      const C = x.shape[x.ndim - 1];
      const tshape = x.ndim === 2 ? [x.shape[0]] : [];
      return sg.crossEntropy(x, idxTensor(env, tshape, op.seed, C), { reduction: op.reduction as 'mean' });
    },
    acc: (_op, m) => ({ q: INEXACT, M: 2 * m.M + 7 }),
  },
};

const KINDS = Object.keys(OPS);
const TOTAL_WEIGHT = KINDS.reduce((a, k) => a + OPS[k].weight, 0);

function pickKind(r: Rng): string {
  let x = r.next() * TOTAL_WEIGHT;
  for (const k of KINDS) { x -= OPS[k].weight; if (x < 0) return k; }
  return KINDS[0];
}

export interface DrawOptions { f16: boolean; maxOps?: number }

function inputMeta(s: TensorSpec): Meta {
  return { shape: s.shape, dtype: s.dtype, q: s.dtype === 'int32' ? 0 : 3, M: s.dtype === 'int32' ? 5 : 2 };
}

const MAX_M = { float32: 1e6, float16: 1e4, int32: 1e8 };

/** Draws a case whose chain runs on the CPU (each op is tried there while drawing). */
export function drawCase(seed: number, o: DrawOptions): FuzzCase {
  const r = new Rng(seed);
  const dtype: FDType = r.pick(['float32', 'float32', 'float32', 'float32', 'int32', ...(o.f16 ? ['float16' as const] : [])]);
  const input: TensorSpec = { shape: drawShape(r), dtype, seed: r.u32(), layout: r.pick<Layout>(['c', 'c', 'p', 's', 'o']) };
  // A quarter of the float cases carry NaN or ±Inf somewhere in their input.
  if (dtype !== 'int32' && r.bool(0.25)) input.specials = 1 + r.int(3);
  const nops = 1 + r.int(o.maxOps ?? 4);
  const ops: Op[] = [];
  sg.tidy(() => {
    const env: Env = { dev: 'cpu', leaves: [], sides: [], grad: false };
    let x = make(env, input.shape, dtype, input.seed, input.layout, null, true, input.specials);
    let m = inputMeta(input);
    for (let i = 0; i < nops; i++) {
      for (let tries = 0; tries < 30; tries++) {
        const kind = pickKind(r);
        const op = OPS[kind].draw(r, m, o.f16);
        if (!op) continue;
        let y: Tensor;
        try { y = OPS[kind].run(op, x, env); } catch { continue; }
        const acc = OPS[kind].acc(op, m, y);
        const next: Meta = { shape: [...y.shape], dtype: y.dtype as FDType, q: y.dtype === 'int32' ? 0 : acc.q, M: acc.M };
        if (y.numel > MAX_NUMEL || next.M > MAX_M[next.dtype]) continue;
        ops.push(op);
        x = y;
        m = next;
        break;
      }
    }
  });
  return { seed, input, ops };
}

// ---- running and comparing ----

export interface RunResult {
  out: { shape: number[]; dtype: string; data: ArrayLike<number> };
  sides: Array<{ shape: number[]; data: ArrayLike<number> }>;
  grads: Array<{ shape: number[]; dtype: string; data: ArrayLike<number> } | null>;
}

/** Runs the case on `dev`: forward, then backward with a seeded upstream gradient. */
export async function runCase(c: FuzzCase, dev: 'cpu' | 'webgpu'): Promise<RunResult> {
  const env: Env = { dev, leaves: [], sides: [], grad: true };
  const res = sg.tidy(() => {
    let x = make(env, c.input.shape, c.input.dtype, c.input.seed, c.input.layout, null, true, c.input.specials);
    for (const op of c.ops) x = OPS[op.kind].run(op, x, env);
    let grads: Array<Tensor | null> = [];
    if (x.requiresGrad) {
      const up = sg.tensor(values(x.numel, c.seed ^ 0x5bd1e995, 'float'), { shape: x.shape, dtype: x.dtype, device: dev });
      x.backward(up);
      grads = env.leaves.map((l) => { const g = l.grad; l.grad = null; return g; });
    }
    return { out: x, sides: env.sides, grads };
  });
  const all = [res.out, ...res.sides, ...res.grads];
  try {
    const read = async (t: Tensor) => ({ shape: [...t.shape], dtype: t.dtype, data: await t.toArray() });
    return {
      out: await read(res.out),
      sides: await Promise.all(res.sides.map(read)),
      grads: await Promise.all(res.grads.map((g) => (g ? read(g) : null))),
    };
  } finally {
    for (const t of all) t?.dispose();
  }
}

export interface Failure { kind: string; message: string }

/**
 * An in-place change between forward and backward must never change a gradient silently:
 * after a seeded add_/mul_/fill_ on one of the chain's tensors (a leaf, the input view or an
 * intermediate), backward either refuses (a saved tensor changed: PyTorch's version error) or
 * gives exactly the gradients of the untouched chain. Returns a failure message or null.
 */
export async function checkInPlace(c: FuzzCase, dev: 'cpu' | 'webgpu'): Promise<string | null> {
  let ref: RunResult;
  try { ref = await runCase(c, dev); } catch { return null; }
  if (ref.grads.length === 0) return null;
  const env: Env = { dev, leaves: [], sides: [], grad: true };
  const r = new Rng(c.seed ^ 0x2545f491);
  let err: string | null = null;
  const grads = sg.tidy(() => {
    let x = make(env, c.input.shape, c.input.dtype, c.input.seed, c.input.layout, null, true, c.input.specials);
    const chain = [x];
    for (const op of c.ops) { x = OPS[op.kind].run(op, x, env); chain.push(x); }
    const targets = [...env.leaves, ...chain.slice(0, -1)].filter((t) => t.dtype !== 'int32' && t.numel > 0);
    if (!x.requiresGrad || targets.length === 0) return null;
    const target = r.pick(targets);
    const how = r.pick(['add_', 'mul_', 'fill_']);
    try {
      sg.noGrad(() => (how === 'add_' ? target.add_(0.5) : how === 'mul_' ? target.mul_(2) : target.fill_(3)));
    } catch (e) {
      // An expanded view (stride 0) cannot take add_/mul_ in place, as in PyTorch: a refusal, not a failure.
      if (/^(add_|mul_): unsupported operation: more than one element of the written-to tensor refers to a single memory location/.test((e as Error).message)) return null;
      throw e;
    }
    const up = sg.tensor(values(x.numel, c.seed ^ 0x5bd1e995, 'float'), { shape: x.shape, dtype: x.dtype, device: dev });
    try {
      x.backward(up);
    } catch (e) {
      const m = (e as Error).message;
      if (!/^backward: one of the variables needed for gradient computation has been modified by an inplace operation/.test(m)) err = `${how} on a tensor of shape [${target.shape}] made backward throw: ${m}`;
      return null;
    }
    return env.leaves.map((l) => { const g = l.grad; l.grad = null; return g; });
  });
  if (err || !grads) return err;
  try {
    for (let i = 0; i < grads.length; i++) {
      const a = grads[i];
      const b = ref.grads[i];
      if (!a || !b) { if (a || b) return `leaf ${i}: gradient present in one run only after an in-place change`; continue; }
      const m = compare(`grad of leaf ${i} after an in-place change that backward accepted`, { shape: [...a.shape], data: await a.toArray() }, b, b.dtype);
      if (m) return m;
    }
    return null;
  } finally {
    for (const g of grads) g?.dispose();
  }
}

function tolOf(dtype: string): { rtol: number; atol: number } {
  if (dtype === 'int32') return { rtol: 0, atol: 0 };
  if (dtype === 'float16') return { rtol: 2e-2, atol: 2e-2 };
  return { rtol: 2e-4, atol: 2e-4 };
}

/** Elementwise |a-e| <= atol·scale + rtol·|e| (scale = max(1, max|e|)); NaN and ±Inf must match. */
function compare(what: string, a: { shape: number[]; data: ArrayLike<number> }, e: { shape: number[]; data: ArrayLike<number> }, dtype: string): string | null {
  if (a.shape.join() !== e.shape.join()) return `${what}: shape [${a.shape}] on WebGPU, [${e.shape}] on the CPU`;
  const { rtol, atol } = tolOf(dtype);
  let scale = 1;
  for (let i = 0; i < e.data.length; i++) if (Number.isFinite(e.data[i])) scale = Math.max(scale, Math.abs(e.data[i]));
  let bad = 0;
  let worst = -1;
  let worstErr = -Infinity;
  for (let i = 0; i < e.data.length; i++) {
    const x = a.data[i];
    const y = e.data[i];
    if (Object.is(x, y) || x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
    const err = Math.abs(x - y) - (atol * scale + rtol * Math.abs(y));
    if (!(err <= 0)) { bad++; if (worst < 0 || !(err <= worstErr)) { worst = i; worstErr = err; } }
  }
  if (!bad) return null;
  return `${what}: ${bad}/${e.data.length} elements differ; worst at flat index ${worst}: WebGPU ${a.data[worst]}, CPU ${e.data[worst]} (rtol ${rtol}, atol ${atol}·${scale.toPrecision(3)})`;
}

/** Whether any value of the case passes through float16. */
const halfChain = (c: FuzzCase): boolean => c.input.dtype === 'float16' || c.ops.some((o) => o.to === 'float16');

export type Verdict = { ok: true; rejected?: string } | { ok: false; failure: Failure };

/** Runs a case on both backends and compares; also checks that it leaves no live tensors behind. */
export async function checkCase(c: FuzzCase): Promise<Verdict> {
  const before = sg.memory().liveTensors;
  let cpu: RunResult | null = null;
  let gpu: RunResult | null = null;
  let cpuErr: string | null = null;
  let gpuErr: string | null = null;
  try { cpu = await runCase(c, 'cpu'); } catch (e) { cpuErr = (e as Error).message; }
  try { gpu = await runCase(c, 'webgpu'); } catch (e) { gpuErr = (e as Error).message; }
  // > 0 only: the FinalizationRegistry may free other code's forgotten tensors meanwhile.
  const leaked = sg.memory().liveTensors - before;
  if (leaked > 0) return { ok: false, failure: { kind: 'leak', message: `${leaked} tensors still live after the case was disposed` } };
  if (cpuErr !== null || gpuErr !== null) {
    const norm = (m: string): string => m.replace(/webgpu|cpu/gi, 'DEV');
    if (cpuErr !== null && gpuErr !== null && norm(cpuErr) === norm(gpuErr)) return { ok: true, rejected: cpuErr };
    if (cpuErr !== null && gpuErr !== null) return { ok: false, failure: { kind: 'error', message: `different errors: CPU ${JSON.stringify(cpuErr)}, WebGPU ${JSON.stringify(gpuErr)}` } };
    return { ok: false, failure: { kind: 'error', message: cpuErr !== null ? `only the CPU threw: ${cpuErr}` : `only WebGPU threw: ${gpuErr}` } };
  }
  const g = gpu!;
  const e = cpu!;
  if (g.out.dtype !== e.out.dtype) return { ok: false, failure: { kind: 'dtype', message: `output dtype ${g.out.dtype} on WebGPU, ${e.out.dtype} on the CPU` } };
  const m = compare('output', g.out, e.out, e.out.dtype);
  if (m) return { ok: false, failure: { kind: 'output', message: m } };
  for (let i = 0; i < e.sides.length; i++) {
    const s = compare(`indices ${i}`, g.sides[i], e.sides[i], 'int32');
    if (s) return { ok: false, failure: { kind: 'indices', message: s } };
  }
  if (g.grads.length !== e.grads.length) return { ok: false, failure: { kind: 'grad', message: `${g.grads.length} gradients on WebGPU, ${e.grads.length} on the CPU` } };
  for (let i = 0; i < e.grads.length; i++) {
    const a = g.grads[i];
    const b = e.grads[i];
    if (!a || !b) {
      if (a || b) return { ok: false, failure: { kind: 'grad', message: `leaf ${i}: gradient ${a ? 'present' : 'missing'} on WebGPU, ${b ? 'present' : 'missing'} on the CPU` } };
      continue;
    }
    // A float32 leaf whose gradient came back through float16 ops carries float16's rounding.
    const s = compare(`grad of leaf ${i}`, a, b, halfChain(c) && b.dtype !== 'int32' ? 'float16' : b.dtype);
    if (s) return { ok: false, failure: { kind: 'grad', message: s } };
  }
  return { ok: true };
}

// ---- shrinking and printing ----

function* candidates(c: FuzzCase): Generator<FuzzCase> {
  for (let i = 0; i < c.ops.length; i++) yield { ...c, ops: c.ops.filter((_, j) => j !== i) };
  const s = c.input.shape;
  for (let d = 0; d < s.length; d++) {
    const opts = [...new Set([Math.floor(s[d] / 2), 1, s[d] - 1, 2].filter((v) => v >= 0 && v < s[d]))];
    for (const v of opts) yield { ...c, input: { ...c.input, shape: s.map((x, k) => (k === d ? v : x)) } };
    yield { ...c, input: { ...c.input, shape: s.filter((_, k) => k !== d) } };
  }
  if (c.input.layout !== 'c') yield { ...c, input: { ...c.input, layout: 'c' } };
  if (c.input.specials) yield { ...c, input: { ...c.input, specials: 0 } };
}

/** How `c` fails in the way `kind` names, or null when it does not. */
async function failureOf(c: FuzzCase, kind: string): Promise<string | null> {
  if (kind === 'inplace') {
    for (const dev of ['cpu', 'webgpu'] as const) {
      const m = await checkInPlace(c, dev);
      if (m) return `[${dev}] ${m}`;
    }
    return null;
  }
  const v = await checkCase(c);
  return !v.ok && v.failure.kind === kind ? v.failure.message : null;
}

/** Greedy shrinking: drop ops, shrink or drop dims, plain layout, while the case still fails the same way. */
export async function shrink(c: FuzzCase, kind: string, budget = 200): Promise<FuzzCase> {
  let cur = c;
  let progress = true;
  while (progress && budget > 0) {
    progress = false;
    for (const cand of candidates(cur)) {
      if (--budget < 0) break;
      if ((await failureOf(cand, kind)) !== null) { cur = cand; progress = true; break; }
    }
  }
  return cur;
}

export function describe(c: FuzzCase): string {
  const ops = c.ops.map((o) => {
    const { kind, seed, ...rest } = o;
    const fn = typeof rest.fn === 'string' ? rest.fn : kind;
    delete rest.fn;
    return `${kind}.${fn}${seed ? `#${seed}` : ''} ${JSON.stringify(rest)}`;
  });
  return `input ${c.input.dtype} [${c.input.shape}] layout ${c.input.layout} seed ${c.input.seed}${c.input.specials ? ` with ${c.input.specials} NaN/Inf` : ''}\n  ` + ops.join('\n  ');
}

/** One full report for a failing case, with its shrunk version. */
export async function report(c: FuzzCase, f: Failure): Promise<string> {
  const small = await shrink(c, f.kind);
  const why = (await failureOf(small, f.kind)) ?? '(shrunk case passes?)';
  return [
    `fuzz case seed ${c.seed} failed (${f.kind}): ${f.message}`,
    `  ${describe(c)}`,
    `shrunk: ${why}`,
    `  ${describe(small)}`,
    `replay: checkCase(${JSON.stringify(small)})`,
  ].join('\n');
}

export function hasF16(): boolean {
  return sg.deviceInfo().features.includes('shader-f16');
}

export interface FuzzOptions { cases: number; seed: number; onCase?: (i: number, failures: number, rejected: number) => void; maxFailures?: number }

/** Runs `cases` cases from `seed`; returns the failure reports and the rejections by message. */
export async function fuzz(o: FuzzOptions): Promise<{ reports: string[]; rejected: Map<string, number>; ran: number }> {
  const f16 = hasF16();
  const reports: string[] = [];
  const rejected = new Map<string, number>();
  let i = 0;
  for (; i < o.cases; i++) {
    const c = drawCase((o.seed + i * 0x9e3779b1) >>> 0, { f16 });
    let v = await checkCase(c);
    // Every fourth case also gets an in-place change between its forward and backward.
    if (v.ok && !v.rejected && i % 4 === 0) {
      for (const dev of ['cpu', 'webgpu'] as const) {
        const m = await checkInPlace(c, dev);
        if (m) { v = { ok: false, failure: { kind: 'inplace', message: `[${dev}] ${m}` } }; break; }
      }
    }
    if (!v.ok) {
      reports.push(await report(c, v.failure));
      if (reports.length >= (o.maxFailures ?? 20)) { i++; break; }
    } else if (v.rejected) {
      const key = v.rejected.replace(/\d+/g, 'N').slice(0, 120);
      rejected.set(key, (rejected.get(key) ?? 0) + 1);
    }
    o.onCase?.(i + 1, reports.length, [...rejected.values()].reduce((a, b) => a + b, 0));
  }
  return { reports, rejected, ran: i };
}

/** For scripts/fuzz.mjs: the WebGPU device (required) and whether float16 is on. */
export async function initBackends(): Promise<{ adapter: string; f16: boolean }> {
  const info = await sg.init({ backend: 'webgpu', quiet: true });
  return { adapter: info.adapter ?? 'unknown', f16: hasF16() };
}

export async function done(): Promise<void> {
  await sg.destroy();
}
