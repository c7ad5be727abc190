import { suite } from 'uvu';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { viewStrides } from '../../src/tensor/shape.js';
import { allclose, assertEqualArrays, backends, f64Copies, forEachIndex, gradsOf, numel, rt, throwsWith } from '../helpers.js';

const test = suite('views');

/** Reference: reads x (row-major `shape`) at the index that `map` gives for each output index. */
function gatherRef(x: ArrayLike<number>, shape: number[], outShape: number[], map: (idx: number[]) => number[]): number[] {
  const strides = shape.map((_, i) => numel(shape.slice(i + 1)));
  const out: number[] = [];
  forEachIndex(outShape, (_i, idx) => {
    const src = map(idx);
    out.push(x[src.reduce((acc, v, d) => acc + v * strides[d], 0)]);
  });
  return out;
}

test('view, reshape, flatten, unsqueeze, squeeze keep row-major order', async () => {
  for (const dev of await backends()) {
    const { t, x } = rt([2, 3, 5], 1, dev);
    const cases: Array<[Tensor, number[]]> = [
      [t.view(6, 5), [6, 5]], [t.view([-1, 15]), [2, 15]], [t.reshape(5, -1), [5, 6]], [t.flatten(), [30]],
      [t.flatten(1), [2, 15]], [t.unsqueeze(1), [2, 1, 3, 5]], [t.unsqueeze(-1), [2, 3, 5, 1]],
      [t.view(2, 1, 3, 5).squeeze(1), [2, 3, 5]], [t.view(1, 30, 1).squeeze(), [30]],
    ];
    for (const [v, shape] of cases) {
      if (v.shape.join() !== shape.join()) throw new Error(`shape ${v.shape} != ${shape}`);
      allclose(await v.toArray(), x, { rtol: 0, atol: 0 }, `view ${shape} on ${dev}`);
      if (v.storage !== t.storage) throw new Error('a view must share storage');
    }
  }
});

test('permute / transpose / expand / narrow / slice / chunk / split read the right elements', async () => {
  for (const dev of await backends()) {
    const shape = [3, 4, 5];
    const { t, x } = rt(shape, 2, dev);
    const checks: Array<[Tensor, number[], (i: number[]) => number[]]> = [
      [t.permute(2, 0, 1), [5, 3, 4], ([a, b, c]) => [b, c, a]],
      [t.transpose(0, 2), [5, 4, 3], ([a, b, c]) => [c, b, a]],
      [t.narrow(1, 1, 2), [3, 2, 5], ([a, b, c]) => [a, b + 1, c]],
      [t.slice(2, 1, 5, 2), [3, 4, 2], ([a, b, c]) => [a, b, 1 + 2 * c]],
      [t.slice(0, -2), [2, 4, 5], ([a, b, c]) => [a + 1, b, c]],
      [t.narrow(0, 1, 1).expand(2, 3, 4, 5).narrow(1, 0, 1), [2, 1, 4, 5], ([, , b, c]) => [1, b, c]],
      [t.transpose(1, 2).contiguous(), [3, 5, 4], ([a, b, c]) => [a, c, b]],
    ];
    for (const [v, s, map] of checks) {
      if (v.shape.join() !== s.join()) throw new Error(`shape ${v.shape} != ${s}`);
      allclose(await v.toArray(), gatherRef(x, shape, s, map), { rtol: 0, atol: 0 }, `${s} on ${dev}`);
    }
    const parts = t.split([1, 3], 1);
    allclose(await parts[1].toArray(), gatherRef(x, shape, [3, 3, 5], ([a, b, c]) => [a, b + 1, c]), { rtol: 0, atol: 0 }, 'split');
    const ch = t.chunk(2, 2);
    if (ch.length !== 2 || ch[0].shape[2] !== 3 || ch[1].shape[2] !== 2) throw new Error('chunk sizes');
    allclose(await ch[1].toArray(), gatherRef(x, shape, [3, 4, 2], ([a, b, c]) => [a, b, c + 3]), { rtol: 0, atol: 0 }, 'chunk');
    // a view of a non-contiguous tensor that cannot be expressed falls back in reshape only
    const tt = t.transpose(0, 1);
    throwsWith(() => tt.view(12, 5), /view/, /reshape/);
    allclose(await tt.reshape(12, 5).toArray(), gatherRef(x, shape, [4, 3, 5], ([a, b, c]) => [b, a, c]), { rtol: 0, atol: 0 }, 'reshape copy');
  }
});

