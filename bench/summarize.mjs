// Generates bench/RESULTS.md from the measurement log (bench/results.jsonl), the targets
// (bench/targets.json) and the hand-written list of what was tried and rejected
// (bench/rejected.md). test/bench/results.test.ts checks that the file is up to date.
//   node bench/summarize.mjs            write bench/RESULTS.md
//   node bench/summarize.mjs --stdout   print it instead
//   node bench/summarize.mjs --check    exit 1 if bench/RESULTS.md differs from what it would write
//   --log FILE, --targets FILE, --rejected FILE: other inputs (for tests)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LEGACY_REV } from './legacy-files.mjs';
import { LOG, readLog, root } from './log.mjs';

const args = process.argv.slice(2);
const opt = (n, d) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : d; };
const OUT = join(root, 'bench/RESULTS.md');

const fmtMs = (ms) => (ms == null ? '—' : ms < 1 ? ms.toFixed(3) : ms < 100 ? ms.toFixed(2) : ms.toFixed(0));
const fmtG = (g) => (g == null ? '—' : g >= 1000 ? `${(g / 1000).toFixed(2)} T` : g.toFixed(1));
const day = (d) => String(d).slice(0, 10);
const commitOf = (r) => (r.commit ? `${r.commit}${r.dirty ? '+dirty' : ''}` : '—');
const pct = (x) => `${(x * 100).toFixed(1)}%`;
/** A markdown table whose columns at the indices in `numeric` align right. */
const table = (head, rows, numeric = []) => [`| ${head.join(' | ')} |`, `|${head.map((h, i) => (numeric.includes(i) ? '---:' : '---')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];

/** The rows of bench/run.mjs at default settings: what "the latest figures" are made of. */
const isBench = (r) => r.tool === 'bench/run.mjs' && r.config === 'default' && !r.toggles?.some((t) => t.includes('disable_robustness'));

/** The latest row per (device, workload, peer), in the order they were logged. */
function latest(rows) {
  const best = new Map();
  rows.forEach((r, i) => {
    const key = `${r.device}|${r.workload}|${r.peer ?? ''}`;
    const have = best.get(key);
    // The log is in time order; of one day's rows (some record only the day) the last wins.
    if (!have || day(r.date) >= day(have.r.date)) best.set(key, { r, i });
  });
  // A workload's rows stay together, in the order the workloads were first logged.
  const first = new Map();
  for (const { r, i } of best.values()) first.set(`${r.device}|${r.workload}`, Math.min(i, first.get(`${r.device}|${r.workload}`) ?? i));
  const at = (x) => first.get(`${x.r.device}|${x.r.workload}`);
  return [...best.values()].sort((a, b) => at(a) - at(b) || a.i - b.i).map((x) => x.r);
}

/** Status of one target against one row: "met by 12.3%" or "missed by 4.5%". */
function judge(t, r) {
  if (t.maxMs != null) {
    const v = r.ms;
    return { shown: `${fmtMs(v)} ms`, status: v <= t.maxMs ? `**met** by ${pct(1 - v / t.maxMs)}` : `missed by ${pct(v / t.maxMs - 1)}` };
  }
  const v = r.gflops / 1000;
  return { shown: `${v.toFixed(2)} TFLOP/s`, status: v >= t.minTflops ? `**met** by ${pct(v / t.minTflops - 1)}` : `missed by ${pct(1 - v / t.minTflops)}` };
}

/**
 * The newest same-call comparison per device: rows of one `anchor-…` group, written by
 * bench/device-run.sh's anchor stage (bench/torch-anchor.py and bench/run.mjs in one device
 * call). Wall time per iteration first, GPU time second; `ratio` is the row's wall time over
 * scattergrad's best wall time on that workload.
 */
export function sameCall(log, { heading = '## Same-call comparisons' } = {}) {
  const groups = new Map();
  for (const r of log) if (r.group?.startsWith('anchor-')) (groups.get(r.group) ?? groups.set(r.group, []).get(r.group)).push(r);
  const newest = new Map();
  for (const [id, rows] of groups) {
    const d = rows[0].device;
    if (!newest.has(d) || rows[0].date > newest.get(d)[1][0].date) newest.set(d, [id, rows]);
  }
  const out = [heading, '', 'Both sides timed in the same device call (bench/device-run.sh anchor): wall time per',
    'iteration (N back to back, one sync, median of batches), then GPU time (timestamp queries for',
    'scattergrad, the CUDA kernels torch.profiler saw for PyTorch).', ''];
  if (newest.size === 0) out.push('None logged yet.', '');
  for (const [device, [id, rows]] of [...newest].sort()) {
    // Our float16 rows stand beside the peers' bfloat16 ones (the same workload otherwise).
    const base = (w) => w.replace(/, compiled$/, '').replace(/ b?f16 /, ' f16/bf16 ');
    const ours = rows.filter((r) => !r.peer);
    const torch = rows.find((r) => r.peer)?.driver?.match(/torch \S+/)?.[0] ?? '';
    out.push(`### ${device}, ${day(rows[0].date)} (${id}; scattergrad ${[...new Set(ours.map(commitOf))].join(', ')}${torch ? `, ${torch}` : ''})`, '');
    const name = (r) => r.peer ?? (r.workload.endsWith(', compiled') ? 'scattergrad, sg.compile' : 'scattergrad');
    const best = (w) => Math.min(...ours.filter((r) => base(r.workload) === w && r.wallMs).map((r) => r.wallMs));
    const list = [...rows].sort((a, b) => (base(a.workload) < base(b.workload) ? -1 : base(a.workload) > base(b.workload) ? 1 : (a.wallMs ?? 1e9) - (b.wallMs ?? 1e9)));
    out.push(...table(['workload', 'implementation', 'wall ms', 'GPU ms', 'wall / scattergrad'], list.map((r) => {
      const b = best(base(r.workload));
      const gpu = r.peer ? r.gpuMs : r.timing === 'timestamps' ? r.ms : null;
      return [base(r.workload), name(r), fmtMs(r.wallMs ?? null), fmtMs(gpu ?? null), Number.isFinite(b) && r.wallMs ? `${(r.wallMs / b).toFixed(2)}x` : '—'];
    }), [2, 3, 4]), '');
  }
  return out;
}

