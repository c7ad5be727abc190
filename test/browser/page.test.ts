// The browser: the bundle has no Node in it, and examples/browser/ works in real Chromium.
// Serves the repository with scripts/serve.mjs, opens the page in Debian's headless Chromium
// (driven by playwright-core; it never downloads a browser) with WebGPU on, runs the
// engine's op checks inside the page, runs the notebook cells, trains a few steps, checks
// the loss fell and the chart drew, and saves out/browser/page.png. Then it opens the page
// again with navigator.gpu hidden and checks the CPU fallback and its notice.
//
// Chromium: SCATTERGRAD_CHROMIUM or /usr/bin/chromium (apt-get install chromium). Missing, it
// fails the run when SCATTERGRAD_REQUIRE_BROWSER=1 (CI sets it) and is skipped otherwise.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';

interface Check { name: string; ok: boolean; detail: string }
interface PageApi {
  ready: boolean;
  info: { backend: string; adapter: string | null };
  train: { step: number; curve: [number, number][]; running: boolean; busy: boolean; sample: string };
  cellResults: { id: string; ok: boolean; error: string | null }[];
  runChecks(device?: string): Promise<Check[]>;
}
declare global {
  interface Window { sgPage?: PageApi }
}

/** The repository root: the nearest folder above this file with scattergrad's package.json. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'scattergrad') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('browser test: cannot find the repository root');
    dir = up;
  }
}

const root = repoRoot();
const chromiumPath = process.env.SCATTERGRAD_CHROMIUM ?? '/usr/bin/chromium';
const required = process.env.SCATTERGRAD_REQUIRE_BROWSER === '1';
const TRAIN_STEPS = 6;
const SECOND = 1000;

// Flags that keep Chromium quiet on a machine with no network and no GPU. WebGPU needs only
// --enable-unsafe-webgpu: with --disable-gpu it still gives a SwiftShader (CPU Vulkan) adapter.
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--enable-unsafe-webgpu',
];

const bundle = suite('browser bundle');

bundle('dist/browser/index.js imports nothing from Node or the webgpu package', () => {
  const src = readFileSync(join(root, 'dist/browser/index.js'), 'utf8');
  // Static imports and re-exports start a line of the bundle; "from 'x'" inside an error message does not.
  const imports = [...src.matchAll(/(?:^\s*(?:import|export)\b[^;'"]*?\bfrom\s*|^\s*import\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']([^"']+)["']/gm)].map((m) => m[1]);
  assert.equal(imports, [], `the browser bundle imports ${imports.join(', ')}`);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assert.is(pkg.exports['.'].browser, './dist/browser/index.js');
});

bundle.run();

/** Starts scripts/serve.mjs on a free port; resolves with the page's URL. */
function startServer(): Promise<{ url: string; proc: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [join(root, 'scripts/serve.mjs'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve.mjs printed no URL in 10 s: ${out}`)), 10 * SECOND);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /http:\/\/\S+/.exec(out);
      if (m) { clearTimeout(timer); resolve({ url: m[0], proc }); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`serve.mjs exited (${code}): ${out}`)); });
  });
}

async function openPage(browser: Browser, url: string, errors: string[], init?: () => void): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(`console: ${m.text()}`); });
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`); });
  if (init) await page.addInitScript(init);
  await page.goto(url);
  // Ready, or an error notice (the page shows one when it cannot start).
  await page.waitForFunction(() => window.sgPage?.ready === true || document.querySelector('#notice.error:not([hidden])') !== null, null, { timeout: 120 * SECOND });
  const failed = await page.evaluate(() => document.querySelector('#notice.error:not([hidden])')?.textContent ?? null);
  if (failed) throw new Error(`the page failed to start: ${failed}\n${errors.join('\n')}`);
  return page;
}

const checksPassed = (results: Check[]): void => {
  const bad = results.filter((r) => !r.ok);
  assert.ok(results.length >= 10, `only ${results.length} checks ran`);
  assert.equal(bad.map((r) => `${r.name}: ${r.detail}`), [], 'op checks failed in the page');
};

const page = suite('browser page');
const ctx: { browser?: Browser; server?: ChildProcess; url?: string; profile?: string } = {};

page.before(async () => {
  const { chromium } = await import('playwright-core');
  const { url, proc } = await startServer();
  ctx.server = proc;
  ctx.url = url;
  // Playwright makes a fresh profile for each launch; Chromium's own cache and crash files
  // go to this temporary HOME so that nothing is written to the user's.
  ctx.profile = mkdtempSync(join(tmpdir(), 'scattergrad-chromium-'));
  ctx.browser = await chromium.launch({
    executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS, timeout: 60 * SECOND,
    env: { ...process.env, HOME: ctx.profile },
  });
});

page.after(async () => {
  await ctx.browser?.close();
  ctx.server?.kill();
  if (ctx.profile) rmSync(ctx.profile, { recursive: true, force: true });
});