test('viewStrides agrees with PyTorch on tricky layouts', () => {
  // [4, 6] transposed to [6, 4] (strides [1, 6]): merging fails, splitting the last dim works
  if (viewStrides([6, 4], [1, 6], [24]) !== null) throw new Error('should not flatten a transpose');
  assertEqualArrays(viewStrides([6, 4], [1, 6], [6, 2, 2])!, [1, 12, 6], 'split last dim');
  assertEqualArrays(viewStrides([2, 3, 4], [12, 4, 1], [6, 4])!, [4, 1], 'merge leading');
  assertEqualArrays(viewStrides([2, 1, 3], [3, 99, 1], [1, 6])!, [6, 1], 'size-1 dims ignored');
});

test('gradients of every view op (gradcheck, and WebGPU vs CPU float64)', async () => {
  const fns: Array<(x: Tensor) => Tensor> = [
    (x) => x.view(6, 4).mul(x.view(6, 4)),
    (x) => x.permute(2, 0, 1).exp(),
    (x) => x.transpose(0, 2).reshape(4, 6).tanh(),
    (x) => x.narrow(2, 1, 2).mul(3),
    (x) => x.slice(1, 0, 3, 2).sigmoid(),
    (x) => x.unsqueeze(0).squeeze(0).flatten().exp(),
    (x) => x.narrow(0, 0, 1).expand(2, 3, 4).mul(x),
    (x) => { const [a, b] = x.split([1, 2], 1); return a.mul(b.narrow(1, 0, 1)); },
    (x) => x.chunk(2, 2)[1].contiguous().mul(2),
    // Every piece of a split used (the gradient written piece by piece, no zero fill), one
    // piece unused in the middle, and an empty piece.
    (x) => { const [a, b, c] = x.split(1, 1); return a.mul(b).add(c.exp()); },
    (x) => { const [a, , c] = x.split(1, 1); return a.mul(c); },
    (x) => { const [e, r] = x.split([0, 3], 1); return r.mul(2).add(e.sum()); },
  ];
  for (const f of fns) await sg.gradcheck(f, [rt([2, 3, 4], 9, 'cpu').t]);
  for (const dev of await backends()) {
    for (const f of fns) {
      const x = rt([2, 3, 4], 10, dev, { requiresGrad: true }).t;
      const got = await gradsOf(f, [x]);
      const ref = await gradsOf(f, await f64Copies([x]));
      allclose(got.out, ref.out, { rtol: 1e-5, atol: 1e-6 }, `forward on ${dev}`);
      allclose(got.grads[0]!, ref.grads[0]!, { rtol: 1e-5, atol: 1e-6 }, `grad on ${dev}`);
    }
  }
});

test('bad view arguments name the op and the shapes', async () => {
  for (const dev of await backends()) {
    const t = sg.ones([2, 3], { device: dev });
    throwsWith(() => t.view(4, 2), /view/, /\[4, 2\]/, /size 6/);
    throwsWith(() => t.view(-1, -1), /view/, /one dimension/);
    throwsWith(() => t.permute(0), /permute/, /\[2, 3\]/);
    throwsWith(() => t.transpose(0, 2), /transpose/, /dim 2/);
    throwsWith(() => t.expand(4, 3), /expand/, /\[2, 3\]/);
    throwsWith(() => t.narrow(1, 2, 2), /narrow/, /size 3/);
    throwsWith(() => t.split([1, 1], 1), /split/, /3/);
    allclose(await t.view(3, 2).toArray(), [1, 1, 1, 1, 1, 1], {}, 'next call');
  }
});

test.run();
