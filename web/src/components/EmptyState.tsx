interface Props {
  tag: string;
  onClearTag: () => void;
  onOpenPreferences: () => void;
}

/** What the timeline shows when there is nothing to show. */
export function EmptyState({ tag, onClearTag, onOpenPreferences }: Props) {
  if (tag) {
    return (
      <section className="empty-state" aria-label="No memos">
        <h2>No memos tagged #{tag}</h2>
        <p>
          <button type="button" className="link" onClick={onClearTag}>
            Show all memos
          </button>
        </p>
      </section>
    );
  }
  return (
    <section className="empty-state" aria-label="No memos yet">
      <h2>No memos yet</h2>
      <p>Write your first memo in the box above — Markdown works, and words like #ideas become tags you can filter by.</p>
      <p>
        Or send notes, photos and files from Telegram: message the instance's bot, then paste the number it replies
        with into{' '}
        <button type="button" className="link" onClick={onOpenPreferences}>
          Settings → Preferences → Telegram UserID
        </button>
        .
      </p>
    </section>
  );
}
