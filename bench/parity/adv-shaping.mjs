// Generated adversarial parity cases for pad, repeat, repeatInterleave, flip, roll, einsum,
// select, linspace, eye, fullLike and multinomial's argument checks (issue #24): random
// shapes (0-size dims, 0-d), negative dims and indices, every pad mode and rank, int32 /
// float16 / bool inputs, NaN/±Inf/-0, transposed inputs, and the errors PyTorch raises.
//   node run.mjs cases /tmp/c.json --ops adv-shaping.mjs ... compare /tmp/e.json --ops adv-shaping.mjs
import { addTransposedCases, rng } from './ops.mjs';

const numel = (shape) => shape.reduce((a, b) => a * b, 1);
const G = rng(Number(process.env.ADV_SEED ?? 24033)); // another seed: another set of shapes and arguments
const pick = (a) => a[Math.floor(G() * a.length)];
const int = (lo, hi) => lo + Math.floor(G() * (hi - lo + 1));
const SPEC = ['nan', 'inf', '-inf', '-0'];
const X = (shape, dtype = 'float32', special = 0) => (r) => ({
  shape, dtype, grad: dtype === 'float32',
  data: Array.from({ length: numel(shape) }, () => {
    if (dtype === 'bool') return r() < 0.5 ? 1 : 0;
    if (dtype === 'int32') return Math.floor(r() * 19) - 9;
    if (special && r() < special) return SPEC[Math.floor(r() * 4)];
    const v = 4 * r() - 2;
    return dtype === 'float16' ? Math.round(v * 256) / 256 : Math.fround(v);
  }),
});
const randShape = (rank, hi = 4) => Array.from({ length: rank }, () => (G() < 0.12 ? 0 : int(1, hi)));
const dtypeOf = () => pick(['float32', 'float32', 'float32', 'int32', 'float16', 'bool']);
const inp = (shape) => { const dt = dtypeOf(); return X(shape, dt, dt.startsWith('float') && G() < 0.3 ? 0.2 : 0); };
const num = (v) => ({ nan: NaN, inf: Infinity, '-inf': -Infinity, '-0': -0 })[v] ?? v;
const cases = (n, mk) => Array.from({ length: n }, mk);

const padOp = {
  name: 'adv pad', errPrefix: 'pad',
  sg: (sg, x, a) => (a.v === undefined ? sg.pad(x[0], a.p, a.m) : sg.pad(x[0], a.p, a.m, num(a.v))),
  py: 'F.pad(x[0], a["p"], mode=a["m"], value=(float(a["v"]) if isinstance(a.get("v"), str) else a.get("v")))',
  cases: cases(220, () => {
    const m = pick(['constant', 'constant', 'reflect', 'replicate']);
    const rank = m === 'constant' ? int(0, 5) : int(1, 6);
    const shape = randShape(rank, 5);
    const k = m === 'constant' ? int(0, Math.min(rank, 4) + (G() < 0.1 ? 1 : 0)) : pick([1, 2, 3, int(1, 3)]);
    const p = Array.from({ length: 2 * k }, () => (G() < 0.3 ? int(-3, -1) : int(0, 4)));
    if (G() < 0.05) p.push(1);
    const a = { p, m };
    if (m === 'constant' && G() < 0.5) a.v = pick([0, 1, -2.5, 3, 7]);
    if (m !== 'constant' && G() < 0.1) a.v = pick([0, 1]);
    const dt = dtypeOf();
    return { x: [X(shape, dt === 'bool' && m !== 'constant' ? 'float32' : dt, 0.1)], a };
  }),
};

const repeatOp = {
  name: 'adv repeat', errPrefix: 'repeat',
  sg: (sg, x, a) => x[0].repeat(...a.s), py: 'x[0].repeat(a["s"])',
  cases: cases(80, () => {
    const rank = int(0, 3);
    const s = Array.from({ length: Math.max(0, rank + int(-1, 2)) }, () => pick([0, 1, 1, 2, 3]));
    if (G() < 0.05) s[0] = -1;
    return { x: [inp(randShape(rank))], a: { s } };
  }),
};

