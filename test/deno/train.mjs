// A small training run shared by Node and Deno (the caller passes its `sg`): a mixture of
// experts layer and a linear head trained with AdamW on fixed data. Both runtimes must
// report the same losses.
export async function train(sg, device, steps = 4) {
  const moe = new sg.nn.MoE({ hiddenSize: 8, intermediateSize: 16, numExperts: 4, topK: 2, seed: 3, device });
  const head = new sg.nn.Linear(8, 5, { seed: 4, device });
  const params = [...moe.parameters(), ...head.parameters()];
  const opt = new sg.optim.AdamW(params, { lr: 0.01 });
  const x = sg.randn([12, 8], { seed: 5, device });
  const y = sg.tensor(Int32Array.from({ length: 12 }, (_, i) => (i * 7) % 5), { device });
  const losses = [];
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    const { output, auxLoss } = moe.forward(x);
    const loss = sg.crossEntropy(head.forward(output), y).add(auxLoss.mul(0.01));
    loss.backward();
    opt.step();
    losses.push(await loss.item());
    loss.dispose(); output.dispose(); auxLoss.dispose();
  }
  moe.dispose(); head.dispose(); x.dispose(); y.dispose();
  return losses;
}
