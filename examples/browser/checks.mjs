// The engine's op checks, run inside the page: each op on the given device is compared with
// a plain-JavaScript float64 reference. The page's "Self-test" button runs them, and the
// browser test (test/browser/page.test.ts) calls them through window.sgPage.runChecks.

/** Seeded uniform numbers in [lo, hi) (mulberry32), so every run checks the same data. */
function rand(n, seed, lo = -1, hi = 1) {
  let a = seed >>> 0;
  return Float64Array.from({ length: n }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  });
}

/** The largest amount by which |got - want| exceeds atol + rtol·|want| (<= 0 means close). */
function excess(got, want, rtol, atol) {
  if (got.length !== want.length) return Infinity;
  let worst = -Infinity;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]) - (atol + rtol * Math.abs(want[i]));
    worst = Math.max(worst, Number.isNaN(e) ? Infinity : e);
  }
  return worst;
}

/** Row-major (m, n) · (n, p). */
function mm(a, b, m, n, p) {
  const c = new Float64Array(m * p);
  for (let i = 0; i < m; i++) for (let k = 0; k < n; k++) for (let j = 0; j < p; j++) c[i * p + j] += a[i * n + k] * b[k * p + j];
  return c;
}

// erf by its Taylor series (the usual 1e-7 approximations are too coarse for a float64 reference).
const erf = (x) => {
  const ax = Math.abs(x);
  if (ax > 6) return Math.sign(x);
  let sum = ax, term = ax;
  for (let n = 1; n < 200; n++) { term *= (-ax * ax) / n; const t = term / (2 * n + 1); sum += t; if (Math.abs(t) < 1e-17) break; }
  return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
};

/**
 * Runs every check on `device` ('webgpu' or 'cpu') and returns
 * [{ name, ok, detail }]; it never throws (a thrown error is a failed check).
 */
