// movedim/moveaxis, swapaxes/swapdims, unflatten, unbind and tile against torch 2.14's values
// and errors, on both backends, with their gradients by finite differences.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { movedim, moveaxis, swapaxes, swapdims, unflatten, unbind, tile } from '../../src/ops/dims.js';
import { arr, assertEqualArrays, backends, randArray, throwsBeforeWork } from '../helpers.js';

const test = suite('dims');
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

test('movedim and moveaxis move dims as PyTorch; swapaxes and swapdims are transpose', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor(range(24), { shape: [2, 3, 4], device: dev });
    const m = movedim(x, [0, 1], [2, 0]);
    assert.equal(m.shape, [3, 4, 2]);
    assertEqualArrays((await arr(m.contiguous())).slice(0, 8), [0, 12, 1, 13, 2, 14, 3, 15], `movedim values on ${dev}`);
    assert.equal(movedim(x, 0, -1).shape, [3, 4, 2]);
    assert.equal(moveaxis(x, -1, 0).shape, [4, 2, 3]);
    assert.equal(movedim(x, [], []).shape, [2, 3, 4]);
    const s = swapaxes(x, 0, 2);
    assert.equal(s.shape, [4, 3, 2]);
    assertEqualArrays(await arr(s.contiguous()), await arr(x.transpose(0, 2).contiguous()), `swapaxes on ${dev}`);
    assert.equal(swapdims(x, 1, -1).shape, [2, 4, 3]);
    // torch: "should contain the same number of dims", "repeated dim", "out of range"
    throwsBeforeWork(`movedim lengths on ${dev}`, () => movedim(x, [0, 1], [0]), [/^movedim: source \[0, 1\] and destination \[0\] must name as many dims \(2 and 1\)/]);
    throwsBeforeWork(`movedim repeat on ${dev}`, () => movedim(x, [0, 0], [1, 2]), [/^movedim: repeated dim in source \[0, 0\]/]);
    throwsBeforeWork(`movedim range on ${dev}`, () => movedim(x, 3, 0), [/^movedim: dim 3 is out of range for a tensor of 3 dims/]);
    x.dispose();
  }
});

test('unflatten, unbind and tile as PyTorch, empty dims included', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor(range(24), { shape: [2, 3, 4], device: dev });
    const u = unflatten(x, 2, [2, -1]);
    assert.equal(u.shape, [2, 3, 2, 2]);
    assertEqualArrays(await arr(u.contiguous()), range(24), `unflatten keeps the order on ${dev}`);
    assert.equal(unflatten(sg.zeros([2, 0], { device: dev }), 1, [0, 5]).shape, [2, 0, 5]);
    throwsBeforeWork(`unflatten product on ${dev}`, () => unflatten(x, 1, [2, 2]), [/^unflatten: sizes \[2, 2\] don't multiply up to the size of dim 1 \(3\)/]);
    throwsBeforeWork(`unflatten empty sizes on ${dev}`, () => unflatten(x, 1, []), [/^unflatten: sizes must be non-empty/]);
    const parts = unbind(x, 1);
    assert.is(parts.length, 3);
    assert.equal(parts[1].shape, [2, 4]);
    assertEqualArrays(await arr(parts[1].contiguous()), [4, 5, 6, 7, 16, 17, 18, 19], `unbind on ${dev}`);
    assert.is(unbind(sg.zeros([0, 3], { device: dev })).length, 0);
    const scalar = sg.tensor(1, { device: dev });
    throwsBeforeWork(`unbind 0-d on ${dev}`, () => unbind(scalar), [/^unbind: cannot unbind a 0-d tensor/]);
    const v = sg.tensor([1, 2], { device: dev });
    assertEqualArrays(await arr(tile(v, [2])), [1, 2, 1, 2], `tile 1-d on ${dev}`);
    const t2 = tile(v, [2, 2]);
    assert.equal(t2.shape, [2, 4]);
    assertEqualArrays(await arr(t2), [1, 2, 1, 2, 1, 2, 1, 2], `tile to 2-d on ${dev}`);
    const r = sg.tensor([1, 2], { shape: [1, 2], device: dev });
    const t3 = tile(r, [2]);
    assert.equal(t3.shape, [1, 4]);
    assertEqualArrays(await arr(t3), [1, 2, 1, 2], `tile pads dims with 1s on ${dev}`);
    assert.equal(tile(v, []).shape, [2]);
    [x, v, r, scalar].forEach((t) => t.dispose());
  }
});

test('movedim, unflatten, unbind and tile gradients: gradcheck in float64', async () => {
  const x = sg.tensor(randArray(24, 5), { shape: [2, 3, 4], dtype: 'float64', device: 'cpu' });
  const w = sg.tensor(randArray(72, 6), { dtype: 'float64', device: 'cpu' });
  await sg.gradcheck((a: Tensor) => movedim(a, [0, 2], [2, 1]).contiguous().reshape([24]).mul(w.narrow(0, 0, 24)).sum(), [x]);
  await sg.gradcheck((a: Tensor) => unflatten(a, 1, [3, 1]).mul(2).sum(), [x]);
  await sg.gradcheck((a: Tensor) => { const [p, q, r] = unbind(a, 1); return p.mul(q).add(r).sum(); }, [x]);
  await sg.gradcheck((a: Tensor) => tile(a, [1, 3]).reshape([72]).mul(w).sum(), [x]);
});

test.run();
