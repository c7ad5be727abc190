// Bad input, table-driven: every public function with wrong shapes, dtypes, dims, disposed
// tensors, out-of-range indices, k > E, zero-sized batches. Each row must throw an Error
// naming the op (or give its documented result), and the next op must still compute right.
import { suite } from 'uvu';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { allclose, backends, type Dev } from '../helpers.js';

const test = suite('stress: bad input');

interface Row { name: string; run: (d: Dev) => unknown; err: RegExp[] }

const f = (d: Dev, shape: number[], seed = 1): Tensor => sg.randn(shape, { seed, device: d });
const i32 = (d: Dev, v: number[], shape?: number[]): Tensor => sg.tensor(new Int32Array(v), { shape, device: d });
const disposed = (d: Dev): Tensor => { const t = f(d, [2, 3]); t.dispose(); return t; };

const ROWS: Row[] = [
  // creation
  { name: 'tensor: ragged', run: (d) => sg.tensor([[1, 2], [3]] as number[][], { device: d }), err: [/^tensor:/, /ragged/] },
  { name: 'tensor: shape does not fit', run: (d) => sg.tensor([1, 2, 3], { shape: [2, 2], device: d }), err: [/^tensor:/, /shape \[2, 2\]/] },
  { name: 'tensor: bad dtype', run: (d) => sg.tensor([1], { dtype: 'int8' as 'int32', device: d }), err: [/^tensor:/, /dtype/] },
  { name: 'tensor: bad device', run: () => sg.tensor([1], { device: 'tpu' as Dev }), err: [/^tensor:/, /device/] },
  { name: 'zeros: negative size', run: (d) => sg.zeros([2, -1], { device: d }), err: [/^zeros:/, /shape/] },
  { name: 'ones: fractional size', run: (d) => sg.ones([2.5], { device: d }), err: [/^ones:/, /shape/] },
  { name: 'full: non-number value', run: (d) => sg.full([2], 'x' as unknown as number, { device: d }), err: [/^full:/, /value/] },
  { name: 'arange: zero step', run: (d) => sg.arange(0, 4, 0, { device: d }), err: [/^arange:/, /step/] },
  { name: 'randn: int dtype', run: (d) => sg.randn([2], { dtype: 'int32', device: d }), err: [/^randn:/, /dtype/] },
  { name: 'randint: low >= high', run: (d) => sg.randint(3, 3, [2], { device: d }), err: [/^randint:/, /low < high/] },
  // elementwise
  { name: 'add: shapes do not broadcast', run: (d) => f(d, [2, 3]).add(f(d, [4])), err: [/^add:/, /\[2, 3\]/, /\[4\]/] },
  { name: 'mul: string operand', run: (d) => f(d, [2]).mul('2' as unknown as number), err: [/^mul:/, /Tensor or a number/] },
  { name: 'sub: null operand', run: (d) => f(d, [2]).sub(null as unknown as number), err: [/^sub:/, /null/] },
  { name: 'maximum: number operand', run: (d) => f(d, [2]).maximum(2 as unknown as Tensor), err: [/^maximum:/] },
  { name: 'where: condition not a tensor', run: (d) => sg.where(1 as unknown as Tensor, f(d, [2]), 0), err: [/^where:/, /condition/] },
  { name: 'where: shapes do not broadcast', run: (d) => sg.where(i32(d, [1, 0, 1]), f(d, [2]), 0), err: [/^where:/] },
  { name: 'cast: bad dtype', run: (d) => f(d, [2]).cast('float8' as 'float32'), err: [/^cast:/, /dtype/] },
  { name: 'gelu: bad approximation', run: (d) => f(d, [2]).gelu('fast' as 'tanh'), err: [/^gelu:/, /approximate/] },
  { name: 'requiresGrad_: int tensor', run: (d) => i32(d, [1, 2]).requiresGrad_(), err: [/^requiresGrad_:/, /int32/] },
  { name: 'add_: in place on a leaf that requires grad', run: (d) => sg.ones([2], { device: d, requiresGrad: true }).add_(1), err: [/^add_:/, /noGrad/] },
  // views
  { name: 'view: wrong numel', run: (d) => f(d, [2, 3]).view([7]), err: [/^view:/] },
  { name: 'view: non-contiguous input', run: (d) => f(d, [2, 3]).transpose(0, 1).view([6]), err: [/^view:/] },
  { name: 'permute: repeated dim', run: (d) => f(d, [2, 3]).permute([0, 0]), err: [/^permute:/] },
  { name: 'transpose: dim out of range', run: (d) => f(d, [2, 3]).transpose(0, 5), err: [/^transpose:/, /dim/] },
  { name: 'narrow: past the end', run: (d) => f(d, [2, 3]).narrow(1, 2, 5), err: [/^narrow:/, /out of range/] },
  { name: 'slice: zero step', run: (d) => f(d, [4]).slice(0, 0, 4, 0), err: [/^slice:/, /step/] },
  { name: 'expand: incompatible size', run: (d) => f(d, [2, 3]).expand([2, 4]), err: [/^expand:/] },
  { name: 'squeeze: dim out of range', run: (d) => f(d, [2, 1]).squeeze(4), err: [/^squeeze:/] },
  { name: 'unsqueeze: dim out of range', run: (d) => f(d, [2]).unsqueeze(5), err: [/^unsqueeze:/] },
  { name: 'split: sections do not add up', run: (d) => f(d, [4]).split([1, 5]), err: [/^split:/, /add up/] },
  { name: 'chunk: zero chunks', run: (d) => f(d, [4]).chunk(0), err: [/^chunk:/] },
  { name: 'flatten: start after end', run: (d) => f(d, [2, 3, 4]).flatten(2, 0), err: [/^flatten:/] },
  // reductions, softmax, losses
  { name: 'sum: dim out of range', run: (d) => f(d, [2, 3]).sum(3), err: [/^sum:/, /dim/] },
  { name: 'sum: repeated dim', run: (d) => f(d, [2, 3]).sum([0, -2]), err: [/^sum:/, /more than once/] },
  { name: 'sum: keepdim not a boolean', run: (d) => f(d, [2, 3]).sum(0, 'yes' as unknown as boolean), err: [/^sum:/, /keepdim/] },
  { name: 'mean: int32 input', run: (d) => i32(d, [1, 2]).mean(), err: [/^mean:/, /int32/] },
  { name: 'max: empty input', run: (d) => sg.zeros([0, 3], { device: d }).max(), err: [/^max:/, /zero-size/] },
  { name: 'max(dim): empty dim', run: (d) => sg.zeros([0, 3], { device: d }).max(0), err: [/^max:/, /zero-size/] },
  { name: 'argmax: dim out of range', run: (d) => f(d, [2]).argmax(3), err: [/^argmax:/] },
  { name: 'softmax: dim out of range', run: (d) => f(d, [2, 3]).softmax(2), err: [/^softmax:/] },
  { name: 'logSoftmax: int input', run: (d) => i32(d, [1, 2]).logSoftmax(0), err: [/^logSoftmax:/, /dtype/] },
  { name: 'crossEntropy: float target', run: (d) => sg.crossEntropy(f(d, [2, 3]), f(d, [2])), err: [/^crossEntropy:/, /int32/] },
  { name: 'crossEntropy: target shape', run: (d) => sg.crossEntropy(f(d, [2, 3]), i32(d, [0, 1, 2])), err: [/^crossEntropy:/, /target/] },
  { name: 'crossEntropy: bad reduction', run: (d) => sg.crossEntropy(f(d, [2, 3]), i32(d, [0, 1]), { reduction: 'avg' as 'mean' }), err: [/^crossEntropy:/, /reduction/] },
  { name: 'topk: k > n', run: (d) => f(d, [2, 3]).topk(4), err: [/^topk:/, /k \(4\)/] },
  { name: 'topk: fractional k', run: (d) => f(d, [3]).topk(1.5), err: [/^topk:/] },
  // matmul
  { name: 'matmul: inner dims differ', run: (d) => f(d, [2, 3]).matmul(f(d, [4, 5])), err: [/^matmul:/, /\[2, 3\]/] },
  { name: 'matmul: 0-d operand', run: (d) => f(d, []).matmul(f(d, [2])), err: [/^matmul:/, /0-d/] },
  { name: 'matmul: batch dims do not broadcast', run: (d) => f(d, [2, 2, 3]).matmul(f(d, [3, 3, 4])), err: [/^matmul:/, /batch/] },
  { name: 'bmm: 2-D operand', run: (d) => f(d, [2, 3]).bmm(f(d, [3, 4])), err: [/^bmm:/, /3-D/] },
  { name: 'bmm: batch sizes differ', run: (d) => f(d, [2, 2, 3]).bmm(f(d, [3, 3, 4])), err: [/^bmm:/, /batch/] },
  // indexing
  { name: 'gather: float index', run: (d) => f(d, [2, 3]).gather(1, f(d, [2, 1])), err: [/^gather:/, /int32/] },
  { name: 'gather: index ndim', run: (d) => f(d, [2, 3]).gather(1, i32(d, [0, 1])), err: [/^gather:/, /dims/] },
  { name: 'indexSelect: 2-D index', run: (d) => f(d, [2, 3]).indexSelect(0, i32(d, [0, 1], [1, 2])), err: [/^indexSelect:/, /1-D/] },
  { name: 'indexAdd: source shape', run: (d) => f(d, [3, 2]).indexAdd(0, i32(d, [0, 1]), f(d, [3, 2])), err: [/^indexAdd:/, /source/] },
  { name: 'indexAdd: NaN alpha', run: (d) => f(d, [3, 2]).indexAdd(0, i32(d, [0]), f(d, [1, 2]), NaN), err: [/^indexAdd:/, /alpha/] },
  { name: 'cat: empty list', run: () => sg.cat([]), err: [/^cat:/, /non-empty/] },
  { name: 'cat: sizes differ', run: (d) => sg.cat([f(d, [2, 3]), f(d, [2, 4])]), err: [/^cat:/, /sizes/] },
  { name: 'stack: shapes differ', run: (d) => sg.stack([f(d, [2, 3]), f(d, [3, 2])]), err: [/^stack:/] },
  // disposed tensors
  { name: 'disposed: add', run: (d) => disposed(d).add(1), err: [/^add:/, /disposed/] },
  { name: 'disposed: sum', run: (d) => disposed(d).sum(), err: [/^sum:/, /disposed/] },
  { name: 'disposed: view', run: (d) => disposed(d).view([6]), err: [/view/, /disposed/] },
  { name: 'disposed: matmul', run: (d) => disposed(d).matmul(f(d, [3, 2])), err: [/^matmul:/, /disposed/] },
  { name: 'disposed: cat', run: (d) => sg.cat([disposed(d)]), err: [/^cat:/, /disposed/] },
  { name: 'disposed: gather', run: (d) => disposed(d).gather(1, i32(d, [0, 0], [2, 1])), err: [/^gather:/, /disposed/] },
  // autograd
  { name: 'backward: non-scalar without a gradient', run: (d) => sg.ones([2], { device: d, requiresGrad: true }).mul(2).backward(), err: [/^backward:/] },
  { name: 'backward: gradient of the wrong shape', run: (d) => sg.ones([2], { device: d, requiresGrad: true }).mul(2).backward(sg.ones([3], { device: d })), err: [/^backward:/, /shape/] },
  // MoE routing and experts (src/moe)
  { name: 'flattenSortCount: float choices', run: (d) => sg.flattenSortCount(f(d, [3, 2]), 3), err: [/^flattenSortCount:/] },
  { name: 'flattenSortCount: no experts', run: (d) => sg.flattenSortCount(i32(d, [0, 0], [1, 2]), 0), err: [/^flattenSortCount:/] },
  { name: 'MoE: topK > numExperts', run: (d) => new sg.nn.MoE({ hiddenSize: 4, intermediateSize: 4, numExperts: 2, topK: 3, device: d }), err: [/^MoE:/, /topK 3/] },
  { name: 'MoE: zero-sized batch', run: (d) => new sg.nn.MoE({ hiddenSize: 4, intermediateSize: 4, numExperts: 2, topK: 1, device: d }).forward(sg.zeros([0, 4], { device: d })), err: [/^MoE:/, /no tokens/] },
  { name: 'MoE: wrong hidden size', run: (d) => new sg.nn.MoE({ hiddenSize: 4, intermediateSize: 4, numExperts: 2, topK: 1, device: d }).forward(f(d, [3, 5])), err: [/^MoE:/, /last dim 4/] },
  { name: 'scatteredExperts: weights not 3-D', run: (d) => {
    const r = sg.flattenSortCount(i32(d, [0, 1], [2, 1]), 2);
    return sg.scatteredExperts(f(d, [2, 4]), f(d, [4, 3]), 1, r.sortedExpertIdxs, r.sortedScatteredIdxs, r.expertOffsets);
  }, err: [/^scatteredExperts:/] },
  { name: 'scatteredExperts: k does not match the routing', run: (d) => {
    const r = sg.flattenSortCount(i32(d, [0, 1], [2, 1]), 2);
    return sg.scatteredExperts(f(d, [2, 4]), f(d, [2, 4, 3]), 3, r.sortedExpertIdxs, r.sortedScatteredIdxs, r.expertOffsets);
  }, err: [/^scatteredExperts:/] },
  // nn modules
  { name: 'Linear: wrong in-features', run: (d) => new sg.nn.Linear(4, 3, { device: d }).forward(f(d, [2, 5])), err: [/^Linear:/, /last dim 4/] },
  { name: 'Embedding: float indices', run: (d) => new sg.nn.Embedding(5, 3, { device: d }).forward(f(d, [2])), err: [/^Embedding:/, /int32/] },
  { name: 'LayerNorm: wrong size', run: (d) => new sg.nn.LayerNorm(4, { device: d }).forward(f(d, [2, 3])), err: [/^LayerNorm:/] },
  { name: 'CausalSelfAttention: heads do not divide dim', run: (d) => new sg.nn.CausalSelfAttention(8, 3, { device: d }), err: [/^CausalSelfAttention:/, /divisible/] },
  { name: 'CausalSelfAttention: 2-D input', run: (d) => new sg.nn.CausalSelfAttention(8, 2, { device: d }).forward(f(d, [4, 8])), err: [/^CausalSelfAttention:/, /\(B, T, 8\)/] },
  // optimizers
  { name: 'AdamW: negative lr', run: (d) => new sg.optim.AdamW([sg.zeros([2], { device: d, requiresGrad: true })], { lr: -1 }), err: [/^AdamW:/, /lr/] },
  { name: 'AdamW: bad betas', run: (d) => new sg.optim.AdamW([sg.zeros([2], { device: d, requiresGrad: true })], { betas: [1, 0.9] }), err: [/^AdamW:/, /betas/] },
  { name: 'SGD: int parameter', run: (d) => new sg.optim.SGD([i32(d, [1])], { lr: 0.1 }), err: [/^SGD:/] },
  { name: 'clipGradNorm: negative max norm', run: (d) => sg.optim.clipGradNorm([sg.zeros([2], { device: d, requiresGrad: true })], -1), err: [/^clipGradNorm:/, /maxNorm/] },
  // safetensors
  { name: 'parseSafetensors: too short', run: () => sg.parseSafetensors(new Uint8Array(3)), err: [/^parseSafetensors:/] },
  { name: 'parseSafetensors: header past the end', run: () => sg.parseSafetensors(Uint8Array.from([255, 0, 0, 0, 0, 0, 0, 0, 123, 125])), err: [/^parseSafetensors:/] },
  { name: 'parseSafetensors: header is not JSON', run: () => sg.parseSafetensors(Uint8Array.from([2, 0, 0, 0, 0, 0, 0, 0, 123, 120])), err: [/^parseSafetensors:/] },
];

