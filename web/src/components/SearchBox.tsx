import { useEffect, useRef } from 'react';
import type { Search } from '../hooks/useSearch';

/** Whether a key press belongs to a field being typed in. */
function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

interface Props {
  search: Search;
  busy: boolean;
}

/** The search box over the timeline; `/` anywhere focuses it, Escape clears it. */
export function SearchBox({ search, busy }: Props) {
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || typingIn(e.target)) return;
      if (document.querySelector('[role="dialog"], dialog[open]')) return;
      e.preventDefault();
      input.current?.focus();
      input.current?.select();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  return (
    <form className="search-box" role="search" onSubmit={(e) => e.preventDefault()}>
      <label htmlFor="memo-search" className="visually-hidden">
        Search memos
      </label>
      <input
        ref={input}
        id="memo-search"
        type="search"
        value={search.input}
        placeholder="Search memos  ( / )"
        aria-keyshortcuts="/"
        aria-busy={busy}
        autoComplete="off"
        spellCheck={false}
        onChange={(e) => search.setInput(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            search.clear();
            e.currentTarget.blur();
          }
        }}
      />
    </form>
  );
}
