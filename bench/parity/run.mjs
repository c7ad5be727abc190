// The PyTorch parity check: the same cases through PyTorch (torch_ref.py, where PyTorch is
// installed, e.g. the GPU machine) and through scattergrad on each backend; outputs, dtypes
// (float / int / bool), shapes, NaN and ±Inf positions, refusals and gradients must agree.
//   node bench/parity/run.mjs cases FILE [--seed N]
//   python3 bench/parity/torch_ref.py FILE EXPECTED
//   node bench/parity/run.mjs compare EXPECTED [--lib PATH] [--backends cpu,webgpu] [--json OUT]
import { readFileSync, writeFileSync } from 'node:fs';
import { makeCases as baseCases, OPS as BASE_OPS } from './ops.mjs';

const args = process.argv.slice(2);
const opt = (n, d) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : d; };
// --ops FILE: another op table (a module exporting OPS, and makeCases when it builds its own
// cases), e.g. adv-math.mjs or adv-reduce.mjs, instead of ops.mjs.
const opsMod = opt('--ops') ? await import(new URL(opt('--ops'), import.meta.url).href) : null;
const OPS = opsMod ? opsMod.OPS : BASE_OPS;
const makeCases = opsMod?.makeCases ?? ((seed) => baseCases(seed, OPS));
const decode = (v) => (v === '-0' ? -0 : v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v);

if (args[0] === 'cases') {
  const cases = makeCases(Number(opt('--seed', 1)));
  writeFileSync(args[1], JSON.stringify(cases));
  console.log(`${cases.length} cases written to ${args[1]}`);
  process.exit(0);
}
if (args[0] !== 'compare') { console.error('usage: run.mjs cases FILE | compare EXPECTED'); process.exit(2); }

const lib = opt('--lib', '../../dist/node/index.js');
const sg = await import(new URL(lib, import.meta.url).href);
const expected = JSON.parse(readFileSync(args[1], 'utf8'));
const answers = new Map(expected.answers.map((a) => [a.id, a]));
const cases = makeCases(Number(opt('--seed', 1)));
const byName = new Map(OPS.map((o) => [o.name, o]));
const backends = opt('--backends', 'cpu,webgpu').split(',');
const kindOf = (t) => (t.dtype === 'bool' ? 'bool' : t.dtype === 'int32' ? 'int' : 'float');
const weight = (k, n) => Float32Array.from({ length: n }, (_, i) => ((i * 37 + k * 11) % 17) / 8 - 1);

/** Where `got` and `want` (flat arrays, NaN/±Inf decoded) differ beyond the tolerance, or null. */
function differ(got, want, exact, rtol, atol) {
  if (got.length !== want.length) return `length ${got.length} vs ${want.length}`;
  for (let i = 0; i < got.length; i++) {
    const g = got[i]; const w = want[i];
    if (Number.isNaN(w) || Number.isNaN(g)) { if (Number.isNaN(w) !== Number.isNaN(g)) return `[${i}] ${g} vs ${w}`; continue; }
    if (!Number.isFinite(w) || !Number.isFinite(g) || exact) { if (g !== w) return `[${i}] ${g} vs ${w}`; continue; }
    if (Math.abs(g - w) > atol + rtol * Math.abs(w)) return `[${i}] ${g} vs ${w}`;
  }
  return null;
}

function outputsOf(r) {
  if (r instanceof sg.Tensor) return [r];
  if (Array.isArray(r)) return r;
  if (r && r.values instanceof sg.Tensor) return [r.values, r.indices];
  throw new Error(`unexpected result ${typeof r}`);
}

