// Builds the dashboard into DIR: index.html, favicon.svg, assets/app-<hash>.js and .css.
// Usage: node web/build.mjs --outdir DIR
// The output is what the C++ build embeds (contract: /tmp/i6 section 1); it must be
// deterministic, so nothing here depends on the time, the host or absolute paths.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';

const webDir = path.dirname(fileURLToPath(import.meta.url));
const BANNER = '/* perfwatch dashboard; bundles Preact (MIT), uPlot (MIT, (c) Leon Sorokin) */';

function fail(message) {
  console.error(`web/build.mjs: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const i = argv.indexOf('--outdir');
  if (i < 0 || !argv[i + 1]) fail('usage: node web/build.mjs --outdir DIR');
  return { outdir: path.resolve(process.cwd(), argv[i + 1]) };
}

async function loadEsbuild() {
  const modules = path.join(webDir, 'node_modules');
  for (const dep of ['esbuild', 'preact', 'uplot']) {
    if (!fs.existsSync(path.join(modules, dep, 'package.json'))) {
      fail(`web/node_modules/${dep} missing: run scripts/install-deps (npm ci in web/)`);
    }
  }
  const entry = path.join(modules, 'esbuild', 'lib', 'main.js');
  return (await import(pathToFileURL(entry).href)).default;
}

// Empties DIR rather than trusting leftovers: the embedder takes every file under it.
function prepareOutdir(outdir) {
  if (outdir === path.parse(outdir).root || outdir === webDir) fail(`refusing to empty ${outdir}`);
  fs.mkdirSync(outdir, { recursive: true });
  for (const entry of fs.readdirSync(outdir)) {
    fs.rmSync(path.join(outdir, entry), { recursive: true, force: true });
  }
}

async function bundle(esbuild, outdir) {
  const result = await esbuild.build({
    absWorkingDir: webDir,
    entryPoints: { app: 'src/main.jsx' },
    outdir: path.join(outdir, 'assets'),
    entryNames: '[name]-[hash]',
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'chrome100',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    sourcemap: false,
    legalComments: 'none',
    banner: { js: BANNER },
    metafile: true,
    logLevel: 'silent',
  }).catch((err) => {
    const where = (l) => (l ? `${l.file}:${l.line}:${l.column}: ` : '');
    const msgs = (err.errors || []).map((e) => where(e.location) + e.text);
    fail(`esbuild failed:\n  ${msgs.join('\n  ') || err.message}`);
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => path.resolve(webDir, p));
  const js = outputs.filter((p) => p.endsWith('.js'));
  const css = outputs.filter((p) => p.endsWith('.css'));
  if (js.length !== 1 || css.length !== 1 || outputs.length !== 2) {
    fail(`expected one .js and one .css, esbuild wrote: ${outputs.join(', ')}`);
  }
  // The server's CSP has no 'unsafe-eval'; a dependency that starts using eval must fail here.
  if (/\beval\(|new Function\(/.test(fs.readFileSync(js[0], 'utf8'))) fail('bundle uses eval');
  return { js: js[0], css: css[0] };
}

function writePage(outdir, assets) {
  const rel = (p) => '/' + path.relative(outdir, p).split(path.sep).join('/');
  const template = fs.readFileSync(path.join(webDir, 'index.html'), 'utf8');
  const html = template.replace('%APP_CSS%', rel(assets.css)).replace('%APP_JS%', rel(assets.js));
  if (/<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=/i.test(html)) {
    fail('index.html must have no inline script, style or event-handler attribute (CSP)');
  }
  fs.writeFileSync(path.join(outdir, 'index.html'), html);
  fs.copyFileSync(path.join(webDir, 'src', 'favicon.svg'), path.join(outdir, 'favicon.svg'));
}

function listFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? listFiles(p) : [p];
  });
}

function report(outdir) {
  let total = 0;
  for (const file of listFiles(outdir).sort()) {
    const raw = fs.readFileSync(file);
    const gz = zlib.gzipSync(raw, { level: 9 }).length;
    total += gz;
    const name = path.relative(outdir, file).split(path.sep).join('/');
    const sizes = `${String(raw.length).padStart(8)} B  ${String(gz).padStart(7)} B gzip`;
    console.log(`${name.padEnd(32)} ${sizes}`);
  }
  console.log(`total gzip: ${total} B (${(total / 1024).toFixed(1)} KiB)`);
}

const { outdir } = parseArgs(process.argv.slice(2));
const esbuild = await loadEsbuild();
prepareOutdir(outdir);
const assets = await bundle(esbuild, outdir);
writePage(outdir, assets);
report(outdir);
