import { useEffect, useId, useState, type FormEvent } from 'react';
import { Code, errorMessage, userSettingClient } from '../api';
import { ErrorMessage } from '../components/ErrorMessage';
import { SavedNote } from '../components/SavedNote';
import { Loading } from '../components/Spinner';
import { VisibilitySelect } from '../components/VisibilitySelect';
import { Visibility } from '../gen/memoria/v1/memo_service_pb';
import type { UserSetting } from '../gen/memoria/v1/user_setting_service_pb';
import { useAction } from '../hooks/useAction';
import { mask } from '../lib/mask';
import { parseTelegramUserId } from '../lib/telegram';

/** The user's own preferences: Telegram link and default visibility. */
export function Preferences({ onChange }: { onChange: (s: UserSetting) => void }) {
  const [setting, setSetting] = useState<UserSetting | null>(null);
  const [loadError, setLoadError] = useState('');

  useEffect(() => {
    userSettingClient.getUserSetting({}).then(setSetting, (err: unknown) => setLoadError(errorMessage(err)));
  }, []);

  if (loadError) return <ErrorMessage message={loadError} />;
  if (!setting) return <Loading label="Loading preferences…" />;

  const changed = (s: UserSetting) => {
    setSetting(s);
    onChange(s);
  };

  return (
    <div className="settings-sections">
      <TelegramForm setting={setting} onSaved={changed} />
      <DefaultVisibilityForm setting={setting} onSaved={changed} />
    </div>
  );
}

interface FormProps {
  setting: UserSetting;
  onSaved: (s: UserSetting) => void;
}

function TelegramForm({ setting, onSaved }: FormProps) {
  const [value, setValue] = useState(setting.telegramUserId === 0n ? '' : setting.telegramUserId.toString());
  const [saved, setSaved] = useState(false);
  const ids = { h: useId(), input: useId(), hint: useId(), error: useId() };
  const save = useAction(
    (id: bigint) =>
      userSettingClient.updateUserSetting({ setting: { telegramUserId: id }, updateMask: mask('telegram_user_id') }),
    {
      [Code.AlreadyExists]:
        'This Telegram UserID is already linked to another Memoria account. Unlink it there first, or check the number.',
    },
  );
  const linked = setting.telegramUserId !== 0n;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setSaved(false);
    const id = parseTelegramUserId(value);
    if (id === undefined) {
      save.setError('Enter the Telegram UserID as digits only, e.g. 123456789 (or leave it empty to unlink).');
      return;
    }
    const s = await save.run(id);
    if (s) {
      setSaved(true);
      setValue(s.telegramUserId === 0n ? '' : s.telegramUserId.toString());
      onSaved(s);
    }
  }

  return (
    <form className="settings-card" onSubmit={submit} aria-labelledby={ids.h}>
      <h4 id={ids.h}>Telegram</h4>
      <p className="muted">
        Status:{' '}
        <strong className={linked ? 'ok' : undefined}>
          {linked ? `linked to Telegram user ${setting.telegramUserId.toString()}` : 'not linked'}
        </strong>
      </p>
      <label htmlFor={ids.input}>Telegram UserID</label>
      <input
        id={ids.input}
        inputMode="numeric"
        autoComplete="off"
        spellCheck={false}
        placeholder="e.g. 123456789"
        value={value}
        aria-invalid={save.error ? true : undefined}
        aria-describedby={`${ids.hint}${save.error ? ` ${ids.error}` : ''}`}
        onChange={(e) => {
          setValue(e.target.value);
          setSaved(false);
        }}
      />
      <p className="field-hint" id={ids.hint}>
        Send any message to this instance's Telegram bot: it replies with your numeric UserID. Paste it here, and
        what you send the bot becomes your memos. Leave empty to unlink.
      </p>
      <ErrorMessage id={ids.error} message={save.error} />
      <div className="row">
        <button type="submit" className="primary" disabled={save.pending} aria-busy={save.pending}>
          {save.pending ? 'Saving…' : 'Save'}
        </button>
        <SavedNote show={saved} />
      </div>
    </form>
  );
}

function DefaultVisibilityForm({ setting, onSaved }: FormProps) {
  const [value, setValue] = useState<Visibility>(setting.defaultVisibility || Visibility.PRIVATE);
  const [saved, setSaved] = useState(false);
  const id = useId();
  const save = useAction(() =>
    userSettingClient.updateUserSetting({ setting: { defaultVisibility: value }, updateMask: mask('default_visibility') }),
  );

  async function submit(e: FormEvent) {
    e.preventDefault();
    setSaved(false);
    const s = await save.run();
    if (s) {
      setSaved(true);
      onSaved(s);
    }
  }

  return (
    <form className="settings-card" onSubmit={submit} aria-labelledby={id}>
      <h4 id={id}>New memos</h4>
      <VisibilitySelect
        label="Default visibility"
        value={value}
        onChange={(v) => {
          setValue(v);
          setSaved(false);
        }}
      />
      <p className="field-hint">Used for memos from Telegram and preselected in the composer.</p>
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
