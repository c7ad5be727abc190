// conv1d and conv2d on both backends against a float64 direct-loop convolution written
// here, at odd sizes over stride / padding ('same' with an even kernel too) / dilation /
// groups; NaN and ±Inf at inner positions; gradients by gradcheck (CPU float64) and, on
// WebGPU, against the CPU float64 gradients; the modules' init bound; bad arguments.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { allclose, arr, backends, f64Copies, gradsOf, rt, throwsWith } from '../helpers.js';

const test = suite('conv');

interface Case {
  name: string;
  x: number[]; // N, C, H, W (or C, H, W when unbatched)
  w: number[]; // Cout, C/G, KH, KW
  bias: boolean;
  stride?: number | number[];
  padding?: number | number[] | 'same' | 'valid';
  dilation?: number | number[];
  groups?: number;
}

const pair = (v: number | number[] | undefined, d: number): number[] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);

/** Direct float64 convolution (cross-correlation) over (N, C, H, W). */
function refConv2d(x: ArrayLike<number>, xs: number[], w: ArrayLike<number>, ws: number[], b: ArrayLike<number> | null, c: Case): { out: Float64Array; shape: number[] } {
  const [N, C, H, W] = xs;
  const [Co, Cg, KH, KW] = ws;
  const G = c.groups ?? 1;
  const s = pair(c.stride, 1);
  const d = pair(c.dilation, 1);
  let pl: number[], pr: number[];
  if (c.padding === 'same') {
    const tot = [d[0] * (KH - 1), d[1] * (KW - 1)];
    pl = tot.map((t) => Math.floor(t / 2));
    pr = tot.map((t, i) => t - pl[i]);
  } else if (c.padding === 'valid') { pl = [0, 0]; pr = [0, 0]; } else { pl = pair(c.padding, 0); pr = pl; }
  const OH = Math.floor((H + pl[0] + pr[0] - d[0] * (KH - 1) - 1) / s[0]) + 1;
  const OW = Math.floor((W + pl[1] + pr[1] - d[1] * (KW - 1) - 1) / s[1]) + 1;
  const out = new Float64Array(N * Co * OH * OW);
  const perG = Co / G;
  let i = 0;
  for (let n = 0; n < N; n++) for (let co = 0; co < Co; co++) {
    const g = Math.floor(co / perG);
    for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
      let acc = b ? b[co] : 0;
      for (let ci = 0; ci < Cg; ci++) {
        const ch = g * Cg + ci;
        for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
          const h = oh * s[0] - pl[0] + kh * d[0];
          const ww = ow * s[1] - pl[1] + kw * d[1];
          if (h < 0 || h >= H || ww < 0 || ww >= W) continue;
          acc += x[((n * C + ch) * H + h) * W + ww] * w[((co * Cg + ci) * KH + kh) * KW + kw];
        }
      }
      out[i++] = acc;
    }
  }
  return { out, shape: [N, Co, OH, OW] };
}

const CASES: Case[] = [
  { name: 'plain 3x2', x: [2, 3, 7, 5], w: [4, 3, 3, 2], bias: true },
  { name: 'stride/pad/dilation pairs', x: [2, 2, 9, 7], w: [3, 2, 3, 3], bias: true, stride: [2, 1], padding: [1, 2], dilation: [1, 2] },
  { name: 'groups 3, stride 2, pad 1', x: [1, 6, 7, 7], w: [9, 2, 3, 3], bias: false, stride: 2, padding: 1, groups: 3 },
  { name: 'depthwise, dilation 2, same', x: [2, 4, 6, 5], w: [4, 1, 3, 3], bias: true, padding: 'same', dilation: 2, groups: 4 },
  { name: 'same with an even kernel (asymmetric)', x: [1, 2, 5, 6], w: [3, 2, 4, 2], bias: true, padding: 'same' },
  { name: 'valid, 1x1', x: [3, 5, 3, 4], w: [2, 5, 1, 1], bias: true, padding: 'valid' },
  { name: 'unbatched, stride 3 past the edge', x: [3, 8, 8], w: [5, 3, 2, 2], bias: true, stride: 3, padding: 1 },
  { name: 'kernel as large as the padded input', x: [1, 1, 3, 2], w: [2, 1, 5, 4], bias: false, padding: 1 },
];

function run(c: Case, x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  return sg.conv2d(x, w, b, c.stride, c.padding, c.dilation, c.groups);
}

