// One fresh Memoria server: the real binary on a free port with an empty data
// dir (and, with `db`, that PostgreSQL database instead of SQLite in it).
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { freePort, kill as killProcess, start, stop, waitFor } from './processes.mjs';

/**
 * @param {{binary: string, workDir: string, name: string, db?: string}} opts
 */
export async function startMemoria({ binary, workDir, name, db }) {
  const dataDir = mkdtempSync(path.join(workDir, `${name}-data-`));
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const url = `http://${addr}`;
  const launch = async () => {
    const args = ['--addr', addr, '--data', dataDir, ...(db ? ['--db', db] : [])];
    const proc = start(`memoria-${name}`, binary, args, { cwd: workDir, logDir: workDir });
    await waitFor(`memoria on ${addr}`, async () => {
      if (proc.exited) throw new Error(`memoria exited with ${proc.exitCode}; see ${proc.logFile}`);
      const res = await fetch(`${url}/`);
      return res.status < 500;
    });
    return proc;
  };
  const server = {
    url,
    addr,
    dataDir,
    proc: await launch(),
    stop: () => stop(server.proc),
    /**
     * Stops the server (SIGKILL with `kill`, else SIGTERM) and starts it
     * again on the same address with the same data.
     */
    async restart({ kill = false } = {}) {
      await (kill ? killProcess(server.proc) : stop(server.proc));
      server.proc = await launch();
    },
  };
  return server;
}
