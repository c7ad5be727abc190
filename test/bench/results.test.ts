// The measurement log and the page made from it: every row of bench/results.jsonl has the
// fields bench/log.mjs promises, bench/RESULTS.md is what bench/summarize.mjs makes of the log,
// the summary picks the latest run and judges targets as stated, and the imported rows are
// what bench/import-legacy.mjs makes of the old files. No GPU, no build of the library.
import { suite } from 'uvu';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const test = suite('bench/results');
const root = fileURLToPath(new URL('../../../', import.meta.url));

const node = (...args: string[]) => spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 60_000 });
type Row = Record<string, unknown>;
const readRows = (file: string): Row[] => readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l, i) => {
  try { return JSON.parse(l) as Row; } catch { throw new Error(`${file}:${i + 1} is not JSON: ${l.slice(0, 80)}`); }
});

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const STAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const str = (v: unknown) => typeof v === 'string' && v.length > 0;
const pos = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** What is wrong with one row, or '' (the fields and types bench/log.mjs documents). */
function problems(r: Row): string {
  const bad: string[] = [];
  if (typeof r.date !== 'string' || !(DAY.test(r.date) || STAMP.test(r.date))) bad.push(`date ${JSON.stringify(r.date)}`);
  if (!('commit' in r) || !(r.commit === null || (typeof r.commit === 'string' && /^[0-9a-f]{7,40}$/.test(r.commit)))) bad.push(`commit ${JSON.stringify(r.commit)}`);
  if (!str(r.device)) bad.push('device');
  if (!('driver' in r) || !(r.driver === null || str(r.driver))) bad.push('driver');
  if (!('toggles' in r) || !(r.toggles === null || (Array.isArray(r.toggles) && r.toggles.every((t) => typeof t === 'string')))) bad.push('toggles');
  if (!str(r.tool)) bad.push('tool');
  if (!str(r.workload)) bad.push('workload');
  if (!('config' in r) || !(r.config === null || str(r.config))) bad.push('config');
  if (!['float32', 'float16', 'bfloat16'].includes(r.dtype as string)) bad.push(`dtype ${JSON.stringify(r.dtype)}`);
  if (!pos(r.ms)) bad.push(`ms ${JSON.stringify(r.ms)}`);
  if (!['timestamps', 'profiler', 'wall', 'host', 'unknown'].includes(r.timing as string)) bad.push(`timing ${JSON.stringify(r.timing)}`);
  if ('peer' in r && !str(r.peer)) bad.push('peer');
  for (const k of ['wallMs', 'gflops']) if (k in r && !pos(r[k])) bad.push(`${k} ${JSON.stringify(r[k])}`);
  // A run records its own date-time; a day alone, or a commit given with it, came from elsewhere and says where.
  if (typeof r.date === 'string' && DAY.test(r.date) && !str(r.dateFrom)) bad.push('a date without time but no dateFrom');
  if (typeof r.date === 'string' && DAY.test(r.date) && r.commit && !str(r.commitFrom)) bad.push('a commit not recorded by the run but no commitFrom');
  return bad.join(', ');
}

test('every row of bench/results.jsonl has the fields of the log', () => {
  const rows = readRows(join(root, 'bench/results.jsonl'));
  if (rows.length < 1000) throw new Error(`bench/results.jsonl has only ${rows.length} rows`);
  const bad = rows.map((r, i) => [i + 1, problems(r)] as const).filter(([, p]) => p);
  if (bad.length) throw new Error(`${bad.length} rows lack fields, first: row ${bad[0][0]}: ${bad[0][1]}`);
  // The rows that bench/run.mjs logs have the same shape as the imported ones.
  const runRows = rows.filter((r) => r.tool === 'bench/run.mjs' && !r.from);
  for (const r of runRows) if (!STAMP.test(String(r.date))) throw new Error(`a logged bench row without its run's date-time: ${JSON.stringify(r)}`);
});

test('the row checker refuses a row that lacks a field or has a wrong one', () => {
  const good: Row = { date: '2026-12-06T06:20:29.558Z', commit: '939f82e', device: 'nvidia-h100-80gb-hbm3', driver: null, toggles: [], tool: 'bench/run.mjs', workload: 'matmul f32 1024³', config: 'default', dtype: 'float32', ms: 0.076, timing: 'timestamps' };
  if (problems(good)) throw new Error(problems(good));
  const { commit: _, ...noCommit } = good;
  for (const [what, r] of [['no commit', noCommit], ['ms 0', { ...good, ms: 0 }], ['timing gpu', { ...good, timing: 'gpu' }], ['a day without dateFrom', { ...good, date: '2026-12-06' }], ['NaN gflops', { ...good, gflops: NaN }]] as const) {
    if (!problems(r as Row)) throw new Error(`accepted a row with ${what}`);
  }
});

test('bench/RESULTS.md is what bench/summarize.mjs makes of the log', () => {
  const r = node('bench/summarize.mjs', '--stdout');
  if (r.status !== 0) throw new Error(`summarize failed: ${r.stderr}`);
  if (readFileSync(join(root, 'bench/RESULTS.md'), 'utf8') !== r.stdout) throw new Error('bench/RESULTS.md is out of date: run node bench/summarize.mjs and commit it');
});

