import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { viewStrides } from '../../src/tensor/shape.js';
import { allclose, arr, assertEqualArrays, backends, f64Copies, forEachIndex, gradsOf, numel, rt, throwsBeforeWork, throwsWith } from '../helpers.js';

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

// Expected values below are PyTorch 2.14's (torch.tensor(3.5).transpose(0, 0) and so on).
test('0-d tensors: transpose, flatten, .T as PyTorch; narrow, slice, size and bad dims throw', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor(3.5, { device: dev });
    // transpose of a 0-d tensor with dims 0 / -1 is the tensor itself, as a view
    for (const [d0, d1] of [[0, 0], [0, -1], [-1, -1]]) {
      const y = x.transpose(d0, d1);
      assert.equal(y.shape, [], `transpose(${d0}, ${d1}) shape on ${dev}`);
      assert.ok(y.storage === x.storage, 'transpose of 0-d is a view');
      assertEqualArrays(await y.toArray(), [3.5], `transpose(${d0}, ${d1}) on ${dev}`);
      assert.is(await y.sum().item(), 3.5);
    }
    assert.equal(x.T.shape, []);
    assertEqualArrays(await x.T.toArray(), [3.5], `.T of 0-d on ${dev}`);
    for (const [v, shape] of [[x.flatten(), [1]], [x.flatten(0), [1]], [x.flatten(-1), [1]], [x.flatten(0, -1), [1]], [x.unsqueeze(-1), [1]], [x.squeeze(0), []], [x.permute(), []]] as Array<[Tensor, number[]]>) {
      assert.equal(v.shape, shape);
      assertEqualArrays(await v.toArray(), [3.5], `${shape} on ${dev}`);
    }
    // PyTorch: "narrow() cannot be applied to a 0-dim tensor", "slice() cannot be applied ...",
    // "Dimension out of range (expected to be in range of [-1, 0], but got 1)"
    throwsBeforeWork('narrow', () => x.narrow(0, 0, 1), [/^narrow: /, /0-dim tensor/, /\[\]/]);
    throwsBeforeWork('narrow', () => x.narrow(0, 0, 0), [/^narrow: /, /0-dim tensor/]);
    throwsBeforeWork('slice', () => x.slice(0, 0, 1), [/^slice: /, /0-dim tensor/, /\[\]/]);
    throwsBeforeWork('flatten', () => x.flatten(1), [/^flatten: /, /dim 1/, /0 dims/]);
    throwsBeforeWork('flatten', () => x.flatten(0, 1), [/^flatten: /, /dim 1/]);
    throwsBeforeWork('transpose', () => x.transpose(0, 1), [/^transpose: /, /dim 1/]);
    throwsBeforeWork('unsqueeze', () => x.unsqueeze(1), [/^unsqueeze: /, /dim 1/]);
    throwsBeforeWork('chunk', () => x.chunk(1, 0), [/^chunk: /, /0-d/]);
    throwsBeforeWork('split', () => x.split(1, 0), [/^split: /, /0-d/]);
    // PyTorch: "Dimension specified as 0 but tensor has no dimensions"
    throwsWith(() => x.size(0), /^size: /, /dim 0/, /0-d/);
    throwsWith(() => x.size(-1), /^size: /, /dim -1/, /0-d/);
    assert.equal(x.size(), []);
    // the gradient flows back through a 0-d transpose and .T
    const w = sg.tensor(3.5, { device: dev, requiresGrad: true });
    w.transpose(0, -1).mul(2).add(w.T.mul(3)).backward();
    assertEqualArrays(await w.grad!.toArray(), [5], `0-d transpose grad on ${dev}`);
    x.dispose(); w.dispose();
  }
});

