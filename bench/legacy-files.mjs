// What each file of the old bench/results/ measured, for bench/import-legacy.mjs: its date,
// device and commit where the file's own lines do not say, and which build each line ran where
// the file says so only by position ("rows: old, new, old, new") or in a section header. A
// value taken from somewhere other than the run itself names its source (dateFrom, commitFrom).
import { dtypeOf } from './log.mjs';

/** The last commit with bench/results/ and the diary-style bench/RESULTS.md. */
export const LEGACY_REV = '67cb5af';

const H100 = 'nvidia nvidia-h100-80gb-hbm3 NVIDIA: 580.159.04 580.159.4.0';
const H200 = 'nvidia nvidia-h200 NVIDIA: 580.159.04 580.159.4.0';
const LAVA = 'mesa software llvmpipe-llvm-15-0-6-256-bits- llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1';
const NAME = 'file name';
const HEADER = 'file header';
const OLD_MD = (what) => `old RESULTS.md (${what})`;
const NVIDIA_TOGGLES = ['enable-dawn-features=allow_unsafe_apis,vulkan_enable_f16_on_nvidia'];
const build = (b, commit = null, commitFrom = HEADER) => ({ build: b, commit, ...(commit ? { commitFrom } : {}) });
/** Old build on even occurrences of a line, new on odd: the files' "old, new, old, new". */
const alternate = (c, a, b) => (c.nth % 2 ? b : a);
const ROBUSTNESS_OFF = (v) => `${v} with Dawn's disable_robustness`;

// Logs of the test suite hold pass/fail counts, not measurements.
export const SKIPPED = [/^h[12]00-tests-/];

