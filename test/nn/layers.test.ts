// Linear, Embedding, LayerNorm, RMSNorm and CausalSelfAttention on every backend: outputs
// against plain float64 loops written here, gradients against the float64 CPU twin's
// autograd (checked by gradcheck).
import { test } from 'uvu';
import * as sg from '../../src/index.js';
import { Linear, Embedding, LayerNorm, RMSNorm, CausalSelfAttention } from '../../src/nn/index.js';
import * as assert from 'uvu/assert';
import { allclose, backends, randInts, rt, throwsWith } from '../helpers.js';
import { checkModule } from './util.js';

// ---- float64 references ----

/** y[r, o] = Σ_i x[r, i]·W[o, i] + b[o]. */
function refLinear(x: Float64Array, w: Float64Array, b: Float64Array | undefined, inF: number, outF: number): Float64Array {
  const rows = x.length / inF;
  const y = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < inF; i++) s += x[r * inF + i] * w[o * inF + i];
      y[r * outF + o] = s;
    }
  }
  return y;
}

function refNorm(x: Float64Array, dim: number, eps: number, rms: boolean, w?: Float64Array, b?: Float64Array): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / dim; r++) {
    const row = x.subarray(r * dim, (r + 1) * dim);
    const mean = rms ? 0 : row.reduce((a, v) => a + v, 0) / dim;
    const ms = row.reduce((a, v) => a + (v - mean) ** 2, 0) / dim;
    for (let i = 0; i < dim; i++) y[r * dim + i] = ((row[i] - mean) / Math.sqrt(ms + eps)) * (w ? w[i] : 1) + (b ? b[i] : 0);
  }
  return y;
}

/** Causal multi-head attention on (B, T, C), heads of size C/H. */
function refAttention(x: Float64Array, p: Record<string, Float64Array>, bsz: number, t: number, c: number, h: number): Float64Array {
  const qkv = refLinear(x, p['qkv.weight'], p['qkv.bias'], c, 3 * c);
  const d = c / h;
  const merged = new Float64Array(bsz * t * c);
  const at = (bi: number, ti: number, part: number, hi: number, di: number): number => qkv[(bi * t + ti) * 3 * c + part * c + hi * d + di];
  for (let bi = 0; bi < bsz; bi++) {
    for (let hi = 0; hi < h; hi++) {
      for (let i = 0; i < t; i++) {
        const s: number[] = [];
        for (let j = 0; j <= i; j++) {
          let dot = 0;
          for (let di = 0; di < d; di++) dot += at(bi, i, 0, hi, di) * at(bi, j, 1, hi, di);
          s.push(dot / Math.sqrt(d));
        }
        const mx = Math.max(...s);
        const e = s.map((v) => Math.exp(v - mx));
        const z = e.reduce((a, v) => a + v, 0);
        for (let di = 0; di < d; di++) {
          let acc = 0;
          for (let j = 0; j <= i; j++) acc += (e[j] / z) * at(bi, j, 2, hi, di);
          merged[(bi * t + i) * c + hi * d + di] = acc;
        }
      }
    }
  }
  return refLinear(merged, p['proj.weight'], p['proj.bias'], c, c);
}

// ---- modules ----

test('Linear: output and gradients for any leading dims, with and without bias', async () => {
  for (const dev of await backends()) {
    const cases: Array<[number[], boolean]> = [[[5], true], [[2, 3], false], [[], true]];
    for (const [lead, bias] of cases) {
      const x = rt([...lead, 4], 1, dev, { requiresGrad: true }).t;
      await checkModule({
        what: `Linear(4, 3) lead [${lead}] bias ${bias}`, dev, inputs: [x], gradcheck: true,
        make: (o) => new Linear(4, 3, { ...o, bias, seed: 7 }),
        fwd: (m, xi) => [m.forward(xi)],
        ref: (p, [xd]) => [refLinear(xd, p.weight, p.bias, 4, 3)],
      });
      x.dispose();
    }
  }
});

