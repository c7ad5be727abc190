// ScatteredExperts (ScatterMoE, Tan et al. 2024): k experts per token applied without
// padding or copying tokens per expert. One autograd Function; semantics in docs/design.md,
// "ScatteredExperts, precisely". Scattered row s = t·k + j is token t's j-th choice;
// grouped row p is position p in expert-sorted order (from flattenSortCount).
//
//   forward   y = scatter2scatter(x, W, b)            grouped or scattered rows in and out
//             out[t] = Σ_j gates[t, j] · y[t·k + j]    with gates (a bmm)
//   backward  dgates[t, j] = ⟨y[t·k + j], G[t]⟩        (a bmm)
//             dYg = G's rows in grouped order, times the gates (gathered inside the kernels)
//             dW, db = groupXtY(Xg, dYg)               Xg = x's rows in grouped order, likewise
//             dX = scatter2scatter(dYg, Wᵀ), summed over each token's k choices (a sum)
//
// Unlike ScatterMoE, backward never writes into saved buffers, so backward with
// retainGraph can run twice and give the same gradients.
import { Tensor } from '../tensor/tensor.js';
import { Function, type Ctx } from '../autograd/function.js';
import { checkOptions, describe, fmtShape } from '../tensor/shape.js';
import { isFloat } from '../tensor/dtype.js';
import { scatter2scatter } from './scatter2scatter.js';
import { groupXtY, sumK, type RowSrc } from './group.js';

export interface ScatteredExpertsOptions {
  /** (T, k) weights of each token's k choices; the output is then (T, dOut). Needs a
   * scattered output. */
  gates?: Tensor | null;
  /** x is (T·k, dIn) in grouped order instead of (T, dIn) per token. */
  groupedIn?: boolean;
  /** The output is (T·k, dOut) in grouped order instead of scattered order. */
  groupedOut?: boolean;
  /** (E, dOut) per-expert biases. */
  biases?: Tensor | null;
}

const OP = 'scatteredExperts';

// Positions of the arguments of ScatteredExperts.apply (one gradient slot each).
const X = 0, W = 1, GATES = 6, BIASES = 7;
const NUM_ARGS = 10;

export class ScatteredExperts extends Function {
  static override forward(ctx: Ctx, x: Tensor, w: Tensor, k: number, _sei: Tensor, sse: Tensor, offsets: Tensor,
    gates: Tensor | null, biases: Tensor | null, groupedIn: boolean, groupedOut: boolean): Tensor {
    // The kernels index the int32 inputs with unit stride; these are no-ops when contiguous.
    const sseC = sse.contiguous();
    const offC = offsets.contiguous();
    const y = scatter2scatter(x, w, biases, sseC, offC, { k, groupedIn, groupedOut });
    ctx.k = k;
    ctx.groupedIn = groupedIn;
    ctx.groupedOut = groupedOut;
    ctx.saveForBackward(x, w, sseC, offC, gates, gates ? y : null);
    if (!gates) return y;
    // gates (T, k') mix each token's k' rows; k' is the gates' own width, which differs from
    // k in ScatterMoE's second layer (k = 1 with grouped input, gates (T, top_k)).
    const [t, kg] = gates.shape;
    const dOut = w.shape[2];
    return gates.reshape([t, 1, kg]).bmm(y.view([t, kg, dOut])).view([t, dOut]);
  }