export const FILES = {
  // ---- bench runs (the .json files need no description; these fix what their runs got wrong) ----
  'h100-bench-2026-11-26-e99c1ae.json': { fix: () => ({ toggles: NVIDIA_TOGGLES, togglesFrom: OLD_MD('first session'), timingFrom: OLD_MD('the first session took wall time') }) },
  'lavapipe-bench-2026-11-26.json': { fix: () => ({ timingFrom: OLD_MD('the first session took wall time') }) },
  'h100-bench-norobust-c15ae3e.json': { fix: () => ({ config: ROBUSTNESS_OFF('default') }) },
  'h200-bench-ba3e1b4.json': { fix: () => ({ commit: 'ba3e1b4', commitFrom: 'file name and old RESULTS.md: the GPU machine carried the tree of ba3e1b4 over a stale .git', recordedCommit: '006afac+dirty', dirty: undefined }) },
  'h200-bench-f16-tc-hoist-reverted.json': { fix: () => ({ commit: '614730b', commitFrom: OLD_MD('"the tree of 614730b"'), recordedCommit: 'de9ab76-tc-hoist-reverted' }) },
  'h200-bench-de9ab76.json': { fix: (r) => (dtypeOf(r.workload) === 'float16' ? { note: 'with the tensor-core row-lookup hoist, reverted after this run (614730b)' } : {}) },
  'lavapipe-bench-2026-12-02-d96491b.txt': { bench: true },
  'lavapipe-demo-2026-12-02-db65a1e.txt': { bench: true },

  // ---- per-part times (bench/moe-parts.mjs) ----
  'h100-parts-939f82e.txt': {
    adapter: H100, date: '2026-12-06', dateFrom: OLD_MD('eleventh session'), commit: '939f82e', commitFrom: NAME,
    attr: (r, c) => (c.block === 2 ? { partsCfg: 'granular', dtype: 'float16', note: 'block unlabelled in the file: granular float16 per the old RESULTS.md' } : {}),
  },
  'h100-parts-medium-f16-fc0bf85.txt': { adapter: H100, date: '2026-11-26', dateFrom: OLD_MD('second session'), commit: 'fc0bf85', commitFrom: NAME, partsCfg: 'medium', dtype: 'float16' },
  'h100-parts-medium-f32-fc0bf85.txt': { adapter: H100, date: '2026-11-26', dateFrom: OLD_MD('second session'), commit: 'fc0bf85', commitFrom: NAME, partsCfg: 'medium', dtype: 'float32' },

  // ---- the demo step ----
  'h100-step-09f093f-vs-f54cc73.txt': {
    adapter: H100, date: '2026-11-26', dateFrom: OLD_MD('third session'), group: 'h100-step-09f093f-vs-f54cc73',
    tool: 'step A/B script of the third session (not kept): 50 steps per sample, median of 5',
    attr: (r) => (r.label === 'old' ? build('09f093f', '09f093f', NAME) : build('f54cc73', 'f54cc73', NAME)),
  },
  'h200-step-lazyfinalizer-2026-12-02.txt': {
    adapter: H200, date: '2026-12-02', dateFrom: NAME, group: 'h200-step-lazyfinalizer-2026-12-02', tool: 'dist/step.sh of the fifth session (not kept)',
    attr: (r) => (r.label === 'prev-node' ? build('bf82102', 'bf82102') : build('ecfd574 (lazy FinalizationRegistry registration, reverted)', 'ecfd574')),
  },
  'h200-demo-host-profile-355d7d4.txt': {
    adapter: H200, date: '2026-12-03', dateFrom: OLD_MD('tenth session'), commit: '355d7d4', commitFrom: NAME, tool: '.scratch/prof.mjs (later bench/step-host.mjs)', ignore: /%/,
  },
  'h100-demo-2026-11-26.txt': { adapter: H100, date: '2026-11-26', dateFrom: NAME, tool: 'examples/demo.mjs' },
  'h100-demo-2026-11-26-37fef06.txt': { adapter: H100, date: '2026-11-26', dateFrom: NAME, commit: '37fef06', commitFrom: NAME, tool: 'examples/demo.mjs' },

  // ---- sweeps of one build (bench/tc-sweep.mjs variants) ----
  'h200-wide-tiles-2026-12-03.txt': { adapter: H200, date: '2026-12-03', dateFrom: NAME, note: "the eighth session's working tree" },
  'h200-exact-flat-2026-12-03.txt': { adapter: H200, date: '2026-12-03', dateFrom: NAME, note: "the eighth session's working tree; checked = SCATTERGRAD_MATMUL_EXACT=off" },
  'h200-simt-tiles-2026-12-03.txt': {
    adapter: H200, date: '2026-12-03', dateFrom: NAME, note: "the eighth session's working tree",
    attr: (r, c) => (r.kind === 'part' ? { config: /tile=(\S+)/.exec(c.h2) ? `simt=${/tile=(\S+)/.exec(c.h2)[1]}` : 'default' } : {}),
  },
  'h200-moe-skip-2026-12-03.txt': { adapter: H200, date: '2026-12-03', dateFrom: NAME, note: "the tenth session's tree with SCATTERGRAD_MOE_SKIP (reverted): skip1 skips the products of rows past a block's end" },
  'h200-xty-v2-2026-12-02.txt': { adapter: H200, date: '2026-12-02', dateFrom: HEADER, commit: 'bfd36f0', commitFrom: HEADER, note: 'xv2 = SCATTERGRAD_TC_XTY=v2 (removed in 851a019)' },
  'h200-simt-u2-2026-12-03.txt': {
    adapter: H200, date: '2026-12-03', dateFrom: HEADER,
    attr: (r, c) => (/^Call 3/.test(c.h1)
      ? { commit: '7c560ba', commitFrom: 'git: the commit that added the file (its header: "the tree of the commit that adds this file")' }
      : { note: "the ninth session's working tree; u2 / b8 = loop unrolled by 2 / 8x4 invocation blocks" }),
  },
  'h200-tiles-2026-12-02.txt': {
    adapter: H200, date: '2026-12-02', dateFrom: HEADER,
    attr: (r, c) => {
      const tree = /^call [89]/.test(c.h2) ? build('b1527e9 + the Aᵀ staging') : /tree b1527e9/.test(c.h2) ? { commit: 'b1527e9', commitFrom: HEADER } : { commit: '7b9c7aa', commitFrom: "file header (7b9c7aa's kernels)" };
      const sides = /^call 2/.test(c.h2) ? ['d2', 'd1'] : /^call 4/.test(c.h2) ? ['default', 'xty=4x2x2x4x32'] : ['default', '4x2x2x4x32+xty=big'];
      if (r.kind === 'part' && c.column) return { ...tree, config: sides[c.column === 'left' ? 0 : 1] };
      if (r.kind === 'tune' && /^call 8/.test(c.h2)) return { ...tree, config: c.nth === 0 ? 'default' : 'SCATTERGRAD_MATMUL_TC=off' };
      if (r.kind === 'tune') return { ...tree, config: `SCATTERGRAD_MOE_TC_TILE=${r.variant}`, n: 4096, dtype: 'float16' };
      return tree;
    },
  },
  'h200-tc-sweep-2026-12-02.txt': {
    adapter: H200, date: '2026-12-02', dateFrom: NAME, dtype: 'float16',
    attr: (r, c) => {
      if (r.kind === 'ceiling') return {};
      if (r.kind === 'bench') return { config: null, note: 'a bench table printed into the sweep log; which variant or build it ran is not recorded' };
      if (r.kind === 'part') return { config: null, note: 'per-part rows that tc-sweep then printed after the variants; which variant they ran is not recorded' };
      const old = /\/old\//.test(c.lib ?? '');
      if (/^---- knockouts/.test(c.h1)) {
        const off = c.procInSection === 2;
        return { commit: 'd1ef64c', commitFrom: 'file header (0e5b373^)', ...(off ? { config: ROBUSTNESS_OFF(r.variant), note: "robustness off per the old RESULTS.md (the file's second process)" } : {}) };
      }
      if (/^---- 0e5b373/.test(c.h1)) return { group: 'h200-tc-sweep-0e5b373-2026-12-02', ...(old ? build('a1f066b', 'a1f066b') : build('0e5b373', '0e5b373')) };
      if (/^---- tile sweep/.test(c.h1)) return { note: "the fourth session's working tree" };
      return { group: 'h200-tc-sweep-first-call-2026-12-02', ...(old ? build('old build (../dist/old)') : build("the fourth session's working tree")) };
    },
  },

  // ---- old and new builds in one call ----
  'h200-tc-hoist-2026-12-03.txt': {
    adapter: H200, date: '2026-12-03', dateFrom: NAME, group: 'h200-tc-hoist-2026-12-03',
    attr: (r, c) => alternate(c, build('bfbec50', 'bfbec50'), /alternated: base, new/.test(c.h2) ? build('de9ab76 (with the hoist)', 'de9ab76') : build('de9ab76 with the hoist reverted')),
  },
  'h200-columns-base-355d7d4.txt': { adapter: H200, date: '2026-12-03', dateFrom: OLD_MD('tenth session'), commit: '355d7d4', commitFrom: NAME, group: 'h200-columns-2026-12-03', attr: () => ({ build: '355d7d4' }) },
  'h200-columns-new.txt': { adapter: H200, date: '2026-12-03', dateFrom: OLD_MD('tenth session'), commit: 'c76c182', commitFrom: OLD_MD('its table names the new build c76c182'), group: 'h200-columns-2026-12-03', attr: () => ({ build: 'c76c182' }) },
  'lavapipe-ab-2026-12-02.txt': {
    adapter: LAVA, date: '2026-12-02', dateFrom: NAME, group: 'lavapipe-ab-2026-12-02',
    attr: (r, c) => (r.label === 'old-node' ? build('006afac', '006afac')
      : /12bafd9/.test(c.h2) ? build('12bafd9 (split shared tiles on lavapipe too)', '12bafd9')
        : build('bf82102 (CPU adapters keep flat tiles)', 'bf82102', 'git: the commit that added the file, whose message names the change')),
  },
  'h100-xty-2026-12-06.txt': {
    adapter: H100, date: '2026-12-06', dateFrom: HEADER, group: 'h100-xty-2026-12-06', note: 'xu = SCATTERGRAD_TC_XTY_UNROLL=1 (groupXtY unrolled); default = its one-step loop',
    attr: (r) => ({
      '../dist/node/index.js': build('4ed349b (row range a vec2 workgroup variable)', '4ed349b'),
      '../dist/alt/v4/index.js': build('4ed349b, row range a vec4 workgroup variable'),
      '../dist/alt/direct/index.js': build('4ed349b, row range read from the offsets buffer (kept: 939f82e)'),
    })[r.label],
  },
  'h100-xty-depth2-2026-12-06.txt': {
    adapter: H100, date: '2026-12-06', dateFrom: HEADER, group: 'h100-xty-depth2-2026-12-06', note: "d1 = SCATTERGRAD_TC_DEPTH=1; xty=mid = groupXtY's 64x64 tile",
    attr: (r) => (r.label === 'base' ? build('939f82e', '939f82e') : build('groupXtY two K steps ahead (not kept)')),
  },
  'h200-ab-2fcddf5-2026-12-02.txt': {
    adapter: H200, date: '2026-12-02', dateFrom: HEADER, group: 'h200-ab-2fcddf5-2026-12-02',
    attr: (r, c) => (/dist-base/.test(c.lib) ? build('bfd36f0', 'bfd36f0') : build('2fcddf5', '2fcddf5')),
  },
  'h200-ab-43deb92-2026-12-03.txt': {
    adapter: H200, date: '2026-12-03', dateFrom: NAME, group: 'h200-ab-43deb92-2026-12-03',
    attr: (r, c) => (/scratch\/base/.test(c.lib) ? build("base: main at the session's start")
      : build('093bfc6 (43deb92 before its message was reworded)', '093bfc6', 'file name (43deb92) and old RESULTS.md: "43deb92 is 093bfc6 before its message was reworded"')),
  },
  'h200-ab-6400e76-2026-12-03.txt': {
    adapter: H200, date: '2026-12-03', dateFrom: NAME, group: 'h200-ab-6400e76-2026-12-03',
    attr: (r, c) => (/scratch\/base/.test(c.lib) ? build('6400e76', '6400e76') : build('new: the u2/b8 defaults plus two bmm changes reverted afterwards')),
  },
  'h200-ab-2026-12-02.txt': {
    adapter: H200, date: '2026-12-02', dateFrom: HEADER, group: 'h200-ab-2026-12-02',
    attr: (r, c) => {
      const OLD = build('006afac', '006afac');
      const NEW = build('ba3e1b4', 'ba3e1b4');
      const NODE1 = build("call 1's build: ba3e1b4's kernels with groupXtY unrolled (wrong dW, timing only) and split dense tiles (reverted)");
      if (/^call 1: node = /.test(c.h2)) return alternate(c, OLD, NODE1);
      if (/^call 1: node with disable_robustness/.test(c.h2)) return { ...NODE1, config: ROBUSTNESS_OFF(r.variant) };
      if (/^call 1: f32 dense tiles/.test(c.h2)) return { ...NODE1, note: 'split shared tiles in the dense kernel too (reverted)', config: r.variant === 'auto' ? 'default' : `SCATTERGRAD_MATMUL_TILE=${r.variant}` };
      if (/^call 2/.test(c.h2)) return { ...build('call 2: flat against split index forms (SCATTERGRAD_SIMT_INDEX, since removed)'), config: `SCATTERGRAD_SIMT_INDEX=${r.variant}` };
      if (/^call 3/.test(c.h2)) return /XTY_UNROLL/.test(r.variant) ? { ...NEW, note: 'wrong dW, timing only' } : alternate(c, OLD, NEW);
      if (/^call 4/.test(c.h2)) return alternate(c, NEW, build('groupXtY one-step loop with buffer kt % 2u (wrong dW, reverted)'));
      if (/^moe-parts medium float32, call 1/.test(c.h2)) return { ...NODE1, note: 'the two dense rows: the split dense kernel, since reverted' };
      return { skip: true };
    },
  },

  // ---- ceilings and probes ----
  'h100-tc-ceiling-2026-11-26.txt': { adapter: H100, date: '2026-11-26', dateFrom: NAME },
  'h200-bw-ceiling-2026-12-03.txt': { adapter: H200, date: '2026-12-03', dateFrom: NAME, note: 'raw WebGPU on its own device (then .scratch/bw.mjs)' },
  'h200-buffer-age-2026-12-03.txt': {
    adapter: H200, date: '2026-12-03', dateFrom: NAME,
    attr: (r, c) => ({ note: /third call/.test(c.h1) ? 'third call' : /second call/.test(c.h1) ? 'second call' : 'first call' }),
  },
};