test('the summary takes the latest default bench run per device and says how far each target is met or missed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-results-'));
  try {
    const base = { commit: 'aaaaaaa', device: 'gpu-a', driver: '1.0', toggles: [], tool: 'bench/run.mjs', config: 'default', dtype: 'float32', timing: 'timestamps' };
    const rows = [
      { ...base, date: '2026-01-01T00:00:00.000Z', workload: 'MoE medium f32 fwd+bwd', ms: 13 },
      { ...base, date: '2026-01-02T00:00:00.000Z', commit: 'bbbbbbb', workload: 'MoE medium f32 fwd+bwd', ms: 11 },
      { ...base, date: '2026-01-02T00:00:00.000Z', commit: 'bbbbbbb', workload: 'MoE medium f32 fwd+bwd', peer: 'tfjs loop', ms: 22 },
      { ...base, date: '2026-01-02T00:00:00.000Z', commit: 'bbbbbbb', workload: 'matmul f32 4096³', ms: 3.6, gflops: 38000 },
      { ...base, date: '2026-01-03T00:00:00.000Z', commit: 'ccccccc', workload: 'MoE medium f32 fwd+bwd', config: 'SCATTERGRAD_MOE_TILE=mid', ms: 5 },
      { ...base, date: '2026-01-03T00:00:00.000Z', device: 'gpu-b', workload: 'MoE medium f32 fwd+bwd', ms: 14 },
      { ...base, date: '2026-01-04T00:00:00.000Z', tool: 'bench/tc-sweep.mjs', workload: 'MoE small f32 fwd+bwd', ms: 1, build: 'base', group: 'ab1' },
      { ...base, date: '2026-01-04T00:00:00.000Z', tool: 'bench/tc-sweep.mjs', workload: 'MoE small f32 fwd+bwd', ms: 0.9, build: 'new', group: 'ab1' },
      { ...base, date: '2026-01-04T00:00:00.000Z', tool: 'bench/tc-sweep.mjs', workload: 'MoE small f32 fwd+bwd', ms: 1.02, build: 'base', group: 'ab1' },
    ];
    writeFileSync(join(dir, 'log.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    writeFileSync(join(dir, 'targets.json'), JSON.stringify({ device: 'gpu-a', targets: [
      { workload: 'MoE medium f32 fwd+bwd', maxMs: 12 }, { workload: 'matmul f32 4096³', minTflops: 40 }, { goal: 'faster than TF.js', fasterThan: 'tfjs' }] }));
    writeFileSync(join(dir, 'rejected.md'), '- **an idea**: 1.0 → 2.0 ms.\n');
    const r = node('bench/summarize.mjs', '--stdout', '--log', join(dir, 'log.jsonl'), '--targets', join(dir, 'targets.json'), '--rejected', join(dir, 'rejected.md'));
    if (r.status !== 0) throw new Error(`summarize failed: ${r.stderr}`);
    const want = [
      '| MoE medium f32 fwd+bwd ≤ 12 ms | gpu-a | 11.00 ms | 2026-01-02 | bbbbbbb | **met** by 8.3% |',
      '| MoE medium f32 fwd+bwd ≤ 12 ms | gpu-b | 14.00 ms | 2026-01-03 | aaaaaaa | (missed by 16.7%) |',
      '| matmul f32 4096³ ≥ 40 TFLOP/s | gpu-a | 38.00 TFLOP/s | 2026-01-02 | bbbbbbb | missed by 5.0% |',
      '| faster than TF.js | gpu-a | slowest ratio 2.00x (MoE medium f32 fwd+bwd, tfjs loop) | 2026-01-02 | bbbbbbb | **met** on 1 rows |',
      '| MoE medium f32 fwd+bwd | scattergrad | 11.00 | timestamps | — | 2026-01-02 | bbbbbbb |  |',
      '| MoE small f32 fwd+bwd | default | float32 | 1.00, 1.02 | 0.900 |',
      '- **an idea**: 1.0 → 2.0 ms.',
    ];
    const missing = want.filter((l) => !r.stdout.split('\n').includes(l));
    if (missing.length) throw new Error(`summary lacks:\n${missing.join('\n')}\n---\n${r.stdout}`);
    // The older run and the run with a knob set are not "the latest figures".
    if (/\| 13\.00 \||\| 5\.00 \|/.test(r.stdout)) throw new Error(`summary shows a superseded or non-default row:\n${r.stdout}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the imported rows are what bench/import-legacy.mjs makes of the old files (where git has them)', () => {
  const legacy = readFileSync(join(root, 'bench/legacy-files.mjs'), 'utf8');
  const rev = /LEGACY_REV = '([0-9a-f]+)'/.exec(legacy)?.[1];
  if (!rev) throw new Error('bench/legacy-files.mjs names no LEGACY_REV');
  const has = spawnSync('git', ['cat-file', '-e', `${rev}^{commit}`], { cwd: root });
  if (has.status !== 0) { console.log(`# bench/results: ${rev} is not in this clone's history; the import is not re-checked`); return; }
  const r = node('bench/import-legacy.mjs', '--check');
  if (r.status !== 0) throw new Error(r.stderr || r.stdout);
});

test.run();
