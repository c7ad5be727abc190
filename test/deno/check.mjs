// Runs under Deno (`deno run -A test/deno/check.mjs cpu|webgpu`): a representative subset of
// scattergrad on one backend, each result checked against a reference computed here in plain
// JavaScript. Prints one JSON line { backend, passed, failed, errors, losses }; exits 1 on any
// failure. test/deno/deno.test.ts runs it on both backends.
import * as sg from '../../dist/browser/index.js';
import { train } from './train.mjs';

const want = Deno.args[0] ?? 'cpu';
const info = await sg.init({ backend: want === 'cpu' ? 'cpu' : 'auto', quiet: true });
if (info.backend !== want) {
  console.log(JSON.stringify({ backend: info.backend, passed: 0, failed: 1, errors: [`asked for ${want}, got ${info.backend}`] }));
  Deno.exit(1);
}
const device = info.backend;
const errors = [];
let passed = 0;

function close(name, got, exp, tol = 1e-4) {
  got = Array.from(got);
  exp = Array.from(exp);
  const bad = got.length !== exp.length ? 'length' : exp.findIndex((e, i) => !(Math.abs(got[i] - e) <= tol * (1 + Math.abs(e))) && !(Number.isNaN(e) && Number.isNaN(got[i])));
  if (bad === -1) passed++;
  else errors.push(`${name}: got [${got.slice(0, 8)}] expected [${exp.slice(0, 8)}] (first difference at ${bad})`);
}
async function check(name, fn) {
  try { await fn(); } catch (e) { errors.push(`${name}: threw ${e?.stack ?? e}`); }
}
const arr = (t) => t.toArray();
const T = (v, opts = {}) => sg.tensor(v, { device, ...opts });
const lcg = (n, seed) => { let s = seed; return Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1); };
// Plain-JS references.
const mm = (a, b, n, k, m) => Array.from({ length: n * m }, (_, i) => { let s = 0; for (let j = 0; j < k; j++) s += a[Math.floor(i / m) * k + j] * b[j * m + (i % m)]; return s; });
const rowsOf = (a, m) => Array.from({ length: a.length / m }, (_, r) => a.slice(r * m, r * m + m));
const softmaxRow = (r) => { const mx = Math.max(...r); const e = r.map((v) => Math.exp(v - mx)); const s = e.reduce((p, q) => p + q); return e.map((v) => v / s); };

const a = lcg(12, 1);
const b = lcg(12, 2);

