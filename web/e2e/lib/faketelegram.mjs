// The fake Telegram Bot API (bot/telegramtest/cmd/faketelegram) and the
// parts of its /_fake/ control API the scenarios use (see the telegramtest
// package documentation).
import { freePort, start, stop, waitFor } from './processes.mjs';

function botId(token) {
  return token.split(':')[0];
}

/** @param {{binary: string, workDir: string, name: string}} opts */
export async function startFakeTelegram({ binary, workDir, name }) {
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const proc = start(`faketelegram-${name}`, binary, ['--addr', addr], { cwd: workDir, logDir: workDir });
  const url = `http://${addr}`;
  await waitFor(`fake Telegram on ${addr}`, async () => {
    if (proc.exited) throw new Error(`faketelegram exited with ${proc.exitCode}; see ${proc.logFile}`);
    return (await fetch(`${url}/_fake/bots`)).ok;
  });

  async function control(method, path, body) {
    const res = await fetch(`${url}/_fake${path}`, {
      method,
      headers: body ? { 'Content-Type': 'application/json' } : undefined,
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`fake Telegram ${method} ${path} → ${res.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  }

  return {
    url,
    addr,
    proc,
    stop: () => stop(proc),
    /** Registers a bot. */
    createBot: ({ token, username }) => control('POST', '/bots', { token, username }),
    /** A text message from a Telegram user to the bot, in their private chat. */
    sendMessage: ({ token, from, text }) => control('POST', `/bots/${botId(token)}/updates`, { type: 'text', from, text }),
    /** A photo with a caption; `photo` is the image's bytes. */
    sendPhoto: ({ token, from, caption, photo }) =>
      control('POST', `/bots/${botId(token)}/updates`, {
        type: 'photo',
        from,
        caption,
        data: Buffer.from(photo).toString('base64'),
      }),
    /** The bot's state as the fake sees it (polling, confirmed offset, …). */
    botStatus: ({ token }) => control('GET', `/bots/${botId(token)}`),
    /**
     * Waits for the bot to send `chatId` a message whose text satisfies
     * `match`; returns that text.
     */
    async waitForBotMessage({ token, chatId, match, timeoutMs = 20000 }) {
      const deadline = Date.now() + timeoutMs;
      let seen = [];
      while (Date.now() < deadline) {
        const calls = await control('GET', `/bots/${botId(token)}/sent?method=sendMessage&min=${seen.length + 1}&timeout=2s`);
        seen = calls;
        const hit = calls.find((c) => String(c.params?.chat_id) === String(chatId) && match(c.params?.text ?? ''));
        if (hit) return hit.params.text;
      }
      throw new Error(
        `the bot sent no matching message to chat ${chatId} within ${timeoutMs} ms; it sent: ${JSON.stringify(
          seen.map((c) => c.params),
        )}`,
      );
    },
  };
}
