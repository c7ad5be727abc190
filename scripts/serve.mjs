// A tiny static file server for the repository, so that a browser can load the example
// page and the bundle it imports (module scripts do not load from file:// URLs).
//
//   npm run serve -- [--port N]     (default 8080; 0 picks a free port)
//
// It listens on localhost only. localhost counts as a secure context, which WebGPU needs.
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const page = '/examples/browser/';
const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.map': 'application/json', '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.wasm': 'application/wasm',
};

const args = process.argv.slice(2);
const i = args.indexOf('--port');
const port = i >= 0 ? Number(args[i + 1]) : 8080;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`serve: --port needs a port number, got ${args[i + 1]}`);
  process.exit(1);
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/') { res.writeHead(302, { location: page }).end(); return; }
  let path;
  try { path = normalize(join(root, decodeURIComponent(url.pathname))); } catch { res.writeHead(400).end(); return; }
  if (path !== root && !path.startsWith(root + sep)) { res.writeHead(403).end('forbidden'); return; }
  let st = null;
  try { st = statSync(path); } catch { /* not found below */ }
  if (st?.isDirectory()) {
    if (!url.pathname.endsWith('/')) { res.writeHead(301, { location: `${url.pathname}/` }).end(); return; }
    path = join(path, 'index.html');
    try { st = statSync(path); } catch { st = null; }
  }
  if (!st?.isFile()) { res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${url.pathname}`); return; }
  res.writeHead(200, {
    'content-type': types[extname(path)] ?? 'application/octet-stream',
    'content-length': st.size,
    'cache-control': 'no-store',
  });
  if (req.method === 'HEAD') res.end();
  else createReadStream(path).pipe(res);
});

server.on('error', (e) => {
  console.error(`serve: ${e.code === 'EADDRINUSE' ? `port ${port} is in use; pick another with --port N` : e.message}`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  console.log(`scattergrad: serving ${root} at http://localhost:${server.address().port}${page}`);
});
