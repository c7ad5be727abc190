// The bool dtype, as PyTorch's: comparisons give it, creation from booleans makes it, a cast to
// it is "nonzero" (NaN is true), it promotes below every number type, its sum counts, it never
// requires grad, and safetensors stores it as BOOL (one byte per element). Read back, a bool
// tensor's values are 0 and 1 in an Int32Array. Every expected value is written out here or
// computed from the inputs in plain JS.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import { arr, assertEqualArrays, backends, randArray, throwsWith } from '../helpers.js';

const test = suite('bool dtype');
const N = NaN;
const I = Infinity;

test('creation: booleans make bool; dtype bool makes any nonzero (NaN too) true', async () => {
  for (const dev of await backends()) {
    const b = sg.tensor([[true, false, true], [false, false, true]], { device: dev });
    assert.is(b.dtype, 'bool');
    assert.equal(b.shape, [2, 3]);
    const got = await b.toArray();
    assert.ok(got instanceof Int32Array, 'a bool reads back as an Int32Array of 0/1');
    assertEqualArrays(got, [1, 0, 1, 0, 0, 1], `${dev} tensor of booleans`);
    b.dispose();
    assert.is(sg.tensor(true, { device: dev }).dtype, 'bool');
    // mixed booleans and numbers are numbers (PyTorch picks the number type)
    assert.is(sg.tensor([true, 2], { device: dev }).dtype, 'float32');
    assertEqualArrays(await arr(sg.tensor([0, -0, 2, N, -I, 0.5], { dtype: 'bool', device: dev })), [0, 0, 1, 1, 1, 1], `${dev} dtype bool`);
    assertEqualArrays(await arr(sg.full([3], 5, { dtype: 'bool', device: dev })), [1, 1, 1], `${dev} full bool`);
    assertEqualArrays(await arr(sg.full([5], 0.5, { dtype: 'bool', device: dev })), [1, 1, 1, 1, 1], `${dev} full bool 0.5`);
    assertEqualArrays(await arr(sg.full([2], N, { dtype: 'bool', device: dev })), [1, 1], `${dev} full bool NaN`);
    assertEqualArrays(await arr(sg.full([2], -0, { dtype: 'bool', device: dev })), [0, 0], `${dev} full bool -0`);
    assertEqualArrays(await arr(sg.zeros([3], { dtype: 'bool', device: dev }).fill_(0.25)), [1, 1, 1], `${dev} fill_ 0.25 into bool`);
    assertEqualArrays(await arr(sg.zeros([2], { dtype: 'bool', device: dev })), [0, 0], `${dev} zeros bool`);
    assertEqualArrays(await arr(sg.onesLike(sg.tensor([false, false], { device: dev }))), [1, 1], `${dev} onesLike bool`);
    throwsWith(() => sg.tensor([true], { requiresGrad: true, device: dev }), /^tensor:/, /floating point/, /bool/);
    throwsWith(() => sg.zeros([2], { dtype: 'bool', requiresGrad: true, device: dev }), /^zeros:/, /bool/);
    throwsWith(() => sg.randn([2], { dtype: 'bool', device: dev }), /^randn:/, /float type/);
    throwsWith(() => sg.tensor([false], { device: dev }).requiresGrad_(), /^requiresGrad_:/, /bool/);
  }
});

const CMP: Array<[string, (a: sg.Tensor, b: sg.Tensor | number) => sg.Tensor, (a: number, b: number) => boolean]> = [
  ['eq', (a, b) => a.eq(b), (a, b) => a === b],
  ['ne', (a, b) => a.ne(b), (a, b) => a !== b],
  ['lt', (a, b) => a.lt(b), (a, b) => a < b],
  ['le', (a, b) => a.le(b), (a, b) => a <= b],
  ['gt', (a, b) => a.gt(b), (a, b) => a > b],
  ['ge', (a, b) => a.ge(b), (a, b) => a >= b],
];