await check('creation', async () => {
  close('zeros', await arr(sg.zeros([2, 3], { device })), [0, 0, 0, 0, 0, 0]);
  close('arange', await arr(sg.arange(1, 7, 2, { device })), [1, 3, 5]);
  close('full', await arr(sg.full([2], 2.5, { device })), [2.5, 2.5]);
});
await check('elementwise', async () => {
  const x = T(a, { shape: [3, 4] });
  const y = T(b, { shape: [3, 4] });
  close('add·mul', await arr(x.add(y).mul(2)), a.map((v, i) => (v + b[i]) * 2));
  close('exp', await arr(x.exp()), a.map(Math.exp));
  close('broadcast', await arr(x.sub(T([1, 2, 3, 4]))), a.map((v, i) => v - (1 + (i % 4))));
  close('where', await arr(sg.where(x.gt(0), x, y)), a.map((v, i) => (v > 0 ? v : b[i])));
});
await check('reductions', async () => {
  const x = T(a, { shape: [3, 4] });
  close('sum', [await x.sum().item()], [a.reduce((p, q) => p + q)]);
  close('mean(1)', await arr(x.mean(1)), rowsOf(a, 4).map((r) => r.reduce((p, q) => p + q) / 4));
  close('amax(0)', await arr(x.amax(0)), [0, 1, 2, 3].map((j) => Math.max(a[j], a[4 + j], a[8 + j])));
});
await check('matmul', async () => {
  close('matmul', await arr(T(a, { shape: [3, 4] }).matmul(T(b, { shape: [4, 3] }))), mm(a, b, 3, 4, 3));
});
await check('softmax and crossEntropy', async () => {
  const x = T(a, { shape: [3, 4] });
  close('softmax', await arr(x.softmax(-1)), rowsOf(a, 4).flatMap(softmaxRow));
  const target = [2, 0, 3];
  const ce = rowsOf(a, 4).map((r, i) => -Math.log(softmaxRow(r)[target[i]])).reduce((p, q) => p + q) / 3;
  close('crossEntropy', [await sg.crossEntropy(x, T(Int32Array.from(target))).item()], [ce]);
});
await check('#24 ops', async () => {
  close('cumsum', await arr(sg.cumsum(T([1, 2, 3, 4]), 0)), [1, 3, 6, 10]);
  const s = sg.sort(T([3, 1, 2, 1]));
  close('sort values', await arr(s.values), [1, 1, 2, 3]);
  close('sort indices (stable)', await arr(s.indices), [1, 3, 2, 0]);
  close('clamp', await arr(sg.clamp(T(a), -0.5, 0.5)), a.map((v) => Math.min(0.5, Math.max(-0.5, v))));
  close('maskedFill', await arr(sg.maskedFill(T([1, 2, 3]), T([1, 0, 1]).gt(0), -1)), [-1, 2, -1]);
});
await check('autograd', async () => {
  const x = T(a, { shape: [3, 4], requiresGrad: true });
  x.mul(x).sum().backward();
  close('d(sum x²)/dx', await arr(x.grad), a.map((v) => 2 * v));
  const w = T(b.slice(0, 4), { shape: [4, 1], requiresGrad: true });
  T(a, { shape: [3, 4] }).matmul(w).tanh().sum().backward();
  const z = mm(a, b.slice(0, 4), 3, 4, 1);
  close('d/dw tanh(xw)', await arr(w.grad), [0, 1, 2, 3].map((j) => z.reduce((s, zi, i) => s + (1 - Math.tanh(zi) ** 2) * a[i * 4 + j], 0)));
});
await check('nn.Linear + SGD step', async () => {
  const lin = new sg.nn.Linear(4, 2, { device, seed: 1 });
  const W = await arr(lin.weight);
  const B = await arr(lin.bias);
  const x = T(a, { shape: [3, 4] });
  lin.forward(x).sum().backward();
  new sg.optim.SGD(lin.parameters(), { lr: 0.1 }).step();
  // d(sum(xWᵀ + b))/dW[o, i] = Σ_rows x[r, i]; d/db = rows.
  const colSum = [0, 1, 2, 3].map((j) => a[j] + a[4 + j] + a[8 + j]);
  close('weight after step', await arr(lin.weight), Array.from(W, (v, i) => v - 0.1 * colSum[i % 4]));
  close('bias after step', await arr(lin.bias), Array.from(B, (v) => v - 0.1 * 3));
});
await check('safetensors round trip', async () => {
  const bytes = await sg.serializeSafetensors({ w: T(a, { shape: [3, 4] }), i: T(Int32Array.from([5, -6])) }, { note: 'deno' });
  const back = sg.parseSafetensors(bytes, { device });
  close('w', await arr(back.tensors.w), Float32Array.from(a));
  close('i', await arr(back.tensors.i), [5, -6]);
  if (back.metadata.note !== 'deno') errors.push(`safetensors metadata: ${JSON.stringify(back.metadata)}`);
});
await check('scatteredExperts', async () => {
  // 3 tokens, k = 2 of E = 3 experts; y[t] = Σ_j gate[t,j] · x[t] W[e_tj].
  const choice = [2, 0, 2, 1, 0, 2];
  const gate = [0.7, 0.3, 0.6, 0.4, 0.5, 0.5];
  const r = sg.flattenSortCount(T(Int32Array.from(choice), { shape: [3, 2] }), 3);
  close('sortedExpertIdxs', await arr(r.sortedExpertIdxs), [0, 0, 1, 2, 2, 2]);
  close('expertOffsets', await arr(r.expertOffsets), [2, 3, 6]);
  const xs = lcg(12, 3);
  const ws = lcg(24, 4); // (E=3, dIn=4, dOut=2)
  const y = sg.scatteredExperts(T(xs, { shape: [3, 4] }), T(ws, { shape: [3, 4, 2] }), 2, r.sortedExpertIdxs, r.sortedScatteredIdxs, r.expertOffsets, { gates: T(gate, { shape: [3, 2] }) });
  const ref = [];
  for (let t = 0; t < 3; t++) for (let o = 0; o < 2; o++) {
    let s = 0;
    for (let j = 0; j < 2; j++) { const e = choice[t * 2 + j]; for (let i = 0; i < 4; i++) s += gate[t * 2 + j] * xs[t * 4 + i] * ws[e * 8 + i * 2 + o]; }
    ref.push(s);
  }
  close('scatteredExperts', await arr(y), ref);
});
let losses = [];
await check('training', async () => { losses = await train(sg, device); });
console.log(JSON.stringify({ backend: device, passed, failed: errors.length, errors, losses }));
await sg.destroy();
Deno.exit(errors.length ? 1 : 0);
