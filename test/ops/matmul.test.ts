// matmul and bmm on every backend against a float64 JS reference: every rank combination,
// batch broadcasting, transposed/permuted/sliced views as inputs, sizes that are not tile
// multiples, float16, gradients, and bad input.
import { test } from 'uvu';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { runtime } from '../../src/backend/runtime.js';
import { roundF16 } from '../../src/tensor/dtype.js';
import { isCpuAdapter } from '../../src/gemm/choose.js';
import {
  backends, rt, allclose, throwsWith, gradsOf, f64Copies, numel, broadcastShape, forEachIndex, tolFor, type Dev, type Tol,
  spyDispatches,
} from '../helpers.js';

// ---- float64 reference ----

/** Row-major offset of batch index `idx` (of the broadcast batch shape) into an operand of batch shape `from`. */
function batchOffset(from: readonly number[], idx: readonly number[], matSize: number): number {
  let off = 0;
  let stride = matSize;
  for (let d = from.length - 1; d >= 0; d--) {
    const i = idx[idx.length - from.length + d];
    off += (from[d] === 1 ? 0 : i) * stride;
    stride *= from[d];
  }
  return off;
}

/** PyTorch's matmul on row-major data. */
function refMatmul(x: ArrayLike<number>, xs: number[], y: ArrayLike<number>, ys: number[]): { data: Float64Array; shape: number[] } {
  const a2 = xs.length === 1 ? [1, xs[0]] : xs;
  const b2 = ys.length === 1 ? [ys[0], 1] : ys;
  const [M, K] = a2.slice(-2);
  const N = b2[b2.length - 1];
  const ba = a2.slice(0, -2);
  const bb = b2.slice(0, -2);
  const batch = broadcastShape(ba, bb);
  const data = new Float64Array(numel(batch) * M * N);
  forEachIndex(batch, (bi, idx) => {
    const oa = batchOffset(ba, idx, M * K);
    const ob = batchOffset(bb, idx, K * N);
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += x[oa + m * K + k] * y[ob + k * N + n];
        data[bi * M * N + m * N + n] = s;
      }
    }
  });
  const shape = [...batch, ...(xs.length > 1 ? [M] : []), ...(ys.length > 1 ? [N] : [])];
  return { data, shape };
}

/** Row-major data of a permuted array (what x.permute(dims) holds logically). */
function refPermute(x: ArrayLike<number>, shape: number[], dims: number[]): Float64Array {
  const strides = shape.map((_, i) => numel(shape.slice(i + 1)));
  const to = dims.map((d) => shape[d]);
  const out = new Float64Array(x.length);
  forEachIndex(to, (i, idx) => {
    let off = 0;
    idx.forEach((v, j) => { off += v * strides[dims[j]]; });
    out[i] = x[off];
  });
  return out;
}

const F32: Tol = { rtol: 1e-4, atol: 1e-4 };

async function check(y: Tensor, exp: { data: Float64Array; shape: number[] }, what: string, tol: Tol = F32): Promise<void> {
  if (y.shape.join() !== exp.shape.join()) throw new Error(`${what}: shape [${y.shape}] != expected [${exp.shape}]`);
  allclose(await y.toArray(), exp.data, tol, what);
}

const hasF16 = (): boolean => sg.deviceInfo().features.includes('shader-f16');

// ---- forward ----

