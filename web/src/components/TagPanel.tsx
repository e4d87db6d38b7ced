import type { Tags } from '../hooks/useTags';

interface Props {
  tags: Tags;
  /** The tag the timeline is filtered by ('' = none). */
  active: string;
  onTag: (tag: string) => void;
}

/** The user's tags beside the timeline; a click filters by one (again: shows all). */
export function TagPanel({ tags, active, onTag }: Props) {
  if (tags.tags.length === 0) return null; // nothing to filter by yet (or ListTags failed: the timeline still works)
  return (
    <aside className="tag-panel" aria-label="Your tags">
      <h2 className="tag-panel-title">Tags</h2>
      <ul>
        {tags.tags.map((t) => (
          <li key={t.name}>
            <button
              type="button"
              className={t.name === active ? 'tag-chip active' : 'tag-chip'}
              aria-pressed={t.name === active}
              onClick={() => onTag(t.name === active ? '' : t.name)}
            >
              #{t.name} <span className="tag-count">{t.count}</span>
            </button>
          </li>
        ))}
      </ul>
    </aside>
  );
}
