// The notebooks in notebooks/ run end to end through the real Jupyter machinery: Deno's
// kernel (`deno jupyter --install`) driven by nbclient (Debian's python3-nbclient), via
// scripts/run-notebooks.py, which fails on any cell error. Skipped with a notice when nbclient
// is missing, unless SCATTERGRAD_REQUIRE_NOTEBOOKS=1 (CI sets it).
import { suite } from 'uvu';
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const test = suite('notebooks: executed with Deno\'s Jupyter kernel through nbclient');
const root = fileURLToPath(new URL('../../../', import.meta.url));
const required = process.env.SCATTERGRAD_REQUIRE_NOTEBOOKS === '1';
// Debian's packages live in the system Python, which a pyenv or venv python3 may not see.
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const notebooks = readdirSync(join(root, 'notebooks')).filter((f) => f.endsWith('.ipynb')).sort();

function haveJupyter(): boolean {
  const r = spawnSync(python, ['-c', 'import nbclient, jupyter_client, nbformat'], { encoding: 'utf8' });
  return r.status === 0;
}

test('there are at least three notebooks, each on the Deno kernel', async () => {
  if (notebooks.length < 3) throw new Error(`expected at least 3 notebooks, found ${notebooks.join(', ')}`);
  const { readFileSync } = await import('node:fs');
  for (const f of notebooks) {
    const nb = JSON.parse(readFileSync(join(root, 'notebooks', f), 'utf8')) as { metadata: { kernelspec?: { name?: string } }; cells: unknown[] };
    if (nb.metadata.kernelspec?.name !== 'deno') throw new Error(`${f}: kernelspec is ${JSON.stringify(nb.metadata.kernelspec)}, expected deno`);
    if (nb.cells.length < 5) throw new Error(`${f}: only ${nb.cells.length} cells`);
  }
});

test('every notebook executes without a cell error', () => {
  if (!haveJupyter()) {
    if (required) throw new Error(`SCATTERGRAD_REQUIRE_NOTEBOOKS=1 but ${python} cannot import nbclient (apt-get install python3-nbclient python3-jupyter-client)`);
    console.log(`# notebooks skipped: ${python} has no nbclient (apt-get install python3-nbclient python3-jupyter-client; SCATTERGRAD_REQUIRE_NOTEBOOKS=1 makes this an error)`);
    return;
  }
  const r = spawnSync(python, ['scripts/run-notebooks.py', ...notebooks.map((f) => join('notebooks', f))], {
    cwd: root, encoding: 'utf8', timeout: 480_000, env: { ...process.env, NO_COLOR: '1' },
  });
  process.stdout.write(r.stdout.split('\n').filter((l) => l.startsWith('ok ')).map((l) => `# notebook ${l}\n`).join(''));
  if (r.error || r.status !== 0) throw new Error(`run-notebooks.py failed (${r.status ?? r.error}):\n${r.stdout}\n${r.stderr}`);
  const ok = r.stdout.split('\n').filter((l) => l.startsWith('ok ')).length;
  if (ok !== notebooks.length) throw new Error(`only ${ok} of ${notebooks.length} notebooks reported ok:\n${r.stdout}`);
});

test.run();