test('matmul: every rank combination, odd sizes, batch broadcasting', async () => {
  const cases: Array<[number[], number[]]> = [
    [[7], [7]], [[1], [1]], [[7], [7, 5]], [[5, 7], [7]], [[3, 7], [7, 5]], [[1, 1], [1, 1]],
    [[2, 3, 7], [7]], [[7], [2, 7, 5]], [[2, 1, 3, 4], [5, 4, 6]], [[4, 3, 5], [5, 2]],
    [[3, 5], [4, 5, 2]], [[1, 3, 5], [4, 5, 2]], [[2, 3, 1, 4, 5], [3, 1, 5, 6]],
    [[65, 65], [65, 65]], [[130, 70], [70, 129]], [[1, 257], [257, 1]], [[3, 65, 33], [3, 33, 67]],
    [[2, 40, 17], [17, 70]],
  ];
  for (const dev of await backends()) {
    let seed = 10;
    for (const [sa, sb] of cases) {
      const { t: a, x } = rt(sa, seed++, dev);
      const { t: b, x: y } = rt(sb, seed++, dev);
      const out = a.matmul(b);
      await check(out, refMatmul(x, sa, y, sb), `${dev} [${sa}]·[${sb}]`);
      [a, b, out].forEach((t) => t.dispose());
    }
  }
});

test('bmm: sizes around the 64x64x16 tile, one and several tiles each way', async () => {
  const cases: Array<[number, number, number, number]> = [
    [1, 1, 1, 1], [2, 7, 7, 7], [1, 64, 16, 64], [2, 65, 17, 63], [1, 130, 33, 129], [3, 1, 100, 1], [1, 200, 5, 3],
  ];
  for (const dev of await backends()) {
    for (const [B, M, K, N] of cases) {
      const { t: a, x } = rt([B, M, K], M + K, dev);
      const { t: b, x: y } = rt([B, K, N], N + 1, dev);
      const out = sg.bmm(a, b);
      await check(out, refMatmul(x, [B, M, K], y, [B, K, N]), `${dev} bmm ${B}x${M}x${K}x${N}`);
      [a, b, out].forEach((t) => t.dispose());
    }
  }
});

test('matmul: transposed, permuted, sliced and expanded views are read in place', async () => {
  for (const dev of await backends()) {
    // b.transpose(1, 2): b stored [B, N, K]
    const { t: a, x } = rt([3, 9, 70], 1, dev);
    const { t: bs, x: ybs } = rt([3, 66, 70], 2, dev);
    const bt = bs.transpose(1, 2);
    await check(sg.bmm(a, bt), refMatmul(x, [3, 9, 70], refPermute(ybs, [3, 66, 70], [0, 2, 1]), [3, 70, 66]), `${dev} a·bᵀ`);
    // W.permute([0, 2, 1]) as the left operand, and both operands transposed
    const { t: w, x: xw } = rt([2, 20, 67], 3, dev);
    const { t: v, x: xv } = rt([2, 5, 20], 4, dev);
    const wt = w.permute([0, 2, 1]);
    const vt = v.permute([0, 2, 1]);
    const wtRef = refPermute(xw, [2, 20, 67], [0, 2, 1]);
    await check(wt.matmul(vt), refMatmul(wtRef, [2, 67, 20], refPermute(xv, [2, 5, 20], [0, 2, 1]), [2, 20, 5]), `${dev} wᵀ·vᵀ`);
    // batch dim moved innermost: [K, B, M] permuted to [B, M, K]
    const { t: p, x: xp } = rt([6, 4, 5], 5, dev);
    const { t: q, x: xq } = rt([4, 6, 3], 6, dev);
    await check(p.permute([1, 2, 0]).matmul(q), refMatmul(refPermute(xp, [6, 4, 5], [1, 2, 0]), [4, 5, 6], xq, [4, 6, 3]), `${dev} permuted batch`);
    // a 2-D transpose, and a slice with an offset and a row step
    const { t: m, x: xm } = rt([9, 12], 7, dev);
    const sl = m.slice(0, 1, 9, 2).narrow(1, 3, 8); // rows 1,3,5,7; cols 3..10
    const slRef = new Float64Array(32);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 8; j++) slRef[i * 8 + j] = xm[(1 + 2 * i) * 12 + 3 + j];
    await check(sl.matmul(m.T.narrow(0, 2, 8)), refMatmul(slRef, [4, 8], refPermute(xm, [9, 12], [1, 0]).slice(2 * 9, 10 * 9), [8, 9]), `${dev} slices`);
    // an expanded batch (stride 0) on both sides
    const { t: e1, x: xe1 } = rt([1, 5, 6], 8, dev);
    const { t: e2, x: xe2 } = rt([1, 6, 7], 9, dev);
    const one = refMatmul(xe1, [5, 6], xe2, [6, 7]).data;
    const rep = { data: Float64Array.from({ length: 4 * 35 }, (_, i) => one[i % 35]), shape: [4, 5, 7] };
    await check(sg.bmm(e1.expand([4, 5, 6]), e2.expand([4, 6, 7])), rep, `${dev} expanded`);
    sg.tidy(() => [a, bs, w, v, p, q, m, e1, e2].forEach((t) => t.dispose()));
  }
});

