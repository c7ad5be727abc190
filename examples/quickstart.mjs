import * as sg from 'scattergrad';

await sg.init();                                     // WebGPU if there is an adapter, else the CPU
const x = sg.randn([256, 2], { seed: 0 });
const y = x.pow(2).sum(1).lt(1).int();               // int32 labels: inside the unit circle?
const layers = [new sg.nn.Linear(2, 32, { seed: 1 }), new sg.nn.Linear(32, 2, { seed: 2 })];
const opt = new sg.optim.AdamW(layers.flatMap((l) => l.parameters()), { lr: 0.05 });
for (let step = 0; step <= 100; step++) {
  const loss = sg.tidy(() => {                       // frees every temporary of the step
    const l = sg.crossEntropy(layers[1].forward(layers[0].forward(x).relu()), y);
    l.backward(); opt.step(); opt.zeroGrad();
    return l;
  });
  if (step % 25 === 0) console.log(`step ${step}: loss ${(await loss.item()).toFixed(3)}`);
  loss.dispose();
}
await sg.destroy();                                  // releases the GPU; Node exits right away