// Tables of the old diary that no results file holds: its first GPU runs.
export const DIARY = [
  {
    heading: 'GPU machine, MoE kernels — 2026-11-26 — NVIDIA H100', adapter: H100, date: '2026-11-26', commit: '8581738', dirty: true,
    custom: (md) => [...md.matchAll(/^\| (small|medium|granular) (f32|f16) \| ([\d.]+) \| \*\*([\d.]+)\*\* \| ([\d.]+) \|/gm)].flatMap((m) => {
      const dtype = m[2] === 'f16' ? 'float16' : 'float32';
      const row = { tool: 'bench/run.mjs --only MoE', workload: `MoE ${m[1]} ${m[2]} fwd+bwd`, config: 'default', dtype, timing: 'wall', timingFrom: OLD_MD('wall time before the second session'), group: 'diary-h100-moe-kernels-2026-11-26' };
      return [
        { ...row, ms: +m[3], build: 'before: the previous src/moe kernels', over: { commit: null, commitFrom: undefined, dirty: undefined } },
        { ...row, ms: +m[4], gflops: +m[5] * 1000, build: '8581738 + the tiled src/moe kernels (uncommitted)' },
      ];
    }),
  },
  {
    heading: 'GPU machine — 2026-11-26 — NVIDIA H200', adapter: H200, date: '2026-11-26', commit: '7096db7', dirty: true, toggles: NVIDIA_TOGGLES, bench: true,
    noteOf: (r) => (r.workload === 'matmul f16 4096³' ? 'an outlier of the full run: 2.05-2.07 ms alone (old RESULTS.md)' : ''),
    custom: (md) => [...md.matchAll(/^\| ([^|]*?) \| ([\d. /]+) \| ([\d. /]+) \|$/gm)].flatMap((m) => {
      const ms = m[2].split(' / ').map(Number);
      const t = m[3].split(' / ').map(Number);
      const f16 = /^f16/.test(m[1]);
      const layouts = ms.length === 3 ? ['nn', 'tn', 'nt'] : ms.length === 2 ? ['tn', 'nt'] : ['nn'];
      const names = { nn: '', tn: ' (Aᵀ·B)', nt: ' (A·Bᵀ)' };
      return ms.map((v, i) => ({ tool: 'bench/tune.mjs 4096', workload: `matmul ${f16 ? 'f16' : 'f32'} 4096³${names[layouts[i]]}`, config: m[1], dtype: f16 ? 'float16' : 'float32', ms: v, timing: 'unknown', gflops: t[i] * 1000 }));
    }),
  },
  { heading: 'lavapipe — 2026-11-26 — Mesa 25.0.7 llvmpipe', adapter: LAVA, date: '2026-11-26', commit: '7096db7', dirty: true, bench: true },
];

