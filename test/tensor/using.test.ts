// `using` (Symbol.dispose) frees tensors and modules at the end of their block, on every
// backend, as dispose() does: the live-tensor count and the bytes in use come back down.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import { backends } from '../helpers.js';

const test = suite('tensor: using (Symbol.dispose)');

test('a tensor declared with using is disposed when its block ends', async () => {
  for (const dev of await backends()) {
    const before = sg.memory().liveTensors;
    let kept: sg.Tensor | null = null;
    {
      using a = sg.randn([3, 5], { seed: 0, device: dev });
      using b = a.mul(2);
      kept = b;
      assert.is(sg.memory().liveTensors, before + 2, `${dev}: two live tensors inside the block`);
      assert.is(b.disposed, false);
    }
    assert.is(kept.disposed, true, `${dev}: b was not disposed at the end of its block`);
    assert.is(sg.memory().liveTensors, before, `${dev}: the block's tensors are still live`);
  }
});

test('a module declared with using disposes its parameters; dispose after using is harmless', async () => {
  for (const dev of await backends()) {
    const before = sg.memory().liveTensors;
    let weight: sg.Tensor | null = null;
    {
      using lin = new sg.nn.Linear(4, 3, { seed: 1, device: dev });
      weight = lin.weight;
      assert.ok(sg.memory().liveTensors > before, `${dev}: the module holds tensors`);
    }
    assert.is(weight.disposed, true, `${dev}: the module's weight was not disposed`);
    assert.is(sg.memory().liveTensors, before, `${dev}: the module's tensors are still live`);
    weight.dispose(); // twice is a no-op, as for dispose()
  }
});

test('a throw inside the block still disposes its tensors', async () => {
  for (const dev of await backends()) {
    const before = sg.memory().liveTensors;
    assert.throws(() => {
      using t = sg.ones([2], { device: dev });
      assert.is(t.disposed, false);
      throw new Error('boom');
    }, /boom/);
    assert.is(sg.memory().liveTensors, before, `${dev}: a throw inside the block leaked its tensor`);
  }
});

test.run();
