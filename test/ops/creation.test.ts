// linspace, eye, fullLike, einsum and multinomial: both backends against float64
// references written here (a brute-force einsum over every letter assignment, an
// inverse-CDF sampler fed the same seeded uniforms), gradcheck for einsum, bad input.
import { suite } from 'uvu';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import {
  allclose, arr, assertEqualArrays, backends, f64Copies, gradsOf, numel, rt, throwsBeforeWork, throwsWith, type Dev,
} from '../helpers.js';

const test = suite('creation and misc');

const shapeIs = (t: Tensor, want: number[], what: string): void => {
  if (t.shape.join() !== want.join()) throw new Error(`${what}: shape [${t.shape}] != [${want}]`);
};

// ---- linspace, eye, fullLike ----

test('linspace: exact ends, even spacing, steps 0 and 1, int32 truncation', async () => {
  for (const dev of await backends()) {
    assertEqualArrays(await arr(sg.linspace(-1, 1, 5, { device: dev })), [-1, -0.5, 0, 0.5, 1], `linspace(-1, 1, 5) on ${dev}`);
    for (const [a, b, n] of [[0, 1, 7], [3.5, -2.25, 11], [-1e3, 1e3, 64], [2, 2, 3]]) {
      const want = Array.from({ length: n }, (_, i) => a + (i * (b - a)) / (n - 1));
      const got = await arr(sg.linspace(a, b, n, { device: dev }));
      allclose(got, want, { rtol: 1e-6, atol: 1e-6 * Math.max(Math.abs(a), Math.abs(b)) }, `linspace(${a}, ${b}, ${n}) on ${dev}`);
      if (got[0] !== Math.fround(a) || got[n - 1] !== Math.fround(b)) throw new Error(`linspace(${a}, ${b}, ${n}): the ends are not exact`);
    }
    assertEqualArrays(await arr(sg.linspace(4, 9, 1, { device: dev })), [4], `one step on ${dev}`);
    shapeIs(sg.linspace(0, 1, 0, { device: dev }), [0], 'zero steps');
    const i = sg.linspace(0, 10, 4, { dtype: 'int32', device: dev });
    if (i.dtype !== 'int32') throw new Error('linspace int32 dtype');
    assertEqualArrays(await arr(i), [0, 3, 6, 10], `int32 linspace on ${dev}`);
    // PyTorch truncates start and end to the integer dtype before stepping (values from torch 2.14)
    assertEqualArrays(await arr(sg.linspace(-3.5, 1, 9, { dtype: 'int32', device: dev })), [-3, -2, -2, -1, -1, 0, 0, 0, 1], `int32 linspace(-3.5, 1, 9) on ${dev}`);
    assertEqualArrays(await arr(sg.linspace(0, 3.5, 8, { dtype: 'int32', device: dev })), [0, 0, 0, 1, 1, 2, 2, 3], `int32 linspace(0, 3.5, 8) on ${dev}`);
    assertEqualArrays(await arr(sg.linspace(7.9, 0.2, 5, { dtype: 'int32', device: dev })), [7, 5, 3, 1, 0], `int32 linspace(7.9, 0.2, 5) on ${dev}`);
    // torch.linspace(nan, 1, 3) is [nan, nan, nan] and torch.linspace(-inf, 1, 3) is [nan, -inf, nan]
    allclose(await arr(sg.linspace(NaN, 1, 3, { device: dev })), [NaN, NaN, NaN], {}, `linspace from NaN on ${dev}`);
    allclose(await arr(sg.linspace(-Infinity, 1, 3, { device: dev })), [NaN, -Infinity, NaN], {}, `linspace from -Inf on ${dev}`);
    const h = sg.linspace(0, 1, 3, { dtype: 'float16', device: dev, requiresGrad: true });
    if (h.dtype !== 'float16' || !h.requiresGrad) throw new Error('float16 linspace options');
    assertEqualArrays(await arr(h), [0, 0.5, 1], `float16 linspace on ${dev}`);
  }
});

