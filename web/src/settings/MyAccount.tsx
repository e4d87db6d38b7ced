import { useId, useState, type FormEvent } from 'react';
import { authClient, Code, errorCode, notifySessionLost, userClient } from '../api';
import { ErrorMessage } from '../components/ErrorMessage';
import { SavedNote } from '../components/SavedNote';
import { roleLabel } from '../lib/format';
import type { User } from '../gen/memoria/v1/user_service_pb';
import { useAction } from '../hooks/useAction';
import { AccessTokens } from './AccessTokens';
import { mask } from '../lib/mask';

interface Props {
  user: User;
  onUserChange: (u: User) => void;
}

/** Display name, password (changing it needs the current one) and personal access tokens. */
export function MyAccount({ user, onUserChange }: Props) {
  return (
    <div className="settings-sections">
      <ProfileForm user={user} onUserChange={onUserChange} />
      <PasswordForm user={user} />
      <AccessTokens />
      <section className="settings-card">
        <h4>Export</h4>
        <p className="muted">A zip of Markdown files, one per memo, with their files beside them.</p>
        <a className="button" href="/export/memos.zip" download>Export my memos</a>
      </section>
    </div>
  );
}

function ProfileForm({ user, onUserChange }: Props) {
  const [displayName, setDisplayName] = useState(user.displayName);
  const [saved, setSaved] = useState(false);
  const id = useId();
  const save = useAction(() =>
    userClient.updateUser({ user: { name: user.name, displayName: displayName.trim() }, updateMask: mask('display_name') }),
  );

  async function submit(e: FormEvent) {
    e.preventDefault();
    setSaved(false);
    const u = await save.run();
    if (u) {
      setSaved(true);
      onUserChange(u);
    }
  }

  return (
    <form className="settings-card" onSubmit={submit} aria-labelledby={`${id}-h`}>
      <h4 id={`${id}-h`}>Profile</h4>
      <p className="muted">
        Signed in as <strong>{user.username}</strong> ({roleLabel(user.role)})
      </p>
      <label htmlFor={id}>Display name</label>
      <input
        id={id}
        value={displayName}
        maxLength={64}
        placeholder={user.username}
        onChange={(e) => {
          setDisplayName(e.target.value);
          setSaved(false);
        }}
      />
      <ErrorMessage message={save.error} />
      <div className="row">
        <button type="submit" className="primary" disabled={save.pending} aria-busy={save.pending}>
          {save.pending ? 'Saving…' : 'Save'}
        </button>
        <SavedNote show={saved} />
      </div>
    </form>
  );
}

function PasswordForm({ user }: { user: User }) {
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [saved, setSaved] = useState(false);
  const ids = { h: useId(), cur: useId(), p: useId(), c: useId(), hint: useId() };
  const save = useAction(() =>
    userClient.updateUser({
      user: { name: user.name, password },
      updateMask: mask('password'),
      currentPassword: current,
    }),
  );

  async function submit(e: FormEvent) {
    e.preventDefault();
    setSaved(false);
    if (password !== confirm) {
      save.setError('The two passwords differ.');
      return;
    }
    if (await save.run()) {
      setSaved(true);
      setCurrent('');
      setPassword('');
      setConfirm('');
      // Changing the password may end every session, this one included.
      try {
        await authClient.getCurrentUser({});
      } catch (err) {
        if (errorCode(err) === Code.Unauthenticated) {
          notifySessionLost('Your password was changed. Sign in with the new password.');
        }
      }
    }
  }

  return (
    <form className="settings-card" onSubmit={submit} aria-labelledby={ids.h}>
      <h4 id={ids.h}>Password</h4>
      {/* Lets password managers tie the new password to the account. */}
      <input type="text" name="username" autoComplete="username" value={user.username} readOnly hidden />
      <label htmlFor={ids.cur}>Current password</label>
      <input
        id={ids.cur}
        type="password"
        autoComplete="current-password"
        required
        value={current}
        onChange={(e) => setCurrent(e.target.value)}
      />
      <label htmlFor={ids.p}>New password</label>
      <input
        id={ids.p}
        type="password"
        autoComplete="new-password"
        minLength={8}
        maxLength={72}
        required
        aria-describedby={ids.hint}
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <p className="field-hint" id={ids.hint}>
        8 to 72 characters.
      </p>
      <label htmlFor={ids.c}>Confirm new password</label>
      <input
        id={ids.c}
        type="password"
        autoComplete="new-password"
        required
        value={confirm}
        onChange={(e) => setConfirm(e.target.value)}
      />
      <ErrorMessage message={save.error} />
      <div className="row">
        <button type="submit" className="primary" disabled={save.pending} aria-busy={save.pending}>
          {save.pending ? 'Saving…' : 'Change password'}
        </button>
        <SavedNote show={saved} text="Password changed." />
      </div>
    </form>
  );
}
