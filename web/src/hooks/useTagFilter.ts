import { useCallback, useEffect, useState } from 'react';

function readTag(): string {
  return new URLSearchParams(window.location.search).get('tag') ?? '';
}

/** The timeline's tag filter, kept in the URL (`?tag=…`) so Back works. */
export function useTagFilter(): [string, (tag: string) => void] {
  const [tag, setTagState] = useState(readTag);

  useEffect(() => {
    const onPop = () => setTagState(readTag());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  const setTag = useCallback((next: string) => {
    const url = new URL(window.location.href);
    if (next) url.searchParams.set('tag', next);
    else url.searchParams.delete('tag');
    if (url.href !== window.location.href) window.history.pushState(null, '', url);
    setTagState(next);
  }, []);

  return [tag, setTag];
}