test('eye and fullLike', async () => {
  for (const dev of await backends()) {
    assertEqualArrays(await arr(sg.eye(3, { device: dev })), [1, 0, 0, 0, 1, 0, 0, 0, 1], `eye(3) on ${dev}`);
    const r = sg.eye(2, 4, { device: dev, dtype: 'int32' });
    shapeIs(r, [2, 4], 'eye(2, 4)');
    if (r.dtype !== 'int32') throw new Error('eye dtype');
    assertEqualArrays(await arr(r), [1, 0, 0, 0, 0, 1, 0, 0], `eye(2, 4) on ${dev}`);
    assertEqualArrays(await arr(sg.eye(3, 1, { device: dev })), [1, 0, 0], `eye(3, 1) on ${dev}`);
    assertEqualArrays(await arr(sg.eye(2, null, { device: dev })), [1, 0, 0, 1], `eye(2, null) (PyTorch's m=None) on ${dev}`);
    shapeIs(sg.eye(0, { device: dev }), [0, 0], 'eye(0)');
    shapeIs(sg.eye(2, 0, { device: dev }), [2, 0], 'eye(2, 0)');
    const { t } = rt([2, 3], 1, dev);
    const f = sg.fullLike(t, -2.5);
    if (f.dtype !== 'float32' || f.device !== dev) throw new Error('fullLike keeps dtype and device');
    assertEqualArrays(await arr(f), new Array(6).fill(-2.5), `fullLike on ${dev}`);
    allclose(await arr(sg.fullLike(t, NaN)), new Array(6).fill(NaN), {}, `fullLike NaN on ${dev}`);
    const fi = sg.fullLike(t, 7, { dtype: 'int32' });
    if (fi.dtype !== 'int32') throw new Error('fullLike dtype override');
    assertEqualArrays(await arr(fi), new Array(6).fill(7), `fullLike int32 on ${dev}`);
    const fc = sg.fullLike(t, 1, { device: 'cpu', requiresGrad: true });
    if (fc.device !== 'cpu' || !fc.requiresGrad) throw new Error('fullLike device / requiresGrad');
    shapeIs(sg.fullLike(sg.zeros([0, 2], { device: dev }), 3), [0, 2], 'fullLike of an empty tensor');
    throwsBeforeWork('fullLike int32 fraction', () => sg.fullLike(t, 0.5, { dtype: 'int32' }), [/^fullLike: /, /int32/]);
    throwsBeforeWork('fullLike bad option', () => sg.fullLike(t, 1, { dtyp: 'int32' } as never), [/^fullLike: /, /dtyp/]);
    throwsBeforeWork('fullLike not a tensor', () => sg.fullLike([1, 2] as never, 1), [/^fullLike: /, /Tensor/]);
    throwsBeforeWork('fullLike fp16 overflow', () => sg.fullLike(t, 1e6, { dtype: 'float16' }), [/^fullLike: /, /overflow/]);
    t.dispose();
  }
  throwsBeforeWork('eye negative', () => sg.eye(-1), [/^eye: /, /n/]);
  throwsBeforeWork('eye fraction', () => sg.eye(2, 1.5), [/^eye: /, /m/]);
  throwsBeforeWork('eye int grad', () => sg.eye(2, { dtype: 'int32', requiresGrad: true }), [/^eye: /, /floating point/]);
  throwsBeforeWork('linspace negative steps', () => sg.linspace(0, 1, -1), [/^linspace: /, /steps/]);
  throwsBeforeWork('linspace start not a number', () => sg.linspace('0' as never, 1, 3), [/^linspace: /, /start/]);
  throwsBeforeWork('linspace int overflow', () => sg.linspace(0, 3e9, 2, { dtype: 'int32' }), [/^linspace: /, /int32/]);
});

// ---- einsum ----

