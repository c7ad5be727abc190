import * as sg from 'scattergrad';

await sg.init();
// 3 tokens, each routed to k = 2 of E = 3 experts (docs/design.md's worked example)
const choices = sg.tensor(new Int32Array([2, 0, 2, 1, 0, 2]), { shape: [3, 2] });
const { sortedExpertIdxs, sortedScatteredIdxs, expertOffsets } = sg.flattenSortCount(choices, 3);
console.log('sortedExpertIdxs   ', Array.from(await sortedExpertIdxs.toArray()));    // [0,0,1,2,2,2]
console.log('sortedScatteredIdxs', Array.from(await sortedScatteredIdxs.toArray())); // [1,4,3,0,2,5]
console.log('expertOffsets      ', Array.from(await expertOffsets.toArray()));       // [2,3,6]
const x = sg.randn([3, 4], { seed: 0, requiresGrad: true });      // tokens, dIn = 4
const w = sg.randn([3, 4, 2], { seed: 1, requiresGrad: true });   // experts (E, dIn, dOut)
const gates = sg.tensor([[0.7, 0.3], [0.6, 0.4], [0.5, 0.5]], { requiresGrad: true });
const y = sg.scatteredExperts(x, w, 2, sortedExpertIdxs, sortedScatteredIdxs, expertOffsets, { gates });
console.log('y (3, 2)', await y.toList());                         // Σ_j gates[t,j] · x[t] W[e_tj]
y.sum().backward();
console.log('dgates  ', await gates.grad.toList());
console.log('dW[1]   ', await w.grad.narrow(0, 1, 1).toList());    // only token 1 chose expert 1
await sg.destroy();
