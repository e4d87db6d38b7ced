// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './markdown';

function dom(html: string): HTMLDivElement {
  const div = document.createElement('div');
  div.innerHTML = html;
  return div;
}

describe('renderMarkdown', () => {
  it('renders Markdown', () => {
    const html = renderMarkdown('**bold** and _it_\n\n- one\n- two\n\n`x < y`');
    const d = dom(html);
    expect(d.querySelector('strong')?.textContent).toBe('bold');
    expect(d.querySelector('em')?.textContent).toBe('it');
    expect(d.querySelectorAll('li')).toHaveLength(2);
    expect(d.querySelector('code')?.textContent).toBe('x < y');
  });

  it('keeps single line breaks (as Telegram text has them)', () => {
    expect(dom(renderMarkdown('a\nb')).querySelector('br')).not.toBeNull();
  });

  it.each([
    ['script tag', '<script>alert(1)</script>'],
    ['inline handler', '<img src=x onerror="alert(1)">'],
    ['iframe', '<iframe src="https://evil.example"></iframe>'],
    ['svg onload', '<svg onload="alert(1)"></svg>'],
    ['style tag', '<style>body{display:none}</style>'],
  ])('shows raw HTML as text, never as markup: %s', (_name, src) => {
    const html = renderMarkdown(src);
    const d = dom(html);
    expect(d.querySelector('script, iframe, svg, style')).toBeNull();
    expect(d.querySelector('[onerror], [onload]')).toBeNull();
    expect(d.textContent).toContain(src.slice(0, 7));
  });

  it('drops javascript: links but keeps their text', () => {
    const d = dom(renderMarkdown('[click](javascript:alert(1)) ![i](javascript:alert(2)) [ok](https://example.com)'));
    expect(d.textContent).toContain('click');
    // The safe link next to them is still a link: the rendering did happen.
    expect(d.querySelector('a[href="https://example.com"]')).not.toBeNull();
    const urls = [...d.querySelectorAll('*')].flatMap((el) => [...el.attributes].map((a) => a.value.toLowerCase()));
    expect(urls.some((u) => u.includes('javascript:'))).toBe(false);
  });

  it('keeps tg: links of Telegram text mentions, still drops data: and vbscript:', () => {
    const d = dom(renderMarkdown('[Ann](tg://user?id=42) [x](data:text/html,hi) [y](vbscript:msgbox)'));
    const hrefs = [...d.querySelectorAll('a')].map((a) => a.getAttribute('href') ?? '');
    expect(hrefs).toContain('tg://user?id=42');
    expect(hrefs.some((h) => h.startsWith('data:') || h.startsWith('vbscript:'))).toBe(false);
  });

  it('drops inline styles and data-* smuggled through Markdown', () => {
    const d = dom(renderMarkdown('[a](https://example.com "t\\" style=\\"color:red\\" data-x=\\"1") <b style="color:red" data-y="2">b</b>'));
    const a = d.querySelector('a[href="https://example.com"]');
    expect(a).not.toBeNull();
    expect(d.querySelector('[style]')).toBeNull();
    expect(d.querySelector('[data-x], [data-y]')).toBeNull();
  });

  it('opens links in a new tab without an opener', () => {
    const a = dom(renderMarkdown('see https://example.com/x')).querySelector('a');
    expect(a?.getAttribute('href')).toBe('https://example.com/x');
    expect(a?.getAttribute('target')).toBe('_blank');
    expect(a?.getAttribute('rel')).toContain('noopener');
  });

  it('links #tags in text to the tag filter', () => {
    const d = dom(renderMarkdown('Buy milk #todo and #home/kitchen.'));
    const tags = [...d.querySelectorAll<HTMLAnchorElement>('a.tag')].map((a) => a.dataset.tag);
    expect(tags).toEqual(['todo', 'home/kitchen']);
    expect(d.querySelector('a.tag')?.getAttribute('href')).toBe('?tag=todo');
  });

  it('does not turn headings, code or URL fragments into tags', () => {
    const d = dom(renderMarkdown('# Title\n\n`#notatag` and https://example.com/#frag and issue#3'));
    expect(d.querySelector('h1')?.textContent).toBe('Title');
    expect(d.querySelectorAll('a.tag')).toHaveLength(0);
  });

  it('escapes a tag that looks like markup', () => {
    const d = dom(renderMarkdown('#a"b'));
    expect(d.querySelector('a.tag')?.getAttribute('data-tag')).toBe('a');
  });
});
