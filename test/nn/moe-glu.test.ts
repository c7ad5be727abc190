// nn.MoE with glu: true runs the fused gatedActivation; here its output and every gradient
// are checked against the same layer computed with the unfused formula a.mul(act(b)) from
// the module's own pieces, on both backends and for every activation, and the fused layer
// must record fewer dispatches than the unfused one on WebGPU.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { MoE, type Activation } from '../../src/nn/index.js';
import { allclose, backends, randArray } from '../helpers.js';

const test = suite('moe-glu');

const UNFUSED: Record<Activation, (t: Tensor) => Tensor> = { silu: (t) => t.silu(), gelu: (t) => t.gelu(), relu: (t) => t.relu() };

/** MoE.forward's output with the GLU written out as chunk, act and mul. */
function unfusedOutput(m: MoE, x: Tensor): Tensor {
  return sg.tidy(() => {
    const h = x.reshape([-1, m.hiddenSize]);
    const probs = m.router.forward(h).softmax(-1);
    const top = probs.topk(m.topK, -1);
    const gates = m.renormalize ? top.values.div(top.values.sum(-1, true)) : top.values;
    const r = sg.flattenSortCount(top.indices, m.numExperts);
    const inner = m.experts.forward(h, m.topK, r.sortedExpertIdxs, r.sortedScatteredIdxs, r.expertOffsets, { groupedOut: true });
    const [a, b] = inner.chunk(2, -1);
    const hidden = a.mul(UNFUSED[m.activation](b));
    const y = m.output_experts.forward(hidden, m.topK, r.sortedExpertIdxs, r.sortedScatteredIdxs, r.expertOffsets, { groupedIn: true, gates });
    return y.reshape([...x.shape]);
  });
}

/** MoE.forward's output alone (the side losses disposed). */
function outputOf(m: MoE, x: Tensor): Tensor {
  const r = m.forward(x);
  for (const t of [r.auxLoss, r.zLoss, r.expertCounts]) t.dispose();
  return r.output;
}

const ACTS: Activation[] = ['silu', 'gelu', 'relu'];

async function outputAndGrads(m: MoE, x: Tensor, fwd: () => Tensor): Promise<Array<ArrayLike<number>>> {
  m.zeroGrad();
  x.grad = null;
  const y = fwd();
  const g = sg.tensor(Array.from(randArray(y.numel, 31)), { shape: y.shape, device: y.device });
  y.backward(g);
  const out = [await y.toArray(), await x.grad!.toArray()];
  for (const p of m.parameters()) out.push(await p.grad!.toArray());
  y.dispose();
  g.dispose();
  return out;
}

test('glu: true gives the output and gradients of a.mul(act(b)), every activation, both backends', async () => {
  for (const dev of await backends()) {
    for (const activation of ACTS) {
      for (const bias of [false, true]) {
        const m = new MoE({ hiddenSize: 6, intermediateSize: 5, numExperts: 3, topK: 2, glu: true, activation, bias, seed: 4, device: dev });
        // ScatterMoE's init makes tiny activations; scaled up, relu and gelu are off their linear parts.
        sg.noGrad(() => { m.experts.weight.mul_(30); m.output_experts.weight.mul_(10); m.experts.bias?.add_(0.2); });
        const x = sg.tensor(Array.from(randArray(2 * 7 * 6, 9)), { shape: [2, 7, 6], device: dev, requiresGrad: true });
        const fused = await outputAndGrads(m, x, () => outputOf(m, x));
        const plain = await outputAndGrads(m, x, () => unfusedOutput(m, x));
        const names = ['output', 'x.grad', ...m.namedParameters().map(([n]) => `${n}.grad`)];
        fused.forEach((v, i) => allclose(v, plain[i], { rtol: 1e-5, atol: 1e-6 }, `${activation} bias ${bias} on ${dev}: ${names[i]}`));
        x.dispose();
        m.dispose();
      }
    }
  }
});

test('glu: true records fewer dispatches than the unfused formula (WebGPU)', async () => {
  if (!(await backends()).includes('webgpu')) { console.log('# no WebGPU adapter: dispatch count not checked'); return; }
  const m = new MoE({ hiddenSize: 8, intermediateSize: 16, numExperts: 4, topK: 2, glu: true, device: 'webgpu', seed: 1 });
  const x = sg.randn([12, 8], { seed: 2, device: 'webgpu', requiresGrad: true });
  const count = (fwd: () => Tensor): [number, number] => {
    const d0 = sg.memory().dispatches;
    const y = fwd();
    const d1 = sg.memory().dispatches;
    const loss = sg.tidy(() => y.sum());
    const d2 = sg.memory().dispatches;
    loss.backward();
    const d3 = sg.memory().dispatches;
    y.dispose();
    loss.dispose();
    return [d1 - d0, d3 - d2];
  };
  const fusedOut = (): Tensor => outputOf(m, x);
  count(fusedOut); // warm: pipelines compiled, grads allocated
  m.zeroGrad();
  const [ff, fb] = count(fusedOut);
  m.zeroGrad();
  const [uf, ub] = count(() => unfusedOutput(m, x));
  console.log(`# MoE glu dispatches: fused ${ff} forward ${fb} backward; unfused ${uf} forward ${ub} backward`);
  // The unfused forward also lacks MoE's side losses, so compare backward, where the GLU's
  // act grad, two mul grads and the halves' concatenation become one dispatch.
  assert.ok(fb < ub, `fused backward ${fb} dispatches, unfused ${ub}`);
  x.dispose();
  m.dispose();
});

test.run();