page('with WebGPU: the op checks pass in the page, the cells run, it trains and draws', async () => {
  const errors: string[] = [];
  const p = await openPage(ctx.browser!, `${ctx.url}?steps=${TRAIN_STEPS}&batch=4&sample=40`, errors);
  const adapter = await p.evaluate(async () => {
    const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
    const a = gpu ? await gpu.requestAdapter() : null;
    return a ? `${a.info.vendor} ${a.info.architecture}` : null;
  });
  const info = await p.evaluate(() => window.sgPage!.info);
  console.log(`# Chromium ${ctx.browser!.version()}: adapter ${adapter ?? 'none'}; the page runs on ${info.backend}${info.adapter ? ` (${info.adapter})` : ''}`);
  if (adapter) assert.is(info.backend, 'webgpu', 'Chromium has an adapter but the page did not use it');
  else if (process.env.SCATTERGRAD_REQUIRE_WEBGPU === '1') assert.unreachable('SCATTERGRAD_REQUIRE_WEBGPU=1 but Chromium gave no WebGPU adapter');
  assert.match(await p.textContent('#device') ?? '', info.backend);

  checksPassed(await p.evaluate(() => window.sgPage!.runChecks()));
  assert.is(await p.locator('#checks tr').count() >= 10, true, 'the self-test table was not drawn');

  const cells = await p.evaluate(() => window.sgPage!.cellResults);
  assert.equal(cells.filter((c) => !c.ok), [], 'a notebook cell failed');
  assert.is(cells.length, 3);
  assert.is(await p.locator('#s-autograd .out svg rect').count() >= 5, true, 'the autograd graph was not drawn');
  const heat = await p.locator('#s-routing .out svg path[aria-roledescription="rect mark"]').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
  assert.is(heat.length, 24 * 4, 'the routing heat map should have T·E = 96 cells');
  assert.is(heat.filter((l) => l.includes('chosen: true')).length, 48, 'the heat map should outline T·k = 48 chosen cells');
  // Vega draws each bar as a path with aria-roledescription="bar", and the bar labels as text in a g.mark-text.
  assert.is(await p.locator('#s-routing .out svg path[aria-roledescription="bar"]').count(), 4, 'the expert bar chart has no bars');
  const rows = await p.locator('#s-routing .out svg .mark-text.role-mark text').allTextContents();
  assert.is(rows.map(Number).reduce((a, b) => a + b, 0), 48, `the bar labels should count T·k = 48 rows: ${rows.join(', ')}`);

  // Every status line the training shows, to check what it says during step 1 and while it samples.
  await p.evaluate(() => {
    const seen: string[] = ((window as unknown as { statuses: string[] }).statuses = []);
    new MutationObserver(() => seen.push(document.getElementById('train-status')!.textContent ?? ''))
      .observe(document.getElementById('train-status')!, { childList: true, characterData: true, subtree: true });
  });
  await p.click('#start');
  await p.waitForFunction(() => { const t = window.sgPage!.train; return !t.busy && t.step > 0; }, null, { timeout: 240 * SECOND, polling: 250 });
  const train = await p.evaluate(() => window.sgPage!.train);
  assert.is(train.step, TRAIN_STEPS);
  const losses = train.curve.map(([, l]) => l);
  console.log(`# in-page training: loss ${losses.map((l) => l.toFixed(3)).join(' ')}`);
  assert.ok(losses.every(Number.isFinite), 'a loss is not finite');
  assert.ok(losses[losses.length - 1] < losses[0] - 0.05, `the loss did not fall: ${losses.join(', ')}`);
  // The loss chart (Vega-Lite through vega-embed): every step's line, its moving average, the ln(vocab) rule.
  const lines = await p.locator('#loss-chart svg .mark-line.role-mark path').evaluateAll((els) => els.map((e) => e.getAttribute('d') ?? ''));
  assert.is(lines.length, 2, 'the loss chart should have two lines (every step, smoothed)');
  assert.is((lines[0].match(/[ML]/g) ?? []).length, TRAIN_STEPS, 'the loss chart should have one point per step');
  assert.match(await p.textContent('#loss-chart svg') ?? '', /uniform guess: ln \d+ = \d\.\d\d/);
  assert.is(await p.locator('#expert-chart svg path[aria-roledescription="bar"]').count(), 8, 'the expert chart should have 2 layers × 4 experts bars');
  assert.match(await p.textContent('#train-status') ?? '', /stopped/);
  const statuses = await p.evaluate(() => (window as unknown as { statuses: string[] }).statuses);
  if (info.backend === 'webgpu') assert.match(statuses[0], /^step 1: compiling kernels…/, `the first status: ${statuses[0]}`);
  assert.ok(statuses.some((t) => /writing a sample: \d+ of 40 characters/.test(t) && !/: 0 of/.test(t)), `no sampling progress among: ${statuses.join(' | ')}`);
  assert.ok(train.sample.startsWith('ROMEO:\n') && train.sample.length > 30, 'no sample was generated');
  assert.match(await p.textContent('#sample') ?? '', 'ROMEO:');

  mkdirSync(join(root, 'out/browser'), { recursive: true });
  await p.screenshot({ path: join(root, 'out/browser/page.png'), fullPage: true });
  assert.equal(errors, [], 'the page reported errors');
  await p.close();
});

page('without WebGPU: the page falls back to the CPU backend, says so, and its checks pass', async () => {
  const errors: string[] = [];
  const p = await openPage(ctx.browser!, `${ctx.url}?sample=10`, errors, () => {
    delete (Navigator.prototype as { gpu?: unknown }).gpu; // a browser without WebGPU
  });
  assert.is(await p.evaluate(() => window.sgPage!.info.backend), 'cpu');
  assert.ok(await p.isVisible('#notice'), 'no notice about the CPU fallback');
  assert.match(await p.textContent('#notice') ?? '', /no WebGPU/i);
  checksPassed(await p.evaluate(() => window.sgPage!.runChecks()));
  assert.equal(errors, [], 'the page reported errors');
  await p.close();
});

if (existsSync(chromiumPath)) {
  page.run();
} else if (required) {
  const missing = suite('browser page');
  missing('Chromium is installed', () => {
    assert.unreachable(`SCATTERGRAD_REQUIRE_BROWSER=1 but there is no Chromium at ${chromiumPath} (apt-get install chromium, or set SCATTERGRAD_CHROMIUM)`);
  });
  missing.run();
} else {
  console.log(`# no Chromium at ${chromiumPath}: skipping the browser page test (apt-get install chromium; SCATTERGRAD_REQUIRE_BROWSER=1 makes this fail)`);
}
