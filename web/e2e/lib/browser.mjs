// Debian's Chromium driven by playwright-core, one isolated context per actor.
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/**
 * Playwright gives every launch a fresh temporary --user-data-dir of its own
 * (it refuses one in `args`), so no profile state leaks between runs.
 */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

// Chromium logs every non-2xx fetch as "Failed to load resource". Connect
// answers errors with 4xx statuses, and some are the expected outcome
// (e.g. 401 from GetCurrentUser before signing in), so those lines are noise.
const NETWORK_NOISE = /^Failed to load resource: the server responded with a status of (401|403|404|409|400)/;

/**
 * A browser context (own cookies) with one page, recording script errors.
 * @param {import('playwright-core').Browser} browser
 * @param {string} name
 * @param {{viewport?: {width:number,height:number}, baseURL: string}} opts
 */
export async function newActor(browser, name, { viewport = DESKTOP, baseURL }) {
  const context = await browser.newContext({ viewport, baseURL, permissions: ['clipboard-read', 'clipboard-write'] });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  const problems = /** @type {string[]} */ ([]);
  page.on('pageerror', (err) => problems.push(`[${name}] uncaught: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !NETWORK_NOISE.test(msg.text())) problems.push(`[${name}] console.error: ${msg.text()}`);
  });
  return { name, context, page, problems };
}
