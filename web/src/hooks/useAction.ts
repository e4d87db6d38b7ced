import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage, type ErrorOverrides } from '../api';

export interface Action<A extends unknown[], R> {
  /** Runs the call; resolves to its result, or undefined when it failed. */
  run: (...args: A) => Promise<R | undefined>;
  pending: boolean;
  /** A sentence for the user, or '' when the last run succeeded. */
  error: string;
  setError: (message: string) => void;
}

/**
 * Wraps an API call with the pending flag and the readable error message that
 * every button and form in the UI shows.
 */
export function useAction<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
  overrides?: ErrorOverrides,
): Action<A, R> {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState('');
  const mounted = useRef(true);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const overridesRef = useRef(overrides);
  overridesRef.current = overrides;

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const run = useCallback(async (...args: A): Promise<R | undefined> => {
    setPending(true);
    setError('');
    try {
      return await fnRef.current(...args);
    } catch (err) {
      if (mounted.current) setError(errorMessage(err, overridesRef.current));
      return undefined;
    } finally {
      if (mounted.current) setPending(false);
    }
  }, []);

  return { run, pending, error, setError };
}
