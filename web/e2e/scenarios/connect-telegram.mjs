// Connect Telegram: a member asks Preferences for a deep link, gets a button
// opening t.me/<bot>?start=<code> and a QR code of it; sending that /start to
// the bot links the account.
import { equal, match, ok } from '../lib/assert.mjs';
import { openSettings, signUp } from '../lib/ui.mjs';

const BOT_USERNAME = 'memoria_connect_bot';
const BOT_TOKEN = '4839574813:AAFD39kkdpWt3ywyRZergyOLMaJhac60qd';
const TELEGRAM_USER = { id: 700654321, first_name: 'Dana' };

export default {
  name: 'connect-telegram',
  description: 'Preferences → Connect Telegram opens the right t.me link (with a QR code), and /start with it links',
  /** @param {any} t */
  async run(t) {
    const fake = await t.step('start the fake Telegram Bot API with a bot', async () => {
      const f = await t.fakeTelegram();
      await f.createBot({ token: BOT_TOKEN, username: BOT_USERNAME });
      return f;
    });
    const server = await t.step('start memoria', () => t.memoria());
    const admin = await t.actor('admin', { baseURL: server.url });

    await t.step('admin signs up and connects the bot', async () => {
      await signUp(admin.page, 'admin', 'admin-password-1');
      const dialog = await openSettings(admin.page, 'System');
      await dialog.getByLabel('Telegram Token').fill(`${fake.url}/bot${BOT_TOKEN}`);
      await dialog.getByRole('button', { name: 'Save' }).first().click();
      await dialog
        .getByRole('status')
        .filter({ hasText: `Connected as @${BOT_USERNAME}` })
        .waitFor({ timeout: 20000 });
    });

    const code = await t.step('Preferences → Connect Telegram shows the t.me link and its QR code', async () => {
      const dialog = await openSettings(admin.page, 'Preferences');
      // The settings load after the dialog opens: wait for the field (it
      // stays beside Connect Telegram) rather than look at once.
      await dialog.getByLabel('Telegram UserID').waitFor({ state: 'visible', timeout: 10000 });
      await dialog.getByRole('button', { name: 'Connect Telegram' }).click();
      const open = dialog.getByRole('link', { name: 'Open Telegram' });
      await open.waitFor();
      const href = (await open.getAttribute('href')) ?? '';
      const m = href.match(new RegExp(`^https://t\\.me/${BOT_USERNAME}\\?start=([A-Za-z0-9_-]{16,64})$`));
      ok(m, `the button opens the bot's deep link (got ${href})`);
      equal(await open.getAttribute('target'), '_blank', 'the link opens in a new tab');
      const qr = dialog.getByRole('img', { name: `QR code of ${href}` });
      await qr.waitFor();
      ok(((await qr.locator('path').getAttribute('d')) ?? '').length > 100, 'the QR code has modules');
      match((await dialog.locator('code').textContent()) ?? '', new RegExp(`/start ${m[1]}`), 'the code is shown for typing');
      return m[1];
    });

    await t.step('sending /start <code> to the bot links the account', async () => {
      await fake.sendMessage({ token: BOT_TOKEN, from: TELEGRAM_USER, text: `/start ${code}` });
      const reply = await fake.waitForBotMessage({
        token: BOT_TOKEN,
        chatId: TELEGRAM_USER.id,
        match: (text) => text.includes('now linked'),
      });
      match(reply, /admin/, 'the bot names the Memoria user');
      await admin.page.reload();
      const dialog = await openSettings(admin.page, 'Preferences');
      await dialog.getByText(`linked to Telegram user ${TELEGRAM_USER.id}`).waitFor();
    });
  },
};
