// Debian's chromium, headless, driven by playwright-core. Started as a
// playwright BrowserServer so its PID is known and registered: it is killed
// with its whole process group even when playwright itself is stuck.
import { access, constants } from 'node:fs/promises';
import { chromium } from 'playwright-core';
import { adoptProcess, forgetProcess, stopPid } from './processes.mjs';

export const CHROMIUM = process.env.PERFWATCH_CHROMIUM || '/usr/bin/chromium';

export async function launchChromium() {
  try {
    await access(CHROMIUM, constants.X_OK);
  } catch {
    throw new Error(`chromium not found at ${CHROMIUM}: run scripts/install-deps ` +
                    '(installs Debian\'s chromium) or set PERFWATCH_CHROMIUM');
  }
  const server = await chromium.launchServer({
    executablePath: CHROMIUM,
    headless: true,
    // Our own handlers stop it by PID; playwright's would race them.
    handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
    // No GPU in the test box; keep chromium from probing for one.
    args: ['--disable-gpu', '--no-first-run', '--no-default-browser-check'],
  });
  const pid = server.process().pid;
  adoptProcess('chromium', pid);
  const browser = await chromium.connect(server.wsEndpoint());
  return {
    browser,
    async close() {
      await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
      await Promise.race([server.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
      await stopPid(pid);
      forgetProcess(pid);
    },
  };
}

// Collects what must not happen on a page: console errors and warnings, uncaught
// exceptions, failed requests and HTTP errors.
export function watchPage(page) {
  const problems = [];
  // The page reports its own failures (a history fetch, a poll) as
  // warnings, so those count as well.
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') {
      problems.push(`console ${msg.type()}: ${msg.text()} (${msg.location().url})`);
    }
  });
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('requestfailed', (req) => {
    // A request cut by our own navigation away or page close is not a fault.
    const reason = req.failure()?.errorText ?? '';
    if (reason.includes('ERR_ABORTED') && page.isClosed()) return;
    problems.push(`request failed: ${req.method()} ${req.url()} ${reason}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
  });
  return problems;
}
