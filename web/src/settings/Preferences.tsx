import { useEffect, useId, useState, type FormEvent } from 'react';
import { Code, errorMessage, userSettingClient } from '../api';
import { ErrorMessage } from '../components/ErrorMessage';
import { SavedNote } from '../components/SavedNote';
import { Loading } from '../components/Spinner';
import { VisibilitySelect } from '../components/VisibilitySelect';
import { Visibility } from '../gen/memoria/v1/memo_service_pb';
import {
  TelegramConfirmation,
  type CreateTelegramLinkResponse,
  type UserSetting,
} from '../gen/memoria/v1/user_setting_service_pb';
import { useAction } from '../hooks/useAction';
import { useSaveForm } from '../hooks/useSaveForm';
import { mask } from '../lib/mask';
import { parseTelegramUserId } from '../lib/telegram';
import { NotificationsForm } from './NotificationsForm';

/** The user's own preferences: Telegram link, chat options and default visibility. */
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
      <ConnectTelegram />
      <TelegramForm setting={setting} onSaved={changed} />
      <TelegramChatForm setting={setting} onSaved={changed} />
      <NotificationsForm setting={setting} onSaved={changed} />
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
  const id = useId();
  const save = useAction(() =>
    userSettingClient.updateUserSetting({ setting: { defaultVisibility: value }, updateMask: mask('default_visibility') }),
  );

  const { saved, setSaved, submit } = useSaveForm(save, onSaved);

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

/** "Connect Telegram": a one-time deep link to the bot, as a button and a QR code. */
function ConnectTelegram() {
  const [link, setLink] = useState<CreateTelegramLinkResponse | null>(null);
  const id = useId();
  const create = useAction(() => userSettingClient.createTelegramLink({}));

  async function connect() {
    const l = await create.run();
    if (l) setLink(l);
  }

  return (
    <section className="settings-card" aria-labelledby={id}>
      <h4 id={id}>Connect Telegram</h4>
      <p className="muted">
        Link your Telegram account in one tap: open the link on the phone (or scan the code) and press Start in the
        bot's chat. The link works once, for 10 minutes.
      </p>
      <ErrorMessage message={create.error} />
      {link ? (
        <div className="telegram-link">
          <a className="button primary" href={link.url} target="_blank" rel="noopener noreferrer">
            Open Telegram
          </a>
          <QrCode rows={link.qrRows} label={`QR code of ${link.url}`} />
          <p className="field-hint">
            Or send <code>/start {link.code}</code> to the bot.
          </p>
        </div>
      ) : (
        <div className="row">
          <button type="button" className="primary" onClick={connect} disabled={create.pending} aria-busy={create.pending}>
            {create.pending ? 'Creating link…' : 'Connect Telegram'}
          </button>
        </div>
      )}
    </section>
  );
}

/** A QR code drawn from its rows of modules ('1' dark). */
function QrCode({ rows, label }: { rows: string[]; label: string }) {
  const n = rows.length;
  let d = '';
  rows.forEach((row, y) => {
    for (let x = 0; x < row.length; x++) if (row[x] === '1') d += `M${x} ${y}h1v1h-1z`;
  });
  return (
    <svg className="qr-code" role="img" aria-label={label} viewBox={`0 0 ${n} ${n}`} width={200} height={200}
      shapeRendering="crispEdges">
      <rect width={n} height={n} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}

const confirmationOptions: { value: TelegramConfirmation; label: string }[] = [
  { value: TelegramConfirmation.REPLY, label: 'Reply with the link and buttons' },
  { value: TelegramConfirmation.REACTION, label: 'React with 👍' },
  { value: TelegramConfirmation.SILENT, label: 'Nothing' },
];

/** How the bot confirms saved messages, and the tag of memos from Telegram. */
function TelegramChatForm({ setting, onSaved }: FormProps) {
  const [style, setStyle] = useState<TelegramConfirmation>(setting.telegramConfirmation || TelegramConfirmation.REPLY);
  const [tag, setTag] = useState(setting.telegramTag);
  const ids = { h: useId(), style: useId(), tag: useId() };
  const save = useAction(() =>
    userSettingClient.updateUserSetting({
      setting: { telegramConfirmation: style, telegramTag: tag.trim().replace(/^#/, '') },
      updateMask: mask('telegram_confirmation', 'telegram_tag'),
    }),
  );

  const { saved, setSaved, submit } = useSaveForm(save, (s) => {
    setTag(s.telegramTag);
    onSaved(s);
  });

  return (
    <form className="settings-card" onSubmit={submit} aria-labelledby={ids.h}>
      <h4 id={ids.h}>Telegram chat</h4>
      <label htmlFor={ids.style}>Confirm saved messages</label>
      <select
        id={ids.style}
        value={style}
        onChange={(e) => {
          setStyle(Number(e.target.value) as TelegramConfirmation);
          setSaved(false);
        }}
      >
        {confirmationOptions.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <label htmlFor={ids.tag}>Tag memos from Telegram with #…</label>
      <input
        id={ids.tag}
        autoComplete="off"
        spellCheck={false}
        placeholder="e.g. telegram (empty: no tag)"
        value={tag}
        onChange={(e) => {
          setTag(e.target.value);
          setSaved(false);
        }}
      />
      <p className="field-hint">Problems, such as a file that could not be saved, are reported whatever you choose.</p>
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
