// scaledDotProductAttention, after torch.nn.functional.scaled_dot_product_attention: one
// fused autograd Function. Forward walks each query row's keys once with an online softmax
// and keeps only the output and the row's max and log-denominator; backward recomputes the
// probabilities from q, k and those two (no L×S matrix is ever stored, unless a float mask needs its
// own gradient). The semantics are those of PyTorch's math backend:
//   scores = q·kᵀ·scale + mask (a boolean mask or isCausal adds −∞ where false),
//   P = softmax(scores) with rows whose scores are all −∞ giving 0 (PyTorch's _safe_softmax),
//   out = dropout(P)·v,
// so a NaN score anywhere in a row (even at a masked position) makes the row NaN, and a NaN
// in v reaches every row through 0·NaN, as in the reference formula.
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { checkOptions, contiguousStrides, describe, fmtShape } from '../tensor/shape.js';
import { rand } from '../tensor/create.js';
import { wgslType } from '../tensor/dtype.js';
import { coalesce } from './map.js';
import { reduceRaw } from './reduce.js';
import { copyRaw } from './elementwise.js';
import { contiguous, expand, full } from './view.js';
import { checkInput, storer } from './rows.js';
import { gpuBackward, gpuForward } from './attention-rows-wgsl.js';
import { repeatInterleave } from './rearrange.js';

const OP = 'scaledDotProductAttention';
const FLOATS = ['float32', 'float16', 'float64'];
/** The most batch dims the kernels take after merging (the WGSL uniform block holds four). */
export const MAX_BATCH_DIMS = 4;

/** One batch dim of the problem: its size and, per operand (q, k, v, mask), its stride and
 * whether the operand has this dim (false where it is broadcast: its gradient sums over it). */
interface PDim { size: number; str: number[]; idx: boolean[] }

/** A tensor's two inner dims as a kernel reads them: row stride, column stride, offset. */
export interface Inner { rs: number; cs: number; off: number }

export interface AttnPlan {
  L: number; S: number; E: number; Ev: number;
  /** Problem batch dims (GQA's head dim split into (kv heads, group)), and their product. */
  dims: PDim[]; nb: number;
  /** The merged batch dims the kernels walk, with per-operand strides. */
  bshape: number[]; bstr: number[][];
  q: Inner; k: Inner; v: Inner; m: Inner | null;
  maskKind: 'none' | 'float' | 'bool';
  causal: boolean; scale: number;
  /** Dropout: keep (i, j) when hash >> 8 >= dropT (dropT = 0: no dropout); kept values scale by dropScale. */
  seed: number; dropT: number; dropScale: number;
  outBatch: number[];
  /** enableGqa with group sizes that do not nest: the plan is a placeholder until k is repeated. */
  splitGqa: boolean;
  /** Batch dims that do not merge into MAX_BATCH_DIMS: a placeholder until the operands are copied. */
  unmerged?: boolean;
}

// ---- the dropout hash (the same bits on the CPU and in WGSL) ----