test('matmul: more batch dims than the kernel decodes, empty and K = 0 products', async () => {
  for (const dev of await backends()) {
    // alternating broadcast keeps all five batch dims apart after merging
    const sa = [2, 1, 2, 1, 2, 3, 4];
    const sb = [1, 2, 1, 2, 1, 4, 5];
    const { t: a, x } = rt(sa, 1, dev);
    const { t: b, x: y } = rt(sb, 2, dev);
    await check(a.matmul(b), refMatmul(x, sa, y, sb), `${dev} 5 batch dims`);
    const z = sg.zeros([2, 3, 0], { device: dev }).matmul(sg.zeros([2, 0, 4], { device: dev }));
    await check(z, { data: new Float64Array(24), shape: [2, 3, 4] }, `${dev} K = 0`);
    const e = sg.zeros([0, 3, 5], { device: dev }).matmul(sg.zeros([5, 4], { device: dev }));
    if (e.shape.join() !== '0,3,4') throw new Error(`${dev}: empty batch gave shape [${e.shape}]`);
  }
});

test('bmm: a batch count past 65535 workgroups', async () => {
  for (const dev of await backends()) {
    const B = 66000;
    const { t: a, x } = rt([B, 1, 2], 3, dev);
    const { t: b, x: y } = rt([B, 2, 1], 4, dev);
    await check(sg.bmm(a, b), refMatmul(x, [B, 1, 2], y, [B, 2, 1]), `${dev} B = ${B}`);
    [a, b].forEach((t) => t.dispose());
  }
});