export async function runChecks(sg, device) {
  const results = [];
  const T = (data, shape, opts = {}) => sg.tensor(data, { shape, device, ...opts });
  const tol = device === 'cpu' ? { rtol: 1e-5, atol: 1e-6 } : { rtol: 1e-4, atol: 1e-5 };
  const check = async (name, fn, t = tol) => {
    try {
      const pairs = await fn();
      let worst = -Infinity;
      for (const [got, want] of pairs) worst = Math.max(worst, excess(await got.toArray(), want, t.rtol, t.atol));
      results.push({ name, ok: worst <= 0, detail: worst <= 0 ? 'ok' : `off by ${worst.toExponential(2)} beyond tolerance` });
    } catch (e) {
      results.push({ name, ok: false, detail: String(e?.message ?? e) });
    }
  };

  const a = rand(12, 1), b = rand(4, 2), pos = rand(12, 3, 0.1, 2);
  const unary = {
    exp: Math.exp, tanh: Math.tanh, sigmoid: (v) => 1 / (1 + Math.exp(-v)), relu: (v) => Math.max(v, 0),
    silu: (v) => v / (1 + Math.exp(-v)), gelu: (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)), neg: (v) => -v,
  };
  await check('elementwise: add/sub/mul/div with broadcasting', () => {
    const x = T(a, [3, 4]), y = T(b, [4]);
    const ref = (f) => Array.from(a, (v, i) => f(v, b[i % 4]));
    return [[x.add(y), ref((u, v) => u + v)], [x.sub(y), ref((u, v) => u - v)],
      [x.mul(y), ref((u, v) => u * v)], [x.div(y.add(2)), ref((u, v) => u / (v + 2))]];
  });
  await check(`elementwise: ${Object.keys(unary).join(' ')}`, () => {
    const x = T(a, [3, 4]);
    return Object.entries(unary).map(([op, f]) => [x[op](), Array.from(a, f)]);
  }, { rtol: 2e-4, atol: 2e-5 });
  await check('elementwise: log sqrt pow', () => {
    const x = T(pos, [12]);
    return [[x.log(), Array.from(pos, Math.log)], [x.sqrt(), Array.from(pos, Math.sqrt)], [x.pow(3), Array.from(pos, (v) => v ** 3)]];
  }, { rtol: 2e-4, atol: 2e-5 });

  const m = rand(5 * 7, 4), n = rand(7 * 3, 5);
  await check('matmul (5,7)·(7,3) and a transposed view', () => {
    const x = T(m, [5, 7]), y = T(n, [7, 3]);
    const nt = new Float64Array(21);
    for (let i = 0; i < 7; i++) for (let j = 0; j < 3; j++) nt[j * 7 + i] = n[i * 3 + j];
    const yt = T(nt, [3, 7]).transpose(0, 1); // a (7, 3) view with strides (1, 7): no copy
    return [[x.matmul(y), mm(m, n, 5, 7, 3)], [x.matmul(yt), mm(m, n, 5, 7, 3)]];
  });
  await check('bmm (2,4,6)·(2,6,3)', () => {
    const p = rand(48, 6), q = rand(36, 7);
    const want = new Float64Array(24);
    for (let i = 0; i < 2; i++) want.set(mm(p.subarray(i * 24, i * 24 + 24), q.subarray(i * 18, i * 18 + 18), 4, 6, 3), i * 12);
    return [[T(p, [2, 4, 6]).bmm(T(q, [2, 6, 3])), want]];
  });

  await check('reductions: sum, sum(dim, keepdim), mean(dim), max(dim)', () => {
    const x = T(a, [3, 4]);
    const rows = [0, 1, 2].map((r) => Array.from(a.subarray(r * 4, r * 4 + 4)));
    const cols = [0, 1, 2, 3].map((c) => rows.map((r) => r[c]));
    const { values, indices } = x.max(1);
    return [[x.sum(), [a.reduce((s, v) => s + v, 0)]], [x.sum(1, true), rows.map((r) => r.reduce((s, v) => s + v))],
      [x.mean(0), cols.map((c) => c.reduce((s, v) => s + v) / 3)], [values, rows.map((r) => Math.max(...r))],
      [indices, rows.map((r) => r.indexOf(Math.max(...r)))]];
  });
  await check('softmax and logSoftmax over the last dim', () => {
    const x = T(a.map((v) => 4 * v), [3, 4]);
    const sm = [];
    for (let r = 0; r < 3; r++) {
      const row = Array.from(a.subarray(r * 4, r * 4 + 4), (v) => 4 * v);
      const mx = Math.max(...row), z = row.reduce((s, v) => s + Math.exp(v - mx), 0);
      sm.push(...row.map((v) => Math.exp(v - mx) / z));
    }
    return [[x.softmax(-1), sm], [x.logSoftmax(-1), sm.map(Math.log)]];
  });
  await check('topk(2) over the last dim', () => {
    const x = T(a, [3, 4]);
    const vals = [], idx = [];
    for (let r = 0; r < 3; r++) {
      const row = Array.from(a.subarray(r * 4, r * 4 + 4));
      const order = row.map((_, i) => i).sort((i, j) => row[j] - row[i]).slice(0, 2);
      vals.push(...order.map((i) => row[i])); idx.push(...order);
    }
    const { values, indices } = x.topk(2, -1);
    return [[values, vals], [indices, idx]];
  });
  await check('flattenSortCount (docs/design.md worked example)', () => {
    const r = sg.flattenSortCount(T(new Int32Array([2, 0, 2, 1, 0, 2]), [3, 2]), 3);
    return [[r.sortedExpertIdxs, [0, 0, 1, 2, 2, 2]], [r.sortedScatteredIdxs, [1, 4, 3, 0, 2, 5]], [r.expertOffsets, [2, 3, 6]]];
  }, { rtol: 0, atol: 0 });

  // ScatteredExperts with gates, forward and backward, against the plain loops:
  // y[t] = Σ_j g[t,j] · x[t] W[e_tj];  loss = Σ y ⊙ R, so dL/dy = R.
  const nT = 6, k = 2, E = 3, dIn = 5, dOut = 4;
  const choices = Int32Array.from({ length: nT * k }, (_, s) => [2, 0, 1, 2, 0, 1, 1, 0, 2, 1, 0, 2][s]);
  const xs = rand(nT * dIn, 8), ws = rand(E * dIn * dOut, 9), gs = rand(nT * k, 10, 0.1, 1), R = rand(nT * dOut, 11);
  await check('scatteredExperts with gates: forward and gradients vs plain loops', async () => {
    const x = T(xs, [nT, dIn], { requiresGrad: true });
    const w = T(ws, [E, dIn, dOut], { requiresGrad: true });
    const g = T(gs, [nT, k], { requiresGrad: true });
    const s = sg.flattenSortCount(T(choices, [nT, k]), E);
    const y = sg.scatteredExperts(x, w, k, s.sortedExpertIdxs, s.sortedScatteredIdxs, s.expertOffsets, { gates: g });
    y.mul(T(R, [nT, dOut])).sum().backward();
    const wantY = new Float64Array(nT * dOut), dx = new Float64Array(nT * dIn), dw = new Float64Array(E * dIn * dOut), dg = new Float64Array(nT * k);
    for (let t = 0; t < nT; t++) {
      for (let j = 0; j < k; j++) {
        const e = choices[t * k + j], gate = gs[t * k + j];
        for (let c = 0; c < dOut; c++) {
          let v = 0;
          for (let i = 0; i < dIn; i++) {
            v += xs[t * dIn + i] * ws[(e * dIn + i) * dOut + c];
            dx[t * dIn + i] += gate * R[t * dOut + c] * ws[(e * dIn + i) * dOut + c];
            dw[(e * dIn + i) * dOut + c] += gate * xs[t * dIn + i] * R[t * dOut + c];
          }
          wantY[t * dOut + c] += gate * v;
          dg[t * k + j] += v * R[t * dOut + c];
        }
      }
    }
    return [[y, wantY], [x.grad, dx], [w.grad, dw], [g.grad, dg]];
  });
  await check('backward through matmul, tanh, mul and sum', async () => {
    const x = T(m, [5, 7], { requiresGrad: true }), y = T(n, [7, 3], { requiresGrad: true });
    x.matmul(y).tanh().mul(0.5).sum().backward();
    const h = mm(m, n, 5, 7, 3);
    const dh = Array.from(h, (v) => 0.5 * (1 - Math.tanh(v) ** 2));
    const nT_ = new Float64Array(21), mT = new Float64Array(35);
    for (let i = 0; i < 7; i++) for (let j = 0; j < 3; j++) nT_[j * 7 + i] = n[i * 3 + j];
    for (let i = 0; i < 5; i++) for (let j = 0; j < 7; j++) mT[j * 5 + i] = m[i * 7 + j];
    return [[x.grad, mm(Float64Array.from(dh), nT_, 5, 3, 7)], [y.grad, mm(mT, Float64Array.from(dh), 7, 5, 3)]];
  }, { rtol: 2e-4, atol: 2e-5 });
  await check('crossEntropy and its gradient', async () => {
    const logits = T(a, [3, 4], { requiresGrad: true });
    const target = [3, 0, 2];
    const loss = sg.crossEntropy(logits, T(Int32Array.from(target), [3]));
    loss.backward();
    let want = 0;
    const grad = [];
    for (let r = 0; r < 3; r++) {
      const row = Array.from(a.subarray(r * 4, r * 4 + 4));
      const mx = Math.max(...row), z = row.reduce((s, v) => s + Math.exp(v - mx), 0);
      want += (Math.log(z) + mx - row[target[r]]) / 3;
      grad.push(...row.map((v, i) => (Math.exp(v - mx) / z - (i === target[r] ? 1 : 0)) / 3));
    }
    return [[loss, [want]], [logits.grad, grad]];
  });
  return results;
}