test('conv2d matches the direct float64 loop over stride / padding / dilation / groups, both backends', async () => {
  let seed = 1;
  for (const dev of await backends()) {
    for (const c of CASES) {
      const { t: x, x: xv } = rt(c.x, seed++, dev);
      const { t: w, x: wv } = rt(c.w, seed++, dev);
      const bb = c.bias ? rt([c.w[0]], seed++, dev) : null;
      const batched = c.x.length === 4;
      const want = refConv2d(xv, batched ? c.x : [1, ...c.x], wv, c.w, bb?.x ?? null, c);
      const y = run(c, x, w, bb?.t ?? null);
      assert.equal(y.shape, batched ? want.shape : want.shape.slice(1), `${dev} ${c.name} shape`);
      allclose(await arr(y), want.out, { rtol: 1e-5, atol: 1e-5 }, `${dev} ${c.name}`);
      // the options-object form gives the same
      const y2 = sg.conv2d(x, w, { bias: bb?.t ?? null, stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups });
      allclose(await arr(y2), want.out, { rtol: 1e-5, atol: 1e-5 }, `${dev} ${c.name} (options)`);
      x.dispose(); w.dispose(); bb?.t.dispose();
    }
  }
});

test('conv1d matches the direct loop (as a height-1 conv2d), batched and unbatched', async () => {
  let seed = 100;
  for (const dev of await backends()) {
    for (const [xs, ws, stride, padding, dilation, groups] of [
      [[2, 4, 11], [6, 2, 3], 2, 1, 2, 2], [[3, 9], [2, 3, 4], 1, 'same', 1, 1], [[1, 1, 5], [1, 1, 5], 1, 'valid', 1, 1],
    ] as Array<[number[], number[], number, number | 'same' | 'valid', number, number]>) {
      const { t: x, x: xv } = rt(xs, seed++, dev);
      const { t: w, x: wv } = rt(ws, seed++, dev);
      const { t: b, x: bv } = rt([ws[0]], seed++, dev);
      const x4 = xs.length === 3 ? [xs[0], xs[1], 1, xs[2]] : [1, xs[0], 1, xs[1]];
      const want = refConv2d(xv, x4, wv, [ws[0], ws[1], 1, ws[2]], bv, { name: '', x: x4, w: ws, bias: true, stride: [1, stride], padding: padding === 'same' || padding === 'valid' ? padding : [0, padding], dilation: [1, dilation], groups });
      const y = sg.conv1d(x, w, b, stride, padding, dilation, groups);
      assert.equal(y.shape, xs.length === 3 ? [want.shape[0], want.shape[1], want.shape[3]] : [want.shape[1], want.shape[3]], `${dev} conv1d shape`);
      allclose(await arr(y), want.out, { rtol: 1e-5, atol: 1e-5 }, `${dev} conv1d ${xs} ${ws}`);
      x.dispose(); w.dispose(); b.dispose();
    }
  }
});

test('NaN and ±Inf in the input reach exactly the outputs whose windows read them; an empty batch works', async () => {
  for (const dev of await backends()) {
    const xs = [1, 2, 5, 5];
    const xv = Array.from({ length: 50 }, (_, i) => ((i * 7) % 11) / 5 - 1);
    xv[12] = NaN; xv[31] = Infinity; xv[44] = -Infinity;
    const wv = Array.from({ length: 2 * 2 * 3 * 3 }, (_, i) => ((i * 5) % 7) / 3 - 1);
    const c: Case = { name: 'nan', x: xs, w: [2, 2, 3, 3], bias: false, padding: 1, stride: 2 };
    const want = refConv2d(xv, xs, wv, c.w, null, c);
    const got = await arr(run(c, sg.tensor(xv, { shape: xs, device: dev }), sg.tensor(wv, { shape: c.w, device: dev }), null));
    assert.ok(want.out.some(Number.isNaN) && want.out.some((v) => !Number.isFinite(v) && !Number.isNaN(v)) && want.out.some(Number.isFinite), 'the case mixes NaN, Inf and finite outputs');
    allclose(got, want.out, { rtol: 1e-5, atol: 1e-5 }, `${dev} NaN/Inf propagation`);
    const e = sg.conv2d(sg.zeros([0, 2, 5, 5], { device: dev }), sg.ones([3, 2, 3, 3], { device: dev }), sg.ones([3], { device: dev }));
    assert.equal(e.shape, [0, 3, 3, 3]);
    e.dispose();
  }
});

