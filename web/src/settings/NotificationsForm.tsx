import { useId, useState } from 'react';
import { userSettingClient } from '../api';
import { ErrorMessage } from '../components/ErrorMessage';
import { SavedNote } from '../components/SavedNote';
import type { UserSetting } from '../gen/memoria/v1/user_setting_service_pb';
import { useAction } from '../hooks/useAction';
import { useSaveForm } from '../hooks/useSaveForm';
import { mask } from '../lib/mask';

/** The browser's IANA time zone, or UTC when it does not say. */
function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** Telegram notifications (mentions, "On this day") and the time zone they follow. */
export function NotificationsForm({ setting, onSaved }: { setting: UserSetting; onSaved: (s: UserSetting) => void }) {
  const [on, setOn] = useState(setting.telegramNotifications);
  const [timezone, setTimezone] = useState(setting.timezone || 'UTC');
  const ids = { h: useId(), on: useId(), tz: useId(), tzHint: useId(), zones: useId() };
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const save = useAction(() =>
    userSettingClient.updateUserSetting({
      setting: { telegramNotifications: on, timezone: timezone.trim() },
      updateMask: mask('telegram_notifications', 'timezone'),
    }),
  );
  const { saved, setSaved, submit } = useSaveForm(save, onSaved);

  function toggle(checked: boolean) {
    setOn(checked);
    setSaved(false);
    // Turning them on for the first time: suggest the browser's zone.
    if (checked && !setting.telegramNotifications && (setting.timezone || 'UTC') === 'UTC' && timezone === 'UTC') {
      setTimezone(browserTimeZone());
    }
  }


  return (
    <form className="settings-card" onSubmit={submit} aria-labelledby={ids.h}>
      <h4 id={ids.h}>Notifications</h4>
      <div className="check-row">
        <input id={ids.on} type="checkbox" checked={on} onChange={(e) => toggle(e.target.checked)} />
        <label htmlFor={ids.on} className="inline">
          Telegram notifications
          <span className="field-hint block">
            The bot tells you when a memo you may read mentions you (@ and your username), and sends “On this day” at
            09:00 when you wrote memos on this date in earlier years. /notify on or off in the chat does the same.
            {setting.telegramUserId === 0n ? ' Connect Telegram above first.' : ''}
          </span>
        </label>
      </div>
      <label htmlFor={ids.tz}>Time zone</label>
      <input
        id={ids.tz}
        list={ids.zones}
        autoComplete="off"
        spellCheck={false}
        placeholder="e.g. Europe/Berlin"
        value={timezone}
        aria-describedby={ids.tzHint}
        onChange={(e) => {
          setTimezone(e.target.value);
          setSaved(false);
        }}
      />
      <datalist id={ids.zones}>
        {zones.map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
      <p className="field-hint" id={ids.tzHint}>
        An IANA time zone name; “On this day” comes at 09:00 there.
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
