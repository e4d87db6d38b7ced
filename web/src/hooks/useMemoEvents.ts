import { useEffect, useRef, useState } from 'react';
import { Code, errorCode, memoClient, notifySessionLost } from '../api';
import { MemoEventType, type WatchMemosResponse } from '../gen/memoria/v1/memo_service_pb';
import { reconnectDelay } from '../lib/memoEvents';

/** Whether the page is receiving changes as they happen. */
export type LiveState = 'connecting' | 'live' | 'reconnecting';

export interface MemoEventHandlers {
  /**
   * The stream is open (first time or after a reconnect): changes from now
   * on will arrive, so this is when to reload what is shown to catch up.
   */
  onSubscribed: () => void;
  /** A change to one of the user's memos. */
  onEvent: (event: WatchMemosResponse) => void;
}

/**
 * Keeps a WatchMemos stream open while mounted, reconnecting by itself with
 * backoff (1 s doubling to 30 s) whenever it ends — the server restarted,
 * the network dropped, or the page fell behind and the server ended it.
 */
export function useMemoEvents(handlers: MemoEventHandlers): LiveState {
  const latest = useRef(handlers);
  useEffect(() => {
    latest.current = handlers;
  });
  const [state, setState] = useState<LiveState>('connecting');

  useEffect(() => {
    const stop = new AbortController();
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const connect = async () => {
      try {
        let opened = false;
        for await (const event of memoClient.watchMemos({}, { signal: stop.signal })) {
          if (!opened) {
            // The server opens every stream with a keep-alive once it is subscribed.
            opened = true;
            attempt = 0;
            setState('live');
            latest.current.onSubscribed();
          }
          if (event.type !== MemoEventType.UNSPECIFIED) latest.current.onEvent(event);
        }
      } catch (err) {
        if (stop.signal.aborted) return;
        if (errorCode(err) === Code.Unauthenticated) {
          notifySessionLost();
          return;
        }
      }
      if (stop.signal.aborted) return;
      setState('reconnecting');
      timer = setTimeout(() => void connect(), reconnectDelay(attempt++));
    };
    void connect();
    return () => {
      stop.abort();
      clearTimeout(timer);
    };
  }, []);

  return state;
}