/** The engine still computes right after an error. */
async function stillWorks(d: Dev, after: string): Promise<void> {
  const y = sg.tidy(() => sg.tensor([[1, 2], [3, 4]], { device: d }).matmul(sg.tensor([[1], [1]], { device: d })).add(1));
  try { allclose(await y.toArray(), [4, 8], {}, `the op after "${after}"`); } finally { y.dispose(); }
}

test('every bad call throws an Error naming the op; the next op works', async () => {
  const problems: string[] = [];
  for (const d of await backends()) {
    for (const row of ROWS) {
      const before = sg.memory().liveTensors;
      let err: unknown = null;
      try {
        const out = sg.tidy(() => { row.run(d); });
        void out;
      } catch (e) { err = e; }
      if (!(err instanceof Error)) problems.push(`[${d}] ${row.name}: no Error thrown`);
      else for (const p of row.err) if (!p.test(err.message)) { problems.push(`[${d}] ${row.name}: message ${JSON.stringify(err.message)} does not match ${p}`); break; }
      try { await stillWorks(d, row.name); } catch (e) { problems.push(`[${d}] after ${row.name}: ${(e as Error).message}`); }
      const leaked = sg.memory().liveTensors - before;
      // Module constructors keep their parameters out of tidy on purpose: not a leak.
      if (leaked > 0 && !/^(MoE|Linear|Embedding|LayerNorm|CausalSelfAttention):/.test(row.name)) problems.push(`[${d}] ${row.name}: ${leaked} tensors left live after the error`);
    }
  }
  if (problems.length) throw new Error(`${problems.length} problems:\n${problems.join('\n')}`);
});