/** einsum by brute force: every assignment of the letters, products summed into the output. */
function einsumRef(eq: string, xs: Array<{ x: ArrayLike<number>; shape: number[] }>): { out: number[]; shape: number[] } {
  const [lhs, rhsGiven] = eq.replace(/\s/g, '').split('->');
  const ins = lhs.split(',');
  const all = ins.join('');
  const rhs = rhsGiven ?? [...new Set(all)].filter((c) => all.indexOf(c) === all.lastIndexOf(c)).sort().join('');
  const letters = [...new Set(all)];
  const size: Record<string, number> = {};
  ins.forEach((s, k) => [...s].forEach((c, d) => { size[c] = size[c] === undefined || size[c] === 1 ? xs[k].shape[d] : size[c]; }));
  const outShape = [...rhs].map((c) => size[c]);
  const out = new Array<number>(numel(outShape)).fill(0);
  const val: Record<string, number> = {};
  // a size-1 dim broadcasts: it is read at 0 whatever the letter's value
  const flat = (s: string, shape: number[]): number => [...s].reduce((a, c, d) => a * shape[d] + (shape[d] === 1 ? 0 : val[c]), 0);
  const walk = (k: number): void => {
    if (k === letters.length) {
      let p = 1;
      ins.forEach((s, j) => { p *= xs[j].x[flat(s, xs[j].shape)]; });
      out[flat(rhs, outShape)] += p;
      return;
    }
    for (let v = 0; v < size[letters[k]]; v++) { val[letters[k]] = v; walk(k + 1); }
  };
  walk(0);
  return { out, shape: outShape };
}

const EINSUM_CASES: Array<[string, number[][]]> = [
  ['ij->ji', [[3, 5]]],
  ['ij->', [[3, 5]]],
  ['ijk->ki', [[2, 3, 4]]],
  ['ij', [[3, 4]]],
  ['i->i', [[5]]],
  ['bij,bjk->bik', [[2, 3, 5], [2, 5, 4]]],
  ['ij,jk', [[3, 5], [5, 2]]],
  ['i,j->ij', [[3], [4]]],
  ['ij,j->i', [[3, 5], [5]]],
  ['ij,ij->ij', [[3, 4], [3, 4]]],
  ['i,i->', [[7], [7]]],
  ['ik,jk->ij', [[3, 5], [4, 5]]],
  ['bhqd,bhkd->bhqk', [[2, 2, 3, 4], [2, 2, 5, 4]]],
  ['ijx,jk->ki', [[2, 3, 4], [3, 5]]],
  ['ab,cd->dcba', [[2, 1], [3, 2]]],
  [' b i j , b j k -> b k i ', [[2, 2, 3], [2, 3, 2]]],
  ['ij,jk->ik', [[2, 0], [0, 3]]],
  ['ij,ij->ij', [[1, 4], [3, 4]]],
  ['bij,bjk->bik', [[1, 2, 3], [4, 3, 1]]],
  // a broadcast (size-1) letter that is summed away, on either side
  ['a,cab->c', [[3], [2, 1, 4]]],
  ['cab,a', [[2, 1, 4], [3]]],
];

