import { useCallback, useEffect, useState } from 'react';
import { authClient, Code, errorCode, memoClient, userSettingClient } from '../api';
import { Visibility } from '../gen/memoria/v1/memo_service_pb';
import type { User } from '../gen/memoria/v1/user_service_pb';
import type { UserSetting } from '../gen/memoria/v1/user_setting_service_pb';
import { useAction } from '../hooks/useAction';
import { useInstanceInfo } from '../hooks/useInstanceInfo';
import { useMemoEvents } from '../hooks/useMemoEvents';
import { useSearch } from '../hooks/useSearch';
import { useTagFilter } from '../hooks/useTagFilter';
import { useTags } from '../hooks/useTags';
import { useTimeline } from '../hooks/useTimeline';
import { allowedVisibility } from '../lib/instance';
import { SettingsDialog, type SettingsSection } from '../settings/SettingsDialog';
import { Composer, type Draft } from './Composer';
import { ErrorMessage } from './ErrorMessage';
import { Header } from './Header';
import { SearchBox } from './SearchBox';
import { SearchEmpty } from './SearchEmpty';
import { SearchHighlight } from './SearchHighlight';
import { TagPanel } from './TagPanel';
import { Timeline } from './Timeline';

interface Props {
  user: User;
  onUserChange: (user: User) => void;
  onSignedOut: () => void;
}

/** The signed-in page: composer, timeline and the Settings dialog. */
export function Home({ user, onUserChange, onSignedOut }: Props) {
  const [tag, setTag] = useTagFilter();
  const search = useSearch();
  const timeline = useTimeline(tag, search.query);
  const tags = useTags();
  const live = useMemoEvents({
    onSubscribed: () => {
      timeline.refresh();
      tags.refreshSoon();
    },
    onEvent: (event) => {
      timeline.apply(event);
      tags.refreshSoon();
    },
  });
  const [settings, setSettings] = useState<SettingsSection | null>(null);
  const [userSetting, setUserSetting] = useState<UserSetting | undefined>();
  const signOut = useAction(async () => {
    try {
      await authClient.signOut({});
    } catch (err) {
      // A session the server already ended is as good as signed out.
      if (errorCode(err) !== Code.Unauthenticated) throw err;
    }
    return true;
  });
  const { refresh } = timeline;

  useEffect(() => {
    userSettingClient.getUserSetting({}).then(setUserSetting, () => {
      // Without settings the composer defaults to Private; nothing to show.
    });
  }, []);

  // Memos may arrive from Telegram while the page is in the background.
  useEffect(() => {
    const onVisible = () => {
      if (document.visibilityState === 'visible') refresh();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [refresh]);

  const createMemo = useCallback(
    (d: Draft) =>
      memoClient.createMemo({
        memo: { content: d.content, visibility: d.visibility },
        resourceNames: d.resourceNames,
      }),
    [],
  );

  const { info } = useInstanceInfo();
  const defaultVisibility = allowedVisibility(
    userSetting?.defaultVisibility || Visibility.PRIVATE,
    info?.disallowPublicVisibility ?? false,
  );

  return (
    <>
      <a className="skip-link" href="#timeline">
        Skip to memos
      </a>
      <Header
        user={user}
        signingOut={signOut.pending}
        onHome={() => {
          setTag('');
          search.clear();
        }}
        onSettings={() => setSettings('account')}
        onSignOut={async () => {
          if (await signOut.run()) onSignedOut();
        }}
      />
      <main className="page">
        <h1 className="visually-hidden">Your memos</h1>
        <ErrorMessage message={signOut.error} />
        <Composer
          label="New memo"
          submitLabel="Save"
          initialVisibility={defaultVisibility}
          save={createMemo}
          onSaved={timeline.put}
        />
        <SearchBox search={search} busy={timeline.loading && search.query !== ''} />
        <div className="timeline-toolbar" id="timeline" tabIndex={-1}>
          {search.query ? (
            <p className="filter-note">
              Best matches for <strong>“{search.query}”</strong>
              {tag ? <> tagged <strong>#{tag}</strong></> : null}, then newest{' '}
              <button type="button" className="small" onClick={search.clear}>
                Clear search
              </button>
            </p>
          ) : tag ? (
            <p className="filter-note">
              Showing memos tagged <strong>#{tag}</strong>{' '}
              <button type="button" className="small" onClick={() => setTag('')}>
                Clear filter
              </button>
            </p>
          ) : (
            <p className="filter-note muted">Newest first, pinned on top</p>
          )}
          <button type="button" className="small" onClick={refresh} disabled={timeline.loading} aria-busy={timeline.loading}>
            {timeline.loading ? 'Refreshing…' : 'Refresh'}
          </button>
        </div>
        <div className="timeline-with-tags">
          <TagPanel tags={tags} active={tag} onTag={setTag} />
          <SearchHighlight query={search.query}>
            <Timeline
              timeline={timeline}
              live={live}
              tag={tag}
              onTag={setTag}
              onOpenPreferences={() => setSettings('preferences')}
              empty={
                search.query ? (
                  <SearchEmpty query={search.query} tag={tag} onClearSearch={search.clear} onClearTag={() => setTag('')} />
                ) : undefined
              }
            />
          </SearchHighlight>
        </div>
      </main>
      {settings ? (
        <SettingsDialog
          user={user}
          section={settings}
          onSection={setSettings}
          onClose={() => setSettings(null)}
          onUserChange={onUserChange}
          onUserSettingChange={setUserSetting}
        />
      ) : null}
    </>
  );
}