test('disposed tensors: toArray and backward reject clearly', async () => {
  for (const d of await backends()) {
    const t = disposed(d);
    let msg = '';
    try { await t.toArray(); } catch (e) { msg = (e as Error).message; }
    if (!/toArray/.test(msg) || !/disposed/.test(msg)) throw new Error(`toArray on a disposed tensor: ${JSON.stringify(msg)}`);
    await stillWorks(d, 'toArray on a disposed tensor');
  }
});

test('NaN and Infinity data: NaN propagates, the same way on every backend', async () => {
  const data = [NaN, 1, -Infinity, Infinity, 0, -2];
  const results: Record<string, number[][]> = {};
  for (const d of await backends()) {
    const x = sg.tensor(data, { device: d });
    const m = x.reshape([2, 3]);
    const outs = [x.add(1), x.mul(0), x.exp(), x.maximum(sg.zeros([6], { device: d })), x.minimum(sg.zeros([6], { device: d })), x.sum().reshape([1]), x.mean().reshape([1]),
      x.max().reshape([1]), m.max(1).values, m.max(1).indices, m.softmax(1), x.topk(3).values, x.topk(3).indices, x.topk(2, -1, false).values,
      m.matmul(sg.ones([3, 1], { device: d })).reshape([-1]), x.pow(2), x.abs(), x.sigmoid()];
    results[d] = [];
    for (const o of outs) results[d].push(Array.from(await o.toArray()));
    for (const o of outs) o.dispose();
    x.dispose(); m.dispose();
    const r = results[d];
    const expectNaN = (v: number[], what: string): void => { if (!v.some(Number.isNaN)) throw new Error(`[${d}] ${what}: NaN did not propagate (${v})`); };
    expectNaN(r[0], 'add'); expectNaN(r[3], 'maximum'); expectNaN(r[4], 'minimum'); expectNaN(r[5], 'sum'); expectNaN(r[6], 'mean');
    expectNaN(r[7], 'amax'); expectNaN(r[10], 'softmax'); expectNaN(r[14], 'matmul');
    // topk orders NaN above +Inf (PyTorch's order): first when largest, last when smallest
    if (!Number.isNaN(r[11][0]) || r[11][1] !== Infinity || r[11][2] !== 1) throw new Error(`[${d}] topk largest with NaN: ${r[11]}`);
    if (r[12].join() !== '0,3,1') throw new Error(`[${d}] topk indices with NaN: ${r[12]}`);
    if (r[13].join() !== [-Infinity, -2].join()) throw new Error(`[${d}] topk smallest with NaN: ${r[13]}`);
    await stillWorks(d, 'NaN data');
  }
  const devs = Object.keys(results);
  if (devs.length === 2) {
    results.cpu.forEach((c, i) => {
      const g = results.webgpu[i];
      for (let j = 0; j < c.length; j++) {
        const same = (Number.isNaN(c[j]) && Number.isNaN(g[j])) || Math.abs(c[j] - g[j]) <= 1e-5 * Math.max(1, Math.abs(c[j])) || c[j] === g[j];
        if (!same) throw new Error(`result ${i} differs between backends at ${j}: CPU ${c}, WebGPU ${g}`);
      }
    });
  }
});

