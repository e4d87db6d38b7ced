import { useEffect, useRef, type ReactNode } from 'react';
import { findMatches, searchWords } from '../lib/search';

/** Wraps the searched words in `<mark>` inside every rendered memo under root. */
export function markMatches(root: HTMLElement, words: string[]) {
  for (const el of root.querySelectorAll('mark.search-hit')) {
    el.replaceWith(...el.childNodes);
  }
  root.normalize();
  if (words.length === 0) return;
  for (const md of root.querySelectorAll('.markdown')) {
    const walker = document.createTreeWalker(md, NodeFilter.SHOW_TEXT);
    const texts: Text[] = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) texts.push(n as Text);
    for (const text of texts) {
      if (text.parentElement?.closest('code, pre')) continue;
      const value = text.data;
      const hits = findMatches(value, words);
      if (hits.length === 0) continue;
      const frag = document.createDocumentFragment();
      let at = 0;
      for (const [s, e] of hits) {
        if (s > at) frag.append(value.slice(at, s));
        const mark = document.createElement('mark');
        mark.className = 'search-hit';
        mark.textContent = value.slice(s, e);
        frag.append(mark);
        at = e;
      }
      if (at < value.length) frag.append(value.slice(at));
      text.replaceWith(frag);
    }
  }
}

interface Props {
  query: string;
  children: ReactNode;
}

/**
 * Highlights the words of query in the memos rendered inside, again
 * whenever the list or a memo's rendering changes.
 */
export function SearchHighlight({ query, children }: Props) {
  const root = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const el = root.current;
    if (!el) return;
    const words = searchWords(query);
    const observer = new MutationObserver(() => apply());
    function apply() {
      observer.disconnect();
      markMatches(el!, words);
      observer.observe(el!, { childList: true, subtree: true, characterData: true });
    }
    apply();
    return () => {
      observer.disconnect();
      markMatches(el, []);
    };
  }, [query]);

  return <div ref={root}>{children}</div>;
}