test('comparisons return bool on every dtype, with NaN as IEEE says, vec4 and strided', async () => {
  const xs = [1, N, -2, 3, I, -I, 0, 5, 2, N, 7];
  const ys = [1, 1, -3, N, I, 0, -0, 6, 2, N, -7];
  for (const dev of await backends()) {
    for (const n of [8, 11]) {
      const a = sg.tensor(xs.slice(0, n), { device: dev });
      const b = sg.tensor(ys.slice(0, n), { device: dev });
      for (const [name, run, ref] of CMP) {
        const y = run(a, b);
        assert.is(y.dtype, 'bool', `${name} dtype`);
        assert.is(y.requiresGrad, false);
        assertEqualArrays(await arr(y), xs.slice(0, n).map((v, i) => +ref(v, ys[i])), `${dev} ${name} n=${n}`);
        assertEqualArrays(await arr(run(a, 2)), xs.slice(0, n).map((v) => +ref(v, 2)), `${dev} ${name} scalar n=${n}`);
      }
      a.dispose(); b.dispose();
    }
    // strided (a transposed view) and broadcast; int32 and bool operands
    const m = sg.tensor([[1, 2, 3], [4, 5, 6]], { device: dev }).transpose(0, 1);
    assertEqualArrays(await arr(m.gt(sg.tensor([[2, 4]], { device: dev }))), [0, 0, 0, 1, 1, 1], `${dev} gt strided`);
    const ti = sg.tensor(new Int32Array([3, -1, 2147483647]), { device: dev });
    assertEqualArrays(await arr(ti.ge(2147483647)), [0, 0, 1], `${dev} int32 ge`);
    const bb = sg.tensor([true, false, true], { device: dev });
    assertEqualArrays(await arr(bb.eq(sg.tensor([true, true, false], { device: dev }))), [1, 0, 0], `${dev} bool eq bool`);
    assertEqualArrays(await arr(bb.lt(0.5)), [0, 1, 0], `${dev} bool lt 0.5`);
    const h = sg.tensor([1, N, 3], { device: dev, dtype: dev === 'webgpu' ? 'float32' : 'float64' });
    assertEqualArrays(await arr(h.ne(h)), [0, 1, 0], `${dev} ne(x, x) finds NaN`);
    m.dispose(); ti.dispose(); bb.dispose(); h.dispose();
  }
});

test('cast to bool: nonzero is true, NaN and ±Inf are true, -0 is false; back to numbers as 0/1', async () => {
  const v = [0, -0, 1e-30, -3, N, I, -I, 0.25, 2, 0, N];
  for (const dev of await backends()) {
    for (const n of [8, 11]) {
      const x = sg.tensor(v.slice(0, n), { device: dev });
      const b = x.bool();
      assert.is(b.dtype, 'bool');
      const want = v.slice(0, n).map((t) => +(t !== 0));
      assertEqualArrays(await b.toArray(), want, `${dev} float32 .bool() n=${n}`);
      assertEqualArrays(await arr(b.float()), want, `${dev} bool to float32`);
      assertEqualArrays(await arr(b.int()), want, `${dev} bool to int32`);
      b.dispose();
      assertEqualArrays(await arr(x.cast('bool')), want, `${dev} cast('bool')`);
      assertEqualArrays(await arr(sg.cast(x, 'bool')), want, `${dev} sg.cast`);
      x.dispose();
    }
    const i = sg.tensor(new Int32Array([0, 5, -1, 0, -2147483648]), { device: dev });
    assertEqualArrays(await arr(i.bool()), [0, 1, 1, 0, 1], `${dev} int32 to bool`);
    // a cast to bool carries no gradient, even from a tensor that requires one
    const g = sg.tensor([1, 0], { device: dev, requiresGrad: true });
    const gb = g.bool();
    assert.is(gb.requiresGrad, false);
    gb.dispose(); g.dispose(); i.dispose();
  }
  const h = sg.tensor([0, N, -0, 70000], { device: 'cpu', dtype: 'float16' });
  assertEqualArrays(await arr(h.bool()), [0, 1, 0, 1], 'cpu float16 to bool (70000 is Inf there)');
  assertEqualArrays(await arr(sg.tensor([0, 1e-300, N], { device: 'cpu', dtype: 'float64' }).bool()), [0, 1, 1], 'cpu float64 to bool');
});