const riOp = {
  name: 'adv repeatInterleave', errPrefix: 'repeatInterleave',
  sg: (sg, x, a) => {
    const r = a.rt ? sg.tensor(Int32Array.from(Array.isArray(a.r) ? a.r : [a.r]), { shape: Array.isArray(a.r) ? [a.r.length] : [], device: 'cpu' }) : a.r;
    return a.os === undefined ? x[0].repeatInterleave(r, a.dim) : x[0].repeatInterleave(r, a.dim, { outputSize: a.os });
  },
  py: 't.repeat_interleave(x[0], t.tensor(a["r"], dtype=t.int64) if a.get("rt") or isinstance(a["r"], list) else a["r"], dim=a.get("dim"), output_size=a.get("os"))',
  cases: cases(110, () => {
    const rank = int(0, 3);
    const shape = randShape(rank);
    const dim = G() < 0.3 ? undefined : rank === 0 ? pick([0, -1]) : int(-rank, rank - 1);
    const n = dim === undefined ? numel(shape) : rank === 0 ? 1 : shape[((dim % rank) + rank) % rank];
    let r;
    const c = G();
    if (c < 0.3) r = int(0, 3);
    else if (c < 0.45) r = [int(0, 3)];
    else r = Array.from({ length: n + (G() < 0.08 ? 1 : 0) }, () => int(0, 3));
    if (G() < 0.04) r = Array.isArray(r) && r.length ? [-1, ...r.slice(1)] : -1;
    const a = { r, dim };
    if (G() < 0.3 && typeof r !== 'number') a.rt = true;
    if (G() < 0.2) { const tot = (typeof r === 'number' || r.length === 1 ? n * (typeof r === 'number' ? r : r[0]) : r.reduce((x, y) => x + y, 0)); a.os = G() < 0.8 ? tot : tot + 1; }
    return { x: [inp(shape)], a };
  }),
};

const flipOp = {
  name: 'adv flip', errPrefix: 'flip',
  sg: (sg, x, a) => sg.flip(x[0], a.d), py: 't.flip(x[0], a["d"] if isinstance(a["d"], list) else [a["d"]])',
  cases: cases(80, () => {
    const rank = int(0, 4);
    let d = [...Array(rank).keys()].filter(() => G() < 0.5).map((k) => (G() < 0.5 ? k - rank : k));
    if (G() < 0.08 && d.length) d.push(d[0] - (d[0] < 0 ? -rank : rank));
    if (G() < 0.05) d.push(rank);
    if (rank === 0 && G() < 0.5) d = [pick([0, -1])];
    return { x: [inp(randShape(rank))], a: { d: G() < 0.2 && d.length === 1 ? d[0] : d } };
  }),
};

const rollOp = {
  name: 'adv roll', errPrefix: 'roll',
  sg: (sg, x, a) => sg.roll(x[0], a.s, a.d), py: 't.roll(x[0], a["s"], a["d"] if a.get("d") is not None else ())',
  cases: cases(100, () => {
    const rank = int(0, 4);
    const shape = randShape(rank);
    const c = G();
    const sh = () => pick([0, 1, -1, 2, -3, 7, -13, 100, -1000001]);
    if (c < 0.25) return { x: [inp(shape)], a: { s: sh() } };
    if (rank === 0) return { x: [inp(shape)], a: { s: [sh()], d: [pick([0, -1])] } };
    const k = int(1, 3);
    const d = Array.from({ length: k }, () => int(-rank, rank - 1));
    const s = Array.from({ length: k + (G() < 0.05 ? 1 : 0) }, sh);
    return { x: [inp(shape)], a: k === 1 && G() < 0.3 ? { s: s[0], d: d[0] } : { s, d } };
  }),
};