test('bmm: few outputs over a long K take a workgroup per output (the dot kernel) on GPUs', async () => {
  const devs = await backends();
  if (!devs.includes('webgpu')) return;
  const g = runtime.gpu!;
  const { keys, restore } = spyDispatches();
  // CPU adapters keep the per-output kernel for these; the dot kernel is forced there.
  await sg.withTuning(isCpuAdapter(g) ? { matmulTile: 'dot' } : {}, async () => {
    // [B, k, d]·[B, d, 1] with d a multiple of 4 (vec4 loads) and not (scalar), a sliced A
    // (row stride past K), a transposed B with two columns, float16.
    const cases: Array<{ B: number; M: number; K: number; N: number; pad?: number; dtype?: 'float16' }> = [
      { B: 5, M: 4, K: 256, N: 1 },
      { B: 3, M: 2, K: 203, N: 1 },
      { B: 2, M: 3, K: 132, N: 2, pad: 4 },
      { B: 4, M: 8, K: 520, N: 1, dtype: 'float16' },
    ];
    let seed = 900;
    for (const c of cases) {
      if (c.dtype === 'float16' && !hasF16()) continue;
      const dtype = c.dtype ?? 'float32';
      const pad = c.pad ?? 0;
      const { t: full, x: fx0 } = rt([c.B, c.M, c.K + pad], seed++, 'webgpu', { dtype });
      const { t: bt, x: bx0 } = rt([c.B, c.N, c.K], seed++, 'webgpu', { dtype });
      // What the float16 tensors hold.
      const [fx, bx] = [fx0, bx0].map((x) => (dtype === 'float16' ? x.map(roundF16) : x));
      const a = pad ? full.narrow(2, pad, c.K) : full;
      const ax = new Float64Array(c.B * c.M * c.K);
      for (let r = 0; r < c.B * c.M; r++) for (let k = 0; k < c.K; k++) ax[r * c.K + k] = fx[r * (c.K + pad) + pad + k];
      const by = refPermute(bx, [c.B, c.N, c.K], [0, 2, 1]);
      const n0 = keys.length;
      const out = sg.bmm(a, bt.transpose(1, 2));
      const what = `${dtype} [${c.B}, ${c.M}, ${c.K}]·[${c.B}, ${c.K}, ${c.N}]${pad ? ' (A sliced)' : ''}`;
      if (!keys.slice(n0).some((k) => k.startsWith('matmul-dot:'))) throw new Error(`${what}: no dot kernel ran; dispatched ${keys.slice(n0).join(', ')}`);
      await check(out, refMatmul(ax, [c.B, c.M, c.K], by, [c.B, c.K, c.N]), what, dtype === 'float16' ? tolFor('float16') : F32);
      [full, bt, out].forEach((t) => t.dispose());
    }
    for (const v of ['k4', 's']) if (!keys.some((k) => k.startsWith('matmul-dot:') && k.endsWith(`:${v}`))) throw new Error(`no ${v} dot kernel among ${[...new Set(keys)].join(', ')}`);
  }).finally(restore);
});

test('bmm: few outputs with B read 4-wide along N make four per invocation (the gates combine)', async () => {
  const devs = await backends();
  if (!devs.includes('webgpu')) return;
  const { keys, restore } = spyDispatches();
  try {
    // [B, 1, k]·[B, k, d] (n4), a sliced B whose offset and row stride are multiples of 4
    // (n4), one whose are not (scalar), float16.
    const cases: Array<{ B: number; M: number; K: number; N: number; pad?: number; kind: 'n4' | 'scalar'; dtype?: 'float16' }> = [
      { B: 6, M: 1, K: 8, N: 36, kind: 'n4' },
      { B: 3, M: 5, K: 3, N: 12, pad: 4, kind: 'n4' },
      { B: 3, M: 2, K: 5, N: 16, pad: 1, kind: 'scalar' },
      { B: 4, M: 1, K: 8, N: 64, kind: 'n4', dtype: 'float16' },
    ];
    let seed = 950;
    for (const c of cases) {
      if (c.dtype === 'float16' && !hasF16()) continue;
      const dtype = c.dtype ?? 'float32';
      const pad = c.pad ?? 0;
      const { t: a, x: ax0 } = rt([c.B, c.M, c.K], seed++, 'webgpu', { dtype });
      const { t: full, x: fx0 } = rt([c.B, c.K, c.N + pad], seed++, 'webgpu', { dtype });
      const [ax, fx] = [ax0, fx0].map((x) => (dtype === 'float16' ? x.map(roundF16) : x));
      const b = pad ? full.narrow(2, pad, c.N) : full;
      const bx = new Float64Array(c.B * c.K * c.N);
      for (let r = 0; r < c.B * c.K; r++) for (let n = 0; n < c.N; n++) bx[r * c.N + n] = fx[r * (c.N + pad) + pad + n];
      const n0 = keys.length;
      const out = sg.bmm(a, b);
      const what = `${dtype} [${c.B}, ${c.M}, ${c.K}]·[${c.B}, ${c.K}, ${c.N}]${pad ? ` (B sliced at ${pad})` : ''}`;
      const ran = keys.slice(n0).filter((k) => k.startsWith('matmul-small:'));
      if (ran.length !== 1 || ran[0].endsWith(':n4') !== (c.kind === 'n4')) throw new Error(`${what}: expected the ${c.kind} per-output kernel, dispatched ${keys.slice(n0).join(', ')}`);
      await check(out, refMatmul(ax, [c.B, c.M, c.K], bx, [c.B, c.K, c.N]), what, dtype === 'float16' ? tolFor('float16') : F32);
      [a, full, out].forEach((t) => t.dispose());
    }
  } finally {
    restore();
  }
});

