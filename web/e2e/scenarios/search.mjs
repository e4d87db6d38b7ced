// (e) Searching the timeline: the search box, `/`, highlighting, ranking,
// combining with a tag, and the empty result.
import { equal, match, ok } from '../lib/assert.mjs';
import { memos, memoWith, signUp } from '../lib/ui.mjs';

export default {
  name: 'search',
  description: 'search memos in several languages from the search box (/ focuses it), see matches highlighted, best first, combine with a tag, get suggestions when nothing matches',
  /** @param {any} t */
  async run(t) {
    const server = await t.step('start memoria', () => t.memoria());
    const { page } = await t.actor('searcher', { baseURL: server.url });
    const composer = page.getByRole('form', { name: 'New memo' });
    const text = composer.getByLabel('New memo (Markdown)');
    const box = page.getByRole('searchbox', { name: 'Search memos' });
    const marks = () => page.getByRole('region', { name: 'Memos' }).locator('mark.search-hit');

    await t.step('sign up and write memos in four languages', async () => {
      await signUp(page, 'searcher', 'searcher-password-1');
      for (const content of [
        'Kayak trip #travel — one kayak only',
        'Kayak, kayak, kayak: rental prices #money',
        '今天读了关于量子纠缠的论文 #reading',
        'Зимой пили чай с ёлкой',
        "L'été à Montréal, café crème",
      ]) {
        await text.fill(content);
        await text.press('Control+Enter');
        await memoWith(page, content.slice(0, 8)).waitFor();
      }
      equal(await memos(page).count(), 5, 'five memos on the timeline');
    });

    await t.step('/ focuses the search box, typing searches after a pause, best match first', async () => {
      await page.locator('body').click();
      await page.keyboard.press('/');
      ok(await box.evaluate((el) => el === document.activeElement), 'the search box has focus');
      await page.keyboard.type('KAYAK');
      await page.getByText('Best matches for “KAYAK”').waitFor();
      await page.waitForFunction(() => document.querySelectorAll('[aria-label="Memos"] article').length === 2);
      const first = (await memos(page).first().textContent()) ?? '';
      match(first, /rental prices/, 'the memo saying kayak three times comes first');
      equal(await marks().first().textContent(), 'Kayak', 'the matching word is highlighted as written');
      ok((await marks().count()) >= 5, 'every occurrence is highlighted');
      match(page.url(), /[?&]q=KAYAK/, 'the search is in the URL');
    });

    /** @param {string} q @param {string} expect */
    async function searchFor(q, expect) {
      await box.fill(q);
      await page.getByText(`Best matches for “${q}”`).waitFor();
      await page.waitForFunction(
        (want) => {
          const cards = [...document.querySelectorAll('[aria-label="Memos"] article')];
          return cards.length === 1 && cards[0].textContent?.includes(want);
        },
        expect,
      );
    }

    await t.step('Chinese inside a longer run, Russian and accented French', async () => {
      await searchFor('量子纠缠', '论文');
      equal(await marks().first().textContent(), '量子纠缠', 'the Chinese phrase is highlighted inside the run');
      await searchFor('ЧАЙ елкой', 'Зимой');
      equal((await marks().allTextContents()).join(' '), 'чай ёлкой', 'both Russian words are highlighted, ё as е');
      await searchFor('ete montreal', 'café');
      equal((await marks().allTextContents()).join(' '), 'été Montréal', 'accents do not matter');
    });

    await t.step('search combines with the tag filter', async () => {
      await box.fill('kayak');
      await page.getByText('Best matches for “kayak”').waitFor();
      await memoWith(page, 'Kayak trip').locator('a.tag', { hasText: '#travel' }).click();
      await page.getByText('tagged #travel').waitFor();
      await page.waitForFunction(() => document.querySelectorAll('[aria-label="Memos"] article').length === 1);
      match(page.url(), /tag=travel/, 'the tag is in the URL');
      match(page.url(), /q=kayak/, 'the search stays in the URL');
      await page.getByRole('button', { name: 'Clear search' }).click();
      await page.getByText('Showing memos tagged #travel').waitFor();
      equal(await marks().count(), 0, 'no highlights without a search');
    });

    await t.step('nothing found: say so and suggest what to try', async () => {
      await page.getByRole('button', { name: 'Clear filter' }).click();
      await box.fill('kayak zebra');
      const empty = page.getByRole('region', { name: 'No matching memos' });
      await empty.waitFor();
      ok(await empty.getByRole('heading', { name: 'No memos match “kayak zebra”' }).isVisible(), 'the empty result names the search');
      ok(await empty.getByText('try fewer words').isVisible(), 'it suggests fewer words');
      await empty.getByRole('button', { name: 'Clear the search' }).click();
      await page.waitForFunction(() => document.querySelectorAll('[aria-label="Memos"] article').length === 5);
      equal(await box.inputValue(), '', 'the box is empty again');
    });

    await t.step('Escape clears the box; a bad phrase is explained, not a crash', async () => {
      await box.fill('"unclosed');
      await page.getByRole('alert').filter({ hasText: 'no closing double quote' }).waitFor();
      await box.press('Escape');
      await page.waitForFunction(() => document.querySelectorAll('[aria-label="Memos"] article').length === 5);
    });
  },
};
