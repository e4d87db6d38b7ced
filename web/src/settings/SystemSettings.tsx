import { useEffect, useId, useState, type FormEvent } from 'react';
import { errorMessage, systemSettingClient } from '../api';
import { ErrorMessage } from '../components/ErrorMessage';
import { SavedNote } from '../components/SavedNote';
import { Loading } from '../components/Spinner';
import { TelegramUpdateMode, type SystemSetting } from '../gen/memoria/v1/system_setting_service_pb';
import { useAction } from '../hooks/useAction';
import { useSaveForm } from '../hooks/useSaveForm';
import { refreshInstanceInfo } from '../hooks/useInstanceInfo';
import { mask } from '../lib/mask';
import { BotStatus } from './BotStatus';

/** Instance settings (admin): the Telegram bot, sign-up, public memos, URL. */
export function SystemSettings() {
  const [setting, setSetting] = useState<SystemSetting | null>(null);
  const [loadError, setLoadError] = useState('');

  useEffect(() => {
    systemSettingClient.getSystemSetting({}).then(setSetting, (err: unknown) => setLoadError(errorMessage(err)));
  }, []);

  return (
    <div className="settings-sections">
      {loadError ? <ErrorMessage message={loadError} /> : null}
      {!setting && !loadError ? <Loading label="Loading system settings…" /> : null}
      {setting ? (
        <>
          <TelegramTokenForm initial={setting.telegramBotToken} onSaved={setSetting} />
          <InstanceForm setting={setting} onSaved={setSetting} />
        </>
      ) : null}
    </div>
  );
}

function TelegramTokenForm({ initial, onSaved }: { initial: string; onSaved: (s: SystemSetting) => void }) {
  const [token, setToken] = useState(initial);
  const [reveal, setReveal] = useState(false);
  const ids = { h: useId(), input: useId(), hint: useId(), error: useId(), show: useId() };
  const save = useAction(() =>
    systemSettingClient.updateSystemSetting({
      setting: { telegramBotToken: token.trim() },
      updateMask: mask('telegram_bot_token'),
    }),
  );

  const { saved, setSaved, submit } = useSaveForm(save, (s) => {
    setToken(s.telegramBotToken);
    onSaved(s);
  });

  return (
    <form className="settings-card" onSubmit={submit} aria-labelledby={ids.h}>
      <h4 id={ids.h}>Telegram bot</h4>
      <BotStatus />
      <label htmlFor={ids.input}>Telegram Token</label>
      <div className="row token-row">
        <input
          id={ids.input}
          className="mono grow"
          type={reveal ? 'text' : 'password'}
          autoComplete="off"
          spellCheck={false}
          placeholder="123456789:AAF… or https://proxy.example/bot123456789:AAF…"
          value={token}
          aria-invalid={save.error ? true : undefined}
          aria-describedby={`${ids.hint}${save.error ? ` ${ids.error}` : ''}`}
          onChange={(e) => {
            setToken(e.target.value);
            setSaved(false);
            save.setError('');
          }}
        />
        <button type="submit" className="primary" disabled={save.pending} aria-busy={save.pending}>
          {save.pending ? 'Saving…' : 'Save'}
        </button>
      </div>
      <ErrorMessage id={ids.error} message={save.error} />
      <div className="row">
        <input id={ids.show} type="checkbox" checked={reveal} onChange={(e) => setReveal(e.target.checked)} />
        <label htmlFor={ids.show} className="inline">
          Show token
        </label>
        <SavedNote show={saved} text={token ? 'Saved. The bot restarts with the new token.' : 'Saved. The bot is off.'} />
      </div>
      <p className="field-hint" id={ids.hint}>
        The token from @BotFather, like <code>4839574812:AAFD39kkdpWt3ywyRZergyOLMaJhac60qc</code>, or a Bot API proxy
        URL ending in <code>/bot&lt;token&gt;</code>. Leave empty to turn the bot off.
      </p>
    </form>
  );
}