test('matmul: float16 loads half, accumulates in f32, stores half', async () => {
  for (const dev of await backends()) {
    if (dev === 'webgpu' && !hasF16()) { console.log('# adapter lacks shader-f16: float16 matmul checked on the CPU only'); continue; }
    for (const [sa, sb] of [[[65, 33], [33, 70]], [[2, 1, 7, 9], [3, 9, 5]], [[17], [17]]] as Array<[number[], number[]]>) {
      const { t: a, x } = rt(sa, 5, dev, { dtype: 'float16' });
      const { t: b, x: y } = rt(sb, 6, dev, { dtype: 'float16' });
      const out = a.matmul(b);
      if (out.dtype !== 'float16') throw new Error(`${dev}: float16 matmul gave ${out.dtype}`);
      await check(out, refMatmul(x, sa, y, sb), `${dev} f16 [${sa}]·[${sb}]`, tolFor('float16'));
    }
  }
});

test('matmul: one pipeline per dtype, whatever the sizes and strides', async () => {
  const devs = await backends();
  if (!devs.includes('webgpu')) return;
  const gpu = runtime.gpu!;
  sg.matmul(sg.ones([3, 4], { device: 'webgpu' }), sg.ones([4, 5], { device: 'webgpu' }));
  sg.matmul(sg.ones([2, 256], { device: 'webgpu' }), sg.ones([3, 256], { device: 'webgpu' }).transpose(0, 1));
  // B's rows 4-wide (four outputs per invocation), and a fill of a length that is no multiple of 4.
  sg.matmul(sg.ones([3, 4], { device: 'webgpu' }), sg.ones([4, 8], { device: 'webgpu' }));
  sg.ones([7], { device: 'webgpu' });
  const before = gpu.pipelineCount;
  for (const [m, k, n] of [[7, 9, 130], [65, 1, 2], [1, 300, 1]]) {
    sg.bmm(sg.ones([2, m, k], { device: 'webgpu' }), sg.ones([2, n, k], { device: 'webgpu' }).transpose(1, 2));
  }
  for (const [m, k, n] of [[5, 3, 12], [1, 9, 400]]) sg.bmm(sg.ones([2, m, k], { device: 'webgpu' }), sg.ones([2, k, n], { device: 'webgpu' }));
  if (gpu.pipelineCount !== before) throw new Error(`matmul created ${gpu.pipelineCount - before} new pipelines for new sizes`);
});

// ---- gradients ----

