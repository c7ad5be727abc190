// movedim/moveaxis, swapaxes/swapdims, unflatten, unbind and tile against torch 2.14's values
// and errors, on both backends, with their gradients by finite differences.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { arr, assertEqualArrays, backends, randArray, throwsBeforeWork } from '../helpers.js';

const test = suite('dims');
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

test('movedim and moveaxis move dims as PyTorch; swapaxes and swapdims are transpose', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor(range(24), { shape: [2, 3, 4], device: dev });
    const m = sg.movedim(x, [0, 1], [2, 0]);
    assert.equal(m.shape, [3, 4, 2]);
    assertEqualArrays((await arr(m.contiguous())).slice(0, 8), [0, 12, 1, 13, 2, 14, 3, 15], `movedim values on ${dev}`);
    assert.equal(sg.movedim(x, 0, -1).shape, [3, 4, 2]);
    assert.equal(sg.moveaxis(x, -1, 0).shape, [4, 2, 3]);
    assert.equal(sg.movedim(x, [], []).shape, [2, 3, 4]);
    const s = sg.swapaxes(x, 0, 2);
    assert.equal(s.shape, [4, 3, 2]);
    assertEqualArrays(await arr(s.contiguous()), await arr(x.transpose(0, 2).contiguous()), `swapaxes on ${dev}`);
    assert.equal(sg.swapdims(x, 1, -1).shape, [2, 4, 3]);
    // torch: "should contain the same number of dims", "repeated dim", "out of range"
    throwsBeforeWork(`movedim lengths on ${dev}`, () => sg.movedim(x, [0, 1], [0]), [/^movedim: source \[0, 1\] and destination \[0\] must name as many dims \(2 and 1\)/]);
    throwsBeforeWork(`movedim repeat on ${dev}`, () => sg.movedim(x, [0, 0], [1, 2]), [/^movedim: repeated dim in source \[0, 0\]/]);
    throwsBeforeWork(`movedim range on ${dev}`, () => sg.movedim(x, 3, 0), [/^movedim: dim 3 is out of range for a tensor of 3 dims/]);
    x.dispose();
  }
});

test('unflatten, unbind and tile as PyTorch, empty dims included', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor(range(24), { shape: [2, 3, 4], device: dev });
    const u = sg.unflatten(x, 2, [2, -1]);
    assert.equal(u.shape, [2, 3, 2, 2]);
    assertEqualArrays(await arr(u.contiguous()), range(24), `unflatten keeps the order on ${dev}`);
    assert.equal(sg.unflatten(sg.zeros([2, 0], { device: dev }), 1, [0, 5]).shape, [2, 0, 5]);
    throwsBeforeWork(`unflatten product on ${dev}`, () => sg.unflatten(x, 1, [2, 2]), [/^unflatten: sizes \[2, 2\] don't multiply up to the size of dim 1 \(3\)/]);
    throwsBeforeWork(`unflatten empty sizes on ${dev}`, () => sg.unflatten(x, 1, []), [/^unflatten: sizes must be non-empty/]);
    const parts = sg.unbind(x, 1);
    assert.is(parts.length, 3);
    assert.equal(parts[1].shape, [2, 4]);
    assertEqualArrays(await arr(parts[1].contiguous()), [4, 5, 6, 7, 16, 17, 18, 19], `unbind on ${dev}`);
    assert.is(sg.unbind(sg.zeros([0, 3], { device: dev })).length, 0);
    const scalar = sg.tensor(1, { device: dev });
    throwsBeforeWork(`unbind 0-d on ${dev}`, () => sg.unbind(scalar), [/^unbind: cannot unbind a 0-d tensor/]);
    const v = sg.tensor([1, 2], { device: dev });
    assertEqualArrays(await arr(sg.tile(v, [2])), [1, 2, 1, 2], `tile 1-d on ${dev}`);
    const t2 = sg.tile(v, [2, 2]);
    assert.equal(t2.shape, [2, 4]);
    assertEqualArrays(await arr(t2), [1, 2, 1, 2, 1, 2, 1, 2], `tile to 2-d on ${dev}`);
    const r = sg.tensor([1, 2], { shape: [1, 2], device: dev });
    const t3 = sg.tile(r, [2]);
    assert.equal(t3.shape, [1, 4]);
    assertEqualArrays(await arr(t3), [1, 2, 1, 2], `tile pads dims with 1s on ${dev}`);
    assert.equal(sg.tile(v, []).shape, [2]);
    [x, v, r, scalar].forEach((t) => t.dispose());
  }
});

test('the methods and .mT: the same views as the functions', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor(range(24), { shape: [2, 3, 4], device: dev });
    assert.equal(x.movedim(0, 2).shape, [3, 4, 2]);
    assert.equal(x.moveaxis([0], [1]).shape, [3, 2, 4]);
    assert.equal(x.swapaxes(0, 1).shape, [3, 2, 4]);
    assert.equal(x.swapdims(-1, 0).shape, [4, 3, 2]);
    assert.equal(x.unflatten(-1, [2, 2]).shape, [2, 3, 2, 2]);
    assert.equal(x.unbind(2).map((t) => t.shape), [[2, 3], [2, 3], [2, 3], [2, 3]]);
    assert.equal(x.tile(2, 1).shape, [2, 6, 4]);
    assert.equal(x.tile([2]).shape, [2, 3, 8]);
    // torch: x.mT swaps the last two dims; on 1-d it raises.
    const mt = x.mT;
    assert.equal(mt.shape, [2, 4, 3]);
    assertEqualArrays((await arr(mt.contiguous())).slice(0, 6), [0, 4, 8, 1, 5, 9], `mT on ${dev}`);
    // torch: 0-d movedim(0, 0) and .mT give the scalar back.
    const s0 = sg.tensor(3, { device: dev });
    assert.equal(sg.movedim(s0, 0, 0).shape, []);
    assert.equal(s0.mT.shape, []);
    assert.is(await s0.mT.item(), 3);
    s0.dispose();
    const v = sg.tensor([1, 2], { device: dev });
    throwsBeforeWork(`mT of 1-d on ${dev}`, () => v.mT, [/^mT: the tensor must have at least 2 dims, got shape \[2\]/]);
    [x, v].forEach((t) => t.dispose());
  }
});

test('movedim, unflatten, unbind and tile gradients: gradcheck in float64', async () => {
  const x = sg.tensor(randArray(24, 5), { shape: [2, 3, 4], dtype: 'float64', device: 'cpu' });
  const w = sg.tensor(randArray(72, 6), { dtype: 'float64', device: 'cpu' });
  await sg.gradcheck((a: Tensor) => sg.movedim(a, [0, 2], [2, 1]).contiguous().reshape([24]).mul(w.narrow(0, 0, 24)).sum(), [x]);
  await sg.gradcheck((a: Tensor) => sg.unflatten(a, 1, [3, 1]).mul(2).sum(), [x]);
  await sg.gradcheck((a: Tensor) => { const [p, q, r] = sg.unbind(a, 1); return p.mul(q).add(r).sum(); }, [x]);
  await sg.gradcheck((a: Tensor) => sg.tile(a, [1, 3]).reshape([72]).mul(w).sum(), [x]);
});

test.run();