test('out-of-range indices: the CPU throws; WebGPU reads zeros (no readback to check)', async () => {
  for (const d of await backends()) {
    const x = sg.tensor([[1, 2], [3, 4], [5, 6]], { device: d });
    const idx = i32(d, [0, 5, -1]);
    if (d === 'cpu') {
      let msg = '';
      try { x.indexSelect(0, idx); } catch (e) { msg = (e as Error).message; }
      if (!/^indexSelect:/.test(msg) || !/out of range/.test(msg)) throw new Error(`indexSelect out of range on the CPU: ${JSON.stringify(msg)}`);
      msg = '';
      try { sg.crossEntropy(x, i32(d, [0, 9, 1])); } catch (e) { msg = (e as Error).message; }
      if (!/^crossEntropy:/.test(msg) || !/out of range/.test(msg)) throw new Error(`crossEntropy out of range on the CPU: ${JSON.stringify(msg)}`);
    } else {
      const y = x.indexSelect(0, idx);
      allclose(await y.toArray(), [1, 2, 0, 0, 0, 0], {}, 'indexSelect with out-of-range rows on WebGPU');
      const l = sg.crossEntropy(x, i32(d, [0, 9, 1]), { reduction: 'none' });
      const v = await l.toArray();
      if (!Number.isNaN(v[1]) || Number.isNaN(v[0])) throw new Error(`crossEntropy out-of-range target on WebGPU: ${v}`);
      y.dispose(); l.dispose();
    }
    x.dispose(); idx.dispose();
    await stillWorks(d, 'out-of-range indices');
  }
});

test.run();
