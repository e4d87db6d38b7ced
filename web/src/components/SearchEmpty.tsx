interface Props {
  query: string;
  tag: string;
  onClearSearch: () => void;
  onClearTag: () => void;
}

/** What a search that found nothing shows, with what to try next. */
export function SearchEmpty({ query, tag, onClearSearch, onClearTag }: Props) {
  const words = query.split(/\s+/).filter(Boolean);
  return (
    <section className="empty-state" aria-label="No matching memos">
      <h2>
        No memos match “{query}”{tag ? <> with #{tag}</> : null}
      </h2>
      <ul className="search-tips">
        {words.length > 1 ? <li>Every word must appear: try fewer words.</li> : null}
        {query.includes('"') ? <li>Quoted words must appear together, in that order: try without the quotes.</li> : null}
        <li>Whole words are matched (“kayak”, not “kay”); check the spelling, or try another form of the word.</li>
        {tag ? (
          <li>
            <button type="button" className="link" onClick={onClearTag}>
              Search all memos, not only #{tag}
            </button>
          </li>
        ) : null}
        <li>
          <button type="button" className="link" onClick={onClearSearch}>
            Clear the search
          </button>
        </li>
      </ul>
    </section>
  );
}
