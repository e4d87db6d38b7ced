import type { User } from '../gen/memoria/v1/user_service_pb';

interface Props {
  user: User;
  signingOut: boolean;
  onHome: () => void;
  onSettings: () => void;
  onSignOut: () => void;
}

/** The top bar: product name, who is signed in, Settings and Sign out. */
export function Header({ user, signingOut, onHome, onSettings, onSignOut }: Props) {
  return (
    <header className="app-header">
      <a
        className="brand"
        href="/"
        aria-label="Memoria — all memos"
        onClick={(e) => {
          e.preventDefault();
          onHome();
        }}
      >
        <img src="/favicon.svg" alt="" width="24" height="24" /> <span className="brand-name">Memoria</span>
      </a>
      <span className="spacer" />
      <span className="who" title={`Signed in as ${user.username}`}>
        {user.displayName || user.username}
      </span>
      <button type="button" onClick={onSettings}>
        Settings
      </button>
      <button type="button" onClick={onSignOut} disabled={signingOut} aria-busy={signingOut}>
        {signingOut ? 'Signing out…' : 'Sign out'}
      </button>
    </header>
  );
}