export function hash32(x: number): number {
  x >>>= 0;
  x ^= x >>> 16; x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15; x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** The dropout multiplier of element (b, i, j): 0 or dropScale. */
export function keepScale(p: AttnPlan, b: number, i: number, j: number): number {
  if (p.dropT === 0) return 1;
  const h = hash32(p.seed ^ hash32(b ^ hash32(i ^ hash32(j))));
  return (h >>> 8) >= p.dropT ? p.dropScale : 0;
}

// ---- CPU kernels (float64 arithmetic, one row of scores at a time) ----

/** Per flat batch index, each operand's base offset. */
function batchBases(p: AttnPlan): Int32Array[] {
  const out = [0, 1, 2, 3].map(() => new Int32Array(p.nb));
  const nd = p.bshape.length;
  const idx = new Array<number>(nd).fill(0);
  for (let b = 0; b < p.nb; b++) {
    for (let t = 0; t < 4; t++) {
      let o = 0;
      for (let d = 0; d < nd; d++) o += idx[d] * p.bstr[t][d];
      out[t][b] = o;
    }
    for (let d = nd - 1; d >= 0; d--) { if (++idx[d] < p.bshape[d]) break; idx[d] = 0; }
  }
  return out;
}

/** Row i's scores against every key (masked ones are −∞ added, as PyTorch's math backend). */
function cpuScores(p: AttnPlan, q: Tensor, k: Tensor, mask: Tensor | null, bq: number, bk: number, bm: number, i: number, s: Float64Array): void {
  const qd = q.data; const kd = k.data;
  const qo = p.q.off + bq + i * p.q.rs;
  for (let j = 0; j < p.S; j++) {
    const ko = p.k.off + bk + j * p.k.rs;
    let d = 0;
    for (let c = 0; c < p.E; c++) d += qd[qo + c * p.q.cs] * kd[ko + c * p.k.cs];
    let v = d * p.scale;
    if (p.causal && j > i) v += -Infinity;
    if (mask && p.m) {
      const mv = mask.data[p.m.off + bm + i * p.m.rs + j * p.m.cs];
      v += p.maskKind === 'bool' ? (mv !== 0 ? 0 : -Infinity) : mv;
    }
    s[j] = v;
  }
}

function cpuForward(p: AttnPlan, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, out: Tensor, lse: Tensor): void {
  const [bq, bk, bv, bm] = batchBases(p);
  const s = new Float64Array(p.S);
  const acc = new Float64Array(p.Ev);
  const vd = v.data; const od = out.data; const ld = lse.data;
  const st = storer(out.dtype);
  for (let b = 0; b < p.nb; b++) {
    for (let i = 0; i < p.L; i++) {
      cpuScores(p, q, k, mask, bq[b], bk[b], bm[b], i, s);
      let m = -Infinity;
      for (let j = 0; j < p.S; j++) m = s[j] > m || s[j] !== s[j] ? s[j] : m;
      // NaN or +∞ in a row: softmax gives NaN there (∞ − ∞), so the whole row is NaN.
      const bad = m !== m || m === Infinity;
      let l = 0;
      acc.fill(0);
      for (let j = 0; j < p.S; j++) {
        const e = m === -Infinity || bad ? 0 : Math.exp(s[j] - m);
        l += e;
        const w = e * keepScale(p, b, i, j);
        const vo = p.v.off + bv[b] + j * p.v.rs;
        for (let c = 0; c < p.Ev; c++) acc[c] += w * vd[vo + c * p.v.cs];
      }
      const row = b * p.L + i;
      for (let c = 0; c < p.Ev; c++) od[row * p.Ev + c] = st(bad ? NaN : l > 0 ? acc[c] / l : acc[c]);
      // The row max and log(l) apart: m + log(l) loses log(l) when |m| is huge (a −1e30 mask row).
      ld[2 * row] = bad ? NaN : l > 0 ? m : -Infinity;
      ld[2 * row + 1] = l > 0 ? Math.log(l) : 0;
    }
  }
}

/** Full-size gradients (problem batch × rows × cols, contiguous): dq, dk, dv and, when asked, d(mask). */
function cpuBackward(p: AttnPlan, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, out: Tensor, lse: Tensor, dO: Tensor,
  dq: Tensor, dk: Tensor, dv: Tensor, dm: Tensor | null): void {
  const [bq, bk, bv, bm] = batchBases(p);
  const s = new Float64Array(p.S);
  const qd = q.data; const kd = k.data; const vd = v.data; const od = out.data; const ld = lse.data; const gd = dO.data;
  const gq = new Float64Array(dq.numel); const gk = new Float64Array(dk.numel); const gv = new Float64Array(dv.numel);
  for (let b = 0; b < p.nb; b++) {
    for (let i = 0; i < p.L; i++) {
      const row = b * p.L + i;
      cpuScores(p, q, k, mask, bq[b], bk[b], bm[b], i, s);
      let D = 0;
      for (let c = 0; c < p.Ev; c++) D += gd[row * p.Ev + c] * od[row * p.Ev + c];
      const mx = ld[2 * row]; const ll = ld[2 * row + 1];
      const qo = p.q.off + bq[b] + i * p.q.rs;
      for (let j = 0; j < p.S; j++) {
        const P = mx === -Infinity ? 0 : Math.exp(s[j] - mx - ll);
        const ks = keepScale(p, b, i, j);
        const vo = p.v.off + bv[b] + j * p.v.rs;
        const ko = p.k.off + bk[b] + j * p.k.rs;
        let dp = 0;
        for (let c = 0; c < p.Ev; c++) dp += gd[row * p.Ev + c] * vd[vo + c * p.v.cs];
        const ds = P * (dp * ks - D);
        const bj = b * p.S + j;
        for (let c = 0; c < p.Ev; c++) gv[bj * p.Ev + c] += P * ks * gd[row * p.Ev + c];
        for (let c = 0; c < p.E; c++) {
          gq[row * p.E + c] += ds * kd[ko + c * p.k.cs] * p.scale;
          gk[bj * p.E + c] += ds * qd[qo + c * p.q.cs] * p.scale;
        }
        if (dm) dm.data[row * p.S + j] = ds;
      }
    }
  }
  const put = (t: Tensor, g: Float64Array): void => { const f = storer(t.dtype); for (let i = 0; i < g.length; i++) t.data[i] = f(g[i]); };
  put(dq, gq); put(dk, gk); put(dv, gv);
  if (dm && dm.dtype === 'float16') put(dm, Float64Array.from(dm.data));
}

// ---- the autograd Function ----

function forwardRaw(p: AttnPlan, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null): { out: Tensor; lse: Tensor } {
  const out = Tensor.empty([...p.outBatch, p.L, p.Ev], q.dtype, q.device, OP);
  // Per row: its max score and log of its softmax denominator (float64 on the CPU, whose scores are float64).
  const lse = Tensor.empty([p.nb * p.L * 2], q.dtype === 'float64' || q.device === 'cpu' ? 'float64' : 'float32', q.device, OP);
  if (out.numel === 0) return { out, lse };
  if (q.device === 'cpu') cpuForward(p, q, k, v, mask, out, lse);
  else gpuForward(p, q, k, v, mask, out, lse);
  return { out, lse };
}

/** Sums a full-size gradient (problem batch dims + `tail`) over the dims operand `t` was broadcast on, shaped like `like`. */
function reduceTo(full: Tensor, p: AttnPlan, t: number, like: Tensor): Tensor {
  const shape = [...p.dims.map((d) => d.size), ...full.shape.slice(-2)];
  const red = p.dims.map((d, i) => (!d.idx[t] ? i : -1)).filter((i) => i >= 0);
  // A mask of size 1 along L or S gets those summed too (also when L or S is 0).
  const msz = (d: number): number => (like.ndim + d >= 0 ? like.shape[like.ndim + d] : 1);
  if (t === 3 && msz(-2) === 1 && p.L !== 1) red.push(p.dims.length);
  if (t === 3 && msz(-1) === 1 && p.S !== 1) red.push(p.dims.length + 1);
  const summed = red.length ? reduceRaw('sum', full.withLayout(shape, contiguousStrides(shape), 0), red, false).values : full;
  const r = summed.withLayout(like.shape, contiguousStrides(like.shape), 0);
  if (summed !== full) summed.dispose();
  return r;
}

class ScaledDotProductAttention extends Function {
  static override forward(ctx: Ctx, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, p: AttnPlan): Tensor {
    const { out, lse } = forwardRaw(p, q, k, v, mask);
    ctx.saveForBackward(q, k, v, mask, out, lse);
    ctx.plan = p;
    return out;
  }

  static override backward(ctx: Ctx, dO: Tensor): Array<Tensor | null> {
    const [q, k, v, mask, out, lse] = ctx.savedTensors;
    const p: AttnPlan = ctx.plan;
    const dev = q.device;
    const g = dO.isContiguous() && dO.offset === 0 ? dO : copyRaw(dO);
    // Ev = 0: dO·vᵀ and D are empty sums, so every gradient is 0 (and forward stored no row statistics).
    const alloc = (shape: number[]): Tensor => (p.Ev === 0 ? full(shape, 0, q.dtype, dev) : Tensor.empty(shape, q.dtype, dev, OP));
    const dq = alloc([p.nb, p.L, p.E]);
    const dk = alloc([p.nb, p.S, p.E]);
    const dv = Tensor.empty([p.nb, p.S, p.Ev], q.dtype, dev, OP);
    const wantMask = !!mask && ctx.needsInputGrad[3];
    const dm = wantMask ? alloc([p.nb, p.L, p.S]) : null;
    if (p.nb * Math.max(p.L, p.S) > 0 && p.Ev > 0) {
      if (dev === 'cpu') cpuBackward(p, q, k, v, mask, out, lse, g, dq, dk, dv, dm);
      else gpuBackward(p, q, k, v, mask, out, lse, g, dq, dk, dv, dm);
    }
    return [reduceTo(dq, p, 0, q), reduceTo(dk, p, 1, k), reduceTo(dv, p, 2, v), dm ? reduceTo(dm, p, 3, mask!) : null, null];
  }
}

// ---- arguments ----

export interface SdpaOptions {
  attnMask?: Tensor | null;
  dropoutP?: number;
  isCausal?: boolean;
  scale?: number | null;
  enableGqa?: boolean;
  /** Seeds the dropout pattern (default: drawn from the global generator, see sg.manualSeed). */
  seed?: number;
}

const KEYS = ['attnMask', 'dropoutP', 'isCausal', 'scale', 'enableGqa', 'seed'];
const sh = (t: Tensor): string => fmtShape(t.shape);

function plan(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, o: { dropoutP: number; isCausal: boolean; scale: number; enableGqa: boolean; seed: number }): AttnPlan {
  const nbd = Math.max(q.ndim, k.ndim, v.ndim) - 2;
  const L = q.shape[q.ndim - 2]; const E = q.shape[q.ndim - 1];
  const S = k.shape[k.ndim - 2]; const Ev = v.shape[v.ndim - 1];
  if (k.shape[k.ndim - 1] !== E) throw new Error(`${OP}: key's last dim must equal query's (embedding size ${E}); got query ${sh(q)} and key ${sh(k)}`);
  if (v.shape[v.ndim - 2] !== S) throw new Error(`${OP}: key and value must have the same sequence length (dim -2); got key ${sh(k)} and value ${sh(v)}`);
  const at = (t: Tensor, d: number): number => t.shape[t.ndim - 2 - nbd + d] ?? 1;
  const strAt = (t: Tensor, d: number): number => (t.ndim - 2 - nbd + d >= 0 ? t.strides[t.ndim - 2 - nbd + d] : 0);
  if (mask && mask.ndim > nbd + 2) throw new Error(`${OP}: attnMask of shape ${sh(mask)} has more dims than the output (…, L, S) of query ${sh(q)}, key ${sh(k)}`);
  const mAt = (d: number): number => (mask ? mask.shape[mask.ndim - 2 - nbd + d] ?? 1 : 1);
  const mStr = (d: number): number => (mask && mask.ndim - 2 - nbd + d >= 0 && mAt(d) !== 1 ? mask.strides[mask.ndim - 2 - nbd + d] : 0);
  const dims: PDim[] = [];
  const outBatch: number[] = [];
  let split = false; // the key heads must be repeated first (see scaledDotProductAttention)
  const hq = at(q, nbd - 1); const hk = at(k, nbd - 1); const hv = at(v, nbd - 1);
  const gqa = o.enableGqa && nbd >= 1 && (hk !== hq || hv !== hq) && !(hk === 1 && hv === 1);
  for (let d = 0; d < nbd; d++) {
    const sz = [at(q, d), at(k, d), at(v, d)];
    const ms = mAt(d);
    if (gqa && d === nbd - 1) {
      // q head h uses k head h / gk and v head h / gv (repeat_interleave): split the head dim
      // into (hq / gmax, gmax / gmin, gmin) so that both are strides.
      const gk = hq / hk; const gv = hq / hv;
      let [gmax, gmin] = gk >= gv ? [gk, gv] : [gv, gk];
      if (gmax % gmin !== 0 && hq % hk === 0 && hq % hv === 0) { split = true; gmin = 1; } // placeholder strides, never used
      if (hq % hk !== 0 || hq % hv !== 0) throw new Error(`${OP}: with enableGqa the query heads (dim -3) must be a multiple of the key heads and of the value heads; got query ${sh(q)}, key ${sh(k)}, value ${sh(v)}`);
      if (ms !== 1 && ms !== hq) throw new Error(`${OP}: attnMask of shape ${sh(mask!)} does not broadcast to the output's ${hq} heads`);
      const fine = (st: number): number[] => [st * gmax, st * gmin, st];
      const group = (st: number, g: number): number[] => (g === gmax ? [st, 0, 0] : [st * (gmax / gmin), st, 0]);
      const has = (g: number): boolean[] => (g === gmax ? [true, false, false] : [true, true, false]);
      const sq = fine(strAt(q, d)); const sk = group(strAt(k, d), gk); const sv = group(strAt(v, d), gv); const sm = fine(mStr(d));
      const hk2 = has(gk); const hv2 = has(gv);
      [hq / gmax, gmax / gmin, gmin].forEach((size, x) => dims.push({ size, str: [sq[x], sk[x], sv[x], sm[x]], idx: [true, hk2[x], hv2[x], ms !== 1] }));
      outBatch.push(hq);
      continue;
    }
    const size = Math.max(...sz);
    if (sz.some((x) => x !== 1 && x !== size)) {
      throw new Error(`${OP}: the batch dims of query ${sh(q)}, key ${sh(k)} and value ${sh(v)} do not broadcast${o.enableGqa ? '' : ' (set enableGqa for grouped-query attention)'}`);
    }
    if (ms !== 1 && ms !== size) throw new Error(`${OP}: attnMask of shape ${sh(mask!)} does not broadcast to the output shape ${fmtShape([...outBatch, size, L, S])}…`);
    const str = [q, k, v].map((t, i) => (sz[i] === 1 ? 0 : strAt(t, d)));
    dims.push({ size, str: [str[0], str[1], str[2], mStr(d)], idx: [...sz.map((x) => x === size), ms === size] });
    outBatch.push(size);
  }
  let m: Inner | null = null;
  if (mask) {
    const ml = mask.ndim >= 2 ? mask.shape[mask.ndim - 2] : 1;
    const msz = mask.ndim >= 1 ? mask.shape[mask.ndim - 1] : 1;
    if ((ml !== 1 && ml !== L) || (msz !== 1 && msz !== S)) throw new Error(`${OP}: attnMask of shape ${sh(mask)} does not broadcast to (…, L, S) = (…, ${L}, ${S})`);
    m = { rs: ml === 1 ? 0 : mask.strides[mask.ndim - 2], cs: msz === 1 ? 0 : mask.strides[mask.ndim - 1], off: mask.offset };
  }
  if (split) return { splitGqa: true } as AttnPlan; // every shape is checked: k is repeated, then planned again
  const nb = dims.reduce((a, d) => a * d.size, 1);
  const c = coalesce(dims.map((d) => d.size), [0, 1, 2, 3].map((t) => dims.map((d) => d.str[t])));
  if (c.shape.length > MAX_BATCH_DIMS) return { unmerged: true, outBatch } as AttnPlan; // copied to full contiguous shapes, then planned again
  const inner = (t: Tensor): Inner => ({ rs: t.strides[t.ndim - 2], cs: t.strides[t.ndim - 1], off: t.offset });
  const dropT = o.dropoutP > 0 ? Math.ceil(o.dropoutP * 2 ** 24) : 0;
  return {
    L, S, E, Ev, dims, nb, bshape: c.shape, bstr: c.strides, q: inner(q), k: inner(k), v: inner(v), m,
    maskKind: !mask ? 'none' : FLOATS.includes(mask.dtype) ? 'float' : 'bool',
    // PyTorch scales q and k, not the scores: with E = 0 the scores are 0 even though 1/sqrt(E) is ∞.
    causal: o.isCausal, scale: E === 0 ? 0 : o.scale, seed: o.seed >>> 0, dropT, dropScale: o.dropoutP < 1 ? 1 / (1 - o.dropoutP) : 0, outBatch, splitGqa: split,
  };
}

/** A dropout seed from the global generator (so sg.manualSeed makes runs repeat). */
function drawSeed(): number {
  const r = rand([2], { device: 'cpu' });
  const s = ((r.data[0] * 2 ** 24) ^ ((r.data[1] * 2 ** 24) << 8)) >>> 0;
  r.dispose();
  return s;
}

/**
 * softmax(q·kᵀ·scale + mask)·v over the last two dims, batch dims broadcast. Called as
 * PyTorch's (q, k, v, attnMask?, dropoutP?, isCausal?, scale?, enableGqa?) or
 * (q, k, v, { attnMask, dropoutP, isCausal, scale, enableGqa, seed }).
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, attnMask?: Tensor | null | SdpaOptions,
  dropoutP?: number, isCausal?: boolean, scale?: number | null, enableGqa?: boolean): Tensor {
  checkInput(OP, q, 'query');
  checkInput(OP, k, 'key');
  checkInput(OP, v, 'value');
  let o: SdpaOptions;
  if (attnMask !== undefined && attnMask !== null && !(attnMask instanceof Tensor)) {
    if ([dropoutP, isCausal, scale, enableGqa].some((x) => x !== undefined)) throw new Error(`${OP}: with an options object as the 4th argument, pass nothing after it`);
    o = checkOptions(OP, attnMask, KEYS) as SdpaOptions;
  } else o = { attnMask, dropoutP, isCausal, scale, enableGqa };
  let mask = o.attnMask ?? null;
  if (mask !== null) checkInput(OP, mask, 'attnMask');
  const p = o.dropoutP ?? 0;
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`${OP}: dropoutP must be a probability in [0, 1], got ${describe(p)}`);
  for (const [name, b] of [['isCausal', o.isCausal], ['enableGqa', o.enableGqa]] as const) {
    if (b !== undefined && typeof b !== 'boolean') throw new Error(`${OP}: ${name} must be a boolean, got ${describe(b)}`);
  }
  if (o.scale !== undefined && o.scale !== null && !(typeof o.scale === 'number' && Number.isFinite(o.scale))) throw new Error(`${OP}: scale must be a finite number or null, got ${describe(o.scale)}`);
  if (o.seed !== undefined && !(typeof o.seed === 'number' && Number.isInteger(o.seed) && o.seed >= 0 && o.seed < 2 ** 32)) throw new Error(`${OP}: seed must be an integer in [0, 2^32), got ${describe(o.seed)}`);
  for (const [name, t] of [['query', q], ['key', k], ['value', v]] as const) {
    if (t.ndim < 2) throw new Error(`${OP}: ${name} must have at least 2 dims (…, ${name === 'query' ? 'L' : 'S'}, E), got shape ${sh(t)}`);
    if (!FLOATS.includes(t.dtype)) throw new Error(`${OP}: ${name} must be a floating point tensor, got dtype ${t.dtype} (shape ${sh(t)})`);
    if (t.dtype !== q.dtype) throw new Error(`${OP}: query, key and value must have the same dtype; got query ${q.dtype}, ${name} ${t.dtype}`);
    if (t.device !== q.device) throw new Error(`${OP}: query is on ${q.device} but ${name} is on ${t.device}`);
  }
  if (mask) {
    if (mask.device !== q.device) throw new Error(`${OP}: query is on ${q.device} but attnMask is on ${mask.device}`);
    if (FLOATS.includes(mask.dtype) && mask.dtype !== q.dtype) throw new Error(`${OP}: a float attnMask must have the query's dtype ${q.dtype}, got ${mask.dtype} (or pass a boolean mask)`);
    if (o.isCausal) throw new Error(`${OP}: attnMask must be null when isCausal is true (as PyTorch)`);
  }
  const E = q.shape[q.ndim - 1];
  const po = {
    dropoutP: p, isCausal: o.isCausal ?? false, enableGqa: o.enableGqa ?? false,
    scale: o.scale ?? 1 / Math.sqrt(E), seed: p > 0 ? o.seed ?? drawSeed() : 0,
  };
  let pl = plan(q, k, v, mask, po); // validates the shapes before any GPU work
  // Key and value group sizes that do not nest (6 query heads over 3 key and 2 value heads)
  // are not strides of one head split: repeat the key heads (PyTorch's repeat_interleave).
  const heads = (t: Tensor): number => (t.ndim >= 3 ? t.shape[t.ndim - 3] : 1);
  if (pl.splitGqa) {
    k = repeatInterleave(k, heads(q) / heads(k), k.ndim - 3);
    pl = plan(q, k, v, mask, po);
  }
  if (pl.unmerged) {
    // More batch dims than the kernels take, in strides that do not merge: copy every operand
    // to the full output batch shape (GQA heads repeated), whose contiguous dims merge into one.
    const ob = pl.outBatch;
    const hq = ob[ob.length - 1];
    const kv = (t: Tensor): Tensor => (po.enableGqa && heads(t) !== hq && heads(t) !== 1 ? repeatInterleave(t, hq / heads(t), t.ndim - 3) : t);
    const grow = (t: Tensor, last: number[]): Tensor => contiguous(expand(t, [...ob, ...last]));
    const L = q.shape[q.ndim - 2]; const S = k.shape[k.ndim - 2];
    q = grow(q, q.shape.slice(-2)); k = grow(kv(k), k.shape.slice(-2)); v = grow(kv(v), v.shape.slice(-2));
    if (mask) mask = grow(mask, [L, S]);
    pl = plan(q, k, v, mask, po);
  }
  // The GPU kernels read a boolean mask as i32 words (int32 and bool are stored so); any
  // other non-float dtype is cast first.
  const kmask = mask && q.device !== 'cpu' && !FLOATS.includes(mask.dtype) && wgslType(mask.dtype) !== 'i32' ? mask.cast('int32') : mask;
  if (kmask !== mask) pl = plan(q, k, v, kmask, po);
  const out = ScaledDotProductAttention.apply(q, k, v, kmask, pl) as Tensor;
  if (kmask !== mask) kmask!.dispose();
  return out;
}
