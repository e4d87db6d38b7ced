import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { errorMessage, userClient } from '../api';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorMessage } from '../components/ErrorMessage';
import { Loading } from '../components/Spinner';
import type { AccessToken } from '../gen/memoria/v1/user_service_pb';
import { useAction } from '../hooks/useAction';
import { formatDate, formatDateTime, toDate } from '../lib/format';

/** Personal access tokens: create (shown once), list, revoke. */
export function AccessTokens() {
  const [tokens, setTokens] = useState<AccessToken[] | null>(null);
  const [loadError, setLoadError] = useState('');
  const [created, setCreated] = useState<{ token: string; description: string } | null>(null);
  const [revoking, setRevoking] = useState<AccessToken | null>(null);
  const headingId = useId();

  const load = useCallback(async () => {
    setLoadError('');
    try {
      const res = await userClient.listAccessTokens({});
      setTokens(res.accessTokens);
    } catch (err) {
      setLoadError(errorMessage(err));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const revoke = useAction((name: string) => userClient.deleteAccessToken({ name }));

  return (
    <section className="settings-card" aria-labelledby={headingId}>
      <h4 id={headingId}>Access tokens</h4>
      <p className="muted">
        For scripts and API clients: send <code>Authorization: Bearer &lt;token&gt;</code>.
      </p>
      <CreateTokenForm
        onCreated={(token, t) => {
          setCreated({ token, description: t.description });
          setTokens((list) => (list ? [t, ...list] : [t]));
        }}
      />
      {created ? <NewToken token={created.token} description={created.description} onDone={() => setCreated(null)} /> : null}
      {tokens === null && !loadError ? <Loading label="Loading tokens…" /> : null}
      <ErrorMessage message={loadError} />
      {tokens && tokens.length === 0 ? <p className="muted">You have no access tokens.</p> : null}
      {tokens && tokens.length > 0 ? (
        <ul className="token-list" aria-label="Your access tokens">
          {tokens.map((t) => {
            const expires = toDate(t.expireTime);
            const expired = expires !== undefined && expires.getTime() < Date.now();
            return (
              <li key={t.name}>
                <span className="token-desc">{t.description || 'Untitled token'}</span>
                <span className="muted">
                  Created {formatDateTime(t.createTime)} ·{' '}
                  {expires ? (expired ? `Expired ${formatDate(t.expireTime)}` : `Expires ${formatDate(t.expireTime)}`) : 'Never expires'}
                </span>
                <button
                  type="button"
                  className="small danger-outline"
                  onClick={() => setRevoking(t)}
                  aria-label={`Revoke token ${t.description || t.name}`}
                >
                  Revoke
                </button>
              </li>
            );
          })}
        </ul>
      ) : null}
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this token?"
        message={`Programs using “${revoking?.description || 'this token'}” will stop working at once.`}
        confirmLabel="Revoke token"
        pending={revoke.pending}
        error={revoke.error}
        onCancel={() => {
          setRevoking(null);
          revoke.setError('');
        }}
        onConfirm={async () => {
          if (!revoking) return;
          const name = revoking.name;
          if (await revoke.run(name)) {
            setTokens((list) => list?.filter((t) => t.name !== name) ?? null);
            setRevoking(null);
          }
        }}
      />
    </section>
  );
}

function CreateTokenForm({ onCreated }: { onCreated: (token: string, t: AccessToken) => void }) {
  const [description, setDescription] = useState('');
  const [expiry, setExpiry] = useState('');
  const ids = { d: useId(), e: useId(), hint: useId() };
  const create = useAction(() =>
    userClient.createAccessToken({
      description: description.trim(),
      // The end of the chosen day, local time.
      expireTime: expiry ? timestampFromDate(new Date(`${expiry}T23:59:59`)) : undefined,
    }),
  );

  async function submit(e: FormEvent) {
    e.preventDefault();
    const res = await create.run();
    if (res?.accessToken) {
      onCreated(res.token, res.accessToken);
      setDescription('');
      setExpiry('');
    }
  }

  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

  return (
    <form className="token-form" onSubmit={submit}>
      <div className="field">
        <label htmlFor={ids.d}>Description</label>
        <input
          id={ids.d}
          required
          maxLength={256}
          placeholder="e.g. backup script"
          value={description}
          onChange={(e) => setDescription(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor={ids.e}>Expires (optional)</label>
        <input id={ids.e} type="date" min={tomorrow} value={expiry} aria-describedby={ids.hint} onChange={(e) => setExpiry(e.target.value)} />
        <span className="field-hint" id={ids.hint}>
          Leave empty for a token that never expires.
        </span>
      </div>
      <button type="submit" className="primary" disabled={create.pending} aria-busy={create.pending}>
        {create.pending ? 'Creating…' : 'Create token'}
      </button>
      <ErrorMessage message={create.error} />
    </form>
  );
}

function NewToken({ token, description, onDone }: { token: string; description: string; onDone: () => void }) {
  const [copied, setCopied] = useState<'' | 'yes' | 'no'>('');
  const id = useId();

  async function copy() {
    try {
      await navigator.clipboard.writeText(token);
      setCopied('yes');
    } catch {
      setCopied('no');
      (document.getElementById(id) as HTMLInputElement | null)?.select();
    }
  }

  return (
    <div className="new-token" role="region" aria-label="New access token">
      <p>
        <strong>Copy your new token “{description}” now.</strong> It will not be shown again.
      </p>
      <div className="row">
        <label htmlFor={id} className="visually-hidden">
          New token
        </label>
        <input id={id} className="mono" readOnly value={token} onFocus={(e) => e.target.select()} />
        <button type="button" className="primary" onClick={copy}>
          Copy
        </button>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
      <span role="status" className="saved-note">
        {copied === 'yes' ? 'Copied to the clipboard.' : copied === 'no' ? 'Could not copy; the token is selected — press Ctrl+C.' : ''}
      </span>
    </div>
  );
}
