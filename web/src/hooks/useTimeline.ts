import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage, memoClient } from '../api';
import type { Memo } from '../gen/memoria/v1/memo_service_pb';
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

  const loadFirst = useCallback(async () => {
    const gen = ++generation.current;
    setLoading(true);
    setError('');
    try {
      const res = await memoClient.listMemos({ pageSize: PAGE_SIZE, filter });
      if (gen !== generation.current) return;
      setMemos(res.memos);
      setNextToken(res.nextPageToken);
    } catch (err) {
      if (gen === generation.current) setError(errorMessage(err));
    } finally {
      if (gen === generation.current) setLoading(false);
    }
  }, [filter]);

  useEffect(() => {
    setMemos([]);
    setNextToken('');
    void loadFirst();
  }, [loadFirst]);

  const loadMore = useCallback(async () => {
    if (!nextToken || loadingMore) return;
    const gen = generation.current;
    setLoadingMore(true);
    setError('');
    try {
      const res = await memoClient.listMemos({
        pageSize: PAGE_SIZE,
        pageToken: nextToken,
        filter,
      });
      if (gen !== generation.current) return;
      setMemos((list) => appendPage(list, res.memos));
      setNextToken(res.nextPageToken);
    } catch (err) {
      if (gen === generation.current) setError(errorMessage(err));
    } finally {
      setLoadingMore(false);
    }
  }, [nextToken, loadingMore, filter]);

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
  };
}