// shared/BENCHMARKS.md: ScatterMoE and PyTorch on one H100 (2026-11-26), the ceilings it names.
const ms = (flops, tflops) => Number((flops / (tflops * 1e9)).toPrecision(4));
const anchor = (workload, peer, t, extra = {}) => ({
  date: '2026-11-26', commit: null, device: 'h100 (model not recorded)', driver: null, toggles: null, tool: 'PyTorch on CUDA',
  workload, config: 'default', dtype: dtypeOf(workload), peer, ms: t, timing: 'unknown', ...extra, from: 'shared/BENCHMARKS.md', dateFrom: 'shared/BENCHMARKS.md',
});
const fromTflops = { msFrom: 'the published TFLOP/s' };
export const ANCHORS = [
  anchor('MoE small f32 fwd+bwd', 'ScatterMoE (Triton, TF32 off)', 2.66),
  anchor('MoE medium f32 fwd+bwd', 'ScatterMoE (Triton, TF32 off)', 16.1, { gflops: 25600 }),
  anchor('MoE granular f32 fwd+bwd', 'ScatterMoE (Triton, TF32 off)', 32.4, { gflops: 25500 }),
  anchor('MoE small bf16 fwd+bwd', 'ScatterMoE (Triton)', 3.26),
  anchor('MoE medium bf16 fwd+bwd', 'ScatterMoE (Triton)', 3.2, { gflops: 129000 }),
  anchor('MoE granular bf16 fwd+bwd', 'ScatterMoE (Triton)', 4.48, { gflops: 184000 }),
  anchor('MoE small f32 fwd+bwd', 'PyTorch loop', 5.67),
  anchor('MoE medium f32 fwd+bwd', 'PyTorch loop', 13.7),
  anchor('MoE granular f32 fwd+bwd', 'PyTorch loop', 79.5),
  anchor('matmul f32 8192³', 'cuBLAS (no TF32)', ms(2 * 8192 ** 3, 51.6), { gflops: 51600, ...fromTflops }),
  anchor('matmul bf16 8192³', 'cuBLAS', ms(2 * 8192 ** 3, 787), { gflops: 787000, ...fromTflops, note: 'the size is the one the same sentence gives for f32' }),
  anchor('matmul f32 4096³', 'straightforward WGSL (128x128 tile, 8x8 per invocation, BK 8)', ms(2 * 4096 ** 3, 28), { gflops: 28000, ...fromTflops, tool: 'WGSL through Dawn' }),
];