  static override backward(ctx: Ctx, g: Tensor): Array<Tensor | null> {
    const [x, w, sse, offsets, gates, y] = ctx.savedTensors;
    const k: number = ctx.k;
    const groupedIn: boolean = ctx.groupedIn;
    const groupedOut: boolean = ctx.groupedOut;
    const need = ctx.needsInputGrad;
    const grads: Array<Tensor | null> = new Array<Tensor | null>(NUM_ARGS).fill(null);
    const [numE, dIn, dOut] = w.shape;
    const [t, kg] = gates ? gates.shape : [0, 1];
    if (gates && need[GATES]) grads[GATES] = y.view([t, kg, dOut]).bmm(g.reshape([t, dOut, 1])).view([t, kg]);
    if (!need[X] && !need[W] && !need[BIASES]) return grads;
    // The upstream gradient as grouped rows: with gates each grouped row is its token's
    // gradient scaled by its gate (the bmm's gradient). The kernels gather these rows (and x's)
    // as they load their tiles, so no grouped copy is made.
    const dSrc: RowSrc = groupedOut ? { t: g, grouped: true, fan: 1, coef: null } : { t: g, grouped: false, fan: gates ? kg : 1, coef: gates };
    if (need[X]) {
      const wT = w.withLayout([numE, dOut, dIn], [w.strides[0], w.strides[2], w.strides[1]], w.offset);
      const o = { k: dSrc.fan, groupedIn: groupedOut, coef: dSrc.coef };
      if (groupedIn) grads[X] = scatter2scatter(g, wT, null, sse, offsets, { ...o, groupedOut: true });
      else {
        const dxs = scatter2scatter(g, wT, null, sse, offsets, { ...o, groupedOut: false });
        grads[X] = k === 1 ? dxs : sumK(dxs, k);
        if (k !== 1) dxs.dispose();
      }
    }
    if (need[W] || need[BIASES]) {
      const xSrc: RowSrc = { t: x, grouped: groupedIn, fan: k, coef: null };
      if (need[W] && !need[BIASES] && w.strides[1] === 1 && w.strides[2] !== 1) {
        // W is a transposed view (nn's experts keep (E, out, in), as Linear does): dWᵀ =
        // dYᵀ·X per expert comes out in the weight's own layout, so the leaf's gradient is
        // dense as it is and needs no copy.
        const { dw: dwT } = groupXtY(dSrc, xSrc, sse, offsets, false);
        grads[W] = dwT.withLayout([numE, dIn, dOut], [dwT.strides[0], dwT.strides[2], dwT.strides[1]], 0);
        dwT.dispose();
      } else {
        const { dw, db } = groupXtY(xSrc, dSrc, sse, offsets, need[BIASES]);
        if (need[W]) grads[W] = dw;
        grads[BIASES] = db;
      }
    }
    return grads;
  }
}

/**
 * The scattered mixture-of-experts op. x (T, dIn), or (T·k, dIn) grouped with `groupedIn`;
 * expertWeights (E, dIn, dOut), any strides (e.g. W.permute([0, 2, 1]) of an (E, dOut, dIn)
 * tensor); the three index tensors from flattenSortCount. Returns (T·k, dOut) in scattered
 * or (with `groupedOut`) grouped order, or (T, dOut) with `gates`.
 */
export function scatteredExperts(x: Tensor, expertWeights: Tensor, k: number, sortedExpertIdxs: Tensor, sortedScatteredIdxs: Tensor,
  expertOffsets: Tensor, opts: ScatteredExpertsOptions = {}): Tensor {
  opts = checkOptions(OP, opts, ['gates', 'biases', 'groupedIn', 'groupedOut']) as ScatteredExpertsOptions;
  for (const key of ['groupedIn', 'groupedOut'] as const) {
    if (opts[key] !== undefined && typeof opts[key] !== 'boolean') throw new Error(`${OP}: ${key} must be a boolean, got ${describe(opts[key])}`);
  }
  const gates = opts.gates ?? null;
  const biases = opts.biases ?? null;
  const groupedIn = !!opts.groupedIn;
  const groupedOut = !!opts.groupedOut;
  checkArgs(x, expertWeights, k, sortedExpertIdxs, sortedScatteredIdxs, expertOffsets, gates, biases, groupedIn, groupedOut);
  return ScatteredExperts.apply(x, expertWeights, k, sortedExpertIdxs, sortedScatteredIdxs, expertOffsets, gates, biases, groupedIn, groupedOut);
}

// ---- argument checks: all before any GPU work ----

