// Turns the measurements kept before the log existed into rows of bench/results.jsonl: the
// files of bench/results/ and the tables of the old bench/RESULTS.md diary, read from git at
// the last commit that had them (LEGACY_REV), plus the reference figures of
// shared/BENCHMARKS.md. What each file measured and which build each line belongs to is
// described per file in bench/legacy-files.mjs; a row's date or commit that the run did not
// record itself says where it came from (dateFrom, commitFrom).
//   node bench/import-legacy.mjs            print the rows (JSON lines)
//   node bench/import-legacy.mjs --write    put them at the head of bench/results.jsonl, keeping
//                                           the rows appended since (those without `from`)
//   node bench/import-legacy.mjs --check    exit 1 unless the log's imported rows are these
//   --rev REV (default LEGACY_REV), --unparsed (list the lines with a time that became no row)
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ANCHORS, DIARY, FILES, LEGACY_REV, SKIPPED } from './legacy-files.mjs';
import { LOG, deviceOf, dtypeOf, matmulName, moeName, ordered, readLog, root } from './log.mjs';

const args = process.argv.slice(2);
const rev = args.includes('--rev') ? args[args.indexOf('--rev') + 1] : LEGACY_REV;

/** Every file under bench/results/ and the old RESULTS.md at `rev`, as text, through one git call. */
export function readLegacy(at = rev) {
  const git = (a, input) => execFileSync('git', a, { cwd: root, input, maxBuffer: 64 << 20 });
  const names = git(['ls-tree', '--name-only', `${at}:bench/results`]).toString().split('\n').filter(Boolean);
  const paths = [...names.map((n) => `bench/results/${n}`), 'bench/RESULTS.md'];
  const out = git(['cat-file', '--batch'], paths.map((p) => `${at}:${p}`).join('\n') + '\n');
  const files = new Map();
  // When each file was added: it orders the runs of one day, whose files record only the day.
  files.added = new Map();
  for (const entry of git(['log', '--format=%x00%ct', '--name-only', '--diff-filter=A', at, '--', 'bench/results']).toString().split('\0').slice(1)) {
    const [ct, ...paths] = entry.split('\n').filter(Boolean);
    for (const p of paths) files.added.set(p, Number(ct));
  }
  let pos = 0;
  for (const p of paths) {
    const nl = out.indexOf(10, pos);
    const size = Number(out.subarray(pos, nl).toString().split(' ')[2]);
    files.set(p, out.subarray(nl + 1, nl + 1 + size).toString());
    pos = nl + 1 + size + 1;
  }
  return files;
}

const short = (dtype) => ({ float32: 'f32', float16: 'f16', bfloat16: 'bf16' })[dtype];
const num = (s) => { const v = parseFloat(String(s).replace(/[^\d.eE+-]/g, ' ').trim()); return Number.isFinite(v) ? v : null; };
/** "28.17 T" (TFLOP/s) or "546.2" (GFLOP/s), as the bench prints GFLOP/s; null for "—". */
const gflopsCell = (s) => (/T/.test(s) ? Math.round(num(s) * 1e4) / 10 : num(s));
const tf = (t) => (t ? Math.round(Number(t) * 1e4) / 10 : undefined);

// ---- one line of a sweep, parts, ceiling or probe log -> a raw measurement ----

