import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { Code, errorMessage, userClient } from '../api';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorMessage } from '../components/ErrorMessage';
import { SavedNote } from '../components/SavedNote';
import { Loading } from '../components/Spinner';
import { Role, type User } from '../gen/memoria/v1/user_service_pb';
import { useAction } from '../hooks/useAction';
import { formatDate, roleLabel } from '../lib/format';

async function listAllUsers(): Promise<User[]> {
  const users: User[] = [];
  let pageToken = '';
  do {
    const res = await userClient.listUsers({ pageSize: 200, pageToken });
    users.push(...res.users);
    pageToken = res.nextPageToken;
  } while (pageToken);
  return users;
}

/** Accounts on this instance (admin): list, add, remove. */
export function Members({ self }: { self: User }) {
  const [users, setUsers] = useState<User[] | null>(null);
  const [loadError, setLoadError] = useState('');
  const [removing, setRemoving] = useState<User | null>(null);
  const remove = useAction((name: string) => userClient.deleteUser({ name }));
  const headingId = useId();

  const load = useCallback(async () => {
    setLoadError('');
    try {
      setUsers(await listAllUsers());
    } catch (err) {
      setLoadError(errorMessage(err));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <div className="settings-sections">
      <AddMemberForm onAdded={(u) => setUsers((list) => (list ? [...list, u] : [u]))} />
      <section className="settings-card" aria-labelledby={headingId}>
        <h4 id={headingId}>Members{users ? ` (${users.length})` : ''}</h4>
        {users === null && !loadError ? <Loading label="Loading members…" /> : null}
        <ErrorMessage message={loadError} />
        {users ? (
          <table className="members">
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Display name</th>
                <th scope="col">Role</th>
                <th scope="col">Joined</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.name}>
                  <th scope="row">{u.username}</th>
                  <td>{u.displayName}</td>
                  <td>{roleLabel(u.role)}</td>
                  <td>{formatDate(u.createTime)}</td>
                  <td className="actions">
                    {u.name === self.name ? (
                      <span className="muted">You</span>
                    ) : (
                      <button
                        type="button"
                        className="small danger-outline"
                        aria-label={`Remove ${u.username}`}
                        onClick={() => setRemoving(u)}
                      >
                        Remove
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
      <ConfirmDialog
        open={removing !== null}
        title={`Remove ${removing?.username ?? ''}?`}
        message="Their account, memos, files and access tokens will be deleted. This cannot be undone."
        confirmLabel="Remove member"
        pending={remove.pending}
        error={remove.error}
        onCancel={() => {
          setRemoving(null);
          remove.setError('');
        }}
        onConfirm={async () => {
          if (!removing) return;
          const name = removing.name;
          if (await remove.run(name)) {
            setUsers((list) => list?.filter((u) => u.name !== name) ?? null);
            setRemoving(null);
          }
        }}
      />
    </div>
  );
}

function AddMemberForm({ onAdded }: { onAdded: (u: User) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>(Role.USER);
  const [added, setAdded] = useState('');
  const ids = { h: useId(), u: useId(), p: useId(), r: useId(), hint: useId() };
  const create = useAction(
    () => userClient.createUser({ user: { username: username.trim(), password, role } }),
    { [Code.AlreadyExists]: 'That username is taken. Choose another.' },
  );

  async function submit(e: FormEvent) {
    e.preventDefault();
    setAdded('');
    const u = await create.run();
    if (u) {
      onAdded(u);
      setAdded(`Added ${u.username}. Give them their password so they can sign in.`);
      setUsername('');
      setPassword('');
      setRole(Role.USER);
    }
  }

  return (
    <form className="settings-card" onSubmit={submit} aria-labelledby={ids.h}>
      <h4 id={ids.h}>Add a member</h4>
      <div className="grid-2">
        <div className="field">
          <label htmlFor={ids.u}>Username</label>
          <input
            id={ids.u}
            required
            maxLength={32}
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.p}>Password</label>
          <input
            id={ids.p}
            type="password"
            required
            minLength={8}
            maxLength={72}
            autoComplete="new-password"
            aria-describedby={ids.hint}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <span className="field-hint" id={ids.hint}>
            At least 8 characters.
          </span>
        </div>
        <div className="field">
          <label htmlFor={ids.r}>Role</label>
          <select id={ids.r} value={role} onChange={(e) => setRole(Number(e.target.value) as Role)}>
            <option value={Role.USER}>User</option>
            <option value={Role.ADMIN}>Admin</option>
          </select>
        </div>
      </div>
      <ErrorMessage message={create.error} />
      <div className="row">
        <button type="submit" className="primary" disabled={create.pending} aria-busy={create.pending}>
          {create.pending ? 'Adding…' : 'Add member'}
        </button>
        <SavedNote show={added !== ''} text={added} />
      </div>
    </form>
  );
}
