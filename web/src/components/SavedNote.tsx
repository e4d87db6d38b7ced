/** A quiet "saved" confirmation, announced politely. */
export function SavedNote({ show, text = 'Saved.' }: { show: boolean; text?: string }) {
  return (
    <span className="saved-note" role="status">
      {show ? text : ''}
    </span>
  );
}