const LINES = [
  [/^(?:(\S+)\s+)?(tiny|small|medium|granular|dense\d+)\s+(float16|float32)\s+(\S+)\s+([\d.]+) ms\s+([\d.]+) TFLOP\/s\s*$/,
    (m) => ({ kind: 'sweep', label: m[1], cfg: m[2], dtype: m[3], variant: m[4], ms: +m[5], tflops: +m[6] })],
  [/^(small|medium|granular|dense\d+)\s+(\S+)\s+([\d.]+) ms\s+([\d.]+) TFLOP\/s\s*$/,
    (m) => ({ kind: 'sweep', cfg: m[1], variant: m[2], ms: +m[3], tflops: +m[4] })],
  [/^(\s*)(full step \(warm-up\)|full step|dense matmul .*?|L[12] fwd.*?|gelu fwd\+bwd.*?|gates combine bmm.*?|dgates bmm.*?)\s+([\d.]+) ms\s*(?:([\d.]+) TFLOP\/s)?\s*$/,
    (m) => ({ kind: 'part', indent: m[1].length > 0, name: m[2], ms: +m[3], tflops: m[4] ? +m[4] : null })],
  [/^(regs|wg|storage) (\d+) subgroups (\d+x\d+) fragments\s+([\d.]+) ms\s+([\d.]+) TFLOP\/s/,
    (m) => ({ kind: 'ceiling', where: m[1], n: m[2], frags: m[3], ms: +m[4], tflops: +m[5] })],
  [/^(\w+)\s+([\d.]+) ms\s+(\d+) GB\/s\s+check/, (m) => ({ kind: 'bw', name: m[1], ms: +m[2], gbps: +m[3] })],
  [/^(float32|float16) (\w+)\s+gpuTime one ([\d.]+)\s+batch ([\d.]+)\s+kept ([\d.]+)\s+wall ([\d.]+) ms/,
    (m) => ({ kind: 'memops', dtype: m[1], op: m[2], one: +m[3], ms: +m[4], kept: +m[5], wall: +m[6] })],
  [/^(E\d+b?) (.*?)\s+([\d.]+) ms\s*$/, (m) => ({ kind: 'probe', id: m[1], what: m[2].trim(), ms: +m[3] })],
  [/^(\d+)³ (float16|float32) (nn|tn|nt) \[(\S+)\]: ([\d.]+) ms \(gpu ([\d.]+) ms\), ([\d.]+) TFLOP\/s/,
    (m) => ({ kind: 'tune', n: m[1], dtype: m[2], layout: m[3], variant: m[4], wall: +m[5], ms: +m[6], tflops: +m[7] })],
  [/^(nn|tn|nt) (\S+): gpu ([\d.]+) ms\), ([\d.]+) TFLOP\/s/, (m) => ({ kind: 'tune', layout: m[1], variant: m[2], ms: +m[3], tflops: +m[4] })],
  [/^\| (f32|f16) (\d+)³ (nn|tn|nt) \| (\S+)( \*)? \| ([\d.]+) \| ([\d.]+) \| (\d+) \| \S+ \|$/,
    (m) => ({ kind: 'tune', dtype: m[1] === 'f32' ? 'float32' : 'float16', n: m[2], layout: m[3], variant: m[4], wall: +m[6], ms: +m[7], gflops: +m[8] })],
  [/^(old|new): dispatches\/step (\d+), host ([\d.]+) ms\/step, wall ([\d.]+) ms\/step \([\d.]+ steps\/s\), GPU ([\d.]+) ms\/step/,
    (m) => ({ kind: 'step', label: m[1], dispatches: +m[2], host: +m[3], wall: +m[4], ms: +m[5] })],
  [/^(prev-node|node) host ms\/step ([\d.]+) \(samples (.*)\)/, (m) => ({ kind: 'host', label: m[1], ms: +m[2], samples: m[3].split(' ').map(Number) })],
  [/^host ([\d.]+) ms\/step, (\d+) dispatches\/step, (\d+) bind groups created\/step/,
    (m) => ({ kind: 'host', what: 'whole step, as printed with the CPU profile', ms: +m[1], dispatches: +m[2], bindGroups: +m[3] })],
  [/^(forward \(no grad\)|forward\+backward|forward|whole step)\s+([\d.]+) ms\/step/, (m) => ({ kind: 'host', what: m[1], ms: +m[2] })],
  [/^loss .* in (\d+) steps \(([\d.]+) s\)/, (m) => ({ kind: 'demo', steps: +m[1], ms: +m[2] * 1000 })],
  [/^bw-ceiling: copy ([\d.]+) ms \((\d+) GB\/s\), combineLib ([\d.]+) ms \((\d+) GB\/s\)/,
    (m) => [{ kind: 'bw', name: 'copy', ms: +m[1], gbps: +m[2] }, { kind: 'bw', name: 'combineLib', ms: +m[3], gbps: +m[4] }]],
  [/^xty unrolled .*: medium ([\d.]+) ms, granular ([\d.]+) ms/, (m) => [
    { kind: 'sweep', cfg: 'medium', dtype: 'float16', variant: 'SCATTERGRAD_TC_XTY_UNROLL=1', ms: +m[1] },
    { kind: 'sweep', cfg: 'granular', dtype: 'float16', variant: 'SCATTERGRAD_TC_XTY_UNROLL=1', ms: +m[2] }]],
  [/^(dense4096|medium|granular) f32: ([\d.]+) \/ ([\d.]+) \/ ([\d.]+) \/ ([\d.]+)/, (m) => m.slice(2, 6).map((v, i) => (
    { kind: 'sweep', cfg: m[1], dtype: 'float32', variant: i % 2 ? 'split' : 'flat', ms: +v }))],
];

