import { useCallback, useEffect, useState } from 'react';

/** How long typing must pause before the timeline searches. */
export const SEARCH_DEBOUNCE_MS = 250;

function readQuery(): string {
  return new URLSearchParams(window.location.search).get('q') ?? '';
}

export interface Search {
  /** What the search box shows. */
  input: string;
  setInput: (text: string) => void;
  /** The query the timeline uses: input after a pause in typing, trimmed. */
  query: string;
  clear: () => void;
}

/**
 * The timeline's search, kept in the URL (`?q=…`, replaced rather than
 * pushed while typing) so a reload or a shared link shows the same results.
 */
export function useSearch(): Search {
  const [input, setInput] = useState(readQuery);
  const [query, setQuery] = useState(() => readQuery().trim());

  useEffect(() => {
    const next = input.trim();
    if (next === query) return;
    const t = window.setTimeout(() => setQuery(next), SEARCH_DEBOUNCE_MS);
    return () => window.clearTimeout(t);
  }, [input, query]);

  useEffect(() => {
    const url = new URL(window.location.href);
    if (query) url.searchParams.set('q', query);
    else url.searchParams.delete('q');
    if (url.href !== window.location.href) window.history.replaceState(window.history.state, '', url);
  }, [query]);

  useEffect(() => {
    const onPop = () => {
      const q = readQuery();
      setInput(q);
      setQuery(q.trim());
    };
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  const clear = useCallback(() => {
    setInput('');
    setQuery('');
  }, []);

  return { input, setInput, query, clear };
}
