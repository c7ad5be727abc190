// Dtype rules PyTorch enforces that an engine could silently "support": relu of bool, gelu
// and silu of int32 or bool, argmax/argmin and topk of bool are refused (PyTorch has no
// kernel for them); logsumexp of int32 or bool computes in float32 as PyTorch does (values
// from torch 2.14).
import { suite } from 'uvu';
import * as sg from '../../src/index.js';
import { allclose, arr, backends, throwsBeforeWork } from '../helpers.js';

const test = suite('dtype rules as PyTorch');

test('ops PyTorch has no kernel for refuse the dtype, naming it, before any work', async () => {
  for (const dev of await backends()) {
    const b = sg.tensor([1, 0, 1], { device: dev }).bool();
    const i = sg.tensor(new Int32Array([1, -2, 3]), { device: dev });
    throwsBeforeWork('relu bool', () => sg.relu(b), [/^relu: input dtype bool is not supported/]);
    throwsBeforeWork('gelu int32', () => sg.gelu(i), [/^gelu: input dtype int32 is not supported/]);
    throwsBeforeWork('gelu bool tanh', () => b.gelu('tanh'), [/^gelu: input dtype bool is not supported/]);
    throwsBeforeWork('silu int32', () => i.silu(), [/^silu: input dtype int32 is not supported/]);
    throwsBeforeWork('argmax bool', () => b.argmax(), [/^argmax: a bool input is not supported/]);
    throwsBeforeWork('argmin bool', () => sg.argmin(b, 0), [/^argmin: a bool input is not supported/]);
    throwsBeforeWork('topk bool', () => b.topk(1), [/^topk: a bool input is not supported/]);
    // What PyTorch does take still works.
    assertInts(await arr(i.relu()), [1, 0, 3]);
    assertInts(await arr(i.argmax()), [2]);
    for (const t of [b, i]) t.dispose();
  }
});

function assertInts(got: number[], want: number[]): void {
  allclose(got, want, { rtol: 0, atol: 0 });
}

test('logsumexp of int32 and bool computes in float32, as PyTorch', async () => {
  for (const dev of await backends()) {
    const i = sg.tensor(new Int32Array([1, -2, 3, 40, 0, 7]), { shape: [2, 3], device: dev });
    const y = sg.logsumexp(i, 1);
    if (y.dtype !== 'float32') throw new Error(`logsumexp int32 gave ${y.dtype}`);
    allclose(await arr(y), [3.132845163345337, 40.0], { rtol: 1e-6, atol: 0 }, `logsumexp int32 on ${dev}`);
    allclose(await arr(sg.logsumexp(i, [0, 1])), [40.0], { rtol: 1e-6, atol: 0 });
    allclose(await arr(sg.logsumexp(sg.tensor([[1, 0, 1]], { device: dev }).bool(), 1)), [1.861994743347168], { rtol: 1e-6, atol: 0 }, `logsumexp bool on ${dev}`);
    i.dispose();
  }
});

test.run();