test('strided (non-contiguous) inputs and weights give the same as contiguous copies', async () => {
  for (const dev of await backends()) {
    const { t: xt } = rt([2, 3, 5, 6], 700, dev);
    const { t: wt } = rt([4, 3, 2, 3], 701, dev);
    const x = xt.transpose(2, 3); // (2, 3, 6, 5), not contiguous
    const w = wt.transpose(2, 3).slice(0, 0, 4, 2); // (2, 3, 3, 2) every other filter
    const want = await arr(sg.conv2d(x.contiguous(), w.contiguous(), null, 1, 1));
    allclose(await arr(sg.conv2d(x, w, null, 1, 1)), want, { rtol: 0, atol: 0 }, `${dev} strided conv2d`);
    const p = await arr(sg.maxPool2d(x.contiguous(), 2) as Tensor);
    allclose(await arr(sg.maxPool2d(x, 2) as Tensor), p, { rtol: 0, atol: 0 }, `${dev} strided maxPool2d`);
    xt.dispose(); wt.dispose();
  }
});

test('conv gradients: gradcheck in float64 on the CPU, WebGPU against the CPU', async () => {
  const gcases: Case[] = [CASES[1], CASES[2], CASES[3], CASES[4], { name: 'unbatched stride 2', x: [2, 5, 4], w: [3, 2, 2, 3], bias: true, stride: 2, padding: [0, 1] }];
  let seed = 300;
  for (const c of gcases) {
    const small = { ...c, x: c.x.length === 4 ? [1, ...c.x.slice(1)] : c.x };
    const fn = (x: Tensor, w: Tensor, b?: Tensor): Tensor => run(small, x, w, b ?? null);
    const ins = [small.x, small.w, ...(c.bias ? [[c.w[0]]] : [])];
    await sg.gradcheck(fn, ins.map((s) => sg.tensor(rt(s, seed++, 'cpu').x, { shape: s, dtype: 'float64', device: 'cpu', requiresGrad: true })));
    if ((await backends()).includes('webgpu')) {
      const fnb = (x: Tensor, w: Tensor, b?: Tensor): Tensor => run(c, x, w, b ?? null);
      const ins2 = [c.x, c.w, ...(c.bias ? [[c.w[0]]] : [])];
      const gpu = ins2.map((s) => rt(s, seed++, 'webgpu', { requiresGrad: true }).t);
      const cpu = await f64Copies(gpu);
      const got = await gradsOf(fnb, gpu);
      const want = await gradsOf(fnb, cpu);
      allclose(got.out, want.out, { rtol: 1e-5, atol: 1e-5 }, `${c.name} output`);
      got.grads.forEach((g, i) => allclose(g!, want.grads[i]!, { rtol: 1e-4, atol: 1e-5 }, `${c.name} grad ${i}`));
    }
  }
  // conv1d's gradient goes through the same pieces; one check that the reshapes are wired right
  await sg.gradcheck((x: Tensor, w: Tensor, b: Tensor) => sg.conv1d(x, w, b, 2, 1, 2), [[2, 2, 9], [3, 2, 3], [3]].map((s, i) => sg.tensor(rt(s, 400 + i, 'cpu').x, { shape: s, dtype: 'float64', device: 'cpu', requiresGrad: true })));
});

test('float16 conv2d where the adapter has shader-f16', async () => {
  for (const dev of await backends()) {
    if (dev === 'webgpu' && !sg.deviceInfo().features.includes('shader-f16')) continue;
    const c = CASES[1];
    const { t: x, x: xv } = rt(c.x, 500, dev, { dtype: 'float16' });
    const { t: w, x: wv } = rt(c.w, 501, dev, { dtype: 'float16' });
    const { t: b, x: bv } = rt([c.w[0]], 502, dev, { dtype: 'float16' });
    const want = refConv2d(xv, c.x, wv, c.w, bv, c);
    const y = run(c, x, w, b);
    assert.is(y.dtype, 'float16');
    allclose(await arr(y), want.out, { rtol: 1e-2, atol: 1e-2 }, `${dev} float16 conv2d`);
    x.dispose(); w.dispose(); b.dispose();
  }
});

