// Adam, AdamW (amsgrad, maximize), RMSprop and Adagrad against torch 2.14's trajectories
// (optim-torch.py), on every backend in float32 and on the CPU in float64; the LR schedulers'
// sequences against torch's over 40 steps; stateDict round trips, bad options, flat memory.
import { suite } from 'uvu';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import {
  Adam, AdamW, RMSprop, Adagrad, SGD, StepLR, MultiStepLR, ExponentialLR, LambdaLR, CosineAnnealingLR, LinearLR,
  ReduceLROnPlateau, OneCycleLR, type Optimizer, type OneCycleLROptions,
} from '../../src/optim/index.js';
import { allclose, backends, settleGC, throwsBeforeWork, throwsWith, type Dev } from '../helpers.js';
import { GRADS, METRICS, ONECYCLE_CASES, OPT_CASES, P0, PLATEAU_CASES, SCHED_CASES, SHAPES, type OptCase } from './optim-torch.js';

const test = suite('optim vs torch');

type Opts = Record<string, unknown>;
const MAKE: Record<string, (ps: Tensor[], o: Opts) => Optimizer> = {
  Adam: (ps, o) => new Adam(ps, o),
  AdamW: (ps, o) => new AdamW(ps, o),
  RMSprop: (ps, o) => new RMSprop(ps, o),
  Adagrad: (ps, o) => new Adagrad(ps, o),
};

function makeParams(dev: Dev, dtype: 'float32' | 'float64'): Tensor[] {
  return P0.map((x, i) => sg.tensor(x, { shape: SHAPES[i], device: dev, dtype, requiresGrad: true }));
}

function setGrads(params: Tensor[], s: number): void {
  params.forEach((p, i) => {
    p.grad?.dispose();
    const g = GRADS[s][i];
    p.grad = g ? sg.tensor(g, { shape: p.shape, device: p.device, dtype: p.dtype }) : null;
  });
}

const label = (c: OptCase): string => `${c.cls}(${JSON.stringify(c.opts)})`;

async function checkCase(c: OptCase, dev: Dev, dtype: 'float32' | 'float64'): Promise<void> {
  // float32: f32 parameters and state against float64 torch; float64 (CPU): to the last bits
  const tol = dtype === 'float64' ? { rtol: 1e-12, atol: 1e-14 } : { rtol: 1e-5, atol: 2e-6 };
  const params = makeParams(dev, dtype);
  const opt = MAKE[c.cls](params, c.opts);
  for (let s = 0; s < c.params.length; s++) {
    setGrads(params, s);
    opt.step();
    for (let i = 0; i < params.length; i++) allclose(await params[i].toArray(), c.params[s][i], tol, `${label(c)} ${dtype} step ${s} param ${i} on ${dev}`);
  }
  const sd = opt.stateDict();
  for (let i = 0; i < params.length; i++) {
    const want = c.state[i];
    if (sd.state[i].step !== want.step) throw new Error(`${label(c)} on ${dev}: param ${i} step ${sd.state[i].step}, torch ${want.step}`);
    const names = Object.keys(want).filter((k) => k !== 'step');
    const have = Object.keys(sd.state[i]).filter((k) => k !== 'step');
    if (have.sort().join() !== names.sort().join()) throw new Error(`${label(c)} on ${dev}: state names ${have}, torch ${names}`);
    for (const n of names) allclose(await (sd.state[i][n] as Tensor).toArray(), want[n] as number[], tol, `${label(c)} ${dtype} state ${n} of param ${i} on ${dev}`);
  }
  opt.zeroGrad();
  opt.dispose();
  params.forEach((p) => p.dispose());
}

test('Adam, AdamW, RMSprop, Adagrad: parameters and state match torch step by step (float32, every backend)', async () => {
  for (const dev of await backends()) for (const c of OPT_CASES) await checkCase(c, dev, 'float32');
});

test('Adam, AdamW, RMSprop, Adagrad on float64 CPU parameters match torch to float64 rounding', async () => {
  for (const c of OPT_CASES) await checkCase(c, 'cpu', 'float64');
});