test('promotion: bool with numbers and tensors as PyTorch', async () => {
  for (const dev of await backends()) {
    const a = sg.tensor([true, false, true, false], { device: dev });
    const b = sg.tensor([true, true, false, false], { device: dev });
    const f = sg.tensor([1.5, -2, 0.25, 4], { device: dev });
    const i = sg.tensor(new Int32Array([3, -1, 7, 0]), { device: dev });
    const cases: Array<[string, sg.Tensor, string, number[]]> = [
      ['bool * float', a.mul(f), 'float32', [1.5, -0, 0.25, 0]],
      ['bool + int32', a.add(i), 'int32', [4, -1, 8, 0]],
      ['bool + 1', a.add(1), 'int32', [2, 1, 2, 1]],
      ['bool + 0.5', a.add(0.5), 'float32', [1.5, 0.5, 1.5, 0.5]],
      ['bool * 3', a.mul(3), 'int32', [3, 0, 3, 0]],
      // PyTorch: bool + bool is bool (logical or), bool * bool is bool (logical and)
      ['bool + bool', a.add(b), 'bool', [1, 1, 1, 0]],
      ['bool * bool', a.mul(b), 'bool', [1, 0, 0, 0]],
      ['maximum(bool, bool)', sg.maximum(a, b), 'bool', [1, 1, 1, 0]],
      ['minimum(bool, bool)', sg.minimum(a, b), 'bool', [1, 0, 0, 0]],
      ['bool / bool', a.div(sg.tensor([true, true, true, true], { device: dev })), 'float32', [1, 0, 1, 0]],
      ['exp(bool)', a.exp(), 'float32', [Math.E, 1, Math.E, 1]],
    ];
    for (const [what, y, dtype, want] of cases) {
      assert.is(y.dtype, dtype, `${what} dtype`);
      const got = await arr(y);
      want.forEach((w, k) => assert.ok(Math.abs(got[k] - w) <= 1e-6 * Math.abs(w), `${dev} ${what}: [${got}] vs [${want}]`));
    }
    // sum counts, in int32; mean refuses (PyTorch needs a float input)
    const big = sg.tensor(randArray(1000, 3).map((x) => +(x > 0.2)), { device: dev, dtype: 'bool' });
    const want = randArray(1000, 3).filter((x) => x > 0.2).length;
    const s = big.sum();
    assert.is(s.dtype, 'int32');
    assert.is(await s.item(), want, `${dev} sum of bool counts`);
    const m2 = sg.tensor([[true, true, false], [false, false, false]], { device: dev });
    const rs = m2.sum(1);
    assert.is(rs.dtype, 'int32');
    assertEqualArrays(await arr(rs), [2, 0], `${dev} sum(1) of bool`);
    assertEqualArrays(await arr(m2.sum(0, true)), [1, 1, 0], `${dev} sum(0, keepdim) of bool`);
    throwsWith(() => m2.mean(), /^mean:/, /bool/);
    assertEqualArrays(await arr(m2.amax(1)), [1, 0], `${dev} amax of bool`);
    // PyTorch refuses - on bool, and in place a result that a bool cannot hold
    throwsWith(() => a.sub(b), /^sub:/, /bool/);
    throwsWith(() => a.sub(1), /^sub:/, /bool/);
    throwsWith(() => sg.sub(1, a), /^sub:/, /bool/);
    throwsWith(() => f.sub(a), /^sub:/, /bool/);
    throwsWith(() => a.neg(), /^neg:/, /bool/);
    const c = a.clone();
    throwsWith(() => c.add_(1), /^add_:/, /bool/);
    throwsWith(() => c.mul_(f), /^mul_:/, /float32/, /bool/);
    c.add_(b);
    assertEqualArrays(await c.toArray(), [1, 1, 1, 0], `${dev} bool add_ bool is or`);
    c.fill_(0);
    assertEqualArrays(await arr(c), [0, 0, 0, 0], `${dev} bool fill_`);
    s.dispose(); big.dispose(); m2.dispose();
    a.dispose(); b.dispose(); f.dispose(); i.dispose();
  }
});

test('promotion: a 0-d tensor counts only when of a higher category (bool < int < float), as PyTorch', async () => {
  for (const dev of await backends()) {
    const h = sg.tensor([1.5, 2], { dtype: 'float16', device: dev });
    const z32 = sg.tensor(0.1, { device: dev });
    // float16 + 0-d float32 stays float16 (the 0-d value is cast to half first: 0.1 -> 0.0999755859375)
    const s = h.add(z32);
    assert.is(s.dtype, 'float16');
    assert.equal(await arr(s), [1.599609375, 2.099609375]);
    assert.is(sg.tensor([1, 2], { device: dev }).add(z32).dtype, 'float32');
    const i = sg.tensor(new Int32Array([1, 2]), { device: dev });
    assert.is(i.add(sg.tensor(0.5, { dtype: 'float16', device: dev })).dtype, 'float16', 'int32 + 0-d float16 is float16');
    assert.is(sg.tensor([true, false], { device: dev }).add(sg.tensor(new Int32Array([3]), { shape: [], device: dev })).dtype, 'int32');
    assert.is(i.add(sg.tensor(true, { device: dev })).dtype, 'int32');
    // all 0-d: ordinary promotion
    assert.is(sg.tensor(1, { dtype: 'float16', device: dev }).add(z32).dtype, 'float32');
  }
});