export function summarize(log, targets, rejected) {
  const bench = log.filter(isBench);
  const now = latest(bench);
  const devices = [...new Set(now.map((r) => r.device))]
    .sort((a, b) => (a === targets.device ? -1 : b === targets.device ? 1 : a < b ? -1 : 1));
  const legacy = log.filter((r) => r.from).length;
  const out = [];
  const p = (...l) => out.push(...l);

  p('# Benchmark results', '',
    'Generated by `node bench/summarize.mjs` from the measurement log `bench/results.jsonl` (one',
    'JSON object per measured row; bench/log.mjs lists the fields), `bench/targets.json` and',
    '`bench/rejected.md`. Edit those, not this file: `test/bench/results.test.ts` fails when it is',
    'out of date. `npm run bench -- --log` appends a run to the log (see docs/performance.md).', '',
    'Times are GPU time from timestamp queries (`timestamps`: `sg.gpuTime` for scattergrad,',
    "`tf.time()`'s `kernelMs` for TF.js) where every row of a workload has them, else wall time",
    'around a batch ended by a GPU sync (`wall`). MoE rows are the MLP of ScatterMoE\'s benchmark,',
    'forward + backward; GFLOP/s count its useful FLOPs, 12·T·k·d·h. On lavapipe the MoE configs',
    'are scaled down (the workload names them).', '',
    `The log holds ${log.length} rows: ${bench.length} from \`bench/run.mjs\` at default settings, the rest from sweeps,`,
    `A/B calls, probes and reference figures of other libraries. ${legacy} of them were imported by`,
    `\`bench/import-legacy.mjs\` from the old \`bench/results/\` files and diary (in git at ${LEGACY_REV}) and from`,
    'shared/BENCHMARKS.md; their `dateFrom` / `commitFrom` say where a date or commit came from when the',
    'run did not record it.', '');

  // ---- targets ----
  p('## Targets', '', ...(targets.about ? [targets.about] : []), `Targets are set on the ${targets.device}; the status on other devices is in parentheses.`, '');
  const trows = [];
  for (const t of targets.targets) {
    for (const device of devices) {
      if (t.fasterThan) {
        const mine = now.filter((r) => r.device === device && !r.peer);
        // Only peers measured in the same run: a ratio across runs compares two machines' moods.
        const ratios = mine.flatMap((r) => now.filter((q) => q.device === device && q.workload === r.workload && q.date === r.date && q.peer?.startsWith(t.fasterThan))
          .map((q) => ({ ratio: q.ms / r.ms, r, q })));
        if (!ratios.length) continue;
        const worst = ratios.reduce((a, b) => (b.ratio < a.ratio ? b : a));
        const dates = [...new Set(ratios.map((x) => day(x.r.date)))].sort();
        trows.push([t.goal, device, `slowest ratio ${worst.ratio.toFixed(2)}x (${worst.r.workload}, ${worst.q.peer})`,
          dates.length > 1 ? `${dates[0]} to ${dates.at(-1)}` : dates[0], commitOf(worst.r), worst.ratio > 1 ? `**met** on ${ratios.length} rows` : `missed on ${ratios.filter((x) => x.ratio <= 1).length} of ${ratios.length} rows`]);
        continue;
      }
      const r = now.find((x) => x.device === device && x.workload === t.workload && !x.peer);
      if (!r) continue;
      const j = judge(t, r);
      const goal = t.maxMs != null ? `${t.workload} ≤ ${t.maxMs} ms` : `${t.workload} ≥ ${t.minTflops} TFLOP/s`;
      trows.push([goal, device, j.shown, day(r.date), commitOf(r), device === targets.device ? j.status : `(${j.status})`]);
    }
  }
  p(...table(['target', 'device', 'latest', 'date', 'commit', 'status'], trows), '');

  // ---- reference figures of other libraries ----
  const refs = log.filter((r) => r.from === 'shared/BENCHMARKS.md');
  if (refs.length) {
    p('## Against reference figures', '',
      'Measured by others on their stack (shared/BENCHMARKS.md); the scattergrad column is the latest',
      `bench row on the ${targets.device} for the same workload (float16 where the reference is bfloat16).`,
      'Different days and timers: a guide, not a same-call comparison.', '');
    const rrows = refs.map((ref) => {
      const ours = now.find((r) => r.device === targets.device && !r.peer && r.workload === ref.workload.replace(' bf16 ', ' f16 '));
      const ratio = ours ? ref.ms / ours.ms : null;
      return [ref.workload, ref.peer, `${fmtMs(ref.ms)}${ref.msFrom ? ' ¹' : ''}`, fmtG(ref.gflops ?? null), ours ? `${fmtMs(ours.ms)} (${commitOf(ours)})` : '—',
        ratio == null ? '—' : ratio >= 1 ? `${ratio.toFixed(2)}x faster` : `${(1 / ratio).toFixed(2)}x slower`];
    });
    p(...table(['workload', 'reference', 'ms', 'GFLOP/s', 'ms scattergrad', 'ratio'], rrows, [2, 3, 4]), '', '¹ from the published TFLOP/s.', '');
  }

  // ---- latest per device ----
  p(...sameCall(log), '');

  p('## Latest figures per device', '', 'The latest `bench/run.mjs` row of each workload at default settings.', '');
  for (const device of devices) {
    const rows = now.filter((r) => r.device === device);
    const drivers = [...new Set(rows.map((r) => r.driver ?? 'not recorded'))];
    const toggles = [...new Set(rows.map((r) => (r.toggles ? r.toggles.join(' ') || 'none' : 'not recorded')))];
    p(`### ${device}`, '', `Driver ${drivers.join('; ')}. Dawn toggles: ${toggles.map((t) => `\`${t}\``).join('; ')}.`, '');
    p(...table(['workload', 'peer', 'ms', 'timing', 'GFLOP/s', 'date', 'commit', 'note'],
      rows.map((r) => [r.workload, r.peer ?? 'scattergrad', fmtMs(r.ms), r.timing, fmtG(r.gflops ?? null), day(r.date), commitOf(r), r.note ?? '']), [2, 4]), '');
  }

  // ---- how the targets' workloads moved ----
  const watched = targets.targets.filter((t) => t.workload).map((t) => t.workload);
  p('## History of the targets\' workloads', '', 'Every `bench/run.mjs` run on a GPU at default settings; ms, and TFLOP/s for dense matmul.', '');
  const runs = new Map();
  for (const r of bench.filter((x) => !x.peer && watched.includes(x.workload) && devices.filter((d) => /nvidia/.test(d)).includes(x.device))) {
    const key = `${day(r.date)}|${r.device}|${commitOf(r)}`;
    if (!runs.has(key)) runs.set(key, { r, cells: new Map() });
    runs.get(key).cells.set(r.workload, r);
  }
  const hist = [...runs.values()].sort((a, b) => (`${day(a.r.date)}${a.r.device}` < `${day(b.r.date)}${b.r.device}` ? -1 : 1)).map(({ r, cells }) => [
    day(r.date), r.device, commitOf(r), [...new Set([...cells.values()].map((c) => c.timing))].join(', '),
    ...watched.map((w) => { const c = cells.get(w); return !c ? '' : /^matmul/.test(w) ? (c.gflops / 1000).toFixed(1) : fmtMs(c.ms); }),
  ]);
  p(...table(['date', 'device', 'commit', 'timing', ...watched.map((w) => w.replace(' fwd+bwd', '').replace('matmul f32 4096³', 'f32 4096³ TFLOP/s'))], hist, watched.map((_, i) => 4 + i)), '');

  // ---- latest A/B per device ----
  const groups = new Map();
  log.forEach((r, i) => {
    if (!r.group || !r.build) return;
    if (!groups.has(r.group)) groups.set(r.group, { rows: [], last: i });
    const g = groups.get(r.group);
    g.rows.push(r);
    g.last = i;
  });
  const ab = [...groups.entries()].filter(([, g]) => new Set(g.rows.map((r) => r.build)).size > 1);
  p('## Latest A/B per device', '', 'The newest call that timed two builds side by side (rows with a `group` and a `build`).', '');
  for (const device of [...new Set(ab.map(([, g]) => g.rows[0].device))].sort()) {
    const [id, g] = ab.filter(([, x]) => x.rows[0].device === device)
      .reduce((a, b) => (day(b[1].rows[0].date) > day(a[1].rows[0].date) || (day(b[1].rows[0].date) === day(a[1].rows[0].date) && b[1].last > a[1].last) ? b : a));
    const builds = [...new Set(g.rows.map((r) => r.build))];
    const keys = [...new Set(g.rows.map((r) => `${r.workload}|${r.config}|${r.dtype}`))];
    p(`### ${device}: ${id} (${day(g.rows[0].date)}, ${g.rows[0].tool})`, '', ...builds.map((b, i) => {
      // A build's commit, where its rows name one other than the build's own label.
      const commits = [...new Set(g.rows.filter((r) => r.build === b && r.commit && r.commit !== b).map((r) => r.commit))];
      return `- ${String.fromCharCode(65 + i)}: ${b}${commits.length ? ` (${commits.join(', ')})` : ''}`;
    }), '');
    p(...table(['workload', 'config', 'dtype', ...builds.map((b, i) => `ms ${String.fromCharCode(65 + i)}`)], keys.map((k) => {
      const [w, c, d] = k.split('|');
      const cell = (b) => g.rows.filter((r) => r.workload === w && String(r.config) === c && r.dtype === d && r.build === b).map((r) => fmtMs(r.ms)).join(', ');
      return [w, c, d, ...builds.map((b) => cell(b) || '—')];
    }), builds.map((_, i) => 3 + i)), '');
  }

  p('## Tried and rejected', '', rejected.trim(), '');
  return out.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const log = readLog(opt('--log', LOG));
  const targets = JSON.parse(readFileSync(opt('--targets', join(root, 'bench/targets.json')), 'utf8'));
  const rejected = readFileSync(opt('--rejected', join(root, 'bench/rejected.md')), 'utf8');
  const text = summarize(log, targets, rejected);
  if (args.includes('--stdout')) process.stdout.write(text);
  else if (args.includes('--check')) {
    let have = '';
    try { have = readFileSync(OUT, 'utf8'); } catch { /* missing: differs */ }
    if (have !== text) { console.error('bench/RESULTS.md is out of date: run node bench/summarize.mjs'); process.exit(1); }
  } else writeFileSync(OUT, text);
}
