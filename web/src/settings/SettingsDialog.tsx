import { useEffect, useId, useRef } from 'react';
import { Role, type User } from '../gen/memoria/v1/user_service_pb';
import type { UserSetting } from '../gen/memoria/v1/user_setting_service_pb';
import { Members } from './Members';
import { MyAccount } from './MyAccount';
import { Preferences } from './Preferences';
import { SystemSettings } from './SystemSettings';

export type SettingsSection = 'account' | 'preferences' | 'system' | 'members';

interface Props {
  user: User;
  section: SettingsSection;
  onSection: (s: SettingsSection) => void;
  onClose: () => void;
  onUserChange: (u: User) => void;
  onUserSettingChange: (s: UserSetting) => void;
}

interface NavGroup {
  title: string;
  items: { id: SettingsSection; label: string }[];
}

const basic: NavGroup = {
  title: 'Basic',
  items: [
    { id: 'account', label: 'My account' },
    { id: 'preferences', label: 'Preferences' },
  ],
};
const admin: NavGroup = {
  title: 'Admin',
  items: [
    { id: 'system', label: 'System' },
    { id: 'members', label: 'Members' },
  ],
};

/** Settings: Basic (My account, Preferences) and, for admins, Admin (System, Members). */
export function SettingsDialog({ user, section, onSection, onClose, onUserChange, onUserSettingChange }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const panelTitleId = useId();
  const isAdmin = user.role === Role.ADMIN;
  const groups = isAdmin ? [basic, admin] : [basic];
  // A non-admin never lands on an admin section, even from a stale link.
  const current: SettingsSection = !isAdmin && (section === 'system' || section === 'members') ? 'account' : section;
  const currentLabel = groups.flatMap((g) => g.items).find((i) => i.id === current)?.label ?? '';

  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);

  return (
    <dialog
      ref={ref}
      className="settings"
      aria-labelledby={titleId}
      // React bubbles close/cancel from nested dialogs (confirmations) up
      // the component tree; only this dialog's own events close Settings.
      onClose={(e) => {
        if (e.target === e.currentTarget) onClose();
      }}
      onCancel={(e) => {
        if (e.target !== e.currentTarget) return;
        e.preventDefault();
        onClose();
      }}
    >
      <div className="settings-head">
        <h2 id={titleId}>Settings</h2>
        <button type="button" className="icon" aria-label="Close settings" onClick={onClose}>
          ✕
        </button>
      </div>
      <div className="settings-layout">
        <nav className="settings-nav" aria-label="Settings sections">
          {groups.map((g) => (
            <div key={g.title} className="nav-group">
              <h3>{g.title}</h3>
              <ul>
                {g.items.map((item) => (
                  <li key={item.id}>
                    <button
                      type="button"
                      aria-current={item.id === current ? 'page' : undefined}
                      onClick={() => onSection(item.id)}
                    >
                      {item.label}
                    </button>
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </nav>
        <section className="settings-panel" aria-labelledby={panelTitleId}>
          <h3 id={panelTitleId} className="panel-title">
            {currentLabel}
          </h3>
          {current === 'account' ? <MyAccount user={user} onUserChange={onUserChange} /> : null}
          {current === 'preferences' ? <Preferences onChange={onUserSettingChange} /> : null}
          {current === 'system' && isAdmin ? <SystemSettings /> : null}
          {current === 'members' && isAdmin ? <Members self={user} /> : null}
        </section>
      </div>
    </dialog>
  );
}
