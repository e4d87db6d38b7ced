// One fresh Memoria server: the real binary on a free port with an empty data dir.
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { freePort, start, stop, waitFor } from './processes.mjs';

/**
 * @param {{binary: string, workDir: string, name: string}} opts
 */
export async function startMemoria({ binary, workDir, name }) {
  const dataDir = mkdtempSync(path.join(workDir, `${name}-data-`));
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const proc = start(`memoria-${name}`, binary, ['--addr', addr, '--data', dataDir], { cwd: workDir, logDir: workDir });
  const url = `http://${addr}`;
  await waitFor(`memoria on ${addr}`, async () => {
    if (proc.exited) throw new Error(`memoria exited with ${proc.exitCode}; see ${proc.logFile}`);
    const res = await fetch(`${url}/`);
    return res.status < 500;
  });
  return { url, addr, dataDir, proc, stop: () => stop(proc) };
}
