import type { LiveState } from '../hooks/useMemoEvents';
import type { ReactNode } from 'react';
import type { Timeline as TimelineState } from '../hooks/useTimeline';
import { EmptyState } from './EmptyState';
import { ErrorMessage } from './ErrorMessage';
import { MemoCard } from './MemoCard';
import { Loading } from './Spinner';

interface Props {
  timeline: TimelineState;
  /** Whether changes made elsewhere (Telegram, other tabs) show up as they happen. */
  live?: LiveState;
  tag: string;
  onTag: (tag: string) => void;
  onOpenPreferences: () => void;
  /** Shown instead of the default empty state (e.g. a search that found nothing). */
  empty?: ReactNode;
}

const liveText: Record<LiveState, string> = {
  connecting: 'Connecting for live updates…',
  live: 'Live: new memos and changes appear as they happen',
  reconnecting: 'Reconnecting… changes will show up once the server answers again',
};

/** The memo list with its loading, error, empty and "load more" states. */
export function Timeline({ timeline, live, tag, onTag, onOpenPreferences, empty }: Props) {
  const { memos, loading, loadingMore, hasMore, error } = timeline;
  return (
    <section className="timeline" aria-label="Memos" aria-busy={loading}>
      {live ? (
        <p className={`live-status ${live}`} role="status" data-live={live}>
          {liveText[live]}
        </p>
      ) : null}
      {loading && memos.length === 0 ? <Loading label="Loading memos…" /> : null}
      <ErrorMessage message={error} />
      {error && !loading ? (
        <button type="button" onClick={timeline.refresh}>
          Try again
        </button>
      ) : null}
      {!loading && !error && memos.length === 0 ? (
        (empty ?? <EmptyState tag={tag} onClearTag={() => onTag('')} onOpenPreferences={onOpenPreferences} />)
      ) : null}
      <ol className="memo-list">
        {memos.map((m) => (
          <li key={m.name}>
            <MemoCard memo={m} activeTag={tag} onTag={onTag} onChanged={timeline.put} onDeleted={timeline.remove} />
          </li>
        ))}
      </ol>
      {hasMore ? (
        <div className="load-more">
          <button type="button" onClick={timeline.loadMore} disabled={loadingMore} aria-busy={loadingMore}>
            {loadingMore ? 'Loading…' : 'Load more'}
          </button>
        </div>
      ) : null}
    </section>
  );
}