type Fn = (a: Tensor, b: Tensor) => Tensor;
const gradCases: Array<[string, number[], number[], Fn]> = [
  ['2-D·2-D', [5, 7], [7, 3], (a, b) => sg.matmul(a, b)],
  ['bmm', [2, 4, 6], [2, 6, 3], (a, b) => sg.bmm(a, b)],
  ['1-D·1-D', [6], [6], (a, b) => sg.matmul(a, b)],
  ['1-D·2-D', [6], [6, 4], (a, b) => sg.matmul(a, b)],
  ['2-D·1-D', [3, 6], [6], (a, b) => sg.matmul(a, b)],
  ['3-D·2-D (folded)', [2, 3, 4], [4, 5], (a, b) => sg.matmul(a, b)],
  ['a·bᵀ', [2, 3, 4], [2, 5, 4], (a, b) => sg.bmm(a, b.transpose(1, 2))],
  ['aᵀ·b', [2, 4, 3], [2, 4, 5], (a, b) => sg.bmm(a.permute([0, 2, 1]), b)],
  ['batch broadcast', [2, 1, 3, 4], [5, 4, 6], (a, b) => sg.matmul(a, b)],
  ['2-D·3-D', [3, 4], [2, 4, 5], (a, b) => sg.matmul(a, b)],
  ['3-D·1-D', [2, 3, 4], [4], (a, b) => sg.matmul(a, b)],
  // Linear's x·Wᵀ: backward makes dW in the transposed layout (2-D and folded-batch paths).
  ['2-D·2-Dᵀ', [5, 7], [3, 7], (a, b) => sg.matmul(a, b.transpose(0, 1))],
  ['3-D·2-Dᵀ (folded)', [2, 3, 4], [5, 4], (a, b) => sg.matmul(a, b.transpose(0, 1))],
  // Few outputs over a long K (the dot kernel on GPUs): the MoE gates' gradient, a 1-wide head.
  ['(T,k,d)·(T,d,1)', [3, 2, 260], [3, 260, 1], (a, b) => sg.bmm(a, b)],
  ['2-D·1-D, long K', [5, 300], [300], (a, b) => sg.matmul(a, b)],
  // Few outputs with B 4-wide along N (four per invocation): the gates' combine.
  ['(T,1,k)·(T,k,d)', [4, 1, 3], [4, 3, 8], (a, b) => sg.bmm(a, b)],
];

test('matmul: the gradient of a transposed weight (x·Wᵀ) reaches W dense, with no copy', async () => {
  for (const dev of await backends()) {
    for (const [sx, sw] of [[[6, 5], [4, 5]], [[2, 3, 5], [4, 5]]]) {
      const { t: x } = rt(sx, 7, dev);
      const { t: w } = rt(sw, 8, dev, { requiresGrad: true });
      const { t: wt } = rt([sw[1], sw[0]], 9, dev, { requiresGrad: true });
      const backwardCost = (y: Tensor): number => {
        const d0 = sg.memory().dispatches;
        y.sum().backward();
        return sg.memory().dispatches - d0;
      };
      const viaT = backwardCost(x.matmul(w.transpose(0, 1)));
      const plain = backwardCost(x.matmul(wt));
      if (!w.grad || !w.grad.isContiguous()) throw new Error(`${dev} ${sx}: W.grad should be dense`);
      // A dense [K, N] weight needs no copy into .grad; Wᵀ must cost no more than it.
      if (dev === 'webgpu' && viaT > plain) throw new Error(`${dev} ${sx}: backward through Wᵀ used ${viaT} dispatches, a plain weight ${plain}`);
      [x, w, wt].forEach((t) => t.dispose());
    }
  }
});

test('matmul: webgpu gradients match CPU float64 autograd', async () => {
  for (const dev of await backends()) {
    let seed = 100;
    for (const [name, sa, sb, fn] of gradCases) {
      const { t: a } = rt(sa, seed++, dev, { requiresGrad: true });
      const { t: b } = rt(sb, seed++, dev, { requiresGrad: true });
      try {
        const got = await gradsOf(fn, [a, b]);
        const ref = await gradsOf(fn, await f64Copies([a, b]));
        allclose(got.out, ref.out, F32, 'output');
        got.grads.forEach((g, i) => allclose(g!, ref.grads[i]!, F32, `grad of ${'ab'[i]}`));
      } catch (e) {
        throw new Error(`${dev} ${name}: ${(e as Error).message}`);
      }
      sg.tidy(() => [a, b].forEach((t) => t.dispose()));
    }
  }
});

test('matmul: gradcheck in float64', async () => {
  let seed = 200;
  for (const [name, sa, sb, fn] of gradCases) {
    const { t: a } = rt(sa, seed++, 'cpu');
    const { t: b } = rt(sb, seed++, 'cpu');
    try {
      await sg.gradcheck(fn, [a, b]);
    } catch (e) {
      throw new Error(`${name}: ${(e as Error).message}`);
    }
  }
});

