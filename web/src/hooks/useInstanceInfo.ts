import { useEffect, useSyncExternalStore } from 'react';
import { authClient, errorMessage } from '../api';
import type { InstanceInfo } from '../lib/instance';

export interface InstanceInfoState {
  /** The last answer, kept while a refresh is under way. */
  info?: InstanceInfo;
  loading: boolean;
  /** A sentence when the last fetch failed ('' otherwise). */
  error: string;
}

export interface InstanceInfoStore {
  get: () => InstanceInfoState;
  subscribe: (listener: () => void) => () => void;
  /** Fetches unless already fetched or fetching; resolves when done. */
  load: () => Promise<void>;
  /** Fetches again (after sign-up, or when an admin changed the settings). */
  refresh: () => Promise<void>;
}

/** A cache of GetInstanceInfo shared by every component of the page. */
export function createInstanceInfoStore(fetchInfo: () => Promise<InstanceInfo>): InstanceInfoStore {
  // Loading until the first answer: nothing is known yet.
  let state: InstanceInfoState = { loading: true, error: '' };
  let started = false;
  let inflight: Promise<void> | null = null;
  const listeners = new Set<() => void>();

  function set(next: InstanceInfoState) {
    state = next;
    for (const l of listeners) l();
  }

  function fetchNow(): Promise<void> {
    if (inflight) return inflight;
    started = true;
    set({ ...state, loading: true });
    inflight = fetchInfo().then(
      (info) => set({ info, loading: false, error: '' }),
      (err: unknown) => set({ info: state.info, loading: false, error: errorMessage(err) }),
    );
    void inflight.finally(() => {
      inflight = null;
    });
    return inflight;
  }

  return {
    get: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    load: () => (started ? (inflight ?? Promise.resolve()) : fetchNow()),
    refresh: fetchNow,
  };
}

const store = createInstanceInfoStore(async () => {
  const r = await authClient.getInstanceInfo({});
  return {
    firstSignUp: r.firstSignUp,
    allowSignUp: r.allowSignUp,
    disallowPublicVisibility: r.disallowPublicVisibility,
    maxUploadBytes: r.maxUploadBytes,
  };
});

/** Fetches the instance info again, e.g. after an admin changed the settings. */
export function refreshInstanceInfo(): Promise<void> {
  return store.refresh();
}

/**
 * What this instance allows (sign-up, public memos, upload size), fetched once
 * per page load and shared. `info` stays undefined while loading or when the
 * call failed; callers then behave as if nothing were restricted.
 */
export function useInstanceInfo(): InstanceInfoState {
  const state = useSyncExternalStore(store.subscribe, store.get);
  useEffect(() => {
    void store.load();
  }, []);
  return state;
}
