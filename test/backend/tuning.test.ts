// The tuning table (src/backend/tuning.ts): values checked where they are set (init's tuning,
// withTuning, the environment), withTuning putting the tuning back however fn ends, pipelines
// keyed by the knobs their WGSL generator reads.
import { suite } from 'uvu';
import * as sg from '../../src/index.js';
import { runtime } from '../../src/backend/runtime.js';
import { KNOBS, knob, readEnvironment, type Tuning } from '../../src/backend/tuning.js';
import { hasSubgroupMatrix } from '../../src/gemm/subgroup.js';
import { backends, rejectsWith, throwsWith } from '../helpers.js';

const test = suite('tuning');
const names = Object.keys(KNOBS) as Array<keyof Tuning>;

test('every knob: a SCATTERGRAD_ variable whose camelCase is its name, a default it accepts, and values it refuses', () => {
  for (const k of names) {
    const spec = KNOBS[k];
    const camel = spec.env.replace(/^SCATTERGRAD_/, '').toLowerCase().replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
    if (camel !== k) throw new Error(`${k}: environment variable ${spec.env} does not spell it`);
    if (spec.parse(String(spec.default)) !== spec.default) throw new Error(`${k}: its default ${String(spec.default)} does not parse to itself`);
    for (const bad of ['bad', '3x', '-8', '1.5', 'NaN']) {
      if (spec.parse(bad) !== undefined) throw new Error(`${k}: accepted '${bad}'`);
    }
  }
  if (KNOBS.moeTcPad.parse('abc') !== undefined || KNOBS.moeTcPad.parse('12') !== undefined || KNOBS.moeTcPad.parse(16) !== 16) throw new Error('moeTcPad: multiples of 8 only');
  if (!names.some((k) => KNOBS[k].profiling)) throw new Error('the knockouts must be marked as profiling only');
});

test('withTuning sets knobs for fn and puts them back: sync, async, on errors, nested, overlapping', async () => {
  const before = sg.currentTuning();
  const r = sg.withTuning({ matmulTile: 'big', tcDepth: 1 }, () => [knob('matmulTile'), knob('tcDepth'), knob('moeTc')]);
  if (r.join() !== ['big', 1, before.moeTc].join()) throw new Error(`inside: ${r.join()}`);
  if (knob('matmulTile') !== before.matmulTile || knob('tcDepth') !== before.tcDepth) throw new Error('sync: not put back');
  throwsWith(() => sg.withTuning({ moeTc: 'off' }, () => { throw new Error('boom'); }), /^boom$/);
  if (knob('moeTc') !== before.moeTc) throw new Error('sync throw: not put back');
  // Environment strings are accepted from code too.
  if (sg.withTuning({ moeTcPad: '16' as unknown as number }, () => knob('moeTcPad')) !== 16) throw new Error('moeTcPad \'16\'');
  const inner = await sg.withTuning({ moeTc: 'emulate' }, async () => {
    await new Promise((res) => setTimeout(res, 1));
    return sg.withTuning({ moeTcTile: 'emu2' }, async () => [knob('moeTc'), knob('moeTcTile')].join());
  });
  if (inner !== 'emulate,emu2') throw new Error(`nested async: ${inner}`);
  await rejectsWith(() => sg.withTuning({ moeTile: 'mid' }, async () => { await Promise.resolve(); throw new Error('async boom'); }), /^async boom$/);
  if (knob('moeTile') !== before.moeTile || knob('moeTc') !== before.moeTc) throw new Error('async: not put back');
  // Two scopes overlapping in time: the first ends first, the second still applies until it ends.
  let release!: () => void;
  const a = sg.withTuning({ moeShared: 'flat' }, () => new Promise<void>((res) => { release = res; }));
  const b = sg.withTuning({ moeMap: 4 }, async () => {
    release();
    await a;
    if (knob('moeMap') !== 4 || knob('moeShared') !== before.moeShared) throw new Error(`overlap: ${knob('moeMap')} ${knob('moeShared')}`);
  });
  await b;
  if (JSON.stringify(sg.currentTuning()) !== JSON.stringify(before)) throw new Error('overlap: not put back');
});

