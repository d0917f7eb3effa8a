// Every process the suite starts is registered here, so it is stopped by its
// PID however the run ends: normally, on a failed case, on SIGTERM/SIGINT
// (ctest's timeout sends SIGTERM... then SIGKILL, which nothing can catch),
// or on an uncaught exception.
import { spawn } from 'node:child_process';

const live = new Map();  // pid -> {name, group}

// Starts `command` in its own process group (so helpers it forks, like
// stress-ng's workers, can be stopped with it) and registers it.
export function startProcess(name, command, args, options = {}) {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  live.set(child.pid, { name, group: true });
  child.once('exit', () => live.delete(child.pid));
  return child;
}

// Registers a process started elsewhere (chromium, started by playwright in
// its own process group).
export function adoptProcess(name, pid) {
  live.set(pid, { name, group: true });
}

export function forgetProcess(pid) {
  live.delete(pid);
}

function signal(pid, group, sig) {
  try {
    process.kill(group ? -pid : pid, sig);
  } catch {
    // Already gone; the group may be gone while the leader is a zombie.
    try { process.kill(pid, sig); } catch { /* gone */ }
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// SIGTERM, then SIGKILL after `graceMs`. Resolves once the process is gone.
export async function stopProcess(child, graceMs = 5000) {
  const pid = child.pid;
  if (child.exitCode !== null || child.signalCode !== null) {
    live.delete(pid);
    return;
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  signal(pid, true, 'SIGTERM');
  const timer = setTimeout(() => signal(pid, true, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  live.delete(pid);
}

export async function stopPid(pid, graceMs = 3000) {
  const entry = live.get(pid);
  signal(pid, entry?.group ?? false, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) signal(pid, entry?.group ?? false, 'SIGKILL');
  live.delete(pid);
}

// Synchronous last resort: only signals, which is all an 'exit' handler may do.
export function killAllNow() {
  for (const [pid, { group }] of live) signal(pid, group, 'SIGKILL');
  live.clear();
}

// onStopped runs (synchronously) after everything was killed.
export function installExitHandlers(onStopped) {
  process.on('exit', killAllNow);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
    process.once(sig, () => {
      console.error(`browser tests: ${sig} received, stopping everything started`);
      killAllNow();
      onStopped?.(sig);
      process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 })[sig]);
    });
  }
  process.on('uncaughtException', (err) => {
    console.error('browser tests: uncaught exception:', err);
    killAllNow();
    onStopped?.('uncaughtException');
    process.exit(1);
  });
}