async function runCase(c, device) {
  const want = answers.get(c.id);
  if (!want) return 'no PyTorch answer';
  if (want.skip) return null;
  const op = byName.get(c.op);
  // Not in tidy (which refuses async functions): a few hundred small tensors are left to the GC.
  {
    const xs = c.x.map((s) => {
      const data = s.data.map(decode);
      if (s.num) return data[0]; // a number operand
      if (s.dtype === 'bool') return sg.tensor(data.map((v) => v === 1), { shape: s.shape, dtype: 'bool', device });
      if (s.dtype === 'int32') return sg.tensor(Int32Array.from(data), { shape: s.shape, device });
      if (s.dtype === 'float16') return sg.tensor(Float32Array.from(data), { shape: s.shape, dtype: 'float16', device, requiresGrad: c.grad && s.grad !== false });
      return sg.tensor(Float32Array.from(data), { shape: s.shape, device, requiresGrad: c.grad && s.grad !== false });
    });
    let outs;
    try {
      outs = outputsOf(op.sg(sg, xs, c.a));
    } catch (e) {
      if (want.error && op.errPrefix && !String(e.message).startsWith(op.errPrefix)) return `error message does not start with '${op.errPrefix}': ${String(e.message).slice(0, 140)}`;
      if (want.error && !/^[A-Za-z][\w.]*: /.test(String(e.message))) return `threw without the op's name: ${String(e.message).slice(0, 140)}`;
      return want.error ? null : `threw where PyTorch answers: ${String(e.message).slice(0, 140)}`;
    }
    if (want.error) return `answered where PyTorch refuses (${want.error.slice(0, 100)})`;
    if (outs.length !== want.outputs.length) return `${outs.length} outputs, PyTorch ${want.outputs.length}`;
    for (const [k, o] of outs.entries()) {
      const w = want.outputs[k];
      if (kindOf(o) !== w.kind) return `output ${k} is ${o.dtype}, PyTorch's is ${w.kind}`;
      if (o.shape.join() !== w.shape.join()) return `output ${k} shape [${o.shape}] vs [${w.shape}]`;
      const half = c.x.some((s) => s.dtype === 'float16');
      const d = differ(Array.from(await o.toArray(), Number), w.data.map(decode), w.kind !== 'float', half ? 2e-3 : c.rtol ?? 1e-4, half ? 1e-3 : c.atol ?? 1e-5);
      if (d) return `output ${k} ${d}`;
    }
    if (!c.grad || want.gradError) return null;
    let loss = null;
    for (const [k, o] of outs.entries()) {
      if (!o.requiresGrad) continue;
      const term = o.reshape(-1).mul(sg.tensor(weight(k, o.shape.reduce((a, b) => a * b, 1)), { device })).sum();
      loss = loss ? loss.add(term) : term;
    }
    if (loss) loss.backward();
    for (const [i, x] of xs.entries()) {
      const wg = want.grads[i];
      if (wg === null) continue;
      // No gradient reached x (an integer output, an empty index): PyTorch's is all zeros then.
      if (!x.grad) { if (wg.every((v) => v === 0)) continue; return `input ${i} got no gradient`; }
      const half = c.x.some((s) => s.dtype === 'float16');
      const d = differ(Array.from(await x.grad.toArray(), Number), wg.map(decode), false, half ? 1e-2 : c.grtol ?? 1e-3, half ? 1e-2 : c.gatol ?? 1e-4);
      if (d) return `grad ${i} ${d}`;
    }
    return null;
  }
}

const report = [];
for (const device of backends) {
  const info = await sg.init({ backend: device === 'cpu' ? 'cpu' : 'webgpu', quiet: true });
  for (const c of cases) {
    let problem;
    try { problem = await runCase(c, info.backend); } catch (e) { problem = `harness: ${e.stack.split("\n").slice(0, 3).join(" | ")}`; }
    report.push({ device: info.backend, id: c.id, op: c.op, problem });
  }
}
await sg.destroy();
if (opt('--json')) writeFileSync(opt('--json'), JSON.stringify({ torch: expected.torch, report }, null, 1));
const bad = report.filter((r) => r.problem);
for (const r of bad) console.log(`✘ [${r.device}] ${r.id}: ${r.problem}`);
const ops = new Set(report.map((r) => r.op));
const badOps = new Set(bad.map((r) => r.op));
console.log(`torch ${expected.torch}: ${report.length - bad.length}/${report.length} cases agree; ${ops.size - badOps.size}/${ops.size} ops agree on every case`);
process.exit(bad.length ? 1 : 0);