test('a bad tuning is an Error naming the knob and its values, before anything runs', async () => {
  throwsWith(() => sg.withTuning({ moeTcTile: 'bad' }, () => { throw new Error('ran'); }),
    /^withTuning: moeTcTile = 'bad' is not allowed; the tuning knob moeTcTile \(SCATTERGRAD_MOE_TC_TILE\) takes auto, big, mid, emu2 or SGMxSGNxFMxFNxTK$/);
  throwsWith(() => sg.withTuning({ moeTcPad: 12 }, () => 0), /moeTcPad = 12 is not allowed/, /multiple of 8/);
  throwsWith(() => sg.withTuning({ tcDepth: 3 as 2 }, () => 0), /tcDepth = 3/, /1, 2 or 4/);
  throwsWith(() => sg.withTuning({ matmulTyle: 'big' } as Partial<Tuning>, () => 0), /^withTuning: unknown tuning knob 'matmulTyle'; the knobs are matmulTile, /);
  throwsWith(() => sg.withTuning({ moeTc: ['off'] as unknown as 'off' }, () => 0), /moeTc = an array is not allowed/);
  throwsWith(() => sg.withTuning([] as Partial<Tuning>, () => 0), /^withTuning: tuning must be a plain object, got an array/);
  const before = JSON.stringify(sg.currentTuning());
  const devs = await backends();
  const backend = devs.includes('webgpu') ? 'webgpu' : 'cpu';
  await rejectsWith(() => sg.init({ backend, tuning: { tcKnockout: 'everything' as 'none' } }), /^init: tcKnockout = 'everything' is not allowed; .*none, loads, stores, mma or frag/);
  await rejectsWith(() => sg.init({ backend, printWgsl: 1 as unknown as boolean }), /^init: printWgsl must be a boolean, got 1/);
  if (JSON.stringify(sg.currentTuning()) !== before) throw new Error('a refused init changed the tuning');
});

test('the environment: SCATTERGRAD_* variables, checked; an empty one is unset; the older MATMUL_SIMPLE', () => {
  const vars = ['SCATTERGRAD_MOE_TC_TILE', 'SCATTERGRAD_MOE_TC_PAD', 'SCATTERGRAD_TC_DEPTH', 'SCATTERGRAD_MATMUL_SIMPLE', 'SCATTERGRAD_MATMUL_TILE', 'SCATTERGRAD_MOE_TC_BDIRECT', 'SCATTERGRAD_DEBUG'];
  const saved = vars.map((v) => process.env[v]);
  const set = (vs: Record<string, string | undefined>): void => {
    for (const v of vars) delete process.env[v];
    for (const [k, v] of Object.entries(vs)) if (v !== undefined) process.env[k] = v;
  };
  try {
    set({ SCATTERGRAD_MOE_TC_TILE: 'bad' });
    throwsWith(() => readEnvironment('init'), /^init: SCATTERGRAD_MOE_TC_TILE=bad is not allowed; the tuning knob moeTcTile \(SCATTERGRAD_MOE_TC_TILE\) takes auto, big/);
    set({ SCATTERGRAD_MOE_TC_PAD: 'abc' });
    throwsWith(() => readEnvironment('init'), /^init: SCATTERGRAD_MOE_TC_PAD=abc is not allowed; .*moeTcPad/);
    set({ SCATTERGRAD_DEBUG: 'yes' });
    throwsWith(() => readEnvironment('init'), /^init: SCATTERGRAD_DEBUG=yes must be 0 or 1/);
    set({ SCATTERGRAD_TC_DEPTH: ' 1 ', SCATTERGRAD_MOE_TC_PAD: '16', SCATTERGRAD_MOE_TC_BDIRECT: '1', SCATTERGRAD_MOE_TC_TILE: '' });
    const got = readEnvironment('init');
    if (JSON.stringify(got) !== JSON.stringify({ moeTcPad: 16, moeTcBdirect: true, tcDepth: 1 })) throw new Error(`read ${JSON.stringify(got)}`);
    set({ SCATTERGRAD_MATMUL_SIMPLE: '1', SCATTERGRAD_MATMUL_TILE: 'big' });
    if (readEnvironment('init').matmulTile !== 'simple') throw new Error('SCATTERGRAD_MATMUL_SIMPLE=1 should mean matmulTile simple, as it did');
    set({ SCATTERGRAD_MATMUL_SIMPLE: '2' });
    throwsWith(() => readEnvironment('init'), /^init: SCATTERGRAD_MATMUL_SIMPLE=2 must be 0 or 1/);
  } finally {
    vars.forEach((v, i) => { if (saved[i] === undefined) delete process.env[v]; else process.env[v] = saved[i]; });
  }
});

