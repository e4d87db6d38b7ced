// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { searchWords } from '../lib/search';
import { markMatches } from './SearchHighlight';

function memo(html: string): HTMLElement {
  const root = document.createElement('div');
  root.innerHTML = `<article><div class="markdown">${html}</div><footer>quantum</footer></article>`;
  return root;
}

describe('markMatches', () => {
  it('marks the words in rendered memos only, not in code or around them', () => {
    const root = memo('<p>Quantum <em>café</em> notes</p><pre><code>quantum()</code></pre>');
    markMatches(root, searchWords('quantum cafe'));
    expect([...root.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['Quantum', 'café']);
    expect(root.querySelector('.markdown p')!.textContent).toBe('Quantum café notes');
  });

  it('marks CJK words inside longer runs', () => {
    const root = memo('<p>今天读了关于量子纠缠的论文</p>');
    markMatches(root, searchWords('量子纠缠'));
    expect(root.querySelector('mark')!.textContent).toBe('量子纠缠');
  });

  it('removes earlier marks when the words change', () => {
    const root = memo('<p>alpha beta</p>');
    markMatches(root, searchWords('alpha'));
    markMatches(root, searchWords('beta'));
    expect([...root.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['beta']);
    markMatches(root, []);
    expect(root.querySelectorAll('mark')).toHaveLength(0);
    expect(root.querySelector('p')!.childNodes).toHaveLength(1);
  });
});
