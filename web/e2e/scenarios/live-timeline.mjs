// (c) The live timeline: with the page open, a memo sent through Telegram
// appears without a reload, edits and deletions made elsewhere show up, the
// tag panel follows, and after the server is killed and started again the
// page reconnects by itself and keeps up — never showing a memo twice.
import { equal, ok } from '../lib/assert.mjs';
import { waitFor } from '../lib/processes.mjs';
import { memos, memoWith, rpcFromPage, signUp } from '../lib/ui.mjs';

const TELEGRAM_USER = { id: 700222333, first_name: 'Dana', username: 'dana_tg' };
const BOT_TOKEN = '5839574812:AAFD39kkdpWt3ywyRZergyOLMaJhac60qd';

/** Calls an RPC as the page's user; throws unless it answers 200. */
async function rpc(page, method, body) {
  const res = await rpcFromPage(page, `/memoria.v1.${method}`, body);
  if (res.status !== 200) throw new Error(`${method} → ${res.status}: ${JSON.stringify(res.json)}`);
  return res.json;
}

/** Fails if any memo's text is shown on more than one card. */
async function assertNoDuplicates(page) {
  const names = await memos(page).evaluateAll((cards) => cards.map((c) => c.textContent));
  const listed = await rpc(page, 'MemoService/ListMemos', { pageSize: 100 });
  equal(names.length, (listed.memos ?? []).length, 'cards on the page vs memos on the server');
  equal(new Set(names).size, names.length, 'no memo is shown twice');
}

export default {
  name: 'live-timeline',
  description: 'Telegram memos, API edits and deletions appear on an open page; it reconnects after a server restart',
  /** @param {any} t */
  async run(t) {
    const fake = await t.step('start the fake Telegram Bot API with a bot', async () => {
      const f = await t.fakeTelegram();
      await f.createBot({ token: BOT_TOKEN, username: 'memoria_live_bot' });
      return f;
    });
    const server = await t.step('start memoria', () => t.memoria());
    const actor = await t.actor('dana', { baseURL: server.url });
    const { page } = actor;
    let watchRequests = 0;
    page.on('request', (r) => {
      if (r.url().endsWith('/memoria.v1.MemoService/WatchMemos')) watchRequests++;
    });
    const liveStatus = page.getByRole('status').filter({ hasText: 'Live:' });

    await t.step('sign up, connect the bot, link Telegram; the timeline says it is live', async () => {
      await signUp(page, 'dana', 'dana-password-1');
      await rpc(page, 'SystemSettingService/UpdateSystemSetting', {
        setting: { telegramBotToken: `${fake.url}/bot${BOT_TOKEN}` },
        updateMask: 'telegramBotToken',
      });
      await rpc(page, 'UserSettingService/UpdateUserSetting', {
        setting: { telegramUserId: String(TELEGRAM_USER.id) },
        updateMask: 'telegramUserId',
      });
      await waitFor('the bot running', async () => {
        const st = await rpc(page, 'BotService/GetBotStatus', {});
        return st.state === 'BOT_STATE_RUNNING';
      });
      await liveStatus.waitFor();
      // Set only in this page load: a reload would lose it.
      await page.evaluate(() => Object.assign(window, { e2eNoReload: true }));
    });

    await t.step('a memo sent through Telegram appears without a reload, once, and its tag in the panel', async () => {
      const t0 = Date.now();
      await fake.sendMessage({ token: BOT_TOKEN, from: TELEGRAM_USER, text: 'Hello from the phone #live' });
      const card = memoWith(page, 'Hello from the phone');
      await card.waitFor();
      console.log(`      (sent → shown on the open page in ${Date.now() - t0} ms)`);
      equal(await card.count(), 1, 'the memo is shown once');
      ok(await card.getByText('via Telegram').isVisible(), 'it carries the Telegram badge');
      await page.getByRole('complementary', { name: 'Your tags' }).getByRole('button', { name: '#live 1' }).waitFor();
      ok(await page.evaluate(() => /** @type {any} */ (window).e2eNoReload === true), 'the page was not reloaded');
    });

    const listed = await rpc(page, 'MemoService/ListMemos', { pageSize: 10 });
    const memoName = listed.memos[0].name;

    await t.step('an edit made through the API shows up, and the tag panel follows', async () => {
      await rpc(page, 'MemoService/UpdateMemo', {
        memo: { name: memoName, content: 'Hello again, edited elsewhere #edited' },
        updateMask: 'content',
      });
      await memoWith(page, 'Hello again, edited elsewhere').waitFor();
      equal(await memoWith(page, 'Hello from the phone').count(), 0, 'the old text is gone');
      const panel = page.getByRole('complementary', { name: 'Your tags' });
      await panel.getByRole('button', { name: '#edited 1' }).waitFor();
      await panel.getByRole('button', { name: '#live' }).waitFor({ state: 'detached' });
      await assertNoDuplicates(page);
    });

    await t.step('a second memo, then a delete made through the API removes its card', async () => {
      await fake.sendMessage({ token: BOT_TOKEN, from: TELEGRAM_USER, text: 'Short-lived note' });
      await memoWith(page, 'Short-lived note').waitFor();
      const all = await rpc(page, 'MemoService/ListMemos', { pageSize: 10 });
      const doomed = all.memos.find((m) => m.content === 'Short-lived note');
      await rpc(page, 'MemoService/DeleteMemo', { name: doomed.name });
      await memoWith(page, 'Short-lived note').waitFor({ state: 'detached' });
      await assertNoDuplicates(page);
    });

    await t.step('the server is killed and started again on the same port; the page reconnects by itself', async () => {
      const before = watchRequests;
      const problemsBefore = actor.problems.length;
      await server.restart({ kill: true });
      await waitFor('the page to open a new WatchMemos stream', async () => watchRequests > before, {
        timeoutMs: 45000,
        intervalMs: 200,
      });
      await liveStatus.waitFor({ timeout: 45000 });
      // While the server was down Chromium logged the refused connections;
      // those are the point of this step, not page errors.
      const during = actor.problems.splice(problemsBefore);
      const unexpected = during.filter((p) => !/Failed to load resource: net::ERR_|status of 50\d/.test(p));
      actor.problems.push(...unexpected);
      ok(await page.evaluate(() => /** @type {any} */ (window).e2eNoReload === true), 'the page was not reloaded');
    });

    await t.step('after the restart a new Telegram memo still appears, and nothing is shown twice', async () => {
      await fake.sendMessage({ token: BOT_TOKEN, from: TELEGRAM_USER, text: 'After the restart #live' });
      await memoWith(page, 'After the restart').waitFor({ timeout: 20000 });
      equal(await memoWith(page, 'After the restart').count(), 1, 'the new memo is shown once');
      equal(await memoWith(page, 'Hello again, edited elsewhere').count(), 1, 'the earlier memo is still shown once');
      await assertNoDuplicates(page);
    });
  },
};
