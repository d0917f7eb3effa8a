// A real perfwatch for the browser tests: its own data directory, HTTP on a
// kernel-chosen loopback port, StatsD on another, ports read back from the
// `monitoring_started` log line (JSON log format).
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import dgram from 'node:dgram';
import { spawn } from 'node:child_process';
import { startProcess, stopProcess } from './processes.mjs';

export class Perfwatch {
  // binary: path of the perfwatch executable; dataDir: fresh or imported;
  // logPath: where its stdout/stderr go (kept as an artifact).
  constructor({ binary, dataDir, logPath, ruleFiles = [], token = '', args = [] }) {
    Object.assign(this, { binary, dataDir, logPath, ruleFiles, token, args });
    this.child = null;
    this.url = '';
    this.statsdPort = 0;
  }

  async start(timeoutMs = 15000) {
    await mkdir(this.dataDir, { recursive: true });
    const args = ['--listen', '127.0.0.1:0', '--data-dir', this.dataDir,
                  '--statsd-listen', '127.0.0.1:0', '--interval', '1s', '--log-format', 'json',
                  ...this.ruleFiles.flatMap((f) => ['--rule-file', f]), ...this.args];
    // The token goes in the environment, never on a command line ps shows.
    const env = { ...process.env, PERFWATCH_SERVER_TOKEN: this.token };
    this.child = startProcess('perfwatch', this.binary, args, { env });
    const log = createWriteStream(this.logPath);
    this.child.stderr.pipe(log);
    this.child.stdout.pipe(log);
    const started = await waitForLogEvent(this.child, 'monitoring_started', timeoutMs);
    this.url = `http://${started.listen}`;
    this.statsdPort = Number(started.statsd.split(':').pop());
    await this.waitForFirstTick(timeoutMs);
    return this;
  }

  async waitForFirstTick(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const health = await this.json('/api/v1/health');
      if (health.last_tick_ms) return;
      await sleep(100);
    }
    throw new Error(`perfwatch collected no tick within ${timeoutMs} ms (log: ${this.logPath})`);
  }

  headers(extra = {}) {
    return this.token ? { Authorization: `Bearer ${this.token}`, ...extra } : extra;
  }

  async json(path, init = {}) {
    const res = await fetch(this.url + path, { ...init, headers: this.headers(init.headers) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  }

  push(samples) {
    return this.json('/api/v1/push', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(samples),
    });
  }

  async statsd(lines) {
    const socket = dgram.createSocket('udp4');
    try {
      await new Promise((resolve, reject) =>
        socket.send(Buffer.from(lines.join('\n')), this.statsdPort, '127.0.0.1',
                    (err) => (err ? reject(err) : resolve())));
    } finally {
      socket.close();
    }
  }

  async stop() {
    if (this.child) await stopProcess(this.child);
    this.child = null;
  }
}

// Runs a perfwatch subcommand (import, report) to completion.
export function runPerfwatch(binary, args, { timeoutMs = 120000, env = process.env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`perfwatch ${args[0]} exited ${code ?? sig}: ${out.slice(-2000)}`));
    });
  });
}

function waitForLogEvent(child, event, timeoutMs) {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`perfwatch did not log ${event} within ${timeoutMs} ms`)),
                             timeoutMs);
    const onData = (chunk) => {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let entry;
        try { entry = JSON.parse(line); } catch { continue; }
        if (entry.event === event) {
          clearTimeout(timer);
          child.stderr.off('data', onData);
          resolve(entry);
        } else if (entry.event === 'startup_failed') {
          clearTimeout(timer);
          reject(new Error(`perfwatch failed to start: ${entry.error}`));
        }
      }
    };
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`perfwatch exited (${code}) before ${event}`));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
