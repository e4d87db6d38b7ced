// Starting and stopping the real binaries the end-to-end tests drive.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Every child we started, so the runner can stop them whatever happens. */
const children = new Set();

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Runs a command to completion (for builds). Rejects with its output on failure.
 * @param {string} cmd @param {string[]} args @param {{cwd: string, env?: NodeJS.ProcessEnv}} opts
 */
export function run(cmd, args, opts) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${out}`)),
    );
  });
}

/**
 * Starts a long-running process, its output going to <logDir>/<name>.log.
 * @param {string} name @param {string} cmd @param {string[]} args
 * @param {{cwd: string, logDir: string, env?: NodeJS.ProcessEnv}} opts
 */
export function start(name, cmd, args, opts) {
  const logFile = path.join(opts.logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  // Its own process group, so stopping it also stops anything it spawned.
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const proc = { name, child, logFile, exited: false, exitCode: /** @type {number|null} */ (null) };
  child.on('exit', (code) => {
    proc.exited = true;
    proc.exitCode = code;
    children.delete(proc);
  });
  children.add(proc);
  return proc;
}

function signalGroup(child, sig) {
  try {
    process.kill(-child.pid, sig);
  } catch {
    try {
      child.kill(sig);
    } catch {
      // already gone
    }
  }
}

/** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process is gone. */
export async function stop(proc, graceMs = 5000) {
  if (!proc || proc.exited) return;
  const gone = new Promise((resolve) => proc.child.once('exit', resolve));
  signalGroup(proc.child, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(proc.child, 'SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/** SIGKILL at once (a crash, no graceful stop). Resolves when the process is gone. */
export async function kill(proc) {
  if (!proc || proc.exited) return;
  const gone = new Promise((resolve) => proc.child.once('exit', resolve));
  signalGroup(proc.child, 'SIGKILL');
  await gone;
}

/** Stops every child still running (used on exit and on signals). */
export async function stopAll() {
  await Promise.all([...children].map((p) => stop(p, 2000)));
}

/** Synchronous last resort for process 'exit'. */
export function killAllNow() {
  for (const p of children) signalGroup(p.child, 'SIGKILL');
}

/** Polls `check` until it returns true, or throws after `timeoutMs`. */
export async function waitFor(what, check, { timeoutMs = 20000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastErr;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${lastErr.message}` : ''}`);
}
