// Creation refuses what it cannot represent (int32 out of range or fractional, bad shapes,
// sizes past the device's limits) before it allocates or computes anything, and tidy/noGrad
// refuse async functions without running them.
import { suite } from 'uvu';
import * as sg from '../../src/index.js';
import { allclose, assertEqualArrays, backends, throwsBeforeWork, throwsWith } from '../helpers.js';

const test = suite('tensor: creation and scopes');

test('int32 values out of range, fractional or NaN are an Error on every creator', async () => {
  for (const dev of await backends()) {
    const d = { device: dev };
    throwsBeforeWork('tensor 2**31', () => sg.tensor([1, 2 ** 31], { dtype: 'int32', ...d }), [/^tensor:/, /2147483648 at index 1/, /int32/]);
    throwsBeforeWork('tensor -2**31-1', () => sg.tensor([[0], [-(2 ** 31) - 1]], { dtype: 'int32', ...d }), [/^tensor:/, /-2147483649/]);
    throwsBeforeWork('tensor NaN', () => sg.tensor([0, 1, NaN], { dtype: 'int32', ...d }), [/^tensor:/, /NaN at index 2/]);
    throwsBeforeWork('tensor 1.5', () => sg.tensor(new Float32Array([3, 1.5]), { dtype: 'int32', ...d }), [/^tensor:/, /1\.5/]);
    throwsBeforeWork('full', () => sg.full([2], 2.5, { dtype: 'int32', ...d }), [/^full:/, /2\.5/]);
    throwsBeforeWork('full inf', () => sg.full([2], Infinity, { dtype: 'int32', ...d }), [/^full:/, /Infinity/]);
    throwsBeforeWork('arange', () => sg.arange(2 ** 31 - 2, 2 ** 31 + 2, d), [/^arange:/, /int32/]);
    throwsBeforeWork('randint', () => sg.randint(-(2 ** 40), 2 ** 40, [3], d), [/^randint:/, /int32/]);
    // the edges of int32 are fine
    assertEqualArrays(await sg.tensor([2 ** 31 - 1, -(2 ** 31)], { dtype: 'int32', ...d }).toArray(), [2147483647, -2147483648], `int32 edges on ${dev}`);
    const r = await sg.randint(-(2 ** 31), 2 ** 31, [64], { seed: 3, ...d }).toArray();
    if (!r.some((v) => v < -(2 ** 30)) || !r.some((v) => v > 2 ** 30)) throw new Error(`randint over all of int32 did not spread: ${r.slice(0, 8)}`);
    // float tensors keep NaN and infinities
    const f = await sg.tensor([NaN, Infinity, -Infinity, 3e38], d).toArray();
    if (!Number.isNaN(f[0]) || f[1] !== Infinity || f[2] !== -Infinity) throw new Error(`float specials lost on ${dev}: ${f}`);
  }
});

test('shapes must be arrays of integers >= 0, everywhere a shape is given', async () => {
  for (const dev of await backends()) {
    const d = { device: dev };
    throwsBeforeWork('negative shape option', () => sg.tensor([1, 2], { shape: [-1, -2], ...d }), [/^tensor:/, /shape/, /-1/]);
    throwsBeforeWork('fractional shape option', () => sg.tensor([1, 2], { shape: [0.5, 2], ...d }), [/^tensor:/, /0\.5/]);
    throwsBeforeWork('string shape', () => sg.zeros('3' as unknown as number[], d), [/^zeros:/, /shape/]);
    throwsBeforeWork('NaN size', () => sg.ones([NaN], d), [/^ones:/, /NaN/]);
    throwsBeforeWork('Infinity size', () => sg.randn([Infinity], d), [/^randn:/, /Infinity/]);
    throwsBeforeWork('bigint size', () => sg.zeros([2n as unknown as number], d), [/^zeros:/, /BigInt/]);
    throwsBeforeWork('full shape', () => sg.full([2, -3], 1, d), [/^full:/, /-3/]);
    throwsBeforeWork('randint shape', () => sg.randint(0, 4, [1.5], d), [/^randint:/, /1\.5/]);
    const z = sg.zeros([4], d);
    throwsBeforeWork('view sizes', () => z.view('a' as unknown as number), [/^view:/, /"a"/]);
    throwsBeforeWork('65 dims', () => sg.ones(new Array(65).fill(1), d), [/^ones:/, /65 dims; at most 64/]);
    let deep: unknown = [1];
    for (let i = 0; i < 100000; i++) deep = [deep];
    throwsBeforeWork('nested 100001 deep', () => sg.tensor(deep as number[], d), [/^tensor:/, /nested more than 64 deep/]);
    // PyTorch's overload: randint(high, size)
    const r = await sg.randint(5, [100], { seed: 1, ...d }).toArray();
    if (r.some((v) => v < 0 || v >= 5)) throw new Error('randint(high, size) out of [0, high)');
  }
});

