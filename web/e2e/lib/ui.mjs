// What a person does in the Memoria UI, as reusable steps.
import { ok } from './assert.mjs';

/** @typedef {import('playwright-core').Page} Page */

/**
 * Creates the first account of a fresh instance.
 * @param {Page} page
 */
export async function signUp(page, username, password) {
  await page.goto('/');
  // Only ever the first account of a fresh instance: the page opens in sign-up mode.
  await page.getByRole('heading', { name: 'Create an account' }).waitFor();
  ok(
    await page.getByText('You are the first: this account becomes the administrator.').isVisible(),
    'the sign-up page says the first account becomes the administrator',
  );
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Confirm password').fill(password);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByRole('button', { name: 'Settings', exact: true }).waitFor();
}

/** @param {Page} page */
export async function signIn(page, username, password) {
  await page.goto('/');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Settings', exact: true }).waitFor();
}

/** @param {Page} page */
export async function signOut(page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
}

/**
 * Opens Settings at a section: 'My account' | 'Preferences' | 'System' | 'Members'.
 * @param {Page} page
 */
export async function openSettings(page, section) {
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  if (!(await dialog.isVisible())) {
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await dialog.waitFor();
  }
  await dialog.getByRole('navigation', { name: 'Settings sections' }).getByRole('button', { name: section }).click();
  await dialog.getByRole('heading', { name: section, level: 3 }).waitFor();
  return dialog;
}

/** @param {Page} page */
export async function closeSettings(page) {
  await page.getByRole('button', { name: 'Close settings' }).click();
  await page.getByRole('dialog', { name: 'Settings' }).waitFor({ state: 'detached' });
}

/** The memo cards on the timeline. @param {Page} page */
export function memos(page) {
  return page.getByRole('region', { name: 'Memos' }).getByRole('article');
}

/** The card whose text contains `text`. @param {Page} page */
export function memoWith(page, text) {
  return memos(page).filter({ hasText: text });
}

/**
 * Checks that every <img> inside `locator` has loaded real pixels.
 * @param {import('playwright-core').Locator} locator
 */
export async function imagesLoaded(locator) {
  const imgs = locator.locator('img');
  const n = await imgs.count();
  const widths = [];
  for (let i = 0; i < n; i++) {
    const img = imgs.nth(i);
    await img.scrollIntoViewIfNeeded();
    widths.push(
      await img.evaluate(
        (el) =>
          new Promise((resolve) => {
            const im = /** @type {HTMLImageElement} */ (el);
            const done = () => resolve(im.naturalWidth);
            if (im.complete) done();
            else {
              im.addEventListener('load', done, { once: true });
              im.addEventListener('error', done, { once: true });
            }
          }),
      ),
    );
  }
  return widths;
}

/**
 * Calls a Connect RPC from inside the page with the page's own cookie,
 * returning the HTTP status and the decoded JSON body.
 * @param {Page} page
 */
export function rpcFromPage(page, path, body = {}) {
  return page.evaluate(
    async ({ path, body }) => {
      const res = await fetch(path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Connect-Protocol-Version': '1' },
        body: JSON.stringify(body),
      });
      let json = null;
      try {
        json = await res.json();
      } catch {
        // not JSON
      }
      return { status: res.status, json };
    },
    { path, body },
  );
}
