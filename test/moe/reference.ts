// The float64 reference for ScatteredExperts, written the plain way: for every token t and
// choice j, gather the input row, apply expert e's linear layer, then either place the row
// (scattered or grouped) or add it into the token's output weighted by its gate. The
// backward is the same loops run in reverse. Nothing here uses the engine.

export interface Sorted {
  sei: Int32Array;
  sse: Int32Array;
  offsets: Int32Array;
  /** pos[s] = the grouped row of scattered row s (the inverse of sse). */
  pos: Int32Array;
}

/** A stable sort of the flattened choices by expert. */
export function refSort(choices: ArrayLike<number>, numE: number): Sorted {
  const n = choices.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => choices[a] - choices[b] || a - b);
  const sei = Int32Array.from(order, (s) => choices[s]);
  const sse = Int32Array.from(order);
  const offsets = new Int32Array(numE);
  for (let i = 0; i < n; i++) offsets[choices[i]]++;
  for (let e = 1; e < numE; e++) offsets[e] += offsets[e - 1];
  const pos = new Int32Array(n);
  order.forEach((s, p) => { pos[s] = p; });
  return { sei, sse, offsets, pos };
}

export interface Problem {
  T: number;
  k: number;
  E: number;
  dIn: number;
  dOut: number;
  /** Expert of scattered row s = t·k + j. */
  choices: Int32Array;
  /** (T, dIn), or (T·k, dIn) in grouped order when groupedIn. */
  x: Float64Array;
  /** (E, dIn, dOut) row-major. */
  w: Float64Array;
  b: Float64Array | null;
  gates: Float64Array | null;
  groupedIn: boolean;
  groupedOut: boolean;
}

/** Input row of scattered row s, and the expert's output (without gate) for it. */
function rowIn(P: Problem, S: Sorted, s: number): number {
  return P.groupedIn ? S.pos[s] : Math.floor(s / P.k);
}

function linear(P: Problem, e: number, x: Float64Array, xr: number): Float64Array {
  const y = new Float64Array(P.dOut);
  for (let c = 0; c < P.dOut; c++) {
    let a = P.b ? P.b[e * P.dOut + c] : 0;
    for (let i = 0; i < P.dIn; i++) a += x[xr * P.dIn + i] * P.w[(e * P.dIn + i) * P.dOut + c];
    y[c] = a;
  }
  return y;
}

export function outRows(P: Problem): number {
  return P.gates ? P.T : P.T * P.k;
}

export function refForward(P: Problem, S: Sorted): Float64Array {
  const out = new Float64Array(outRows(P) * P.dOut);
  for (let s = 0; s < P.T * P.k; s++) {
    const y = linear(P, P.choices[s], P.x, rowIn(P, S, s));
    const t = Math.floor(s / P.k);
    const row = P.gates ? t : P.groupedOut ? S.pos[s] : s;
    const g = P.gates ? P.gates[s] : 1;
    for (let c = 0; c < P.dOut; c++) out[row * P.dOut + c] += g * y[c];
  }
  return out;
}

export interface RefGrads { dx: Float64Array; dw: Float64Array; db: Float64Array; dgates: Float64Array }

/** Gradients for upstream gradient G (shaped like the output). */
export function refBackward(P: Problem, S: Sorted, G: ArrayLike<number>): RefGrads {
  const dx = new Float64Array(P.x.length);
  const dw = new Float64Array(P.w.length);
  const db = new Float64Array(P.E * P.dOut);
  const dgates = new Float64Array(P.T * P.k);
  for (let s = 0; s < P.T * P.k; s++) {
    const e = P.choices[s];
    const t = Math.floor(s / P.k);
    const xr = rowIn(P, S, s);
    const gRow = P.gates ? t : P.groupedOut ? S.pos[s] : s;
    const dy = new Float64Array(P.dOut);
    if (P.gates) {
      const y = linear(P, e, P.x, xr);
      let dot = 0;
      for (let c = 0; c < P.dOut; c++) dot += y[c] * G[gRow * P.dOut + c];
      dgates[s] = dot;
    }
    const gate = P.gates ? P.gates[s] : 1;
    for (let c = 0; c < P.dOut; c++) dy[c] = gate * G[gRow * P.dOut + c];
    for (let c = 0; c < P.dOut; c++) db[e * P.dOut + c] += dy[c];
    for (let i = 0; i < P.dIn; i++) {
      const xv = P.x[xr * P.dIn + i];
      let a = 0;
      for (let c = 0; c < P.dOut; c++) {
        dw[(e * P.dIn + i) * P.dOut + c] += xv * dy[c];
        a += P.w[(e * P.dIn + i) * P.dOut + c] * dy[c];
      }
      dx[xr * P.dIn + i] += a;
    }
  }
  return { dx, dw, db, dgates };
}

