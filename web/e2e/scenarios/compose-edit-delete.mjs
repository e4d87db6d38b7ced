// (b) Writing, editing and deleting a memo with attachments.
import { equal, match, ok } from '../lib/assert.mjs';
import { makePng } from '../lib/fixtures.mjs';
import { closeSettings, imagesLoaded, memos, memoWith, openSettings, signUp } from '../lib/ui.mjs';

export default {
  name: 'compose-edit-delete',
  description: 'compose a memo with an image and a file, filter by tag, edit, pin, change visibility, delete',
  /** @param {any} t */
  async run(t) {
    const server = await t.step('start memoria', () => t.memoria());
    const { page } = await t.actor('writer', { baseURL: server.url });
    const composer = page.getByRole('form', { name: 'New memo' });
    const text = composer.getByLabel('New memo (Markdown)');

    await t.step('sign up; the empty timeline says what to do', async () => {
      await signUp(page, 'writer', 'writer-password-1');
      await page.getByRole('heading', { name: 'No memos yet' }).waitFor();
      ok(await page.getByText('Telegram UserID').isVisible(), 'the empty state points to the Telegram setting');
    });

    await t.step('write a plain memo with Ctrl+Enter', async () => {
      await text.fill('Groceries #home\n\n- milk\n- bread');
      await text.press('Control+Enter');
      await memoWith(page, 'Groceries').waitFor();
      equal(await text.inputValue(), '', 'the composer is cleared after saving');
      equal(await memoWith(page, 'Groceries').locator('.markdown li').count(), 2, 'the Markdown list is rendered');
    });

    let imageUrl = '';
    let fileUrl = '';
    await t.step('attach an image and a text file, see each upload finish, save', async () => {
      await text.fill('Trip notes #travel\n\n**Day one**: arrived. <script>window.pwned=1</script>');
      await composer.getByLabel('Attach files').setInputFiles([
        { name: 'beach.png', mimeType: 'image/png', buffer: makePng(320, 200) },
        { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('packing list: towel\n') },
      ]);
      const queue = composer.getByRole('list', { name: 'Attachments' });
      await queue.getByText('Uploaded').nth(1).waitFor();
      equal(await queue.getByText('Uploaded').count(), 2, 'both files show as uploaded');
      await composer.getByRole('button', { name: 'Save' }).click();
      const card = memoWith(page, 'Trip notes');
      await card.waitFor();
      equal(await card.locator('strong').first().textContent(), 'Day one', 'bold text is rendered');
      ok(await card.getByText('<script>window.pwned=1</script>').isVisible(), 'raw HTML is shown as text');
      equal(await page.evaluate(() => /** @type {any} */ (window).pwned), undefined, 'raw HTML did not run');
      const widths = await imagesLoaded(card);
      equal(widths.length, 1, 'one image is shown inline');
      equal(widths[0], 320, 'the image loaded (naturalWidth)');
      imageUrl = (await card.locator('img').getAttribute('src')) ?? '';
      match(imageUrl, /^\/file\/resources\/\d+\/beach\.png$/, 'image URL');
      const link = card.getByRole('link', { name: /notes\.txt/ });
      fileUrl = (await link.getAttribute('href')) ?? '';
      match(fileUrl, /^\/file\/resources\/\d+\/notes\.txt$/, 'download link');
      const body = await page.evaluate(async (u) => (await fetch(u)).text(), fileUrl);
      equal(body, 'packing list: towel\n', 'the downloaded file has the uploaded bytes');
    });

    await t.step('a file over the upload limit is refused before any upload', async () => {
      let uploads = 0;
      const count = (/** @type {import('playwright-core').Request} */ r) => {
        if (r.url().includes('/memoria.v1.ResourceService/CreateResource')) uploads++;
      };
      page.on('request', count);
      try {
        ok(await composer.getByText('(up to 32 MiB each)').isVisible(), 'the composer names the upload limit');
        // Made in the page (sending 32 MiB through setInputFiles takes seconds).
        await composer.getByLabel('Attach files').evaluate((/** @type {HTMLInputElement} */ input) => {
          const dt = new DataTransfer();
          dt.items.add(new File([new Uint8Array(32 * 1024 * 1024 + 1)], 'huge.bin', { type: 'application/octet-stream' }));
          input.files = dt.files;
          input.dispatchEvent(new Event('change', { bubbles: true }));
        });
        const alert = composer.getByRole('alert');
        await alert.waitFor();
        equal(
          (await alert.textContent())?.trim(),
          '“huge.bin” is too large to attach: files can be at most 32 MiB.',
          'refusal message',
        );
        equal(await composer.getByRole('list', { name: 'Attachments' }).count(), 0, 'nothing was queued');
        equal(uploads, 0, 'no CreateResource request was sent');
      } finally {
        page.off('request', count);
      }
    });

    await t.step('a slow upload shows real byte progress, then can be removed', async () => {
      // Throttle uploads to ~1 MB/s so a 3 MB file takes a few seconds.
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: 1024 * 1024,
      });
      await composer.getByLabel('Attach files').setInputFiles([
        { name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(3 * 1024 * 1024, 7) },
      ]);
      const status = composer.locator('.upload-status', { hasText: /Uploading [1-9]\d?%/ });
      await status.waitFor({ timeout: 10000 });
      const seen = await status.textContent();
      ok(await composer.getByRole('progressbar', { name: 'Upload progress of big.bin' }).isVisible(), 'a progress bar is shown');
      equal(await composer.getByRole('button', { name: 'Save' }).getAttribute('aria-disabled'), 'true', 'Save is marked unavailable while a file uploads');
      await composer.getByText('Uploaded').waitFor({ timeout: 20000 });
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await cdp.detach();
      await composer.getByRole('button', { name: 'Remove big.bin' }).click();
      equal(await composer.getByRole('list', { name: 'Attachments' }).count(), 0, 'the attachment is gone');
      console.log(`      (progress seen: "${seen}")`);
    });

    await t.step('click a #tag to filter, then clear the filter', async () => {
      await memoWith(page, 'Trip notes').getByRole('button', { name: '#travel' }).click();
      await page.getByText('Showing memos tagged').waitFor();
      match(page.url(), /\?tag=travel$/, 'the filter is in the URL');
      await page.waitForFunction(() => document.querySelectorAll('article').length === 1);
      equal(await memoWith(page, 'Groceries').count(), 0, 'other memos are hidden');
      await page.getByRole('button', { name: 'Clear filter' }).click();
      await memoWith(page, 'Groceries').waitFor();
      // A #tag inside the text filters too.
      await memoWith(page, 'Groceries').locator('a.tag', { hasText: '#home' }).click();
      await page.getByText('Showing memos tagged').waitFor();
      await page.waitForFunction(() => document.querySelectorAll('article').length === 1);
      await page.goBack();
      await memoWith(page, 'Trip notes').waitFor();
    });

    await t.step('edit: change the text, drop the file, add an image', async () => {
      const card = memoWith(page, 'Trip notes');
      await card.getByRole('button', { name: 'Edit' }).click();
      const editor = card.getByRole('form', { name: 'Edit memo' });
      await editor.getByLabel('Edit memo (Markdown)').fill('Trip notes, revised #travel #beach');
      await editor.getByRole('button', { name: 'Remove notes.txt' }).click();
      await editor.getByLabel('Attach files').setInputFiles([
        { name: 'map.png', mimeType: 'image/png', buffer: makePng(200, 150, [20, 60, 160], [240, 240, 240]) },
      ]);
      await editor.getByText('Uploaded').waitFor();
      await editor.getByRole('button', { name: 'Save changes' }).click();
      await editor.waitFor({ state: 'detached' });
      const updated = memoWith(page, 'Trip notes, revised');
      await updated.waitFor();
      const widths = await imagesLoaded(updated);
      equal(widths.join(','), '320,200', 'both images are shown in order');
      equal(await updated.getByRole('link', { name: /notes\.txt/ }).count(), 0, 'the file was removed');
      ok(await updated.getByRole('button', { name: '#beach' }).isVisible(), 'the new tag is shown');
    });

    await t.step('pin it and make it public; both survive a reload', async () => {
      const card = memoWith(page, 'Trip notes, revised');
      // Make Groceries the newest-looking order check: the trip memo is older, so pinning moves it up.
      await card.getByRole('button', { name: 'Pin' }).click();
      await card.getByText('Pinned').waitFor();
      await card.getByLabel('Change visibility').selectOption({ label: 'Public' });
      await card.locator('.visibility-badge', { hasText: 'Public' }).waitFor();
      await page.reload();
      await memoWith(page, 'Trip notes, revised').waitFor();
      const first = memos(page).first();
      ok((await first.textContent())?.includes('Trip notes, revised'), 'the pinned memo is listed first');
      ok(await first.getByText('Pinned').isVisible(), 'it is still pinned');
      ok(await first.locator('.visibility-badge', { hasText: 'Public' }).isVisible(), 'it is still public');
    });

    await t.step('with public memos turned off, Public is no longer offered; the public memo still shows it', async () => {
      const dialog = await openSettings(page, 'System');
      const form = dialog.getByRole('form', { name: 'Instance' });
      await form.getByLabel('Disallow public memos').check();
      await form.getByRole('button', { name: 'Save' }).click();
      await form.getByText('Saved.').waitFor();
      await closeSettings(page);
      const options = (/** @type {import('playwright-core').Locator} */ select) =>
        select.locator('option').evaluateAll((os) =>
          os.map((o) => `${o.textContent}${/** @type {HTMLOptionElement} */ (o).disabled ? ' (disabled)' : ''}`),
        );
      const composerSelect = composer.getByLabel('Visibility');
      await page.waitForFunction(
        (el) => ![...(/** @type {HTMLSelectElement} */ (el)).options].some((o) => o.textContent === 'Public'),
        await composerSelect.elementHandle(),
      );
      equal((await options(composerSelect)).join(', '), 'Private, Signed-in users', 'composer choices');
      const card = memoWith(page, 'Trip notes, revised');
      const cardSelect = card.getByLabel('Change visibility');
      equal(await cardSelect.locator('option:checked').textContent(), 'Public', 'the public memo still shows Public');
      equal((await options(cardSelect)).join(', '), 'Private, Signed-in users, Public (disabled)', 'memo choices');
      const other = memoWith(page, 'Groceries').getByLabel('Change visibility');
      equal((await options(other)).join(', '), 'Private, Signed-in users', 'other memo choices');
    });

    await t.step('delete asks first; Cancel keeps the memo', async () => {
      const card = memoWith(page, 'Groceries');
      await card.getByRole('button', { name: 'Delete' }).click();
      const dialog = page.getByRole('dialog', { name: 'Delete this memo?' });
      await dialog.waitFor();
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'hidden' });
      ok(await card.isVisible(), 'the memo is still there');
    });

    await t.step('delete the memo with attachments; its files go too', async () => {
      const card = memoWith(page, 'Trip notes, revised');
      await card.getByRole('button', { name: 'Delete' }).click();
      const dialog = page.getByRole('dialog', { name: 'Delete this memo?' });
      ok((await dialog.textContent())?.includes('2 attached file'), 'the dialog mentions the attachments');
      await dialog.getByRole('button', { name: 'Delete memo' }).click();
      await card.waitFor({ state: 'detached' });
      await page.reload();
      await memoWith(page, 'Groceries').waitFor();
      equal(await memoWith(page, 'Trip notes').count(), 0, 'the memo stays deleted after a reload');
      const status = await page.evaluate(async (u) => (await fetch(u)).status, imageUrl);
      equal(status, 404, 'the deleted memo’s image is gone');
    });
  },
};