test('matmul: only the inputs that need a gradient get one', async () => {
  for (const dev of await backends()) {
    const { t: a } = rt([3, 4], 1, dev, { requiresGrad: true });
    const { t: b } = rt([4, 2], 2, dev);
    const got = await gradsOf((x, y) => x.matmul(y), [a, b]);
    if (!got.grads[0] || got.grads[1]) throw new Error(`${dev}: expected a gradient for a only`);
  }
});

// ---- bad input ----

test('matmul/bmm: bad input throws naming op, argument and shapes; nothing is queued; the next call works', async () => {
  for (const dev of await backends()) {
    // Inputs are made first (making them runs kernels); the checks must then queue nothing.
    const made = new Map<string, Tensor>();
    const shapes = [[2, 3, 4], [2, 5, 6], [3, 4], [2, 4, 6], [3, 4, 6], [3], [4], [], [4, 2], [3, 4, 5]];
    for (const s of shapes) made.set(`${s}`, sg.zeros(s, { device: dev }));
    made.set('int', sg.zeros([3, 4], { device: dev, dtype: 'int32' }));
    const t = (shape: number[], dtype: 'float32' | 'int32' = 'float32'): Tensor => made.get(dtype === 'int32' ? 'int' : `${shape}`)!;
    const gone = sg.zeros([4, 2], { device: dev });
    gone.dispose();
    const other = dev === 'webgpu' ? sg.zeros([4, 2], { device: 'cpu' }) : null;
    const dispatches = runtime.gpu?.dispatchCount ?? 0;
    throwsWith(() => sg.bmm(t([2, 3, 4]), t([2, 5, 6])), /^bmm/, /\[2, 3, 4\]/, /\[2, 5, 6\]/, /inner dims 4 and 5 differ/);
    throwsWith(() => sg.bmm(t([3, 4]), t([2, 4, 6])), /^bmm/, /a must be 3-D/, /\[3, 4\]/);
    throwsWith(() => sg.bmm(t([2, 3, 4]), t([3, 4, 6])), /^bmm/, /batch sizes 2 and 3 differ/);
    throwsWith(() => sg.matmul(t([2, 3, 4]), t([2, 5, 6])), /^matmul/, /\[2, 3, 4\]/, /inner dims 4 and 5/);
    throwsWith(() => sg.matmul(t([3]), t([4])), /^matmul/, /inner dims 3 and 4/);
    throwsWith(() => sg.matmul(t([]), t([3])), /^matmul/, /a is 0-d/);
    throwsWith(() => sg.matmul(t([3, 4]), t([])), /^matmul/, /b is 0-d/);
    throwsWith(() => sg.matmul(t([3, 4], 'int32'), t([4, 2])), /^matmul/, /a \(shape \[3, 4\]\) has dtype int32/);
    throwsWith(() => sg.matmul(t([2, 3, 4]), t([3, 4, 5])), /^matmul/, /batch dims \[2\] and \[3\] cannot be broadcast/);
    const loose = sg.matmul as (a: unknown, b: unknown) => Tensor;
    throwsWith(() => loose(t([3, 4]), null), /^matmul: b must be a Tensor/);
    throwsWith(() => sg.matmul(t([3, 4]), gone), /^matmul: b \(shape \[4, 2\], float32\) was already disposed/);
    if (dev === 'webgpu') {
      throwsWith(() => sg.matmul(t([3, 4]), other!), /^matmul: a is on webgpu and b is on cpu/);
      if (runtime.gpu!.dispatchCount !== dispatches) throw new Error('bad input queued GPU work');
    }
    const { t: a, x } = rt([2, 3, 4], 1, dev);
    const { t: b, x: y } = rt([2, 4, 6], 2, dev);
    await check(sg.bmm(a, b), refMatmul(x, [2, 3, 4], y, [2, 4, 6]), `${dev} after errors`);
  }
});

test.run();
