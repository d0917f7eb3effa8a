#!/usr/bin/env node
// Browser tests of the dashboard and the HTML report: a real perfwatch, real
// chromium (Debian's, headless), playwright-core. A small runner rather than
// node:test, because each suite shares one perfwatch and one chromium across
// its cases and must stop both by PID however it ends.
//
//   node tests/browser/run.mjs --perfwatch build/perfwatch \
//       [--artifacts build/artifacts/browser] [--suite dashboard|alerts|tuning|perf|all]
//       [--case SUBSTRING] [--keep] [--timeout SECONDS]
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { installExitHandlers, killAllNow } from './lib/processes.mjs';

try {
  import.meta.resolve('playwright-core');
} catch {
  console.error('tests/browser/node_modules is missing playwright-core: run scripts/install-deps ' +
                '(npm ci in tests/browser)');
  process.exit(1);
}
const { launchChromium } = await import('./lib/browser.mjs');
const SUITES = {
  dashboard: (await import('./suites/dashboard.mjs')).default,
  alerts: (await import('./suites/alerts.mjs')).default,
  tuning: (await import('./suites/tuning.mjs')).default,
  perf: (await import('./suites/perf.mjs')).default,
};

const { values: opts } = parseArgs({
  options: {
    perfwatch: { type: 'string' },
    artifacts: { type: 'string' },
    suite: { type: 'string', default: 'all' },
    case: { type: 'string', default: '' },
    keep: { type: 'boolean', default: false },
    timeout: { type: 'string', default: '600' },
  },
});
if (!opts.perfwatch) {
  console.error('usage: run.mjs --perfwatch PATH [--artifacts DIR] [--suite NAME|all] [--case TEXT]');
  process.exit(2);
}
const binary = path.resolve(opts.perfwatch);
const artifacts = path.resolve(opts.artifacts ?? path.join(path.dirname(binary), 'artifacts', 'browser'));
const suiteNames = opts.suite === 'all' ? Object.keys(SUITES) : opts.suite.split(',');
for (const name of suiteNames) {
  if (!SUITES[name]) {
    console.error(`unknown suite "${name}" (have: ${Object.keys(SUITES).join(', ')})`);
    process.exit(2);
  }
}

const scratchDirs = [];
const removeScratch = () => {
  if (!opts.keep) for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
};
installExitHandlers(removeScratch);
// ctest's TIMEOUT is the outer bound; this one reports which case hung.
let current = '(setup)';
const watchdog = setTimeout(() => {
  console.error(`browser tests: whole run exceeded ${opts.timeout} s during "${current}"`);
  killAllNow();
  removeScratch();
  process.exit(1);
}, Number(opts.timeout) * 1000);
watchdog.unref();

const failures = [];
const started = Date.now();
await mkdir(artifacts, { recursive: true });
for (const name of suiteNames) await runSuite(name, SUITES[name]);
removeScratch();

const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (failures.length) {
  console.log(`\n${failures.length} failed (${seconds} s):`);
  for (const f of failures) console.log(`  ${f}`);
  process.exit(1);
}
console.log(`\nall passed (${seconds} s); artifacts in ${artifacts}`);
process.exit(0);

async function runSuite(name, suite) {
  const scratch = await mkdtemp(path.join(tmpdir(), `perfwatch-browser-${name}-`));
  scratchDirs.push(scratch);
  const ctx = { binary, artifacts, scratch, suite: name, log: (...a) => console.log(`  [${name}]`, ...a) };
  console.log(`# suite ${name} (scratch ${scratch})`);
  let chromium;
  let env;
  try {
    current = `${name}: setup`;
    chromium = await launchChromium();
    ctx.browser = chromium.browser;
    env = await suite.setup(ctx);
  } catch (err) {
    failures.push(`${name}: setup: ${err.message}`);
    console.log(`not ok - ${name}: setup\n${indent(err.stack ?? String(err))}`);
    await suite.teardown?.(env ?? ctx).catch(() => {});
    await chromium?.close();
    return;
  }
  for (const test of suite.cases) {
    if (opts.case && !test.name.includes(opts.case)) continue;
    current = `${name}: ${test.name}`;
    const t0 = Date.now();
    try {
      await withTimeout(test.run(env), test.timeoutMs ?? 60000, test.name);
      console.log(`ok - ${name}: ${test.name} (${Date.now() - t0} ms)`);
    } catch (err) {
      failures.push(`${name}: ${test.name}: ${err.message.split('\n')[0]}`);
      console.log(`not ok - ${name}: ${test.name} (${Date.now() - t0} ms)\n${indent(err.stack ?? String(err))}`);
      await env.onFailure?.(test.name).catch(() => {});
    }
  }
  current = `${name}: teardown`;
  await suite.teardown?.(env).catch((err) => failures.push(`${name}: teardown: ${err.message}`));
  await chromium.close();
}

function withTimeout(promise, ms, what) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

function indent(text) {
  return text.split('\n').map((l) => `    ${l}`).join('\n');
}
