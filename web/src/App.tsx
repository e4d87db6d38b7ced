import { useCallback, useEffect, useState } from 'react';
import { authClient, Code, errorCode, errorMessage, onSessionLost } from './api';
import { AuthPage } from './components/AuthPage';
import { ErrorMessage } from './components/ErrorMessage';
import { Home } from './components/Home';
import { Loading } from './components/Spinner';
import type { User } from './gen/memoria/v1/user_service_pb';

type Session =
  | { state: 'checking' }
  | { state: 'error'; message: string }
  | { state: 'signedOut'; notice: string }
  | { state: 'signedIn'; user: User };

export function App() {
  const [session, setSession] = useState<Session>({ state: 'checking' });

  const check = useCallback(async () => {
    setSession({ state: 'checking' });
    try {
      const res = await authClient.getCurrentUser({});
      if (res.user) setSession({ state: 'signedIn', user: res.user });
      else setSession({ state: 'signedOut', notice: '' });
    } catch (err) {
      if (errorCode(err) === Code.Unauthenticated) setSession({ state: 'signedOut', notice: '' });
      else setSession({ state: 'error', message: errorMessage(err) });
    }
  }, []);

  useEffect(() => {
    void check();
  }, [check]);

  useEffect(() => {
    onSessionLost((notice) =>
      setSession((s) =>
        s.state === 'signedIn'
          ? { state: 'signedOut', notice: notice ?? 'Your session has ended. Please sign in again.' }
          : s,
      ),
    );
    return () => onSessionLost(null);
  }, []);

  switch (session.state) {
    case 'checking':
      return (
        <main className="center-page">
          <Loading label="Loading Memoria…" />
        </main>
      );
    case 'error':
      return (
        <main className="center-page">
          <h1>Memoria</h1>
          <ErrorMessage message={session.message} />
          <button type="button" onClick={() => void check()}>
            Try again
          </button>
        </main>
      );
    case 'signedOut':
      return <AuthPage notice={session.notice} onSignedIn={(user) => setSession({ state: 'signedIn', user })} />;
    case 'signedIn':
      return (
        <Home
          user={session.user}
          onUserChange={(user) => setSession({ state: 'signedIn', user })}
          onSignedOut={() => setSession({ state: 'signedOut', notice: 'You have signed out.' })}
        />
      );
  }
}