const EQ = [
  ['ij->ji', [[3, 4]]], ['ij->', [[3, 4]]], ['ij', [[2, 5]]], ['ji', [[2, 5]]], ['i->', [[0]]], ['ijk->kij', [[2, 3, 4]]], ['ijk->j', [[2, 0, 3]]],
  ['bij,bjk->bik', [[2, 3, 4], [2, 4, 5]]], ['bij,bjk->bik', [[1, 3, 4], [3, 4, 2]]], ['i,j->ij', [[3], [4]]], ['i,j', [[3], [4]]], ['ij,j->i', [[3, 4], [4]]],
  ['ij,jk', [[2, 3], [3, 4]]], ['ij,jk->', [[2, 3], [3, 4]]], ['bhqd,bhkd->bhqk', [[2, 2, 3, 4], [2, 2, 5, 4]]], ['i,i->', [[5], [5]]], ['i,i', [[5], [5]]],
  ['i,i->i', [[5], [5]]], ['ij,ij->ij', [[2, 3], [2, 3]]], ['ij,kj->ik', [[2, 3], [4, 3]]], ['ik,kj->ji', [[2, 0], [0, 3]]], ['ij,jk->ik', [[0, 3], [3, 2]]],
  ['ij,jk->ik', [[2, 3], [1, 2]]], ['ij,jk->ik', [[2, 1], [3, 2]]], ['ijk,ikl->', [[2, 3, 4], [2, 4, 1]]], ['Ab,bC->AC', [[2, 3], [3, 4]]], ['aA,Aa->a', [[3, 2], [2, 3]]],
  [' ij , jk -> ik ', [[2, 3], [3, 4]]], ['ij,jk->ik', [[2, 3], [4, 5]]], ['ij,jk->iz', [[2, 3], [3, 4]]], ['ijk,jk->ik', [[2, 3], [3, 4]]], ['ii->i', [[3, 3]]],
  ['ii', [[3, 3]]], ['...ij,...jk->...ik', [[2, 3, 4], [2, 4, 5]]], ['ij,jk,kl->il', [[2, 3], [3, 4], [4, 5]]], ['ij->ii', [[3, 3]]], ['abc,cd->abd', [[2, 3, 4], [4, 5]]],
  ['abc,abd->cd', [[2, 3, 4], [2, 3, 5]]], ['ab,ab->', [[3, 4], [3, 4]]], ['ab,cd->abcd', [[2, 1], [1, 3]]], ['ab,bc->ac', [[1, 1], [1, 1]]], ['i,j->', [[3], [4]]],
  ['ij,k->ik', [[2, 3], [4]]], ['bi,bi->b', [[3, 4], [3, 4]]], ['bij,bj->bi', [[2, 3, 4], [2, 4]]], ['ij,->ij', [[2, 3], []]], [',->', [[], []]], ['->', [[]]],
  ['ij,jk->ki', [[3, 1], [1, 4]]], ['ij,j', [[3, 4], [1]]], ['ji,j->i', [[4, 3], [4]]], ['ijkl,jl->ik', [[2, 3, 1, 4], [3, 4]]], ['i-j', [[3]]], ['ij->j>', [[2, 3]]],
];
const einsumOp = {
  name: 'adv einsum', errPrefix: 'einsum',
  sg: (sg, x, a) => sg.einsum(a.eq, ...x), py: 't.einsum(a["eq"], *x)',
  cases: EQ.flatMap(([eq, shapes]) => [
    { x: shapes.map((s) => X(s)), a: { eq } },
    { x: shapes.map((s) => X(s, 'float32', 0.15)), a: { eq } },
    ((dt) => ({ x: shapes.map((s) => X(s, dt)), a: { eq } }))(pick(['float16', 'int32'])),
  ]),
};

const selectOp = {
  name: 'adv select', errPrefix: 'select',
  sg: (sg, x, a) => x[0].select(a.d, a.i), py: 't.select(x[0], a["d"], a["i"])',
  cases: cases(70, () => {
    const rank = int(0, 4);
    const shape = randShape(rank);
    const d = rank === 0 ? pick([0, -1]) : G() < 0.06 ? rank : int(-rank, rank - 1);
    const n = rank ? shape[((d % rank) + rank) % rank] ?? 1 : 1;
    const i = G() < 0.1 ? pick([n, -n - 1]) : n ? int(-n, n - 1) : 0;
    return { x: [inp(shape)], a: { d, i } };
  }),
};

