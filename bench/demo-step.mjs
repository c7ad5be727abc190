// One AdamW training step of the demo's MoE language model (examples/lm), batch 8 x 32
// tokens of seeded ids, plain and compiled: what bench/run.mjs times and bench/step-host.mjs
// profiles.
export async function demoStep(sg) {
  const { MoELanguageModel, DEFAULT_CONFIG } = await import('../examples/lm/model.mjs');
  const vocab = 62;
  const model = new MoELanguageModel(vocab, DEFAULT_CONFIG, 0);
  const params = model.parameters();
  const opt = new sg.optim.AdamW(params, { lr: 3e-3 });
  const gen = new sg.Generator(1);
  const ids = sg.tensor(Int32Array.from({ length: 8 * 32 }, () => Math.floor(gen.next() * vocab)), { shape: [8, 32] });
  const targets = sg.tensor(Int32Array.from({ length: 8 * 32 }, () => Math.floor(gen.next() * vocab)));
  const loss = () => {
    const out = model.forward(ids);
    return sg.crossEntropy(out.logits.reshape(-1, vocab), targets).add(out.auxLoss.mul(0.01)).add(out.zLoss.mul(1e-3));
  };
  const step = () => sg.tidy(() => {
    loss().backward();
    sg.optim.clipGradNorm(params, 1.0);
    opt.step();
    opt.zeroGrad();
  });
  // The same step through sg.compile, returning nothing (as step() does).
  const compiledStep = () => sg.compile(() => {
    loss().backward();
    sg.optim.clipGradNorm(params, 1.0);
    opt.step();
    opt.zeroGrad();
  });
  const dispose = () => { model.dispose(); opt.dispose(); [ids, targets].forEach((t) => t.dispose()); };
  return { model, ids, opt, loss, step, compiledStep, dispose };
}
