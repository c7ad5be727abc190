// The measurement log, bench/results.jsonl: one JSON object per line, one line per measured
// row, appended by `npm run bench -- --log` (and tc-sweep.mjs --log) and never edited by hand.
// bench/summarize.mjs turns it into bench/RESULTS.md. The fields, in the order they are written:
//   date      ISO date or date-time of the run
//   commit    the measured tree's commit (short hash), or null where it is not known
//   device    the adapter's device name (nvidia-h100-80gb-hbm3, nvidia-h200, llvmpipe-...)
//   driver    the adapter's driver description, or null
//   toggles   the Dawn toggles the run passed, or null where they were not recorded
//   tool      the script that measured it (bench/run.mjs, bench/tc-sweep.mjs, ...)
//   workload  what was timed, named as bench/run.mjs names it ("MoE medium f32 fwd+bwd")
//   config    the kernel variant: "default", or the knobs / tc-sweep variant that were set
//   dtype     float32 | float16 | bfloat16
//   peer      only on rows of another library: "tfjs loop", "ScatterMoE (Triton, TF32 off)", ...
//   ms        the time of one run of the workload
//   timing    timestamps (GPU time from timestamp queries) | profiler (the sum of the CUDA kernels
//             torch.profiler saw) | wall | host (CPU time spent issuing the work, bench/step-host.mjs)
//             | unknown
// and, where known: wallMs, gflops, build and group (which build, in which A/B call), note,
// and for rows imported from older records: from (the file), dateFrom / commitFrom (where the
// date or commit came from when the run itself did not record it).
import { execSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const LOG = join(root, 'bench/results.jsonl');

const ORDER = ['date', 'commit', 'device', 'driver', 'toggles', 'tool', 'workload', 'config', 'dtype', 'peer', 'ms', 'timing', 'wallMs', 'gflops'];

/** The row with its keys in the log's order and no undefined values. */
export function ordered(row) {
  const out = {};
  for (const k of [...ORDER, ...Object.keys(row).filter((k) => !ORDER.includes(k))]) if (row[k] !== undefined) out[k] = row[k];
  return out;
}

/**
 * Device and driver from scattergrad's adapter string ("vendor [architecture] device
 * description"), whose description is "NAME: driver" on the adapters seen so far
 * ("nvidia nvidia-h200 NVIDIA: 580.159.04 580.159.4.0").
 */
export function deviceOf(adapter) {
  const m = /^(.*)\s\S+:\s(.*)$/.exec(adapter ?? '');
  if (!m) return { device: adapter || 'unknown', driver: null };
  return { device: m[1].split(' ').pop().replace(/-+$/, ''), driver: m[2].trim() };
}

/** The checkout's commit and whether tracked files differ from it; nulls outside a checkout. */
export function gitState(cwd = root) {
  try {
    const commit = execSync('git rev-parse --short HEAD', { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execSync('git status --porcelain --untracked-files=no', { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: null, dirty: false };
  }
}

/**
 * The fields every row of one measuring run shares: the date, the commit (`commit` as given,
 * e.g. --commit, else this checkout's when `ownBuild`), device and driver from the adapter
 * string, the Dawn toggles, the tool, and the A/B's build label and group.
 */
export function runFields({ adapter, toggles, tool, commit, build, group, ownBuild = true }) {
  const { device, driver } = deviceOf(adapter);
  const own = ownBuild ? gitState() : { commit: null, dirty: false };
  return { date: new Date().toISOString(), commit: commit ?? own.commit, device, driver, toggles, tool, build, group, dirty: (!commit && own.dirty) || undefined };
}

/** The SCATTERGRAD_* kernel knobs set in the environment, as the row's config ("default": none). */
export function knobConfig(env = process.env) {
  const skip = new Set(['SCATTERGRAD_DAWN_TOGGLES', 'SCATTERGRAD_REQUIRE_WEBGPU', 'SCATTERGRAD_REQUIRE_BROWSER']);
  const set = Object.keys(env).filter((k) => k.startsWith('SCATTERGRAD_') && !skip.has(k)).sort();
  return set.length ? set.map((k) => `${k}=${env[k]}`).join(' ') : 'default';
}

const short = (dtype) => ({ float32: 'f32', float16: 'f16', bfloat16: 'bf16' })[dtype];
/** The MoE MLP's workload name as bench/run.mjs prints it; "tiny" is its scaled-down small. */
export const moeName = (cfg, dtype) => (cfg === 'tiny' ? `MoE small ${short(dtype)} fwd+bwd (scaled: T256 d64 h128 E8 k2)` : `MoE ${cfg} ${short(dtype)} fwd+bwd`);
/** A dense product's workload name; layout tn is Aᵀ·B, nt is A·Bᵀ. */
export const matmulName = (n, dtype, layout = 'nn') => `matmul ${short(dtype)} ${n}³${{ nn: '', tn: ' (Aᵀ·B)', nt: ' (A·Bᵀ)' }[layout]}`;

export const dtypeOf = (workload) => (/\bf16\b/.test(workload) ? 'float16' : /\bbf16\b/.test(workload) ? 'bfloat16' : 'float32');

export function readLog(file = LOG) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l, i) => {
    try { return JSON.parse(l); } catch (e) { throw new Error(`${file}:${i + 1}: not JSON: ${e.message}`); }
  });
}

export function appendLog(rows, file = LOG) {
  if (rows.length) appendFileSync(file, rows.map((r) => JSON.stringify(ordered(r))).join('\n') + '\n');
}

/** `--log [FILE]` in argv: the file to append to (the default log when no FILE follows), or null. */
export function logArg(args) {
  const i = args.indexOf('--log');
  if (i < 0) return null;
  const next = args[i + 1];
  return next && !next.startsWith('--') ? next : LOG;
}
