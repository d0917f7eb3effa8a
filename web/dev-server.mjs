// Development server: serves a build of the dashboard and proxies the API to a running perfwatch,
// so the frontend can be worked on without rebuilding the binary. Sends the production CSP, so a
// violation shows up here first. Rebuilds when the page is reloaded after a source changed.
// Usage: node web/dev-server.mjs --target http://127.0.0.1:8080 [--port 5173] [--dir web/.dev-dist]
import http from 'node:http';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const webDir = path.dirname(fileURLToPath(import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const target = new URL(arg('target', 'http://127.0.0.1:8080'));
const port = Number(arg('port', '5173'));
const dir = path.resolve(arg('dir', path.join(webDir, '.dev-dist')));
const PROXIED = /^\/(api|metrics|v1|ws)(\/|$|\?)/;
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; " +
  "form-action 'self'";
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css',
  '.svg': 'image/svg+xml',
};

let builtAt = 0;
function newestSource(p = path.join(webDir, 'src')) {
  return fs.readdirSync(p, { withFileTypes: true }).reduce((t, e) => {
    const q = path.join(p, e.name);
    return Math.max(t, e.isDirectory() ? newestSource(q) : fs.statSync(q).mtimeMs);
  }, 0);
}
function rebuildIfStale() {
  const newest = Math.max(newestSource(), fs.statSync(path.join(webDir, 'index.html')).mtimeMs);
  if (newest <= builtAt) return;
  const build = [path.join(webDir, 'build.mjs'), '--outdir', dir];
  const r = spawnSync(process.execPath, build, { stdio: 'inherit' });
  if (r.status === 0) builtAt = Date.now();
}

function serveFile(req, res) {
  const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (rel === '/' || rel === '/index.html') rebuildIfStale();
  const file = path.join(dir, rel === '/' ? 'index.html' : path.normalize(rel));
  if (!file.startsWith(dir + path.sep) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    return;
  }
  res.writeHead(200, {
    'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream',
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-cache',
  });
  fs.createReadStream(file).pipe(res);
}

function proxy(req, res) {
  const options = { host: target.hostname, port: target.port, method: req.method, path: req.url,
    headers: { ...req.headers, host: target.host } };
  const up = http.request(options, (r) => {
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  up.on('error', (e) => res.writeHead(502, { 'Content-Type': 'application/json' })
    .end(JSON.stringify({ error: `dev-server: ${e.message}` })));
  req.pipe(up);
}

const server = http.createServer((req, res) =>
  (PROXIED.test(req.url) ? proxy(req, res) : serveFile(req, res)));

// WebSocket upgrades are passed through as raw TCP once the request head is replayed upstream.
server.on('upgrade', (req, socket, head) => {
  const up = net.connect(Number(target.port), target.hostname, () => {
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const [k, v] = [req.rawHeaders[i], req.rawHeaders[i + 1]];
      lines.push(`${k}: ${k.toLowerCase() === 'host' ? target.host : v}`);
    }
    up.write(`${lines.join('\r\n')}\r\n\r\n`);
    up.write(head);
    up.pipe(socket).pipe(up);
  });
  up.on('error', () => socket.destroy());
  socket.on('error', () => up.destroy());
});

rebuildIfStale();
server.listen(port, '127.0.0.1', () =>
  console.log(`dev-server: http://127.0.0.1:${port}/ -> ${target.origin}`));
