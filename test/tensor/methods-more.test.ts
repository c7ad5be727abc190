// PyTorch's small Tensor accessors and conversions (dim, nelement, t, double, long, type) and
// the new* creators, which default to the tensor's dtype and device. Expected values are
// torch 2.14's, checked by hand in python (x.t() of 0/1/2-D, new_full's dtype, ...).
import { suite } from 'uvu';
import * as sg from '../../src/index.js';
import { assertEqualArrays, backends, throwsBeforeWork } from '../helpers.js';

const test = suite('tensor: more methods');

const eq = (got: unknown, want: unknown, what: string): void => {
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
};

test('dim, ndimension, nelement, isFloatingPoint, elementSize', async () => {
  for (const dev of await backends()) {
    const x = sg.zeros([2, 0, 3], { device: dev });
    eq([x.dim(), x.ndimension(), x.nelement()], [3, 3, 0], `a [2, 0, 3] tensor on ${dev}`);
    const s = sg.tensor(5, { device: dev });
    eq([s.dim(), s.nelement()], [0, 1], `a 0-d tensor on ${dev}`);
    eq([x.isFloatingPoint(), sg.zeros(1, { dtype: 'int32', device: dev }).isFloatingPoint(), sg.zeros(1, { dtype: 'bool', device: dev }).isFloatingPoint()], [true, false, false], `isFloatingPoint on ${dev}`);
    eq([x.elementSize(), sg.zeros(1, { dtype: 'int32', device: dev }).elementSize(), sg.zeros(1, { dtype: 'bool', device: dev }).elementSize()], [4, 4, 4], `elementSize on ${dev}`);
    if (dev === 'cpu') eq(sg.zeros(1, { dtype: 'float64', device: dev }).elementSize(), 8, 'float64 elementSize');
    if (dev === 'webgpu' && sg.deviceInfo().features.includes('shader-f16')) eq(sg.zeros(1, { dtype: 'float16', device: dev }).elementSize(), 2, 'float16 elementSize on the GPU');
    x.dispose();
    throwsBeforeWork('dim of a disposed tensor', () => x.dim(), [/^dim: tensor \(shape \[2, 0, 3\], float32\) was already disposed/]);
  }
});

test('t(): 2-D transposed as a view, 0-d and 1-d as they are, more dims an Error', async () => {
  for (const dev of await backends()) {
    const m = sg.tensor([[1, 2, 3], [4, 5, 6]], { device: dev });
    const mt = m.t();
    eq(mt.shape, [3, 2], `t() shape on ${dev}`);
    assertEqualArrays(await mt.toArray(), [1, 4, 2, 5, 3, 6], `t() values on ${dev}`);
    mt.select(0, 2).fill_(0); // a view: writes reach m
    assertEqualArrays(await m.toArray(), [1, 2, 0, 4, 5, 0], `t() is a view on ${dev}`);
    eq(sg.tensor([1, 2, 3], { device: dev }).t().shape, [3], `1-d t() on ${dev}`);
    eq(sg.tensor(7, { device: dev }).t().shape, [], `0-d t() on ${dev}`);
    const w = sg.tensor([[1, 2]], { device: dev, requiresGrad: true });
    w.t().mul(sg.tensor([[3], [4]], { device: dev })).sum().backward();
    assertEqualArrays(await w.grad!.toArray(), [3, 4], `the gradient through t() on ${dev}`);
    const c = sg.zeros([2, 2, 2], { device: dev });
    throwsBeforeWork('t 3-d', () => c.t(), [/^t: expects a tensor with <= 2 dims, but self has 3 \(shape \[2, 2, 2\]\)/]);
  }
});

test('double, long, type: float64 on the CPU only, long is int32, type(dtype) casts', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor([1.5, -2.7, NaN], { device: dev });
    if (dev === 'cpu') {
      const d = x.double();
      eq(d.dtype, 'float64', 'double() dtype');
      assertEqualArrays(await d.toArray(), [1.5, Math.fround(-2.7), NaN], 'double() values');
    } else throwsBeforeWork('double on webgpu', () => x.double(), [/^double: float64 exists only on the CPU backend/]);
    const y = sg.tensor([1.5, -2.7, 3], { device: dev });
    const l = y.long();
    eq(l.dtype, 'int32', `long() dtype on ${dev}`);
    assertEqualArrays(await l.toArray(), [1, -2, 3], `long() truncates toward 0 on ${dev}`);
    eq(y.type(), 'float32', `type() on ${dev}`);
    if (y.type('float32') !== y) throw new Error('type() of the same dtype must return the tensor itself, as torch');
    assertEqualArrays(await y.type('int32').toArray(), [1, -2, 3], `type('int32') on ${dev}`);
    throwsBeforeWork('type bad dtype', () => y.type('int64' as 'int32'), [/^type:/, /int64/]);
    if (dev === 'webgpu') throwsBeforeWork('type float64 on webgpu', () => y.type('float64'), [/^type: float64 exists only on the CPU backend/]);
  }
});

test('newZeros, newOnes, newEmpty, newFull, newTensor: this dtype and device unless the options say otherwise', async () => {
  for (const dev of await backends()) {
    const i = sg.tensor(new Int32Array([1, 2]), { device: dev });
    const z = i.newZeros(2, 3);
    eq([z.shape, z.dtype, z.device], [[2, 3], 'int32', dev], `newZeros on ${dev}`);
    assertEqualArrays(await z.toArray(), [0, 0, 0, 0, 0, 0], `newZeros values on ${dev}`);
    const o = i.newOnes([2], { dtype: 'float32' });
    eq([o.shape, o.dtype], [[2], 'float32'], `newOnes with a dtype on ${dev}`);
    assertEqualArrays(await o.toArray(), [1, 1], `newOnes values on ${dev}`);
    const e = i.newEmpty([3]);
    assertEqualArrays(await e.toArray(), [0, 0, 0], `newEmpty is zeros on ${dev}`);
    const f = i.newFull([2, 2], 7);
    eq([f.shape, f.dtype], [[2, 2], 'int32'], `newFull on ${dev}`);
    assertEqualArrays(await f.toArray(), [7, 7, 7, 7], `newFull values on ${dev}`);
    const g = sg.zeros(1, { device: dev }).newFull([2], -Infinity, { requiresGrad: true });
    eq([g.dtype, g.requiresGrad], ['float32', true], `newFull requiresGrad on ${dev}`);
    const t = i.newTensor([[3, 4]]);
    eq([t.shape, t.dtype, t.device], [[1, 2], 'int32', dev], `newTensor on ${dev}`);
    assertEqualArrays(await t.toArray(), [3, 4], `newTensor values on ${dev}`);
    const c = sg.zeros(1, { device: dev }).newTensor([0.5], { device: 'cpu' });
    eq(c.device, 'cpu', `newTensor device option on ${dev}`);
    throwsBeforeWork('newFull int32 1.5', () => i.newFull([2], 1.5), [/^newFull:/, /int32/]);
    throwsBeforeWork('newZeros bad shape', () => i.newZeros([-1]), [/^newZeros:/]);
    throwsBeforeWork('newOnes bad option', () => i.newOnes([2], { dtyp: 'int32' } as unknown as { dtype: 'int32' }), [/^newOnes:/, /dtyp/]);
    throwsBeforeWork('newTensor int32 0.5', () => i.newTensor([0.5]), [/^newTensor: value 0\.5 at index 0 is not an int32/]);
    throwsBeforeWork('newTensor of a Tensor', () => i.newTensor(i as unknown as number[]), [/^newTensor: data must be numbers or nested arrays, got a Tensor/]);
  }
});

test.run();
