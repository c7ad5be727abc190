// docs/tuning.md, made from the tuning table (scripts/gen-tuning-doc.mjs writes it; a test
// checks that the file is what this returns). Not part of the library's entry point.
import { KNOBS, SWITCHES, type Knob, type Tuning } from './tuning.js';

const code = (s: unknown): string => `\`${String(s)}\``;
const sentence = (s: string): string => `${s[0].toUpperCase()}${s.slice(1)}.`;

export function tuningDoc(): string {
  const rows = (Object.keys(KNOBS) as Array<keyof Tuning>).map((k) => {
    const spec = KNOBS[k] as Knob<unknown>;
    const env = spec.alias ? `${code(spec.env)} (or ${code(`${spec.alias.env}=1`)}: ${code(spec.alias.value)})` : code(spec.env);
    const purpose = spec.profiling ? `**Profiling only: builds wrong kernels on purpose.** ${sentence(spec.purpose)}` : sentence(spec.purpose);
    return `| ${code(k)} | ${env} | ${spec.values} | ${code(spec.default)} | ${purpose} |`;
  });
  const switches = Object.entries(SWITCHES).map(([k, s]) => `| ${code(k)} | ${code(s.env)} | ${s.values} | ${sentence(s.purpose)} |`);
  return `# Tuning knobs

<!-- Generated from src/backend/tuning.ts by \`node scripts/gen-tuning-doc.mjs\`; edit the table there. -->

Knobs for kernel work: none is needed in normal use. Each one is set

- from code, in any runtime: \`await sg.init({ tuning: { matmulTile: 'big' } })\`, or around a piece
  of code with \`sg.withTuning({ tcDepth: 1 }, fn)\` (\`fn\` sync or async; the tuning is put back
  when it returns or its promise settles, also on an error);
- in Node, from its environment variable, which the first \`sg.init()\` reads and checks (code
  wins over it).

\`sg.currentTuning()\` returns the values in force. A value a knob does not take is an Error from
\`init\` or \`withTuning\` that names the knob and what it takes. A knob whose value decides the
WGSL a kernel is generated with is part of that kernel's pipeline key, so kernels built under
one tuning are never reused under another.

| knob | environment | values | default | what it does |
|---|---|---|---|---|
${rows.join('\n')}

## Switches

Read from the environment when the library loads (and checked by \`init\`); not kernel knobs.

| switch | environment | values | what it does |
|---|---|---|---|
${switches.join('\n')}

## Measuring

\`node bench/tc-sweep.mjs --dense 4096 --variants default,big,2x4x4x4x16,ko-stores\` times the f16
MoE MLP and a dense product under such variants in one process (\`--dtype float32\` the SIMT
kernels, \`--lib PATH\` another build); \`node bench/tc-ceiling.mjs\` measures how fast the
subgroup matrices themselves go on the adapter; \`node bench/moe-parts.mjs medium float16\` shows
where the MoE MLP's time goes (\`--lib PATH\` for another build; \`BASE=PATH bash
bench/device-run.sh OUT ab\` alternates two builds through both scripts on the GPU machine);
\`node bench/mem-ops.mjs\` times the MoE's memory-bound ops (the gates' bmms, sums over k and over
columns, elementwise) through the library (\`LIB=PATH\` for another build) and \`node
bench/bw-ceiling.mjs\` the same kind of kernels in raw WebGPU; \`node bench/step-host.mjs\`
measures the demo step's host time and writes a CPU profile; \`node bench/tune.mjs --sweep\` times
the dense matmul under each \`matmulTile\`.
`;
}