function InstanceForm({ setting, onSaved }: { setting: SystemSetting; onSaved: (s: SystemSetting) => void }) {
  const [allowSignUp, setAllowSignUp] = useState(setting.allowSignUp);
  const [disallowPublic, setDisallowPublic] = useState(setting.disallowPublicVisibility);
  const [instanceUrl, setInstanceUrl] = useState(setting.instanceUrl);
  const [channel, setChannel] = useState(setting.telegramPublicChannel);
  const storedMode = setting.telegramUpdateMode === TelegramUpdateMode.WEBHOOK ? TelegramUpdateMode.WEBHOOK : TelegramUpdateMode.POLLING;
  const [updateMode, setUpdateMode] = useState(storedMode);
  const [saved, setSaved] = useState(false);
  const ids = { h: useId(), signup: useId(), pub: useId(), url: useId(), urlHint: useId(), mode: useId(), modeHint: useId(), channel: useId(), channelHint: useId() };

  const paths: string[] = [];
  if (allowSignUp !== setting.allowSignUp) paths.push('allow_sign_up');
  if (disallowPublic !== setting.disallowPublicVisibility) paths.push('disallow_public_visibility');
  if (instanceUrl.trim() !== setting.instanceUrl) paths.push('instance_url');
  if (channel.trim() !== setting.telegramPublicChannel) paths.push('telegram_public_channel');
  if (updateMode !== storedMode) paths.push('telegram_update_mode');

  const save = useAction(() =>
    systemSettingClient.updateSystemSetting({
      setting: {
        allowSignUp,
        disallowPublicVisibility: disallowPublic,
        instanceUrl: instanceUrl.trim(),
        telegramPublicChannel: channel.trim(),
        telegramUpdateMode: updateMode,
      },
      updateMask: mask(...paths),
    }),
  );

  async function submit(e: FormEvent) {
    e.preventDefault();
    setSaved(false);
    if (paths.length === 0) {
      setSaved(true);
      return;
    }
    const s = await save.run();
    if (s) {
      setSaved(true);
      onSaved(s);
      // Visibility pickers follow the public-memos switch.
      void refreshInstanceInfo();
    }
  }

  return (
    <form className="settings-card" onSubmit={submit} aria-labelledby={ids.h}>
      <h4 id={ids.h}>Instance</h4>
      <div className="check-row">
        <input id={ids.signup} type="checkbox" checked={allowSignUp} onChange={(e) => { setAllowSignUp(e.target.checked); setSaved(false); }} />
        <label htmlFor={ids.signup} className="inline">
          Allow sign-up
          <span className="field-hint block">Anyone who can reach this instance may create an account.</span>
        </label>
      </div>
      <div className="check-row">
        <input id={ids.pub} type="checkbox" checked={disallowPublic} onChange={(e) => { setDisallowPublic(e.target.checked); setSaved(false); }} />
        <label htmlFor={ids.pub} className="inline">
          Disallow public memos
          <span className="field-hint block">No memo may be visible to people who are not signed in.</span>
        </label>
      </div>
      <label htmlFor={ids.url}>Instance URL</label>
      <input
        id={ids.url}
        type="url"
        inputMode="url"
        placeholder="https://memo.example.com"
        value={instanceUrl}
        aria-describedby={ids.urlHint}
        onChange={(e) => { setInstanceUrl(e.target.value); setSaved(false); }}
      />
      <p className="field-hint" id={ids.urlHint}>
        The address people use to reach this Memoria (optional).
      </p>
      <label htmlFor={ids.channel}>Telegram public channel</label>
      <input
        id={ids.channel}
        autoComplete="off"
        spellCheck={false}
        placeholder="@mychannel or -1001234567890"
        value={channel}
        aria-describedby={ids.channelHint}
        onChange={(e) => { setChannel(e.target.value); setSaved(false); }}
      />
      <p className="field-hint" id={ids.channelHint}>
        Every memo that becomes public is posted there once, with its first image (the bot must be allowed to post). Empty: off.
      </p>
      <label htmlFor={ids.mode}>Telegram updates</label>
      <select
        id={ids.mode}
        value={updateMode}
        aria-describedby={ids.modeHint}
        onChange={(e) => { setUpdateMode(Number(e.target.value) as TelegramUpdateMode); setSaved(false); }}
      >
        <option value={TelegramUpdateMode.POLLING}>Polling (works anywhere)</option>
        <option value={TelegramUpdateMode.WEBHOOK}>Webhook (needs a public https Instance URL)</option>
      </select>
      <p className="field-hint" id={ids.modeHint}>
        Webhook: Telegram sends messages to <code>{'<Instance URL>'}/telegram/webhook</code>.
      </p>
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