// ---- ScatterMoE's MLP: x -> SE(grouped out) -> GELU -> SE(grouped in, gates) ----

/** erf in float64: its Maclaurin series near 0, the erfc continued fraction further out. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax >= 3) {
    let f = ax;
    for (let n = 80; n >= 1; n--) f = ax + n / 2 / f;
    const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
    return Math.sign(x) * (1 - erfc);
  }
  let sum = x;
  let term = x;
  const x2 = x * x;
  for (let n = 1; n < 200; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const gelu = (a: number): number => 0.5 * a * (1 + erf(a / Math.SQRT2));
const geluGrad = (a: number): number => 0.5 * (1 + erf(a / Math.SQRT2)) + (a * Math.exp(-0.5 * a * a)) / Math.sqrt(2 * Math.PI);

export interface Mlp {
  T: number; k: number; E: number; d: number; h: number;
  choices: Int32Array; x: Float64Array; gates: Float64Array;
  w1: Float64Array; b1: Float64Array | null; w2: Float64Array; b2: Float64Array | null;
}

export interface MlpGrads { out: Float64Array; dx: Float64Array; dgates: Float64Array; dw1: Float64Array; db1: Float64Array; dw2: Float64Array; db2: Float64Array }

/** Output and every gradient of the MLP, token by token and choice by choice. */
export function refMlp(M: Mlp, G: ArrayLike<number>): MlpGrads {
  const { T, k, d, h } = M;
  const out = new Float64Array(T * d);
  const r: MlpGrads = {
    out, dx: new Float64Array(T * d), dgates: new Float64Array(T * k),
    dw1: new Float64Array(M.w1.length), db1: new Float64Array(M.E * h), dw2: new Float64Array(M.w2.length), db2: new Float64Array(M.E * d),
  };
  const a = new Float64Array(h);
  const hv = new Float64Array(h);
  const o = new Float64Array(d);
  const dh = new Float64Array(h);
  const dO = new Float64Array(d);
  // Loops run with the unit-stride index innermost, on local array names: this is the
  // slow part of the grid.
  const { x, w1, w2, b1, b2, choices, gates } = M;
  const { dw1, dw2, db1, db2, dx, dgates } = r;
  for (let s = 0; s < T * k; s++) {
    const t = Math.floor(s / k);
    const e = choices[s];
    for (let c = 0; c < h; c++) a[c] = b1 ? b1[e * h + c] : 0;
    for (let i = 0; i < d; i++) {
      const xv = x[t * d + i];
      const w = (e * d + i) * h;
      for (let c = 0; c < h; c++) a[c] += xv * w1[w + c];
    }
    for (let c = 0; c < h; c++) hv[c] = gelu(a[c]);
    for (let c = 0; c < d; c++) o[c] = b2 ? b2[e * d + c] : 0;
    for (let i = 0; i < h; i++) {
      const w = (e * h + i) * d;
      for (let c = 0; c < d; c++) o[c] += hv[i] * w2[w + c];
    }
    const g = gates[s];
    let dot = 0;
    for (let c = 0; c < d; c++) {
      out[t * d + c] += g * o[c];
      dot += o[c] * G[t * d + c];
      dO[c] = g * G[t * d + c];
      db2[e * d + c] += dO[c];
    }
    dgates[s] = dot;
    for (let i = 0; i < h; i++) {
      const w = (e * h + i) * d;
      let acc = 0;
      for (let c = 0; c < d; c++) {
        dw2[w + c] += hv[i] * dO[c];
        acc += w2[w + c] * dO[c];
      }
      dh[i] = acc * geluGrad(a[i]);
      db1[e * h + i] += dh[i];
    }
    for (let i = 0; i < d; i++) {
      const xv = x[t * d + i];
      const w = (e * d + i) * h;
      let acc = 0;
      for (let c = 0; c < h; c++) {
        dw1[w + c] += xv * dh[c];
        acc += w1[w + c] * dh[c];
      }
      dx[t * d + i] += acc;
    }
  }
  return r;
}