test('Linear: PyTorch init bounds, seeded, same numbers on every backend', async () => {
  const arrays: Float32Array[] = [];
  for (const dev of await backends()) {
    const m = new Linear(16, 8, { seed: 3, device: dev });
    const w = await m.weight.toArray() as Float32Array;
    const bound = 1 / Math.sqrt(16);
    if (w.some((v) => Math.abs(v) > bound) || new Set(w).size < 100) throw new Error(`Linear init on ${dev} is not U(±1/√in)`);
    if ((await m.bias!.toArray()).some((v) => Math.abs(v) > bound)) throw new Error('Linear bias init out of bounds');
    arrays.push(w);
    m.dispose();
  }
  if (arrays.length === 2 && arrays[0].some((v, i) => v !== arrays[1][i])) throw new Error('seeded init differs between backends');
  const a = new Linear(4, 4, { seed: 1, device: 'cpu' });
  const b = new Linear(4, 4, { seed: 2, device: 'cpu' });
  const wa = await a.weight.toArray();
  const bb = await b.bias!.toArray();
  if (wa.slice(0, 4).every((v, i) => v === bb[i])) throw new Error('child seeds collide between neighbouring seeds');
  a.dispose();
  b.dispose();
});

test('Embedding: rows for any index shape, gradient accumulates repeated indices', async () => {
  for (const dev of await backends()) {
    const idx = sg.tensor(randInts(6, 4, 0, 5), { shape: [2, 3], dtype: 'int32', device: dev });
    await checkModule({
      what: 'Embedding(5, 3)', dev, inputs: [idx], gradcheck: true,
      make: (o) => new Embedding(5, 3, { ...o, seed: 2 }),
      fwd: (m, i) => [m.forward(i)],
      ref: (p, [ix]) => [Float64Array.from(Array.from(ix).flatMap((r) => Array.from(p.weight.subarray(r * 3, r * 3 + 3))))],
    });
    idx.dispose();
  }
  const m = new Embedding(5, 3, { device: 'cpu' });
  throwsWith(() => m.forward(sg.tensor([1, 2], { device: 'cpu' })), /Embedding/, /int32/, /\[2\]/);
  m.dispose();
});

// torch 2.14: rms_norm's default eps is its compute type's (float64's for float64, where
// float32's would swamp these small values), and eps 0 is allowed.
test('rmsNorm and RMSNorm default eps by dtype; LayerNorm and RMSNorm take eps 0', async () => {
  const x = sg.tensor([[1e-4, -2e-4, 1.5e-4, 0.5e-4]], { dtype: 'float64', device: 'cpu' });
  const want64 = [0.7302967390159963, -1.4605934780319927, 1.0954451085239942, 0.36514836950799817];
  allclose(await sg.rmsNorm(x).toArray(), want64, { rtol: 1e-12, atol: 0 }, 'rmsNorm float64');
  const m = new RMSNorm(4, { dtype: 'float64', device: 'cpu' });
  allclose(await m.forward(x).toArray(), want64, { rtol: 1e-12, atol: 0 }, 'RMSNorm float64');
  for (const dev of await backends()) {
    const x32 = sg.tensor([[1e-4, -2e-4, 1.5e-4, 0.5e-4]], { device: dev });
    allclose(await sg.rmsNorm(x32).toArray(), [0.2692306637763977, -0.5384613275527954, 0.40384602546691895, 0.13461533188819885], { rtol: 1e-5, atol: 0 }, `rmsNorm float32 on ${dev}`);
    const ln = new LayerNorm(4, { eps: 0, device: dev });
    allclose(await ln.forward(sg.tensor([[1, 2, 3, 4]], { device: dev })).toArray(), [-1.3416407108306885, -0.4472135901451111, 0.4472135901451111, 1.3416407108306885], { rtol: 1e-5, atol: 0 }, `LayerNorm eps 0 on ${dev}`);
    assert.is(new RMSNorm(4, { eps: 0, device: dev }).eps, 0);
  }
  throwsWith(() => new LayerNorm(4, { eps: -1 }), /^LayerNorm: option eps must be a finite number >= 0, got -1/);
});