test('einsum matches a brute-force float64 reference', async () => {
  for (const dev of await backends()) {
    for (const [k, [eq, shapes]] of EINSUM_CASES.entries()) {
      const ins = shapes.map((s, j) => rt(s, 50 + 10 * k + j, dev));
      const want = einsumRef(eq, ins.map((r, j) => ({ x: r.x, shape: shapes[j] })));
      const y = sg.einsum(eq, ...ins.map((r) => r.t));
      shapeIs(y, want.shape, `einsum ${eq}`);
      allclose(await arr(y), want.out, { rtol: 1e-5, atol: 1e-5 }, `einsum '${eq}' on ${dev}`);
      ins.forEach((r) => r.t.dispose());
    }
    // an array of operands, as torch.einsum accepts a list
    const a = rt([2, 3], 1, dev);
    const b = rt([3, 2], 2, dev);
    allclose(await arr(sg.einsum('ij,jk->ik', [a.t, b.t])), einsumRef('ij,jk->ik', [{ x: a.x, shape: [2, 3] }, { x: b.x, shape: [3, 2] }]).out, { rtol: 1e-5, atol: 1e-6 }, `einsum with a list on ${dev}`);
    // a strided operand
    const tt = a.t.T;
    const xt = [0, 3, 1, 4, 2, 5].map((i) => a.x[i]);
    allclose(await arr(sg.einsum('ij,jk->ik', tt, a.t)), einsumRef('ij,jk->ik', [{ x: xt, shape: [3, 2] }, { x: a.x, shape: [2, 3] }]).out, { rtol: 1e-5, atol: 1e-6 }, `einsum on a view on ${dev}`);
    // no temporaries are left live; one int32 operand stays int32 (two need matmul: refused)
    const [va, vb] = [a.t.view(1, 2, 3), b.t.T.contiguous().view(1, 2, 3)];
    const before = sg.memory().liveTensors;
    const fy = sg.einsum('bij,bkj->ki', va, vb);
    if (sg.memory().liveTensors !== before + 1) throw new Error(`einsum left ${sg.memory().liveTensors - before - 1} temporaries live on ${dev}`);
    [fy, va, vb].forEach((t) => t.dispose());
    const ia = sg.tensor(Int32Array.from([1, 2, 3, 4, 5, 6]), { shape: [2, 3], device: dev });
    const iy = sg.einsum('ij->j', ia);
    if (iy.dtype !== 'int32') throw new Error(`einsum of int32 gave ${iy.dtype}`);
    assertEqualArrays(await arr(iy), [5, 7, 9], `int32 einsum on ${dev}`);
    // the size-1 side of a broadcast summed letter is dropped, so the full side is summed first, as in
    // PyTorch: torch.einsum('a,ca->c', tensor([1., -3.]), tensor([[-inf], [2.]])) is [inf, -4] (a product first gives NaN)
    const [p0, p1] = [sg.tensor([1, -3], { device: dev }), sg.tensor([-Infinity, 2], { shape: [2, 1], device: dev })];
    assertEqualArrays(await arr(sg.einsum('a,ca->c', p0, p1)), [Infinity, -4], `broadcast summed letter with -Inf on ${dev}`);
    assertEqualArrays(await arr(sg.einsum('ca,a', p1, p0)), [Infinity, -4], `broadcast summed letter, operands swapped, on ${dev}`);
    [p0, p1].forEach((t) => t.dispose());
    throwsBeforeWork(`int32 pair on ${dev}`, () => sg.einsum('ij,kj->ik', ia, ia), [/^einsum: /, /floating point/]);
    [a.t, b.t, ia].forEach((t) => t.dispose());
  }
});

test('einsum gradients: gradcheck (CPU float64) and WebGPU against it', async () => {
  const cases = EINSUM_CASES.filter(([, shapes]) => shapes.every((s) => numel(s) > 0));
  let seed = 300;
  for (const [eq, shapes] of cases) {
    const fn = (...xs: Tensor[]): Tensor => sg.einsum(eq, ...xs);
    await sg.gradcheck(fn, shapes.map((s) => rt(s, seed++, 'cpu').t)).catch((e: Error) => { throw new Error(`${eq}: ${e.message}`); });
    if ((await backends()).includes('webgpu')) {
      const xs = shapes.map((s) => rt(s, seed++, 'webgpu', { requiresGrad: true }).t);
      const got = await gradsOf(fn, xs);
      const want = await gradsOf(fn, await f64Copies(xs));
      allclose(got.out, want.out, { rtol: 1e-5, atol: 1e-5 }, `${eq} forward`);
      got.grads.forEach((g, j) => allclose(g!, want.grads[j]!, { rtol: 1e-5, atol: 1e-5 }, `${eq} grad ${j}`));
      xs.forEach((x) => x.dispose());
    }
  }
});

