import { useEffect, useId, useState, type FormEvent } from 'react';
import { authClient, Code } from '../api';
import type { User } from '../gen/memoria/v1/user_service_pb';
import { useAction } from '../hooks/useAction';
import { refreshInstanceInfo, useInstanceInfo } from '../hooks/useInstanceInfo';
import { canSignUp, initialAuthMode, type AuthMode as Mode } from '../lib/instance';
import { ErrorMessage } from './ErrorMessage';
import { Loading } from './Spinner';

interface Props {
  notice: string;
  onSignedIn: (user: User) => void;
}

/**
 * Sign in, or create an account (the first one on an instance is its admin).
 * What is offered follows GetInstanceInfo; if that call fails, both are
 * offered and the server decides.
 */
export function AuthPage({ notice, onSignedIn }: Props) {
  const instance = useInstanceInfo();
  const { info } = instance;
  const [chosenMode, setMode] = useState<Mode>(() => initialAuthMode(info));
  const signUpOpen = canSignUp(info);
  const mode: Mode = signUpOpen ? chosenMode : 'signIn';
  const first = info?.firstSignUp ?? false;
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const ids = { user: useId(), pass: useId(), confirm: useId(), passHint: useId(), error: useId() };

  const signIn = useAction(() => authClient.signIn({ username: username.trim(), password }));
  const signUp = useAction(() => authClient.signUp({ username: username.trim(), password }), {
    [Code.PermissionDenied]:
      'Sign-up is closed on this instance. Ask an administrator to create an account for you, or to allow sign-up.',
  });
  const action = mode === 'signIn' ? signIn : signUp;

  // The first account: open in sign-up mode once that is known.
  useEffect(() => {
    if (first) setMode('signUp');
  }, [first]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (mode === 'signUp' && password !== confirm) {
      signUp.setError('The two passwords differ.');
      return;
    }
    const res = await action.run();
    // Sign-up may have closed, or the first account now exists: ask again.
    void refreshInstanceInfo();
    if (res?.user) onSignedIn(res.user);
  }

  function switchTo(next: Mode) {
    setMode(next);
    signIn.setError('');
    signUp.setError('');
  }

  const title = mode === 'signIn' ? 'Sign in' : 'Create an account';

  if (!info && instance.loading) {
    return (
      <main className="auth-page">
        <div className="auth-card">
          <p className="brand" aria-hidden="true">
            <img src="/favicon.svg" alt="" width="28" height="28" /> Memoria
          </p>
          <Loading label="Loading…" />
        </div>
      </main>
    );
  }

  return (
    <main className="auth-page">
      <div className="auth-card">
        <p className="brand" aria-hidden="true">
          <img src="/favicon.svg" alt="" width="28" height="28" /> Memoria
        </p>
        <h1>{title}</h1>
        {notice ? (
          <p className="notice" role="status">
            {notice}
          </p>
        ) : null}
        {mode === 'signUp' && first ? (
          <p className="hint">You are the first: this account becomes the administrator.</p>
        ) : mode === 'signUp' && !info ? (
          <p className="hint">
            The first account created on a new Memoria becomes its <strong>administrator</strong>. After that,
            new accounts can sign up only if an administrator allows it.
          </p>
        ) : null}
        <form onSubmit={submit} aria-describedby={action.error ? ids.error : undefined} noValidate={false}>
          <label htmlFor={ids.user}>Username</label>
          <input
            id={ids.user}
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            maxLength={32}
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
          <label htmlFor={ids.pass}>Password</label>
          <input
            id={ids.pass}
            name="password"
            type="password"
            autoComplete={mode === 'signIn' ? 'current-password' : 'new-password'}
            required
            minLength={mode === 'signUp' ? 8 : undefined}
            value={password}
            aria-describedby={mode === 'signUp' ? ids.passHint : undefined}
            onChange={(e) => setPassword(e.target.value)}
          />
          {mode === 'signUp' ? (
            <>
              <p className="field-hint" id={ids.passHint}>
                At least 8 characters.
              </p>
              <label htmlFor={ids.confirm}>Confirm password</label>
              <input
                id={ids.confirm}
                name="confirm-password"
                type="password"
                autoComplete="new-password"
                required
                value={confirm}
                onChange={(e) => setConfirm(e.target.value)}
              />
            </>
          ) : null}
          <ErrorMessage id={ids.error} message={action.error} />
          <button type="submit" className="primary wide" disabled={action.pending} aria-busy={action.pending}>
            {action.pending ? (mode === 'signIn' ? 'Signing in…' : 'Creating account…') : title}
          </button>
        </form>
        <p className="switch">
          {!signUpOpen ? (
            <>Sign-up is closed; ask an administrator for an account.</>
          ) : mode === 'signIn' ? (
            <>
              New here?{' '}
              <button type="button" className="link" onClick={() => switchTo('signUp')}>
                Create an account
              </button>
            </>
          ) : (
            <>
              Already have an account?{' '}
              <button type="button" className="link" onClick={() => switchTo('signIn')}>
                Sign in
              </button>
            </>
          )}
        </p>
      </div>
    </main>
  );
}
