import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage, memoClient } from '../api';
import type { Memo, WatchMemosResponse } from '../gen/memoria/v1/memo_service_pb';
import { applyMemoEvent, applyMemoEvents, type ShownMemos } from '../lib/memoEvents';
import { appendPage, upsertMemo } from '../lib/memos';
import { joinFilters, matchesSearch, searchFilter } from '../lib/search';
import { tagFilter } from '../lib/tags';

export const PAGE_SIZE = 20;

export interface Timeline {
  memos: Memo[];
  /** First page in flight (initial load, filter change or refresh). */
  loading: boolean;
  loadingMore: boolean;
  hasMore: boolean;
  error: string;
  loadMore: () => void;
  refresh: () => void;
  /** Shows a created or changed memo (hidden if it no longer matches the filter). */
  put: (memo: Memo) => void;
  remove: (name: string) => void;
  /** Applies a WatchMemos event (see lib/memoEvents.ts). */
  apply: (event: WatchMemosResponse) => void;
}

/** The signed-in user's memos, page by page, optionally filtered by one tag and a search (best matches first). */
export function useTimeline(tag: string, search = ''): Timeline {
  const filter = joinFilters(tag ? tagFilter(tag) : '', search ? searchFilter(search) : '');
  const [memos, setMemos] = useState<Memo[]>([]);
  const [nextToken, setNextToken] = useState('');
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState('');
  // Answers to superseded requests (an older filter) are dropped.
  const generation = useRef(0);
  // Events that arrive while a page is in flight are also replayed onto
  // that page, which may have been read before or after them.
  const inFlight = useRef(new Set<WatchMemosResponse[]>());
  const complete = useRef(false);
  const matches = useCallback(
    (m: Memo) => (!tag || m.tags.includes(tag)) && (!search || matchesSearch(m.content, search)),
    [tag, search],
  );
  // A search lists best matches first: a new memo's place is unknown until
  // the next load, so events only update or remove what is shown.
  const ranked = search !== '';
  const track = useCallback(() => {
    const events: WatchMemosResponse[] = [];
    inFlight.current.add(events);
    return { events, done: () => inFlight.current.delete(events) };
  }, []);

  const loadFirst = useCallback(async () => {
    const gen = ++generation.current;
    const pending = track();
    setLoading(true);
    setError('');
    try {
      const res = await memoClient.listMemos({ pageSize: PAGE_SIZE, filter });
      if (gen !== generation.current) return;
      const shown: ShownMemos = { complete: res.nextPageToken === '', matches, ranked };
      complete.current = shown.complete;
      setMemos([...applyMemoEvents(res.memos, pending.events, shown)]);
      setNextToken(res.nextPageToken);
    } catch (err) {
      if (gen === generation.current) setError(errorMessage(err));
    } finally {
      pending.done();
      if (gen === generation.current) setLoading(false);
    }
  }, [filter, matches, ranked, track]);

  useEffect(() => {
    setMemos([]);
    setNextToken('');
    complete.current = false;
    void loadFirst();
  }, [loadFirst]);

  const loadMore = useCallback(async () => {
    if (!nextToken || loadingMore) return;
    const gen = generation.current;
    const pending = track();
    setLoadingMore(true);
    setError('');
    try {
      const res = await memoClient.listMemos({
        pageSize: PAGE_SIZE,
        pageToken: nextToken,
        filter,
      });
      if (gen !== generation.current) return;
      const shown: ShownMemos = { complete: res.nextPageToken === '', matches, ranked };
      complete.current = shown.complete;
      setMemos((list) => [...applyMemoEvents(appendPage(list, res.memos), pending.events, shown)]);
      setNextToken(res.nextPageToken);
    } catch (err) {
      if (gen === generation.current) setError(errorMessage(err));
    } finally {
      pending.done();
      setLoadingMore(false);
    }
  }, [nextToken, loadingMore, filter, matches, track]);

  const put = useCallback(
    (memo: Memo) => {
      setMemos((list) =>
        (tag && !memo.tags.includes(tag)) || (search && !matchesSearch(memo.content, search))
          ? list.filter((m) => m.name !== memo.name)
          : upsertMemo(list, memo),
      );
    },
    [tag, search],
  );

  const remove = useCallback((name: string) => {
    setMemos((list) => list.filter((m) => m.name !== name));
  }, []);

  const apply = useCallback(
    (event: WatchMemosResponse) => {
      for (const events of inFlight.current) events.push(event);
      const shown: ShownMemos = { complete: complete.current, matches, ranked };
      setMemos((list) => {
        const next = applyMemoEvent(list, event, shown);
        return next === list ? list : [...next];
      });
    },
    [matches, ranked],
  );

  return {
    memos,
    loading,
    loadingMore,
    hasMore: nextToken !== '',
    error,
    loadMore: () => void loadMore(),
    refresh: () => void loadFirst(),
    put,
    remove,
    apply,
  };
}