test('einsum: unsupported and bad equations throw, naming einsum', async () => {
  for (const dev of await backends()) {
    const a = sg.zeros([2, 3], { device: dev });
    const b = sg.zeros([3, 4], { device: dev });
    const bt = b.T;
    const cases: Array<[string, () => unknown, RegExp[]]> = [
      ['diagonal', () => sg.einsum('ii->i', sg.zeros([3, 3], { device: dev })), [/^einsum: /, /repeated within operand 0/]],
      ['ellipsis', () => sg.einsum('...ij->...ji', a), [/^einsum: /, /ellipsis/]],
      ['three operands', () => sg.einsum('ij,jk,kl->il', a, b, b), [/^einsum: /, /one or two operands/]],
      ['operand count', () => sg.einsum('ij,jk->ik', a), [/^einsum: /, /2 operands but 1/]],
      ['rank', () => sg.einsum('ijk,jk->i', a, b), [/^einsum: /, /operand 0 has 2 dims/]],
      ['sizes', () => sg.einsum('ij,ik->jk', a, b), [/^einsum: /, /letter 'i' has size 2/, /3/]],
      ['sizes, not 1', () => sg.einsum('ij,ij->ij', a, bt), [/^einsum: /, /letter 'i'/]],
      ['output letter', () => sg.einsum('ij,jk->iz', a, b), [/^einsum: /, /'z'/]],
      ['output repeat', () => sg.einsum('ij,jk->ii', a, b), [/^einsum: /, /repeats/]],
      ['bad chars', () => sg.einsum('i1,jk->ik', a, b), [/^einsum: /, /letters/]],
      ['not a tensor', () => sg.einsum('ij->ji', [1, 2] as never), [/^einsum: /, /operand 0/]],
      ['dtype', () => sg.einsum('ij,jk->ik', a, sg.zeros([3, 4], { device: dev, dtype: 'int32' })), [/^einsum: /, /dtype/]],
    ];
    for (const [what, run, pats] of cases) {
      if (what === 'diagonal' || what === 'dtype') throwsWith(run, ...pats);
      else throwsBeforeWork(`${what} on ${dev}`, run, pats);
    }
    [a, b, bt].forEach((t) => t.dispose());
  }
});

// ---- multinomial ----

/** The sampler's reference: the first category whose running sum passes u * total, in float64. */
function sampleRef(p: number[], u: number): number {
  const total = p.reduce((a, b) => a + b, 0);
  let acc = 0;
  for (let i = 0; i < p.length; i++) {
    acc += p[i];
    if (p[i] > 0 && u * total < acc) return i;
  }
  return p.map((v, i) => (v > 0 ? i : -1)).reduce((a, b) => Math.max(a, b));
}

test('multinomial with replacement: the inverse CDF of the seeded uniforms, same on both backends', async () => {
  const rows = [[0.1, 0, 0.6, 0.3, 0], [2, 1, 1, 4, 0.5], [0, 0, 5, 0, 0]];
  const n = 40;
  const g = new sg.Generator(17);
  const u = Array.from({ length: rows.length * n }, () => Math.fround(g.next()));
  const want = rows.flatMap((p, r) => Array.from({ length: n }, (_, s) => sampleRef(p, u[r * n + s])));
  for (const dev of await backends()) {
    const probs = sg.tensor(rows, { device: dev });
    const y = sg.multinomial(probs, n, true, { seed: 17 });
    if (y.dtype !== 'int32') throw new Error('multinomial returns int32');
    shapeIs(y, [3, n], 'multinomial 2-D');
    assertEqualArrays(await arr(y), want, `multinomial on ${dev}`);
    // a 1-D row, a transposed (strided) 2-D input, the method, a float16 input
    assertEqualArrays(await arr(probs.narrow(0, 1, 1).view(5).multinomial(n, true, { seed: 17 })), want.slice(0, n).map((_, s) => sampleRef(rows[1], u[s])), `1-D on ${dev}`);
    const pt = sg.tensor([[0.1, 2], [0, 1], [0.6, 1], [0.3, 4], [0, 0.5]], { device: dev }).T;
    assertEqualArrays(await arr(sg.multinomial(pt, n, true, { seed: 17 })), want.slice(0, 2 * n), `strided on ${dev}`);
    const ph = sg.tensor([[0.25, 0.5, 0.25]], { dtype: 'float16', device: dev });
    const gh = new sg.Generator(5);
    const uh = Array.from({ length: 8 }, () => Math.fround(gh.next()));
    assertEqualArrays(await arr(sg.multinomial(ph, 8, true, { seed: 5 })), uh.map((v) => sampleRef([0.25, 0.5, 0.25], v)), `float16 on ${dev}`);
    probs.dispose();
  }
});