/** Rows of one whole bench table (`| workload | backend | ms | [timing |] GFLOP/s | vs | note |`). */
function benchTable(text) {
  const rows = [];
  for (const line of text.split('\n')) {
    const c = line.split('|').slice(1, -1).map((s) => s.trim());
    if (c.length < 6 || !/^(matmul|MoE|demo|small-model)/.test(c[0]) || num(c[2]) == null) continue;
    const timed = c.length === 7;
    rows.push({ workload: c[0], backend: c[1], ms: num(c[2]), timing: timed ? c[3] : null, gflops: gflopsCell(c[timed ? 4 : 3]), note: c[timed ? 6 : 5] });
  }
  return rows;
}

// ---- per-file walk: track headers, processes and builds, then build the rows ----

function walk(name, text, spec) {
  const rows = [];
  const unparsed = [];
  const ctx = { h1: '', h2: '', h3: '', lib: null, block: -1, procInSection: 0, last: null, column: null, seen: new Map() };
  const dt = (s) => ({ f32: 'float32', f16: 'float16' })[s] ?? s;
  let prev = '';
  for (const whole of text.split('\n')) {
    if (/^#/.test(whole) || / # \S+ \S+ .*; lib /.test(whole)) {
      const lib = /; lib (\S+)\s*$/.exec(whole)?.[1] ?? /^##.* (\S*\/\S*)\s*$/.exec(whole)?.[1];
      if (/; lib /.test(whole)) ctx.procInSection++;
      else if (/^### /.test(whole)) ctx.h3 = whole.slice(4);
      else if (/^## /.test(whole)) Object.assign(ctx, { h2: whole.slice(3), h3: '', procInSection: 0, seen: new Map() });
      // A header over several '# ' lines is one header.
      else if (/^# /.test(whole)) Object.assign(ctx, { h1: prev === 'h1' ? `${ctx.h1} ${whole.slice(2)}` : whole.slice(2), h2: '', h3: '', procInSection: 0, seen: new Map() });
      if (lib) ctx.lib = lib;
      prev = /^# /.test(whole) && !/; lib /.test(whole) ? 'h1' : '';
      ctx.partsCfg = /\b(small|medium|granular)\b/.exec(ctx.h3)?.[1] ?? /parts (small|medium|granular)\b/.exec(ctx.h2)?.[1] ?? spec.partsCfg;
      ctx.partsDtype = dt(/parts (?:\w+ )?(float16|float32|f16|f32)\b/.exec(ctx.h2)?.[1]) ?? spec.dtype;
      continue;
    }
    prev = '';
    if (spec.ignore?.test(whole)) continue;
    const halves = whole.includes('\t') ? whole.split('\t') : [whole];
    for (const [h, line] of halves.entries()) {
      ctx.column = halves.length > 1 ? (h === 0 ? 'left' : 'right') : null;
      let raws = null;
      for (const [re, f] of LINES) { const m = re.exec(line); if (m) { raws = [f(m)].flat(); break; } }
      if (!raws && /^\|/.test(line)) raws = benchTable(line).map((r) => ({ kind: 'bench', ...r }));
      if (!raws?.length) { if (/\d ms\b/.test(line) && !/passed|failed|FAIL|Duration/.test(line)) unparsed.push(line.trim()); continue; }
      for (const raw of raws) {
        if (raw.kind === 'part') {
          raw.dtype = ctx.partsDtype;
          if (/^full step \(warm-up\)/.test(raw.name) && ctx.column !== 'right') ctx.block++;
        }
        // Which occurrence of this very measurement in the section: the files' "old, new, old, new".
        const key = [raw.kind, raw.cfg, raw.dtype, raw.variant, raw.n, raw.layout, raw.name, ctx.column].join('|');
        ctx.nth = ctx.seen.get(key) ?? 0;
        ctx.seen.set(key, ctx.nth + 1);
        const row = rowOf(name, raw, ctx, spec);
        if (row) rows.push(row);
        if (raw.kind === 'sweep') ctx.last = raw;
      }
    }
  }
  return { rows, unparsed };
}

function rowOf(name, raw, ctx, spec) {
  const a = spec.attr?.(raw, ctx) ?? {};
  if (a.skip) return null;
  const dtype = a.dtype ?? raw.dtype ?? (raw.workload ? dtypeOf(raw.workload) : spec.dtype ?? 'float32');
  const cfg = a.cfg ?? raw.cfg;
  const base = { tool: spec.tool, config: 'default', timing: 'timestamps' };
  let row;
  switch (raw.kind) {
    case 'sweep': {
      const dense = /^dense(\d+)$/.exec(cfg);
      row = { ...base, tool: spec.tool ?? 'bench/tc-sweep.mjs', workload: dense ? matmulName(dense[1], dtype) : moeName(cfg, dtype), config: raw.variant, gflops: raw.tflops ? tf(raw.tflops) : undefined };
      break;
    }
    case 'bench':
      row = { ...base, tool: 'bench/run.mjs', workload: raw.workload, peer: raw.backend === 'scattergrad' ? undefined : raw.backend, timing: raw.timing === 'gpu' ? 'timestamps' : 'wall', gflops: raw.gflops ?? undefined };
      break;
    case 'part': {
      const pc = a.partsCfg ?? (raw.indent ? ctx.last?.cfg : ctx.partsCfg);
      row = { ...base, tool: raw.indent ? 'bench/tc-sweep.mjs' : 'bench/moe-parts.mjs', workload: `moe-parts ${pc} ${short(dtype)}: ${raw.name}`, gflops: tf(raw.tflops) };
      break;
    }
    case 'ceiling':
      row = { ...base, tool: 'bench/tc-ceiling.mjs', timing: 'wall', workload: `tc-ceiling: fragments from ${{ regs: 'registers', wg: 'workgroup memory', storage: 'a storage buffer' }[raw.where]}, ${raw.n} subgroups of ${raw.frags} fragments (1056 workgroups x 2048 steps)`, gflops: tf(raw.tflops) };
      break;
    case 'bw':
      row = { ...base, tool: 'bench/bw-ceiling.mjs', timing: 'wall', workload: `bw-ceiling (T16384 k8 d1024): ${raw.name}`, gbps: raw.gbps };
      break;
    case 'memops':
      row = { ...base, tool: 'bench/mem-ops.mjs', workload: `mem-ops (T16384 k8 d1024): ${raw.op}`, wallMs: raw.wall, msOneCall: raw.one, msKept: raw.kept, note: 'ms: per call in batches of 20' };
      break;
    case 'probe':
      row = { ...base, tool: '.scratch/lib2.ts (not committed)', timing: 'wall', workload: `combine-kernel probe (T16384 k8 d1024): ${raw.id} ${raw.what}` };
      break;
    case 'tune':
      row = { ...base, tool: 'bench/tune.mjs', workload: matmulName(raw.n ?? a.n, raw.dtype ?? dtype, raw.layout), config: raw.variant, wallMs: raw.wall, gflops: raw.gflops ?? tf(raw.tflops) };
      break;
    case 'step':
      row = { ...base, workload: 'demo model training step (batch 8x32)', wallMs: raw.wall, hostMs: raw.host, dispatches: raw.dispatches };
      break;
    case 'host':
      row = { ...base, timing: 'wall', workload: `demo model training step, host time (batch 8x32)${raw.what ? `: ${raw.what}` : ''}`, samples: raw.samples, dispatches: raw.dispatches, bindGroups: raw.bindGroups };
      break;
    case 'demo':
      row = { ...base, timing: 'wall', workload: `demo: ${raw.steps} training steps (npm run demo)`, note: 'seconds as the demo prints them (0.1 s)' };
      break;
  }
  const { device, driver } = deviceOf(a.adapter ?? spec.adapter);
  const out = { date: spec.date, commit: spec.commit ?? null, device, driver, toggles: null, ...row, ms: raw.ms, group: spec.group, ...a };
  for (const k of ['adapter', 'cfg', 'partsCfg', 'skip', 'n']) delete out[k];
  if (!out.note && spec.note) out.note = spec.note;
  Object.assign(out, { dtype, from: `bench/results/${name}`, dateFrom: spec.dateFrom, commitFrom: out.commit ? a.commitFrom ?? spec.commitFrom : undefined });
  if (out.gflops === null || out.gflops === 0) delete out.gflops;
  return ordered(out);
}

// ---- bench runs: JSON files, and tables in .txt files and in the old diary ----

const fmtMs = (ms) => (ms < 1 ? ms.toFixed(3) : ms < 100 ? ms.toFixed(2) : ms.toFixed(0));

function benchJson(name, json, txt, spec) {
  const { device, driver } = deviceOf(json.adapter);
  const check = new Map(benchTable(txt ?? '').map((r) => [`${r.workload}|${r.backend}`, r.ms]));
  const rows = [];
  for (const r of json.rows) {
    if (r.ms == null) continue;
    const shown = check.get(`${r.workload}|${r.backend}`);
    if (txt && (shown == null || num(fmtMs(r.ms)) !== shown)) throw new Error(`${name}: ${r.workload} ${r.backend}: the .txt shows ${shown}, the .json ${r.ms}`);
    const [hash, dirty] = String(json.commit).split('+');
    rows.push(ordered({
      date: json.date, commit: hash, device, driver, toggles: json.toggles ?? null, tool: 'bench/run.mjs', workload: r.workload,
      config: 'default', dtype: dtypeOf(r.workload), peer: r.backend === 'scattergrad' ? undefined : r.backend, ms: r.ms,
      timing: r.timing ? (r.timing === 'gpu' ? 'timestamps' : 'wall') : 'wall', wallMs: r.wallMs ?? undefined, gflops: r.gflops ?? undefined,
      note: r.note || undefined, dirty: dirty === 'dirty' || undefined, quick: json.quick || undefined,
      ...spec.fix?.(r), from: `bench/results/${name}`,
    }));
  }
  return rows;
}

function benchTxt(name, txt, spec) {
  const m = /scattergrad bench — (\S+) — commit (\S+) — (.*?)(?: \(lavapipe[^)]*\))?(?: — --quick)?\s*$/m.exec(txt);
  const { device, driver } = deviceOf(m[3]);
  return benchTable(txt).map((r) => ordered({
    date: m[1], commit: m[2], device, driver, toggles: null, tool: 'bench/run.mjs', workload: r.workload, config: 'default',
    dtype: dtypeOf(r.workload), peer: r.backend === 'scattergrad' ? undefined : r.backend, ms: r.ms,
    timing: r.timing === 'gpu' ? 'timestamps' : 'wall', gflops: r.gflops ?? undefined, note: r.note || undefined,
    quick: / — --quick/.test(m[0]) || undefined, from: `bench/results/${name}`, dateFrom: 'the table header (day only)', commitFrom: 'the table header', ...spec.fix?.(r),
  }));
}

/** Bench tables and custom tables of the old diary that no results file holds. */
function diaryRows(md) {
  const rows = [];
  for (const d of DIARY) {
    const start = md.indexOf(`\n## ${d.heading}`);
    if (start < 0) throw new Error(`old RESULTS.md: no section "## ${d.heading}"`);
    const end = md.indexOf('\n## ', start + 4);
    const section = md.slice(start, end < 0 ? undefined : end);
    const { device, driver } = deviceOf(d.adapter);
    const common = { date: d.date, commit: d.commit, device, driver, toggles: d.toggles ?? null };
    const from = { from: 'bench/RESULTS.md (the old diary)', dateFrom: 'old RESULTS.md', commitFrom: 'old RESULTS.md', dirty: d.dirty };
    if (d.bench) {
      for (const r of benchTable(section)) rows.push(ordered({
        ...common, tool: 'bench/run.mjs', workload: r.workload, config: 'default', dtype: dtypeOf(r.workload),
        peer: r.backend === 'scattergrad' ? undefined : r.backend, ms: r.ms, timing: 'wall', gflops: r.gflops ?? undefined,
        note: [r.note, d.noteOf?.(r)].filter(Boolean).join('; ') || undefined, ...from,
      }));
    }
    for (const r of d.custom?.(section) ?? []) rows.push(ordered({ ...common, ...r, ...from, ...r.over }));
  }
  return rows.map((r) => { delete r.over; return r; });
}

export function legacyRows(files) {
  const rows = [];
  const unparsed = [];
  const names = [...files.keys()].filter((p) => p.startsWith('bench/results/')).map((p) => p.slice('bench/results/'.length));
  for (const name of names) {
    const spec = FILES[name];
    const text = files.get(`bench/results/${name}`);
    if (SKIPPED.some((re) => re.test(name))) continue;
    if (name.endsWith('.json')) { rows.push(...benchJson(name, JSON.parse(text), files.get(`bench/results/${name.replace(/\.json$/, '.txt')}`), spec ?? {})); continue; }
    if (names.includes(name.replace(/\.txt$/, '.json'))) continue; // the table of a .json, checked against it above
    if (!spec) throw new Error(`import-legacy: no description of bench/results/${name} in bench/legacy-files.mjs`);
    if (spec.bench) { rows.push(...benchTxt(name, text, spec)); continue; }
    const w = walk(name, text, spec);
    rows.push(...w.rows);
    unparsed.push(...w.unparsed.map((l) => `${name}: ${l}`));
  }
  rows.push(...diaryRows(files.get('bench/RESULTS.md')));
  rows.push(...ANCHORS.map(ordered));
  // Oldest first, as rows appended later will be: by day, then by when the file came in.
  const when = (r) => files.added.get(r.from) ?? 0;
  const order = rows.map((r, i) => ({ r, i })).sort((a, b) => (a.r.date.slice(0, 10) < b.r.date.slice(0, 10) ? -1 : a.r.date.slice(0, 10) > b.r.date.slice(0, 10) ? 1 : when(a.r) - when(b.r) || (a.r.date < b.r.date ? -1 : a.r.date > b.r.date ? 1 : a.i - b.i)));
  return { rows: order.map((x) => x.r), unparsed };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { rows, unparsed } = legacyRows(readLegacy());
  if (args.includes('--unparsed')) { console.log(unparsed.join('\n')); process.exit(0); }
  const lines = rows.map((r) => JSON.stringify(r));
  const kept = readLog().filter((r) => !r.from).map((r) => JSON.stringify(ordered(r)));
  if (args.includes('--write')) {
    writeFileSync(LOG, [...lines, ...kept].join('\n') + '\n');
    console.log(`bench/results.jsonl: ${lines.length} imported rows, ${kept.length} rows appended since`);
  } else if (args.includes('--check')) {
    const have = readLog().filter((r) => r.from).map((r) => JSON.stringify(r));
    const bad = lines.findIndex((l, i) => l !== have[i]);
    if (bad >= 0 || have.length !== lines.length) {
      console.error(`bench/results.jsonl: imported rows differ from what import-legacy.mjs makes (first at row ${bad + 1}: ${have.length} rows in the log, ${lines.length} made)`);
      process.exit(1);
    }
    console.log(`bench/results.jsonl: the ${lines.length} imported rows match`);
  } else console.log(lines.join('\n'));
}
