// (a) The seed's story: the admin connects the Telegram bot through a proxy
// URL, a Telegram user learns their id from the bot, a member links it in
// Preferences, sends a photo with a caption, and sees it on their timeline.
import { equal, match, ok } from '../lib/assert.mjs';
import { makePng } from '../lib/fixtures.mjs';
import { waitFor } from '../lib/processes.mjs';
import { imagesLoaded, memoWith, openSettings, signIn, signUp } from '../lib/ui.mjs';

const TELEGRAM_USER = { id: 700123456, first_name: 'Carol', username: 'carol_tg' };
const BOT_USERNAME = 'memoria_e2e_bot';
const BOT_TOKEN = '4839574812:AAFD39kkdpWt3ywyRZergyOLMaJhac60qc';

export default {
  name: 'telegram-story',
  description: 'admin connects the bot via a proxy URL; a member links Telegram and gets a photo memo',
  /** @param {any} t */
  async run(t) {
    const fake = await t.step('start the fake Telegram Bot API with a bot', async () => {
      const f = await t.fakeTelegram();
      await f.createBot({ token: BOT_TOKEN, username: BOT_USERNAME });
      return f;
    });
    const server = await t.step('start memoria', () => t.memoria());
    const admin = await t.actor('admin', { baseURL: server.url });
    const member = await t.actor('member', { baseURL: server.url });

    await t.step('admin signs up; the bot is "Not configured"', async () => {
      await signUp(admin.page, 'admin', 'admin-password-1');
      const dialog = await openSettings(admin.page, 'System');
      await dialog.getByRole('status').filter({ hasText: 'Not configured' }).waitFor();
    });

    await t.step('a malformed token is refused with the server’s message next to the field', async () => {
      const dialog = await openSettings(admin.page, 'System');
      const field = dialog.getByLabel('Telegram Token');
      await field.fill('not-a-token');
      await dialog.getByRole('button', { name: 'Save' }).first().click();
      const alert = dialog.getByRole('alert');
      await alert.waitFor();
      match(await alert.textContent(), /bot|token/i, 'the validation message');
      equal(await field.getAttribute('aria-invalid'), 'true', 'the field is marked invalid');
      ok(!(await alert.textContent())?.includes('invalid_argument'), 'no raw code is shown');
    });

    await t.step('admin pastes the proxy URL and sees "Connected as @…"', async () => {
      const dialog = await openSettings(admin.page, 'System');
      await dialog.getByLabel('Telegram Token').fill(`${fake.url}/bot${BOT_TOKEN}`);
      await dialog.getByRole('button', { name: 'Save' }).first().click();
      await dialog.getByText('Saved. The bot restarts with the new token.').waitFor();
      await dialog
        .getByRole('status')
        .filter({ hasText: `Connected as @${BOT_USERNAME}` })
        .waitFor({ timeout: 20000 });
    });

    await t.step('a Telegram user messages the bot and gets their numeric id back', async () => {
      await fake.sendMessage({ token: BOT_TOKEN, from: TELEGRAM_USER, text: 'hello' });
      const reply = await fake.waitForBotMessage({
        token: BOT_TOKEN,
        chatId: TELEGRAM_USER.id,
        match: (text) => text.includes(String(TELEGRAM_USER.id)),
      });
      match(reply, /Preferences/, 'the reply says where to paste the id');
      console.log(`      (bot replied: ${JSON.stringify(reply.length > 160 ? `${reply.slice(0, 160)}…` : reply)})`);
    });

    await t.step('admin adds the member in Settings → Members', async () => {
      const dialog = await openSettings(admin.page, 'Members');
      await dialog.getByLabel('Username').fill('carol');
      await dialog.getByLabel('Password', { exact: true }).fill('carol-password-1');
      await dialog.getByRole('button', { name: 'Add member' }).click();
      await dialog.getByRole('rowheader', { name: 'carol' }).waitFor();
    });

    await t.step('the member signs in and pastes the id into Preferences → Telegram UserID', async () => {
      await signIn(member.page, 'carol', 'carol-password-1');
      const dialog = await openSettings(member.page, 'Preferences');
      await dialog.getByLabel('Telegram UserID').fill(String(TELEGRAM_USER.id));
      await dialog.getByRole('button', { name: 'Save' }).first().click();
      await dialog.getByText(`linked to Telegram user ${TELEGRAM_USER.id}`).waitFor();
      await member.page.getByRole('button', { name: 'Close settings' }).click();
    });

    await t.step('the same id cannot be linked to a second account (readable message)', async () => {
      const dialog = await openSettings(admin.page, 'Preferences');
      await dialog.getByLabel('Telegram UserID').fill(String(TELEGRAM_USER.id));
      await dialog.getByRole('button', { name: 'Save' }).first().click();
      const alert = dialog.getByRole('alert');
      await alert.waitFor();
      match(await alert.textContent(), /already linked to another Memoria account/, 'ALREADY_EXISTS message');
    });

    await t.step('the member sends a photo with a caption through Telegram', async () => {
      await fake.sendPhoto({
        token: BOT_TOKEN,
        from: TELEGRAM_USER,
        caption: 'Sunset from the ferry #telegram',
        photo: makePng(480, 320, [240, 120, 60], [60, 40, 120]),
      });
    });

    await t.step('the memo appears on the member’s timeline with the image', async () => {
      const card = memoWith(member.page, 'Sunset from the ferry');
      await waitFor(
        'the Telegram memo on the timeline',
        async () => {
          if (await card.count()) return true;
          await member.page.getByRole('button', { name: 'Refresh' }).click();
          await member.page.getByRole('button', { name: 'Refresh' }).waitFor();
          return (await card.count()) > 0;
        },
        { timeoutMs: 20000, intervalMs: 500 },
      );
      ok(await card.getByText('via Telegram').isVisible(), 'the memo carries the Telegram badge');
      ok(await card.getByRole('button', { name: '#telegram' }).isVisible(), 'the caption’s tag is shown');
      const widths = await imagesLoaded(card);
      equal(widths.length, 1, 'one image');
      ok(widths[0] > 0, `the image loaded (naturalWidth ${widths[0]})`);
      console.log(`      (image naturalWidth ${widths[0]}, src ${await card.locator('img').getAttribute('src')})`);
    });
  },
};