test('.T reverses every dim (PyTorch): 1-D as is, 2-D transposed, 3-D and 4-D reversed', async () => {
  for (const dev of await backends()) {
    const v = sg.tensor([1, 2], { device: dev });
    assert.equal(v.T.shape, [2]);
    assertEqualArrays(await v.T.toArray(), [1, 2], `.T of 1-D on ${dev}`);
    const m = sg.tensor([[1, 2, 3], [4, 5, 6]], { device: dev });
    assert.equal(m.T.shape, [3, 2]);
    assertEqualArrays(await m.T.contiguous().toArray(), [1, 4, 2, 5, 3, 6], `.T of 2-D on ${dev}`);
    // torch.arange(24.).reshape(2, 3, 4).T: shape [4, 3, 2]
    const c = sg.arange(24, { device: dev }).float().reshape(2, 3, 4);
    const want = [0, 12, 4, 16, 8, 20, 1, 13, 5, 17, 9, 21, 2, 14, 6, 18, 10, 22, 3, 15, 7, 19, 11, 23];
    assert.equal(c.T.shape, [4, 3, 2]);
    assertEqualArrays(await c.T.contiguous().toArray(), want, `.T of 3-D on ${dev}`);
    const c4 = c.reshape(1, 2, 3, 4);
    assert.equal(c4.T.shape, [4, 3, 2, 1]);
    assertEqualArrays(await c4.T.contiguous().toArray(), want, `.T of 4-D on ${dev}`);
    for (const t of [v, m, c, c4]) t.dispose();
  }
  // the gradient of a 3-D .T is the inverse permutation
  await sg.gradcheck((x) => x.T.contiguous().view(6, 4).exp(), [rt([2, 3, 4], 31, 'cpu').t]);
});

test('chunk and split on empty and small dims follow PyTorch\'s piece counts', async () => {
  const sizes = (ts: Tensor[], d: number): number[] => ts.map((t) => t.shape[d]);
  for (const dev of await backends()) {
    // [n, chunks, torch's piece sizes along dim 0]
    const cases: Array<[number, number, number[]]> = [
      [0, 1, [0]], [0, 2, [0, 0]], [0, 3, [0, 0, 0]], [1, 2, [1]], [2, 3, [1, 1]], [3, 2, [2, 1]],
      [5, 3, [2, 2, 1]], [5, 4, [2, 2, 1]], [5, 6, [1, 1, 1, 1, 1]], [6, 4, [2, 2, 2]], [7, 3, [3, 3, 1]], [7, 6, [2, 2, 2, 1]],
    ];
    for (const [n, chunks, want] of cases) {
      const t = sg.arange(n * 3, { device: dev }).float().reshape(n, 3);
      const parts = t.chunk(chunks, 0);
      assert.equal(sizes(parts, 0), want, `zeros(${n}, 3).chunk(${chunks}, 0) on ${dev}`);
      for (const p of parts) assert.equal(p.shape[1], 3);
      if (n > 0) assertEqualArrays(await arr(sg.cat(parts, 0)), Array.from({ length: n * 3 }, (_, i) => i), `chunk pieces cover ${n} on ${dev}`);
      t.dispose();
    }
    // an empty last dim: torch.zeros(2, 0).chunk(3, -1) is three [2, 0] pieces
    const e = sg.zeros([2, 0], { device: dev });
    assert.equal(e.chunk(3, -1).map((p) => p.shape), [[2, 0], [2, 0], [2, 0]]);
    // split over an empty dim: any size (0 too) gives one empty piece; a list of zeros gives
    // that many; an empty list gives none. A size of 0 over a non-empty dim is refused.
    const z = sg.zeros([0, 3], { device: dev });
    assert.equal(z.split(2, 0).map((p) => p.shape), [[0, 3]]);
    assert.equal(z.split(0, 0).map((p) => p.shape), [[0, 3]]);
    assert.equal(z.split([0, 0, 0], 0).map((p) => p.shape), [[0, 3], [0, 3], [0, 3]]);
    assert.equal(z.split([], 0).length, 0);
    const three = sg.zeros([3, 3], { device: dev });
    throwsBeforeWork('split', () => three.split(0, 0), [/^split: /, /split size/, /0/]);
    throwsBeforeWork('split', () => three.split([], 0), [/^split: /, /\[\]/, /3/]);
    throwsBeforeWork('chunk', () => z.chunk(0, 0), [/^chunk: /, /chunks/, /0/]);
    // the gradient of an empty chunk is an empty tensor
    const g = sg.zeros([0, 3], { device: dev, requiresGrad: true });
    g.chunk(2, 0)[1].sum().backward();
    assert.equal(g.grad!.shape, [0, 3]);
    e.dispose(); z.dispose(); g.dispose(); three.dispose();
  }
});

test.run();