test('multinomial: frequencies, without replacement, seeding and generators', async () => {
  for (const dev of await backends()) {
    // frequencies follow the weights (4000 draws: 4 standard deviations is about 0.03)
    const p = [0.1, 0, 0.6, 0.3];
    const draws = await arr(sg.multinomial(sg.tensor(p, { device: dev }), 4000, true, { seed: 3 }));
    p.forEach((w, i) => {
      const freq = draws.filter((d) => d === i).length / 4000;
      if (Math.abs(freq - w) > 0.03) throw new Error(`category ${i}: frequency ${freq}, weight ${w} on ${dev}`);
    });
    // without replacement: distinct, never a zero weight, all of them when numSamples = categories
    const w = sg.tensor([[1, 0, 3, 2, 0, 5, 1], [0, 0, 0, 1, 1, 0, 1]], { device: dev });
    const s = await arr(sg.multinomial(w, 3, false, { seed: 9 }));
    for (const [r, row] of [[0, s.slice(0, 3)], [1, s.slice(3)]] as Array<[number, number[]]>) {
      if (new Set(row).size !== 3) throw new Error(`row ${r} repeats a category: ${row}`);
      const weights = r === 0 ? [1, 0, 3, 2, 0, 5, 1] : [0, 0, 0, 1, 1, 0, 1];
      if (row.some((c) => weights[c] === 0)) throw new Error(`row ${r} drew a zero-weight category: ${row}`);
    }
    const all = await arr(sg.multinomial(sg.tensor([3, 1, 2, 5, 4], { device: dev }), 5, false, { seed: 1 }));
    assertEqualArrays([...all].sort(), [0, 1, 2, 3, 4], `a full draw is a permutation on ${dev}`);
    // the first draw without replacement follows the weights too
    let heavy = 0;
    for (let k = 0; k < 300; k++) if ((await arr(sg.multinomial(sg.tensor([1, 8, 1], { device: dev }), 2, false, { seed: 100 + k })))[0] === 1) heavy++;
    if (Math.abs(heavy / 300 - 0.8) > 0.1) throw new Error(`first draw frequency ${heavy / 300}, want about 0.8 on ${dev}`);
    // seeds: equal seeds agree, sg.manualSeed drives the default, a Generator advances
    const pr = sg.tensor([1, 1, 1, 1, 1, 1, 1, 1], { device: dev });
    const a1 = await arr(pr.multinomial(20, true, { seed: 4 }));
    assertEqualArrays(await arr(pr.multinomial(20, true, { seed: 4 })), a1, 'same seed');
    if ((await arr(pr.multinomial(20, true, { seed: 5 }))).join() === a1.join()) throw new Error('different seeds gave equal draws');
    sg.manualSeed(4);
    assertEqualArrays(await arr(pr.multinomial(20, true)), a1, 'manualSeed(4) then no seed equals seed 4');
    const gen = new sg.Generator(4);
    const g1 = await arr(pr.multinomial(10, true, { generator: gen }));
    const g2 = await arr(pr.multinomial(10, true, { generator: gen }));
    assertEqualArrays([...g1, ...g2], a1, 'a generator continues where it left off');
    shapeIs(sg.multinomial(sg.zeros([0, 3], { device: dev }), 2, true), [0, 2], 'no rows');
    [w, pr].forEach((t) => t.dispose());
  }
});