test('nn.Conv2d / nn.Conv1d: PyTorch init bound 1/sqrt(fan_in), forward is sg.conv2d', async () => {
  for (const dev of await backends()) {
    const m = new sg.nn.Conv2d(6, 4, [3, 2], { groups: 2, stride: 2, padding: 1, seed: 3, device: dev });
    assert.equal(m.weight.shape, [4, 3, 3, 2]);
    const bound = 1 / Math.sqrt(3 * 3 * 2);
    const wv = await m.weight.toArray();
    const bv = await m.bias!.toArray();
    assert.ok([...wv, ...bv].every((v) => Math.abs(v) <= bound), 'init within ±1/sqrt(fan_in)');
    assert.ok(Math.max(...Array.from(wv, Math.abs)) > 0.8 * bound, 'init uses the bound');
    const { t: x, x: xv } = rt([2, 6, 5, 5], 600, dev);
    const want = refConv2d(xv, [2, 6, 5, 5], wv, [4, 3, 3, 2], bv, { name: '', x: [], w: [], bias: true, stride: 2, padding: 1, groups: 2 });
    allclose(await arr(m.forward(x)), want.out, { rtol: 1e-5, atol: 1e-5 }, `${dev} nn.Conv2d`);
    assert.equal(m.namedParameters().map(([n]) => n), ['weight', 'bias']);
    const m1 = new sg.nn.Conv1d(2, 3, 3, { bias: false, padding: 'same', device: dev });
    assert.is(m1.bias, null);
    assert.equal(m1.forward(sg.zeros([2, 7], { device: dev })).shape, [3, 7]);
    x.dispose(); m.dispose(); m1.dispose();
  }
});

test('bad arguments throw naming conv2d / conv1d and the shapes, before any work', async () => {
  for (const dev of await backends()) {
  const z = (shape: number[]): Tensor => sg.zeros(shape, { device: dev });
  const x = z([1, 3, 5, 5]);
  const w = z([4, 3, 3, 3]);
  throwsWith(() => sg.conv2d(x, z([4, 2, 3, 3])), /^conv2d: input of shape \[1, 3, 5, 5\] has 3 channels/);
  throwsWith(() => sg.conv2d(x, w, null, 2, 'same'), /^conv2d: padding='same' is not supported for strided/);
  throwsWith(() => sg.conv2d(x, w, null, 1, 'full' as 'same'), /^conv2d: padding must be/);
  throwsWith(() => sg.conv2d(x, w, null, 0), /^conv2d: stride must be/);
  throwsWith(() => sg.conv2d(x, w, null, 1, -1), /^conv2d: padding must be/);
  throwsWith(() => sg.conv2d(x, w, null, 1, 0, [1, 0]), /^conv2d: dilation must be/);
  throwsWith(() => sg.conv2d(x, z([4, 1, 3, 3]), null, 1, 0, 1, 2), /^conv2d: out_channels 4 .* divisible|^conv2d: input of shape/);
  throwsWith(() => sg.conv2d(x, z([4, 3, 7, 3])), /^conv2d: the kernel \[7, 3\]/);
  throwsWith(() => sg.conv2d(x, w, z([3])), /^conv2d: bias must have shape \[4\]/);
  throwsWith(() => sg.conv2d(z([5, 5]), w), /^conv2d: expected a 3-D/);
  throwsWith(() => sg.conv2d(x.cast('int32'), w), /^conv2d: input has dtype int32/);
  throwsWith(() => sg.conv2d(x, w, { strid: 2 } as never), /^conv2d: unknown option 'strid'/);
  throwsWith(() => sg.conv1d(z([1, 2, 5]), z([3, 2, 2]), null, [1, 1]), /^conv1d: stride must be an integer/);
  throwsWith(() => new sg.nn.Conv2d(3, 4, 3, { groups: 2, device: dev }), /^Conv2d: inChannels 3 must be divisible by groups 2/);
  throwsWith(() => new sg.nn.Conv2d(3, 4, 0, { device: dev }), /^Conv2d: kernelSize must be/);
  throwsWith(() => new sg.nn.Conv2d(3, 4, 3, { padding: 'same', stride: 2, device: dev }), /^Conv2d: padding='same' is not supported for strided/);
  const y = sg.conv2d(x, w, null, 1, 1);
  assert.equal(y.shape, [1, 4, 5, 5], 'still usable after the errors');
  x.dispose(); w.dispose(); y.dispose();
  }
});

test.run();
