// Host time of the demo model's training step (examples/lm, batch 8x32, AdamW, clipGradNorm),
// as a training loop that syncs every 5 steps sees it:
//   node bench/step-host.mjs [STEPS] [--log [FILE]] [--build LABEL] [--group ID] [--commit HASH]
// --log appends the plain and the compiled step's host ms to bench/results.jsonl (or FILE),
// timing "host", marked with --build and --group (an A/B's calls share a group id) and the
// checkout's commit (or --commit, e.g. BENCH_COMMIT's on the GPU machine).
// Profiles the steady state with the inspector (PROF_DIR, default ./prof2: steady.cpuprofile),
// then prints host ms/step, dispatches and bind groups made per step, and the host time of
// the step's parts without the profiler, and the compiled step's.
import { Session } from 'node:inspector/promises';
import { writeFileSync, mkdirSync } from 'node:fs';
import * as sg from '../dist/node/index.js';
import { demoStep } from './demo-step.mjs';
import { cpus } from 'node:os';
import { appendLog, logArg, runFields } from './log.mjs';
const args = process.argv.slice(2);
const arg = (n) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : undefined; };
const logFile = logArg(args);
const toggles = (process.env.SCATTERGRAD_DAWN_TOGGLES ?? process.env.GPU_DAWN_TOGGLES ?? '').split(' ').filter(Boolean);
const info = await sg.init({ backend: 'webgpu', dawnToggles: toggles });
// Host time is the CPU's: the same build differs from one GPU machine (and its load) to another.
const cpu = `${cpus()[0]?.model?.trim() ?? 'unknown'}, ${cpus().length} threads`;
console.log(`# ${info.adapter}; host CPU ${cpu}`);
const { model, ids, opt, loss, step, compiledStep } = await demoStep(sg);
// A readback, as a loop logging its loss does; nothing left for the garbage collector to free.
const sync = async () => { const l = sg.tidy(() => sg.keep(sg.ones([1]).sum())); await l.toArray(); l.dispose(); };
for (let i = 0; i < 3; i++) step();
await sync();
const n = Number(/^\d+$/.test(args[0] ?? '') ? args[0] : 30);
// The profile covers the steady state only: pipelines are built, the pool is warm.
const ses = new Session();
ses.connect();
await ses.post('Profiler.enable');
await ses.post('Profiler.setSamplingInterval', { interval: 100 });
await ses.post('Profiler.start');
let host = 0;
for (let i = 0; i < n; i++) { const t0 = performance.now(); step(); host += performance.now() - t0; if (i % 5 === 4) await sync(); }
const { profile } = await ses.post('Profiler.stop');
const pdir = process.env.PROF_DIR ?? 'prof2';
mkdirSync(pdir, { recursive: true });
writeFileSync(`${pdir}/steady.cpuprofile`, JSON.stringify(profile));
await sync();
const m0 = sg.memory(); step(); const m1 = sg.memory(); await sync();
console.log(`host ${(host / n).toFixed(2)} ms/step, ${m1.dispatches - m0.dispatches} dispatches/step, ${m1.bindGroups - m0.bindGroups} bind groups created/step, pipelines ${m1.pipelines}`);
const logged = [];
// Host time of the step's parts without the profiler: forward only, forward+backward, whole.
const tm = async (name, fn) => { await sync(); let t = 0; for (let i = 0; i < n; i++) { const t0 = performance.now(); fn(); t += performance.now() - t0; if (i % 5 === 4) await sync(); } await sync(); console.log(`${name.padEnd(22)} ${(t / n).toFixed(2)} ms/step`); return t / n; };
await tm('forward (no grad)', () => sg.tidy(() => sg.noGrad(() => model.forward(ids))));
await tm('forward', () => sg.tidy(() => { model.forward(ids); }));
await tm('forward+backward', () => sg.tidy(() => { loss().backward(); opt.zeroGrad(); }));
logged.push({ workload: 'demo model training step (batch 8x32), host time', ms: await tm('whole step', step), dispatches: m1.dispatches - m0.dispatches });
// The same step through sg.compile: after two recorded calls, a replay of the recording.
const compiled = compiledStep();
for (let i = 0; i < 4; i++) compiled();
await sync();
const c0 = sg.memory(); compiled(); const c1 = sg.memory(); await sync();
const compiledMs = await tm(`compiled step (${compiled.stats.mode})`, compiled);
console.log(`compiled: ${c1.dispatches - c0.dispatches} dispatches/step, ${c1.bindGroups - c0.bindGroups} bind groups created/step`);
logged.push({ workload: 'demo model training step (batch 8x32), compiled, host time', ms: compiledMs, dispatches: c1.dispatches - c0.dispatches });
if (logFile) {
  const run = runFields({ adapter: info.adapter, toggles, tool: 'bench/step-host.mjs', commit: arg('--commit'), build: arg('--build'), group: arg('--group') });
  appendLog(logged.map((r) => ({
    ...run, workload: r.workload, config: 'default', dtype: 'float32', ms: r.ms, timing: 'host',
    note: `mean over ${n} steps, a readback every 5; ${r.dispatches} dispatches per step; host CPU ${cpu}`,
  })), logFile);
}
compiled.dispose();
await sg.destroy();
process.exit(0);
