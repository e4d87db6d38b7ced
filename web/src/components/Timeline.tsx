import type { ReactNode } from 'react';
import type { Timeline as TimelineState } from '../hooks/useTimeline';
import { EmptyState } from './EmptyState';
import { ErrorMessage } from './ErrorMessage';
import { MemoCard } from './MemoCard';
import { Loading } from './Spinner';

interface Props {
  timeline: TimelineState;
  tag: string;
  onTag: (tag: string) => void;
  onOpenPreferences: () => void;
  /** Shown instead of the default empty state (e.g. a search that found nothing). */
  empty?: ReactNode;
}

/** The memo list with its loading, error, empty and "load more" states. */
export function Timeline({ timeline, tag, onTag, onOpenPreferences, empty }: Props) {
  const { memos, loading, loadingMore, hasMore, error } = timeline;
  return (
    <section className="timeline" aria-label="Memos" aria-busy={loading}>
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