const DT = (a) => (a.dt ? `, dtype=getattr(t, a["dt"])` : '');
const linspaceOp = {
  name: 'adv linspace', errPrefix: 'linspace',
  sg: (sg, x, a) => sg.linspace(a.s, a.e, a.n, a.dt ? { dtype: a.dt } : {}),
  py: 't.linspace(a["s"], a["e"], a["n"], **({"dtype": getattr(t, a["dt"])} if a.get("dt") else {}))',
  cases: cases(60, () => ({ x: [], a: { s: pick([0, 1, -3.5, 10, 0.1, -1e6]), e: pick([0, 1, 3.5, -10, 1e6, 2.75]), n: pick([0, 1, 2, 3, 7, 50, 1001, -1]), dt: pick([undefined, undefined, 'int32', 'float16']) } })),
};
const eyeOp = {
  name: 'adv eye', errPrefix: 'eye',
  sg: (sg, x, a) => sg.eye(a.n, a.m, a.dt ? { dtype: a.dt } : {}),
  py: 't.eye(a["n"], *([a["m"]] if a.get("m") is not None else []), **({"dtype": getattr(t, a["dt"])} if a.get("dt") else {}))',
  cases: cases(30, () => ({ x: [], a: { n: pick([0, 1, 3, 5, -1]), m: pick([undefined, 0, 2, 7, -2]), dt: pick([undefined, 'int32', 'float16', 'bool']) } })),
};
const fullLikeOp = {
  name: 'adv fullLike', errPrefix: 'fullLike',
  sg: (sg, x, a) => sg.fullLike(x[0], a.v, a.dt ? { dtype: a.dt } : {}),
  py: 't.full_like(x[0], a["v"], **({"dtype": getattr(t, a["dt"])} if a.get("dt") else {}))',
  cases: cases(40, () => ({ x: [inp(randShape(int(0, 3)))], a: { v: pick([0, 1, -2, 3.5, 1e10]), dt: pick([undefined, 'int32', 'float16', 'float32', 'bool']) } })),
};
// multinomial: the random stream differs from PyTorch's; compare the refusals and the shape.
const multinomialOp = {
  name: 'adv multinomial', errPrefix: 'multinomial',
  sg: (sg, x, a) => { const o = sg.multinomial(x[0], a.n, a.rep, { seed: 1 }); return sg.tensor(Int32Array.from([...o.shape, o.dtype === 'int32' ? 1 : 0]), { device: 'cpu' }); },
  py: '(lambda o: t.tensor([*o.shape, int(o.dtype == t.int64)], dtype=t.int32))(t.multinomial(x[0], a["n"], a["rep"]))',
  cases: cases(40, () => {
    const rank = pick([0, 1, 1, 2, 2, 3]);
    const shape = Array.from({ length: rank }, () => int(1, 5));
    if (G() < 0.1 && rank) shape[rank - 1] = 0;
    return { x: [(r) => ({ shape, dtype: G() < 0.15 ? 'int32' : 'float32', grad: false, data: Array.from({ length: numel(shape) }, () => Math.floor(r() * 4)) })], a: { n: pick([1, 2, 3, 6, 0]), rep: G() < 0.5 } };
  }),
};

// Random two-operand (and one-operand) equations: letters a-d and A-B, sizes 0-4 with size-1
// broadcasting, implicit or explicit output in any order, spaces around the parts.
const randEq = () => {
  const L = 'abcdAB'.split('');
  const size = Object.fromEntries(L.map((c) => [c, pick([0, 1, 2, 3, 4, 3])]));
  const sub = () => L.filter(() => G() < 0.4).sort(() => G() - 0.5);
  const ops = G() < 0.25 ? [sub()] : [sub(), sub()];
  const all = [...new Set(ops.flat())];
  const shapes = ops.map((o) => o.map((c) => (G() < 0.15 ? 1 : size[c])));
  let eq = ops.map((o) => o.join('')).join(G() < 0.2 ? ' , ' : ',');
  if (G() < 0.7) eq += (G() < 0.2 ? ' -> ' : '->') + all.filter(() => G() < 0.5).sort(() => G() - 0.5).join('');
  return { x: shapes.map((sh) => X(sh, 'float32', G() < 0.15 ? 0.1 : 0)), a: { eq } };
};
einsumOp.cases.push(...cases(150, randEq));
padOp.cases.push(...cases(30, () => ({ x: [X([2, 3], pick(['float32', 'float16', 'int32', 'bool']))], a: { p: [1, 1, 0, 1], m: 'constant', v: pick(['nan', 'inf', '-inf', '-0', 1e6, 65504, 70000, 0.5, -3]) } })));
const ALL = [padOp, repeatOp, riOp, flipOp, rollOp, einsumOp, selectOp, linspaceOp, eyeOp, fullLikeOp, multinomialOp];
addTransposedCases([padOp, repeatOp, riOp, flipOp, rollOp, einsumOp, selectOp], G, 0.3);
export const OPS = ALL;