function checkArgs(x: Tensor, w: Tensor, k: number, sei: Tensor, sse: Tensor, offsets: Tensor,
  gates: Tensor | null, biases: Tensor | null, groupedIn: boolean, groupedOut: boolean): void {
  const tensors: Array<[string, unknown]> = [['x', x], ['expertWeights', w], ['sortedExpertIdxs', sei], ['sortedScatteredIdxs', sse], ['expertOffsets', offsets]];
  if (gates !== null) tensors.push(['gates', gates]);
  if (biases !== null) tensors.push(['biases', biases]);
  for (const [name, t] of tensors) {
    if (!(t instanceof Tensor)) throw new Error(`${OP}: ${name} must be a Tensor, got ${describe(t)}`);
    t.assertAlive(OP);
  }
  const dev = x.device;
  for (const [name, t] of tensors) {
    if ((t as Tensor).device !== dev) throw new Error(`${OP}: ${name} is on ${(t as Tensor).device} but x is on ${dev}`);
  }
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) throw new Error(`${OP}: k must be an integer >= 1, got ${describe(k)}`);
  if (x.ndim !== 2 || !isFloat(x.dtype)) throw new Error(`${OP}: x must be a 2-D float tensor, got ${x.dtype} of shape ${fmtShape(x.shape)}`);
  if (w.ndim !== 3 || w.dtype !== x.dtype) {
    throw new Error(`${OP}: expertWeights must be a 3-D (E, dIn, dOut) ${x.dtype} tensor like x, got ${w.dtype} of shape ${fmtShape(w.shape)}`);
  }
  const [numE, dIn, dOut] = w.shape;
  if (dIn !== x.shape[1]) {
    throw new Error(`${OP}: expertWeights (E, dIn, dOut) = ${fmtShape(w.shape)} has dIn ${dIn} but x ${fmtShape(x.shape)} has ${x.shape[1]} features`);
  }
  for (const [name, t] of [['sortedExpertIdxs', sei], ['sortedScatteredIdxs', sse], ['expertOffsets', offsets]] as const) {
    if (t.dtype !== 'int32' || t.ndim !== 1) throw new Error(`${OP}: ${name} must be a 1-D int32 tensor, got ${t.dtype} of shape ${fmtShape(t.shape)}`);
  }
  const n = sse.numel;
  if (sei.numel !== n) throw new Error(`${OP}: sortedExpertIdxs ${fmtShape(sei.shape)} and sortedScatteredIdxs ${fmtShape(sse.shape)} must have the same length T·k`);
  if (groupedIn) {
    if (x.shape[0] !== n) throw new Error(`${OP}: with groupedIn, x must have T·k = ${n} rows (the length of sortedScatteredIdxs), got x ${fmtShape(x.shape)}`);
    if (n % k !== 0) throw new Error(`${OP}: the index length ${n} is not a multiple of k = ${k}`);
  } else if (n !== x.shape[0] * k) {
    throw new Error(`${OP}: sortedScatteredIdxs ${fmtShape(sse.shape)} must have length T·k = ${x.shape[0]}·${k} = ${x.shape[0] * k} for x ${fmtShape(x.shape)}`);
  }
  if (offsets.numel !== numE) throw new Error(`${OP}: expertOffsets ${fmtShape(offsets.shape)} must have length E = ${numE} (expertWeights ${fmtShape(w.shape)})`);
  if (gates) {
    if (groupedOut) throw new Error(`${OP}: gates need a scattered output; they cannot be combined with groupedOut`);
    // (T, k') covering the T·k' scattered rows; without groupedIn T is x's row count.
    const t = groupedIn ? gates.shape[0] : x.shape[0];
    const kg = groupedIn ? gates.shape[1] : k;
    if (gates.ndim !== 2 || gates.shape[0] !== t || gates.shape[1] !== kg || t * kg !== n || gates.dtype !== x.dtype) {
      const want = groupedIn ? `(T, k') with T·k' = ${n}` : `(T, k) = ${fmtShape([t, k])}`;
      throw new Error(`${OP}: gates must be ${want} ${x.dtype}, got ${gates.dtype} of shape ${fmtShape(gates.shape)}`);
    }
  }
  if (biases && (biases.ndim !== 2 || biases.shape[0] !== numE || biases.shape[1] !== dOut || biases.dtype !== x.dtype)) {
    throw new Error(`${OP}: biases must be (E, dOut) = ${fmtShape([numE, dOut])} ${x.dtype}, got ${biases.dtype} of shape ${fmtShape(biases.shape)}`);
  }
  if (dev === 'cpu') checkIndexValues(sei, sse, offsets);
}

/** On the CPU the index values are at hand: check they describe a valid grouping. (On
 * WebGPU that would need a readback; the kernels clamp instead.) */
function checkIndexValues(sei: Tensor, sse: Tensor, offsets: Tensor): void {
  const n = sse.numel;
  const numE = offsets.numel;
  const at = (t: Tensor, i: number): number => t.data[t.offset + i * t.strides[0]];
  let start = 0;
  for (let e = 0; e < numE; e++) {
    const end = at(offsets, e);
    if (end < start || end > n) {
      throw new Error(`${OP}: expertOffsets[${e}] = ${end} is not a non-decreasing cumulative count within [0, ${n}] (previous ${start})`);
    }
    for (let p = start; p < end; p++) {
      if (at(sei, p) !== e) throw new Error(`${OP}: sortedExpertIdxs[${p}] = ${at(sei, p)} but expertOffsets puts row ${p} in expert ${e}`);
    }
    start = end;
  }
  if (start !== n) throw new Error(`${OP}: expertOffsets ends at ${start} but there are ${n} grouped rows`);
  // Each scattered slot must be written once: a repeated index would drop one row's output
  // and leave another slot zero, on the CPU and on the GPU alike.
  const seen = new Int32Array(n).fill(-1);
  for (let p = 0; p < n; p++) {
    const s = at(sse, p);
    if (!Number.isInteger(s) || s < 0 || s >= n) throw new Error(`${OP}: sortedScatteredIdxs[${p}] = ${s} is out of range [0, ${n})`);
    if (seen[s] >= 0) throw new Error(`${OP}: sortedScatteredIdxs[${p}] = ${s} repeats sortedScatteredIdxs[${seen[s]}]; each (token, choice) slot must appear once`);
    seen[s] = p;
  }
}
