import { test } from 'uvu';
import * as sg from '../src/index.js';
import { backends, rt, allclose } from './helpers.js';

test('smoke: add and relu on every backend', async () => {
  for (const dev of await backends()) {
    const { t: a, x } = rt([3, 5], 1, dev);
    const { t: b, x: y } = rt([5], 2, dev);
    const c = a.add(b).relu();
    const got = await c.toArray();
    const exp = Array.from(x, (v, i) => Math.max(v + y[i % 5], 0));
    allclose(got, exp, {}, dev);
    sg.tidy(() => [a, b, c].forEach((t) => t.dispose()));
  }
});

test.run();