test('comparisons of float16 with a number cast the number to half first, as PyTorch', async () => {
  for (const dev of await backends()) {
    const h = sg.tensor([0.1, 2049, 0.30004], { dtype: 'float16', device: dev }); // [0.0999755859375, 2048, 0.300048828125]
    // PyTorch: h == 0.1 -> [T, F, F]; h < 0.1 -> [F, F, F]; h >= 2049 -> [F, T, F]; h > 0.30004 -> [F, T, F]
    assertEqualArrays(await h.eq(0.1).toArray(), [1, 0, 0], `eq on ${dev}`);
    assertEqualArrays(await h.lt(0.1).toArray(), [0, 0, 0], `lt on ${dev}`);
    assertEqualArrays(await h.ge(2049).toArray(), [0, 1, 0], `ge on ${dev}`);
    assertEqualArrays(await h.gt(0.30004).toArray(), [0, 1, 0], `gt on ${dev}`);
    assertEqualArrays(await h.ne(0.30004).toArray(), [1, 1, 0], `ne on ${dev}`);
  }
});

test('full with a boolean fill is bool (as torch.full(s, True)); arange and abs refuse bool', async () => {
  for (const dev of await backends()) {
    const t = sg.full([2, 3], true, { device: dev });
    assert.is(t.dtype, 'bool');
    assertEqualArrays(await t.toArray(), [1, 1, 1, 1, 1, 1]);
    const f = sg.full([2], false, { dtype: 'float32', device: dev });
    assert.is(f.dtype, 'float32');
    assertEqualArrays(await f.toArray(), [0, 0]);
    throwsWith(() => sg.arange(3, { dtype: 'bool', device: dev }), /^arange: dtype bool/);
    // PyTorch has no abs for bool either
    throwsWith(() => sg.tensor([true], { device: dev }).abs(), /^abs: input dtype bool/);
    throwsWith(() => sg.full([2], 'a' as unknown as number, { device: dev }), /^full: fill value must be a number or a boolean/);
  }
});

test('where takes a bool (or int32 0/1) condition; bool branches stay bool', async () => {
  for (const dev of await backends()) {
    const x = sg.tensor([1, N, -3, 4, I], { device: dev });
    const y = sg.tensor([10, 20, 30, 40, 50], { device: dev });
    const c = sg.tensor([true, true, false, false, true], { device: dev });
    assertEqualArrays(await arr(sg.where(c, x, y)), [1, N, 30, 40, I], `${dev} where(bool)`);
    assertEqualArrays(await arr(sg.where(c.int(), x, y)), [1, N, 30, 40, I], `${dev} where(int32 0/1)`);
    assertEqualArrays(await arr(sg.where(x.ne(x), 0, x)), [1, 0, -3, 4, I], `${dev} where(x.ne(x), 0, x)`);
    const bt = sg.where(c, sg.tensor([true, true, true, true, true], { device: dev }), sg.tensor([false, false, false, false, false], { device: dev }));
    assert.is(bt.dtype, 'bool');
    assertEqualArrays(await arr(bt), [1, 1, 0, 0, 1], `${dev} where over bools`);
    const bi = sg.where(c, c, 7);
    assert.is(bi.dtype, 'int32', 'bool tensor and an integer number give int32');
    assertEqualArrays(await arr(bi), [1, 1, 7, 7, 1], `${dev} where(c, c, 7)`);
    x.dispose(); y.dispose(); c.dispose();
  }
});

test('safetensors: bool saves as BOOL, one byte per element, and loads back', async () => {
  for (const dev of await backends()) {
    const b = sg.tensor([[true, false, false], [true, true, false]], { device: dev }).transpose(0, 1);
    const bytes = await sg.serializeSafetensors({ m: b });
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    assert.equal(header.m, { dtype: 'BOOL', shape: [3, 2], data_offsets: [0, 6] });
    assertEqualArrays(bytes.subarray(8 + n), [1, 1, 0, 1, 0, 0], `${dev} BOOL bytes`);
    const back = sg.parseSafetensors(bytes, { device: dev });
    assert.is(back.tensors.m.dtype, 'bool');
    assertEqualArrays(await back.tensors.m.toArray(), [1, 1, 0, 1, 0, 0], `${dev} BOOL round trip`);
    back.tensors.m.dispose(); b.dispose();
  }
  // any nonzero byte in a file reads as true
  const raw = sg.serializeSafetensors({ z: sg.tensor([false, false, false], { device: 'cpu' }) });
  const file = await raw;
  file.set([0, 2, 255], file.length - 3);
  const t = sg.parseSafetensors(file, { device: 'cpu' });
  assertEqualArrays(await t.tensors.z.toArray(), [0, 1, 1], 'nonzero BOOL bytes read as true');
  t.tensors.z.dispose();
});

test.run();
