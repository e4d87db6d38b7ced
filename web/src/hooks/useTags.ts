import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage, memoClient } from '../api';
import type { Tag } from '../gen/memoria/v1/memo_service_pb';

export interface Tags {
  /** The user's tags, most used first. */
  tags: Tag[];
  error: string;
  /** Reloads within `delayMs`, once for a whole burst of calls. */
  refreshSoon: () => void;
}

/** The signed-in user's tags with their counts (ListTags). */
export function useTags(delayMs = 500): Tags {
  const [tags, setTags] = useState<Tag[]>([]);
  const [error, setError] = useState('');
  const generation = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const load = useCallback(async () => {
    const gen = ++generation.current;
    try {
      const res = await memoClient.listTags({});
      if (gen !== generation.current) return;
      setTags(res.tags);
      setError('');
    } catch (err) {
      if (gen === generation.current) setError(errorMessage(err));
    }
  }, []);

  useEffect(() => {
    void load();
    return () => clearTimeout(timer.current);
  }, [load]);

  const refreshSoon = useCallback(() => {
    if (timer.current !== undefined) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      void load();
    }, delayMs);
  }, [load, delayMs]);

  return { tags, error, refreshSoon };
}