test('data must be numbers: BigInt, strings, booleans and holes are refused', async () => {
  for (const dev of await backends()) {
    const d = { device: dev };
    throwsBeforeWork('BigInt64Array', () => sg.tensor(new BigInt64Array(2) as unknown as number[], d), [/^tensor:/, /BigInt64Array/]);
    throwsBeforeWork('bigint array', () => sg.tensor([1n, 2n] as unknown as number[], d), [/^tensor:/, /BigInt/]);
    throwsBeforeWork('string', () => sg.tensor('12' as unknown as number[], d), [/^tensor:/, /"12"/]);
    throwsBeforeWork('string inside', () => sg.tensor([[1, '2']] as unknown as number[][], d), [/^tensor:/, /"2"/]);
    throwsBeforeWork('undefined inside', () => sg.tensor([1, undefined] as unknown as number[], d), [/^tensor:/, /undefined/]);
    throwsBeforeWork('object', () => sg.tensor({ length: 2 } as unknown as number[], d), [/^tensor:/, /object/]);
  }
});

test('options are checked: unknown keys, bad devices, non-boolean requiresGrad, bad seeds', async () => {
  for (const dev of await backends()) {
    throwsBeforeWork('device tpu', () => sg.zeros([2], { device: 'tpu' as 'cpu' }), [/^zeros:/, /device/, /"tpu"/]);
    throwsBeforeWork('typo', () => sg.ones([2], { dtpye: 'int32', device: dev } as unknown as sg.CreateOptions), [/^ones:/, /unknown option 'dtpye'/]);
    throwsBeforeWork('requiresGrad', () => sg.randn([2], { requiresGrad: 1 as unknown as boolean, device: dev }), [/^randn:/, /requiresGrad/]);
    throwsBeforeWork('seed', () => sg.rand([2], { seed: 0.5, device: dev }), [/^rand:/, /seed/]);
    throwsWith(() => sg.manualSeed(NaN), /^manualSeed:/, /seed/);
    throwsBeforeWork('options not an object', () => sg.full([2], 1, 'float32' as unknown as sg.CreateOptions), [/^full:/, /options/]);
    throwsBeforeWork('arange against step', () => sg.arange(5, 0, { device: dev }), [/^arange:/, /against step/]);
    throwsBeforeWork('arange NaN', () => sg.arange(0, NaN, { device: dev }), [/^arange:/, /end/]);
  }
});

test('huge sizes fail at once, before anything is allocated or drawn', async () => {
  for (const dev of await backends()) {
    const d = { device: dev };
    const t0 = Date.now();
    // One int32 past the device's limit: 1 GiB on the CPU, the binding size on the GPU.
    const limit = dev === 'cpu' ? 2 ** 30 : sg.deviceInfo().limits.maxStorageBufferBindingSize;
    throwsBeforeWork('arange past the limit', () => sg.arange(0, limit / 4 + 1, d), [/^arange:/, /bytes/]);
    throwsBeforeWork('arange 4e9 float', () => sg.arange(0, 4e9, 1, { dtype: 'float32', ...d }), [/^arange:/, /bytes/]);
    throwsBeforeWork('randn 4e9', () => sg.randn([4e9], d), [/^randn:/, /bytes/]);
    throwsBeforeWork('zeros 1e6^2', () => sg.zeros([1e6, 1e6], d), [/^zeros:/, /bytes/]);
    throwsBeforeWork('randint 1e10', () => sg.randint(0, 2, [1e5, 1e5], d), [/^randint:/, /bytes/]);
    throwsBeforeWork('tensor with a huge shape', () => sg.full([2 ** 40], 0, d), [/^full:/, /bytes/]);
    if (dev === 'webgpu') throwsBeforeWork('randn past the binding size', () => sg.randn([limit / 4 + 1], d), [/^randn:/, /maxStorageBufferBindingSize/]);
    const ms = Date.now() - t0;
    if (ms > 2000) throw new Error(`refusing huge sizes took ${ms} ms on ${dev}; nothing should have been computed`);
    allclose(await sg.arange(0, 1, 0.25, d).toArray(), [0, 0.25, 0.5, 0.75], {}, `the next creator works on ${dev}`);
  }
});

test('tidy, noGrad and enableGrad refuse async functions without running them', async () => {
  let ran = false;
  const job = async (): Promise<number> => { ran = true; await null; return 1; };
  throwsWith(() => sg.tidy(job as unknown as () => number), /^tidy: fn must be synchronous, got an async function/);
  throwsWith(() => sg.noGrad(job), /^noGrad: fn must be synchronous/);
  throwsWith(() => sg.enableGrad(job), /^enableGrad: fn must be synchronous/);
  if (ran) throw new Error('an async function was run');
  // A plain function that returns a rejecting promise: refused, and the rejection does not
  // reach the process as an unhandled one.
  let unhandled = 0;
  const onUnhandled = (): void => { unhandled++; };
  process.on('unhandledRejection', onUnhandled);
  throwsWith(() => sg.tidy(() => Promise.reject(new Error('late'))), /^tidy: fn must be synchronous \(it returned a Promise\)/);
  throwsWith(() => sg.noGrad(() => Promise.reject(new Error('late'))), /^noGrad: fn must be synchronous/);
  await new Promise((r) => setTimeout(r, 20));
  process.off('unhandledRejection', onUnhandled);
  if (unhandled) throw new Error(`${unhandled} unhandled rejections escaped`);
  if (!sg.isGradEnabled()) throw new Error('grad mode left off after a refused noGrad');
  throwsWith(() => sg.tidy(42 as unknown as () => number), /^tidy: expected a function, got number/);
  const live = sg.memory().liveTensors;
  sg.tidy(() => { sg.ones([2]); });
  if (sg.memory().liveTensors !== live) throw new Error('tidy leaks after refusals');
});

test.run();