test('LayerNorm and RMSNorm: output and gradients, affine or not', async () => {
  for (const dev of await backends()) {
    const x = rt([2, 3, 6], 5, dev, { requiresGrad: true, lo: -2, hi: 3 }).t;
    // Give the affine parameters non-trivial values so their gradients are tested fully.
    const perturb = <M extends LayerNorm | RMSNorm>(m: M): M => {
      sg.noGrad(() => {
        m.weight?.add_(sg.rand([6], { seed: 11, device: m.weight.device, dtype: m.weight.dtype }));
        if (m instanceof LayerNorm) m.bias?.add_(sg.rand([6], { seed: 12, device: m.bias.device, dtype: m.bias.dtype }));
      });
      return m;
    };
    await checkModule({
      what: 'LayerNorm(6)', dev, inputs: [x], gradcheck: true,
      make: (o) => perturb(new LayerNorm(6, o)),
      fwd: (m, xi) => [m.forward(xi)],
      ref: (p, [xd]) => [refNorm(xd, 6, 1e-5, false, p.weight, p.bias)],
    });
    await checkModule({
      what: 'LayerNorm(6, no affine, eps 1e-3)', dev, inputs: [x], gradcheck: true,
      make: (o) => new LayerNorm(6, { ...o, elementwiseAffine: false, eps: 1e-3 }),
      fwd: (m, xi) => [m.forward(xi)],
      ref: (_p, [xd]) => [refNorm(xd, 6, 1e-3, false)],
    });
    await checkModule({
      what: 'RMSNorm(6)', dev, inputs: [x], gradcheck: true,
      make: (o) => perturb(new RMSNorm(6, { ...o, eps: 1e-6 })),
      fwd: (m, xi) => [m.forward(xi)],
      ref: (p, [xd]) => [refNorm(xd, 6, 1e-6, true, p.weight)],
    });
    x.dispose();
  }
  const ln = new LayerNorm(6, { device: 'cpu' });
  throwsWith(() => ln.forward(sg.zeros([2, 5], { device: 'cpu' })), /LayerNorm/, /last dim 6/, /\[2, ?5\]/);
  ln.dispose();
});

test('CausalSelfAttention: output and gradients; the future does not leak into the past', async () => {
  for (const dev of await backends()) {
    const [b, t, c, h] = [2, 4, 8, 2];
    const x = rt([b, t, c], 8, dev, { requiresGrad: true }).t;
    await checkModule({
      what: 'CausalSelfAttention(8, 2)', dev, inputs: [x], gradcheck: dev === 'cpu',
      make: (o) => new CausalSelfAttention(c, h, { ...o, seed: 5 }),
      fwd: (m, xi) => [m.forward(xi)],
      ref: (p, [xd]) => [refAttention(xd, p, b, t, c, h)],
    });
    x.dispose();
    // Changing the last position must leave the outputs at earlier positions unchanged.
    const m = new CausalSelfAttention(c, h, { seed: 5, device: dev });
    const x1 = rt([1, t, c], 9, dev).x;
    const x2 = Float64Array.from(x1);
    for (let i = (t - 1) * c; i < t * c; i++) x2[i] += 1;
    const [y1, y2] = await Promise.all([x1, x2].map((d) => sg.tidy(() => m.forward(sg.tensor(d, { shape: [1, t, c], device: dev }))).toArray()));
    for (let i = 0; i < (t - 1) * c; i++) if (Math.abs(y1[i] - y2[i]) > 1e-6) throw new Error(`attention on ${dev}: output ${i} depends on a later position`);
    throwsWith(() => m.forward(sg.zeros([2, 3], { device: dev })), /CausalSelfAttention/, /\(B, T, 8\)/, /\[2, ?3\]/);
    throwsWith(() => new CausalSelfAttention(6, 4), /CausalSelfAttention/, /divisible/);
    m.dispose();
  }
});

test.run();