test('multinomial: bad input', async () => {
  for (const dev of await backends()) {
    const p = sg.tensor([0.5, 0.5], { device: dev });
    const cases: Array<[string, () => unknown, RegExp[]]> = [
      ['too many without replacement', () => sg.multinomial(p, 3), [/^multinomial: /, /3 samples from 2 categories/]],
      ['zero samples', () => sg.multinomial(p, 0), [/^multinomial: /, /numSamples/]],
      ['3-D', () => sg.multinomial(sg.ones([1, 1, 2], { device: dev }), 1), [/^multinomial: /, /1-D or 2-D/]],
      ['int32', () => sg.multinomial(sg.ones([2], { device: dev, dtype: 'int32' }), 1), [/^multinomial: /, /floating point/]],
      ['bool', () => sg.multinomial(sg.ones([2], { device: dev, dtype: 'bool' }), 1), [/^multinomial: /, /floating point/, /bool/]],
      ['no categories', () => sg.multinomial(sg.ones([2, 0], { device: dev }), 1, true), [/^multinomial: /, /no categories/]],
      ['seed and generator', () => sg.multinomial(p, 1, true, { seed: 1, generator: new sg.Generator(1) }), [/^multinomial: /, /not both/]],
      ['bad generator', () => sg.multinomial(p, 1, true, { generator: {} as never }), [/^multinomial: /, /Generator/]],
      ['bad option', () => sg.multinomial(p, 1, true, { sed: 1 } as never), [/^multinomial: /, /sed/]],
      ['replacement not boolean', () => sg.multinomial(p, 1, 1 as never), [/^multinomial: /, /replacement/]],
    ];
    for (const [what, run, pats] of cases) {
      if (['3-D', 'int32', 'bool', 'no categories', 'seed and generator'].includes(what)) throwsWith(run, ...pats);
      else throwsBeforeWork(`${what} on ${dev}`, run, pats);
    }
    p.dispose();
  }
  // value errors: thrown on the CPU; on WebGPU the row's samples are -1
  const bad: Array<[number[][], RegExp]> = [
    [[[0.5, 0.5], [0.2, -0.1]], /element < 0 \(row 1/],
    [[[0.5, 0.5], [NaN, 1]], /nan/],
    [[[Infinity, 1], [1, 1]], /inf/],
    [[[1, 1], [0, 0]], /sum of probabilities <= 0\) in row 1/],
  ];
  for (const [rows, pat] of bad) {
    throwsWith(() => sg.multinomial(sg.tensor(rows, { device: 'cpu' }), 1, true), /^multinomial: /, pat);
    if ((await backends()).includes('webgpu')) {
      const got = await arr(sg.multinomial(sg.tensor(rows, { device: 'webgpu' }), 2, true, { seed: 1 }));
      const badRow = rows.findIndex((r) => r.some((v) => !Number.isFinite(v) || v < 0) || r.every((v) => v === 0));
      if (got.slice(badRow * 2, badRow * 2 + 2).some((v) => v !== -1)) throw new Error(`WebGPU bad row ${badRow} gave ${got}`);
      if (got.slice((1 - badRow) * 2, (1 - badRow) * 2 + 2).some((v) => v < 0)) throw new Error(`WebGPU good row spoiled: ${got}`);
    }
  }
  throwsWith(() => sg.multinomial(sg.tensor([1, 0, 0], { device: 'cpu' }), 2), /^multinomial: /, /1 non-zero categories for 2 samples/);
  if ((await backends()).includes('webgpu')) {
    assertEqualArrays(await arr(sg.multinomial(sg.tensor([1, 0, 0], { device: 'webgpu' }), 2)), [-1, -1], 'WebGPU: too few non-zero categories');
    assertEqualArrays(await arr(sg.multinomial(sg.tensor([0, -0, 2], { device: 'webgpu' }), 1)), [2], 'WebGPU: -0 is a valid zero weight');
  }
});

test.run();
