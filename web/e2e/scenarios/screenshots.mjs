// Screenshots (docs/screenshots/ with --docs): the timeline and the settings sections
// at desktop (1280×800) and phone (390×844) width, from a seeded instance.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DESKTOP, PHONE } from '../lib/browser.mjs';
import { makePng } from '../lib/fixtures.mjs';
import { waitFor } from '../lib/processes.mjs';
import { closeSettings, imagesLoaded, memoWith, openSettings, signUp } from '../lib/ui.mjs';

const BOT_TOKEN = '7000000001:AAHscreenshotTokenForDocs_only-1';

const seedMemos = [
  {
    text: 'Welcome to **Memoria**\n\nWrite notes in Markdown, tag them like #ideas, and send photos to the Telegram bot.',
    files: [],
    pin: true,
  },
  {
    text: 'Reading list #books\n\n1. *The Pragmatic Programmer*\n2. *A Philosophy of Software Design*',
    files: [],
  },
  {
    text: 'Meeting notes #work\n\n- ship the web UI\n- `go test ./...` is green\n- next: album support',
    files: [{ name: 'agenda.txt', mimeType: 'text/plain', buffer: Buffer.from('1. demo\n2. questions\n') }],
  },
  {
    text: 'Weekend hike #travel #photos\n\nClear skies above the ridge.',
    files: [{ name: 'ridge.png', mimeType: 'image/png', buffer: makePng(640, 360, [40, 90, 140], [250, 190, 120]) }],
  },
];

export default {
  name: 'screenshots',
  description: 'seed an instance and screenshot the timeline and settings at desktop and phone width',
  /** @param {any} t */
  async run(t) {
    const out = t.screenshotsDir;
    mkdirSync(out, { recursive: true });
    const fake = await t.step('start the fake Telegram Bot API with a bot', async () => {
      const f = await t.fakeTelegram();
      await f.createBot({ token: BOT_TOKEN, username: 'memoria_notes_bot' });
      return f;
    });
    const server = await t.step('start memoria', () => t.memoria());
    const { page } = await t.actor('ada', { baseURL: server.url, viewport: DESKTOP });

    await t.step('seed: admin, display name, memos, a member, a Telegram id', async () => {
      await signUp(page, 'ada', 'ada-password-1');
      let dialog = await openSettings(page, 'My account');
      await dialog.getByLabel('Display name').fill('Ada Lovelace');
      await dialog.getByRole('button', { name: 'Save' }).first().click();
      await dialog.getByText('Saved.').waitFor();
      dialog = await openSettings(page, 'Members');
      await dialog.getByLabel('Username').fill('grace');
      await dialog.getByLabel('Password', { exact: true }).fill('grace-password-1');
      await dialog.getByRole('button', { name: 'Add member' }).click();
      await dialog.getByRole('rowheader', { name: 'grace' }).waitFor();
      dialog = await openSettings(page, 'Preferences');
      await dialog.getByLabel('Telegram UserID').fill('123456789');
      await dialog.getByRole('button', { name: 'Save' }).first().click();
      await dialog.getByText('linked to Telegram user 123456789').waitFor();
      dialog = await openSettings(page, 'System');
      await dialog.getByLabel('Telegram Token').fill(`${fake.url}/bot${BOT_TOKEN}`);
      await dialog.getByRole('button', { name: 'Save' }).first().click();
      await dialog.getByRole('status').filter({ hasText: 'Connected as @memoria_notes_bot' }).waitFor({ timeout: 20000 });
      await closeSettings(page);

      const composer = page.getByRole('form', { name: 'New memo' });
      for (const m of seedMemos) {
        await composer.getByLabel('New memo (Markdown)').fill(m.text);
        if (m.files.length) {
          await composer.getByLabel('Attach files').setInputFiles(m.files);
          await composer.getByText('Uploaded').nth(m.files.length - 1).waitFor();
        }
        await composer.getByRole('button', { name: 'Save' }).click();
        const first = m.text.split('\n')[0].replace(/\*\*/g, '');
        await memoWith(page, first).waitFor();
        if (m.pin) await memoWith(page, first).getByRole('button', { name: 'Pin' }).click();
      }

      await fake.sendPhoto({
        token: BOT_TOKEN,
        from: { id: 123456789, first_name: 'Ada' },
        caption: 'Harbour at dusk, sent from my phone #photos',
        photo: makePng(800, 450, [30, 50, 110], [240, 150, 90]),
      });
      await waitFor(
        'the Telegram memo',
        async () => {
          await page.getByRole('button', { name: 'Refresh' }).click();
          await page.getByRole('button', { name: 'Refresh' }).waitFor();
          return (await memoWith(page, 'Harbour at dusk').count()) > 0;
        },
        { timeoutMs: 20000, intervalMs: 500 },
      );
    });

    for (const [label, viewport] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ]) {
      await t.step(`screenshots at ${label} width`, async () => {
        await page.setViewportSize(viewport);
        await page.goto('/');
        await memoWith(page, 'Harbour at dusk').waitFor();
        await imagesLoaded(page.getByRole('region', { name: 'Memos' }));
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({ path: path.join(out, `timeline-${label}.png`) });
        for (const [section, file] of [
          ['My account', 'settings-account'],
          ['Preferences', 'settings-preferences'],
          ['System', 'settings-system'],
          ['Members', 'settings-members'],
        ]) {
          const dialog = await openSettings(page, section);
          if (section === 'System') await dialog.locator('.bot-status:not([data-state="unknown"])').waitFor();
          if (section === 'My account') await dialog.getByText('You have no access tokens.').waitFor();
          await page.screenshot({ path: path.join(out, `${file}-${label}.png`) });
        }
        await closeSettings(page);
      });
    }
  },
};