test('init({ tuning }) sets the knobs; a later init() keeps them; init({ tuning: {} }) goes back to the environment', async () => {
  const devs = await backends();
  const backend = devs.includes('webgpu') ? 'webgpu' : 'cpu';
  const before = sg.currentTuning();
  try {
    await sg.init({ backend, tuning: { matmulTile: 'big', noSubgroupMatrix: true } });
    if (knob('matmulTile') !== 'big' || knob('noSubgroupMatrix') !== true) throw new Error('init did not set the tuning');
    if (devs.includes('webgpu') && hasSubgroupMatrix(runtime.gpu!)) throw new Error('noSubgroupMatrix did not rule the subgroup matrices out');
    await sg.init({ backend });
    if (knob('matmulTile') !== 'big') throw new Error('init without tuning changed it');
    // withTuning over init's tuning, and init's tuning under a withTuning scope.
    await sg.withTuning({ matmulTile: 'small' }, async () => {
      await sg.init({ backend, tuning: { moeTc: 'off' } });
      if (knob('matmulTile') !== 'small' || knob('moeTc') !== 'off') throw new Error(`inside: ${knob('matmulTile')} ${knob('moeTc')}`);
    });
    if (knob('matmulTile') !== before.matmulTile || knob('moeTc') !== 'off') throw new Error('after the scope');
  } finally {
    await sg.init({ backend, tuning: {} });
  }
  if (JSON.stringify(sg.currentTuning()) !== JSON.stringify(before)) throw new Error('init({ tuning: {} }) did not go back');
});

test('printWgsl is an init option', async () => {
  const devs = await backends();
  if (!devs.includes('webgpu')) return;
  const was = runtime.printWgsl;
  try {
    await sg.init({ backend: 'webgpu', printWgsl: true });
    if (!runtime.gpu!.printWgsl) throw new Error('printWgsl did not reach the device');
  } finally {
    await sg.init({ backend: 'webgpu', printWgsl: was });
  }
  if (runtime.gpu!.printWgsl !== was) throw new Error('printWgsl not put back');
});

test('a kernel is cached per value of each knob its WGSL generator reads, and only those', async () => {
  const devs = await backends();
  if (!devs.includes('webgpu')) return;
  const g = runtime.gpu!;
  // A kernel that writes the moeTcPad value it was generated with.
  const call = (out: sg.Tensor) => ({
    key: 'test.tuning-pad',
    wgsl: () => {
      return `struct U { a: u32, b: u32, c: u32, d: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> O: array<f32>;
@compute @workgroup_size(1) fn main() { O[u.a] = ${knob('moeTcPad')}.0; }
`;
    },
    inputs: [], outputs: [out.buffer], uniforms: [0, 0, 0, 0], workgroups: 1,
  });
  const run = async (): Promise<number> => {
    const out = sg.zeros([1], { device: 'webgpu' });
    g.dispatch(call(out));
    const v = (await out.toArray())[0];
    out.dispose();
    return v;
  };
  sg.zeros([1], { device: 'webgpu' }).dispose(); // its own kernel compiled first
  const pipelines = g.pipelineCount;
  const d = KNOBS.moeTcPad.default;
  if (await run() !== d) throw new Error('default pad');
  if (await sg.withTuning({ moeTcPad: 32 }, run) !== 32) throw new Error('a pipeline made with the default pad was reused under moeTcPad 32');
  if (await run() !== d) throw new Error('the moeTcPad 32 pipeline was reused after the scope');
  // A knob the generator never read does not split the cache.
  if (await sg.withTuning({ moeTc: 'off', matmulTile: 'dot' }, run) !== d) throw new Error('pad under other knobs');
  if (g.pipelineCount !== pipelines + 2) throw new Error(`${g.pipelineCount - pipelines} pipelines; expected 2`);
  const out = sg.zeros([1], { device: 'webgpu' });
  const keys = [g.pipelineKey(call(out)), sg.withTuning({ moeTcPad: 32 }, () => g.pipelineKey(call(out)))];
  out.dispose();
  if (keys.join() !== 'test.tuning-pad,test.tuning-pad|moeTcPad=32') throw new Error(`pipeline keys ${keys.join(', ')}`);
});

test.run();