test('defaults are torch\'s', () => {
  const p = sg.zeros([2], { device: 'cpu', requiresGrad: true });
  const want: Array<[Optimizer, Opts]> = [
    [new Adam([p]), { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false }],
    [new AdamW([p]), { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false }],
    [new RMSprop([p]), { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false }],
    [new Adagrad([p]), { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false }],
  ];
  for (const [opt, w] of want) {
    const { params: _p, ...h } = opt.stateDict().paramGroups[0];
    if (JSON.stringify(h) !== JSON.stringify(w)) throw new Error(`defaults ${JSON.stringify(h)}, want ${JSON.stringify(w)}`);
  }
  p.dispose();
});

test('stateDict / loadStateDict: a restored optimizer continues exactly like the original', async () => {
  const cases = [OPT_CASES.find((c) => c.cls === 'Adam' && c.opts.amsgrad)!, OPT_CASES.find((c) => c.cls === 'RMSprop' && c.opts.centered && c.opts.momentum)!,
    OPT_CASES.find((c) => c.cls === 'Adagrad' && c.opts.initialAccumulatorValue)!];
  for (const dev of await backends()) {
    for (const c of cases) {
      const a = makeParams(dev, 'float32');
      const optA = MAKE[c.cls](a, c.opts);
      for (let s = 0; s < 2; s++) { setGrads(a, s); optA.step(); }
      const b = await Promise.all(a.map(async (p) => sg.tensor(await p.toArray(), { shape: p.shape, device: dev, requiresGrad: true })));
      const optB = MAKE[c.cls](b, {});
      optB.loadStateDict(optA.stateDict());
      for (let s = 2; s < 4; s++) {
        setGrads(a, s); optA.step();
        setGrads(b, s); optB.step();
      }
      for (let i = 0; i < a.length; i++) allclose(await b[i].toArray(), await a[i].toArray(), { rtol: 0, atol: 0 }, `${label(c)} restored param ${i} on ${dev}`);
      for (let i = 0; i < a.length; i++) allclose(await b[i].toArray(), c.params[3][i], { rtol: 1e-5, atol: 2e-6 }, `${label(c)} restored vs torch, param ${i} on ${dev}`);
      for (const o of [optA, optB]) { o.zeroGrad(); o.dispose(); }
      [...a, ...b].forEach((p) => p.dispose());
    }
  }
});

test('bad options throw naming the optimizer before any GPU work', async () => {
  for (const dev of await backends()) {
    const w = sg.zeros([3], { device: dev, requiresGrad: true });
    throwsBeforeWork('Adam betas', () => new Adam([w], { betas: [0.9, 1] }), [/^Adam: betas must be/, /0\.9,1|0\.9, 1/]);
    throwsBeforeWork('Adam amsgrad', () => new Adam([w], { amsgrad: 1 as unknown as boolean }), [/^Adam: amsgrad must be a boolean/]);
    throwsBeforeWork('AdamW lr', () => new AdamW([w], { lr: -1 }), [/^AdamW: lr must be/]);
    throwsBeforeWork('RMSprop alpha', () => new RMSprop([w], { alpha: -0.5 }), [/^RMSprop: alpha must be/, /-0\.5/]);
    throwsBeforeWork('RMSprop unknown', () => new RMSprop([w], { nesterov: true } as Opts), [/^RMSprop: /, /nesterov/]);
    throwsBeforeWork('Adagrad lrDecay', () => new Adagrad([w], { lrDecay: NaN }), [/^Adagrad: lrDecay must be/]);
    throwsBeforeWork('Adagrad init', () => new Adagrad([w], { initialAccumulatorValue: -1 }), [/^Adagrad: initialAccumulatorValue must be/]);
    const n = sg.zeros([2], { device: dev, dtype: 'int32' });
    throwsBeforeWork('Adagrad params', () => new Adagrad([n], {}), [/^Adagrad: params\[0\] has dtype int32/]);
    [w, n].forEach((t) => t.dispose());
  }
  const opt = new SGD([sg.zeros([1], { device: 'cpu', requiresGrad: true })], { lr: 0.1 });
  throwsWith(() => new StepLR(opt, 0), /^StepLR: stepSize must be an integer >= 1, got 0/);
  throwsWith(() => new MultiStepLR(opt, [1.5]), /^MultiStepLR: milestones/);
  throwsWith(() => new ExponentialLR(opt, NaN), /^ExponentialLR: gamma/);
  throwsWith(() => new LambdaLR(opt, 3 as unknown as () => number), /^LambdaLR: lrLambda must be a function/);
  throwsWith(() => new CosineAnnealingLR(opt, 0), /^CosineAnnealingLR: tMax/);
  throwsWith(() => new LinearLR(opt, 0), /^LinearLR: startFactor must be a number in \(0, 1\], got 0/);
  throwsWith(() => new ReduceLROnPlateau(opt, { mode: 'up' as 'min' }), /^ReduceLROnPlateau: mode must be 'min' or 'max'/);
  throwsWith(() => new ReduceLROnPlateau(opt, { factor: 1 }), /^ReduceLROnPlateau: factor must be a number in \[0, 1\)/);
  throwsWith(() => new ReduceLROnPlateau(opt, { patience: 1.5 }), /^ReduceLROnPlateau: patience must be an integer/);
  throwsWith(() => new ReduceLROnPlateau(opt, { min_lr: 0 } as object), /^ReduceLROnPlateau: unknown option 'min_lr'/);
  throwsWith(() => new ReduceLROnPlateau(opt).step('1' as unknown as number), /^ReduceLROnPlateau\.step: metric must be a number/);
  throwsWith(() => new StepLR({} as { lr: number }, 3), /^StepLR: expected an optimizer/);
  opt.params[0].dispose();
});

