// Every ```ts / ```js block in docs/*.md (and docs/api/*.md) runs, as a new reader would run
// it: written to a temporary .mjs file under dist/ in the repository (so `import 'scattergrad'`
// resolves to dist/node by self-reference), its TypeScript stripped by esbuild, and run by
// node in its own process. A block with no import of its own gets the docs' stated prelude
// (`import * as sg from 'scattergrad'; await sg.init();`) and `await sg.destroy()` after it,
// and runs once per backend (init({ backend })): the docs promise the same output on both.
// A block directly followed by an "Output:" ```text block must print exactly that text
// (whitespace runs compared as one space). Fragments are marked ```ts skip and not run.
import { suite } from 'uvu';
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';
import { backends } from './helpers.js';

const test = suite('docs');
const root = fileURLToPath(new URL('../../', import.meta.url));

interface Block { file: string; line: number; lang: string; code: string; skip: boolean; output: string | null }

const prelude = (dev: string): string => `import * as sg from 'scattergrad';\nawait sg.init({ backend: '${dev}' });\n`;
const fence = /^```([a-z]*)([^\n]*)\n([\s\S]*?)^```[ \t]*$/gm;

function blocksOf(file: string): Block[] {
  const text = readFileSync(file, 'utf8');
  const found = [...text.matchAll(fence)];
  const out: Block[] = [];
  found.forEach((m, i) => {
    const lang = m[1];
    if (lang !== 'ts' && lang !== 'js') return;
    const line = text.slice(0, m.index).split('\n').length;
    // The stated output: the next fenced block, if it is ```text and only "Output:" lies between.
    const next = found[i + 1];
    let output: string | null = null;
    if (next && next[1] === 'text') {
      const between = text.slice((m.index ?? 0) + m[0].length, next.index).trim();
      if (/^Output:?$/i.test(between)) output = next[3];
    }
    out.push({ file, line, lang, code: m[3], skip: /\bskip\b/.test(m[2]), output });
  });
  return out;
}

function docFiles(): string[] {
  const dirs = [join(root, 'docs'), join(root, 'docs/api')].filter((d) => existsSync(d));
  return dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.md')).map((f) => join(d, f)));
}

const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();

test('docs/ has the documents the README links to, and their code blocks are found', () => {
  for (const f of ['guide.md', 'moe.md', 'design.md', 'performance.md', 'gpu-and-browser.md']) {
    if (!existsSync(join(root, 'docs', f))) throw new Error(`docs/${f} is missing`);
  }
  const all = docFiles().flatMap(blocksOf);
  const run = all.filter((b) => !b.skip);
  if (run.length < 10) throw new Error(`expected at least 10 runnable blocks in docs/, found ${run.length}`);
  // Skipped fragments stay the exception, not the rule.
  if (all.length - run.length > 4) throw new Error(`${all.length - run.length} blocks are marked skip; make them run`);
});

/** Runs node on `path`; resolves to its exit status (null on a signal) and output. */
function runNode(path: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [path], { cwd: root });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    p.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    // The timeout only catches a hang; it is not a speed check.
    const timer = setTimeout(() => p.kill('SIGKILL'), 120_000);
    p.on('close', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
  });
}

test('every ts/js code block in docs/ runs, and prints its stated output', async () => {
  const devs = await backends();
  const dir = mkdtempSync(join(root, 'dist', 'docs-blocks-'));
  const failures: string[] = [];
  const jobs: Array<() => Promise<void>> = [];
  for (const b of docFiles().flatMap(blocksOf)) {
    if (b.skip) continue;
    const hasImport = /^import\s/m.test(b.code);
    for (const dev of hasImport ? ['own init'] : devs) {
      const where = `${b.file.slice(root.length)}:${b.line} (${dev})`;
      const src = hasImport ? b.code : `${prelude(dev)}${b.code}\nawait sg.destroy();\n`;
      const js = transformSync(src, { loader: 'ts', format: 'esm', target: 'es2022' }).code;
      const path = join(dir, `block-${b.line}-${dev.replace(/\W/g, '')}-${b.file.split('/').pop()}.mjs`);
      writeFileSync(path, js);
      jobs.push(async () => {
        const r = await runNode(path);
        if (r.status !== 0) failures.push(`${where}: exit ${r.status}\n${r.stderr}`);
        else if (b.output !== null && squash(r.stdout) !== squash(b.output)) failures.push(`${where}: printed\n${r.stdout}\nbut the doc says\n${b.output}`);
        else if (b.output === null && r.stdout.trim() === '') failures.push(`${where}: printed nothing`);
      });
    }
  }
  // Each block is its own process (a fresh init, as a reader's script has); a few at a time.
  const workers = Math.max(1, Math.min(4, availableParallelism() - 1));
  try {
    await Promise.all(Array.from({ length: workers }, async () => { for (let job = jobs.shift(); job; job = jobs.shift()) await job(); }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (failures.length) throw new Error(failures.join('\n---\n'));
});

test('README and docs link only to files that exist', () => {
  const files = [join(root, 'README.md'), ...docFiles()];
  const missing: string[] = [];
  for (const f of files) {
    const base = f.slice(0, f.lastIndexOf('/') + 1);
    // Code spans and blocks hold no links (`experts[e](h)` is an index and a call).
    const text = readFileSync(f, 'utf8').replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
    for (const m of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      const target = m[1];
      if (/^[a-z]+:/.test(target)) continue;
      if (!existsSync(join(base, target))) missing.push(`${f.slice(root.length)} -> ${target}`);
    }
  }
  if (missing.length) throw new Error(`broken links:\n${missing.join('\n')}`);
});

test.run();
