// The fake Telegram Bot API (bot/telegramtest/cmd/faketelegram) and its
// /_fake/ control API. Filled in against bot/telegramtest/README.md.
import { freePort, start, stop, waitFor } from './processes.mjs';

/** @param {{binary: string, workDir: string, name: string}} opts */
export async function startFakeTelegram({ binary, workDir, name }) {
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const proc = start(`faketelegram-${name}`, binary, ['--addr', addr], { cwd: workDir, logDir: workDir });
  const url = `http://${addr}`;
  await waitFor(`fake Telegram on ${addr}`, async () => {
    if (proc.exited) throw new Error(`faketelegram exited with ${proc.exitCode}; see ${proc.logFile}`);
    await fetch(`${url}/`);
    return true;
  });
  return { url, addr, proc, stop: () => stop(proc) };
}