test('steps pack parameters into few dispatches and memory stays flat', async () => {
  for (const dev of await backends()) {
    for (const c of [OPT_CASES[3], OPT_CASES[8], OPT_CASES[10]]) {
      const params = makeParams(dev, 'float32');
      const opt = MAKE[c.cls](params, c.opts);
      setGrads(params, 1);
      opt.step(); // allocates the state
      await params[0].toArray();
      await settleGC();
      const before = sg.memory();
      for (let s = 0; s < 5; s++) sg.tidy(() => opt.step());
      await params[0].toArray();
      const after = sg.memory();
      // three parameters of one kernel: one dispatch a step (lavapipe allows 3 × 3 + 1 bindings)
      if (dev === 'webgpu' && after.dispatches - before.dispatches !== 5) throw new Error(`${label(c)}: ${after.dispatches - before.dispatches} dispatches for 5 steps`);
      if (after.liveTensors !== before.liveTensors || after.bytesInUse !== before.bytesInUse) {
        throw new Error(`${label(c)}: memory changed over 5 steps on ${dev}: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
      }
      opt.zeroGrad();
      opt.dispose();
      params.forEach((p) => p.dispose());
    }
  }
});

test('a compiled step follows a change of amsgrad, maximize, momentum, centered or weight decay', async () => {
  if (!(await backends()).includes('webgpu')) return;
  const cases: Array<[string, (ps: Tensor[]) => Optimizer, (o: Optimizer) => void]> = [
    ['Adam', (ps) => new Adam(ps, { lr: 0.05 }), (o) => Object.assign(o, { amsgrad: true, maximize: true, weightDecay: 0.1 })],
    ['RMSprop', (ps) => new RMSprop(ps, { lr: 0.01 }), (o) => Object.assign(o, { momentum: 0.9, centered: true, maximize: true })],
    ['Adagrad', (ps) => new Adagrad(ps, { lr: 0.1 }), (o) => Object.assign(o, { weightDecay: 0.5, maximize: true })],
  ];
  for (const [name, make, change] of cases) {
    const run = async (compiled: boolean): Promise<ArrayLike<number>> => {
      const w = sg.tensor(P0[0], { shape: SHAPES[0], device: 'webgpu', requiresGrad: true });
      const x = sg.tensor(GRADS[1][0]!, { shape: SHAPES[0], device: 'webgpu' });
      const opt = make([w]);
      const body = (xs: Tensor): void => { w.mul(xs).sum().backward(); opt.step(); opt.zeroGrad(); };
      const compiledStep = compiled ? sg.compile(body) : null;
      for (let i = 0; i < 8; i++) {
        if (i === 4) change(opt);
        if (compiledStep) compiledStep(x);
        else body(x);
      }
      const out = await w.toArray();
      if (compiledStep && compiledStep.stats.replays < 2) throw new Error(`${name}: the compiled step replayed ${compiledStep.stats.replays} times (${compiledStep.stats.reason})`);
      compiledStep?.dispose();
      opt.dispose();
      [w, x].forEach((t) => t.dispose());
      return out;
    };
    allclose(await run(true), await run(false), { rtol: 0, atol: 0 }, `${name}: compiled vs eager after a hyperparameter change`);
  }
});

// ---- schedulers ----

interface Stepper { step(): void; getLastLr(): number[] }
const SCHED: Record<string, (o: SGD) => Stepper> = {
  'StepLR(opt, 7)': (o) => new StepLR(o, 7),
  'StepLR(opt, 3, 0.5)': (o) => new StepLR(o, 3, 0.5),
  'MultiStepLR(opt, [5, 12, 12, 30], 0.3)': (o) => new MultiStepLR(o, [5, 12, 12, 30], 0.3),
  'ExponentialLR(opt, 0.9)': (o) => new ExponentialLR(o, 0.9),
  'LambdaLR(opt, (e) => 1 / (1 + e))': (o) => new LambdaLR(o, (e) => 1 / (1 + e)),
  'CosineAnnealingLR(opt, 10)': (o) => new CosineAnnealingLR(o, 10),
  'CosineAnnealingLR(opt, 7, 0.01)': (o) => new CosineAnnealingLR(o, 7, 0.01),
  'LinearLR(opt)': (o) => new LinearLR(o),
  'LinearLR(opt, 1, 0.1, 25)': (o) => new LinearLR(o, 1, 0.1, 25),
  'LinearLR(opt, 0.1, 1, 10) + ExponentialLR(opt, 0.95)': (o) => {
    const pair = [new LinearLR(o, 0.1, 1, 10), new ExponentialLR(o, 0.95)];
    return { step: () => pair.forEach((s) => s.step()), getLastLr: () => pair[1].getLastLr() };
  },
};

function relClose(have: number[], want: number[], what: string): void {
  if (have.length !== want.length) throw new Error(`${what}: ${have.length} lrs, torch ${want.length}`);
  have.forEach((v, i) => {
    if (!(Math.abs(v - want[i]) <= 1e-12 * Math.abs(want[i]))) throw new Error(`${what}: lr after ${i} steps is ${v}, torch ${want[i]}`);
  });
}

function sequence<S extends { getLastLr(): number[] }>(make: (o: SGD) => S, step: (s: S, t: number) => void): number[] {
  const p = sg.zeros([1], { device: 'cpu', requiresGrad: true });
  const opt = new SGD([p], { lr: 0.1 });
  const s = make(opt);
  const lrs = [opt.lr];
  for (let t = 0; t < 40; t++) {
    step(s, t);
    if (s.getLastLr().length !== 1 || s.getLastLr()[0] !== opt.lr) throw new Error(`getLastLr ${s.getLastLr()} != optimizer lr ${opt.lr}`);
    lrs.push(opt.lr);
  }
  p.dispose();
  return lrs;
}

test('LR schedulers set the same lr sequence as torch over 40 steps', () => {
  for (const c of SCHED_CASES) {
    if (!SCHED[c.make]) throw new Error(`no maker for ${c.make}`);
    relClose(sequence(SCHED[c.make], (s) => s.step()), c.lrs, c.make);
  }
});

test('ReduceLROnPlateau reduces the lr as torch does for the same metrics', () => {
  for (const c of PLATEAU_CASES) {
    const opts = new Function(`return (${c.make});`)() as ConstructorParameters<typeof ReduceLROnPlateau>[1];
    const lrs = sequence((o) => new ReduceLROnPlateau(o, opts), (s, t) => s.step(METRICS[t]));
    relClose(lrs, c.lrs, `ReduceLROnPlateau(${c.make})`);
  }
});

test('OneCycleLR sets torch\'s lr and momentum (SGD, RMSprop) or beta1 (Adam) sequences', () => {
  const makers: Record<string, (ps: Tensor[]) => Optimizer> = {
    SGD: (ps) => new SGD(ps, { lr: 0.1 }), Adam: (ps) => new Adam(ps, { lr: 0.1 }),
    RMSprop: (ps) => new RMSprop(ps, { lr: 0.1 }), Adagrad: (ps) => new Adagrad(ps, { lr: 0.1 }),
  };
  for (const c of ONECYCLE_CASES) {
    const p = sg.zeros([1], { device: 'cpu', requiresGrad: true });
    const opt = makers[c.opt]([p]) as Optimizer & { momentum?: number; betas?: number[] };
    const momentum = (): number => opt.betas?.[0] ?? opt.momentum ?? 0;
    const sched = new OneCycleLR(opt, 0.5, new Function(`return (${c.opts});`)() as OneCycleLROptions);
    const [lrs, momenta] = [[opt.lr], [momentum()]];
    for (let t = 0; t < 40; t++) {
      sched.step();
      lrs.push(opt.lr);
      momenta.push(momentum());
    }
    // torch's linear anneal extrapolates past the end to a negative lr on the step after the last: 0 here
    relClose(lrs, c.lrs.map((v) => Math.max(0, v)), `OneCycleLR(${c.opt}, 0.5, ${c.opts}) lr`);
    relClose(momenta, c.momenta, `OneCycleLR(${c.opt}, 0.5, ${c.opts}) momentum`);
    throwsWith(() => sched.step(), /^OneCycleLR\.step: tried to step 41 times; totalSteps is 40/);
    if (sched.lastEpoch !== 40 || sched.getLastLr()[0] !== lrs[40]) throw new Error('a failed step must change nothing');
    p.dispose();
  }
  const p = sg.zeros([1], { device: 'cpu', requiresGrad: true });
  throwsWith(() => new OneCycleLR(new Adagrad([p]), 0.5, { totalSteps: 10 }), /^OneCycleLR: cycleMomentum needs an optimizer with momentum/);
  throwsWith(() => new OneCycleLR(new SGD([p], { lr: 1 }), 0.5, { epochs: 3 }), /^OneCycleLR: give totalSteps, or epochs and stepsPerEpoch/);
  throwsWith(() => new OneCycleLR(new SGD([p], { lr: 1 }), 0.5, { totalSteps: 10, pctStart: 2 }), /^OneCycleLR: pctStart must be a number in \[0, 1\], got 2/);
  p.dispose();
});

test('scheduler stateDict / loadStateDict resumes the sequence', () => {
  const run = (resumeAt: number | null): number[] => {
    const p = sg.zeros([1], { device: 'cpu', requiresGrad: true });
    let opt = new SGD([p], { lr: 0.1 });
    let s = new CosineAnnealingLR(opt, 10, 0.001);
    const lrs: number[] = [];
    for (let t = 0; t < 25; t++) {
      if (t === resumeAt) {
        const [osd, ssd] = [opt.stateDict(), s.stateDict()];
        opt = new SGD([p], { lr: 5 });
        s = new CosineAnnealingLR(opt, 10, 0.001);
        opt.loadStateDict(osd);
        s.loadStateDict(ssd);
      }
      s.step();
      lrs.push(opt.lr);
    }
    p.dispose();
    return lrs;
  };
  relClose(run(7), run(null), 'resumed CosineAnnealingLR');
  const plateau = (resumeAt: number | null): number[] => {
    const p = sg.zeros([1], { device: 'cpu', requiresGrad: true });
    let opt = new SGD([p], { lr: 0.1 });
    let s = new ReduceLROnPlateau(opt, { patience: 1, cooldown: 2, factor: 0.5 });
    const lrs: number[] = [];
    for (let t = 0; t < 30; t++) {
      if (t === resumeAt) {
        const [osd, ssd] = [opt.stateDict(), s.stateDict()];
        opt = new SGD([p], { lr: 5 });
        s = new ReduceLROnPlateau(opt, { patience: 1, cooldown: 2, factor: 0.5 });
        opt.loadStateDict(osd);
        s.loadStateDict(ssd);
      }
      s.step(METRICS[t]);
      lrs.push(opt.lr);
    }
    p.dispose();
    return lrs;
  };
  const whole = plateau(null);
  if (new Set(whole).size < 3) throw new Error(`the plateau sequence must reduce at least twice: ${whole}`);
  for (const at of [4, 8, 14]) relClose(plateau(at), whole, `ReduceLROnPlateau resumed at ${at}`);
});

test.run();
