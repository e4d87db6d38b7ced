import type { MessageInitShape } from '@bufbuild/protobuf';
import { mask } from '../lib/mask';
import { useState } from 'react';
import { memoClient } from '../api';
import { MemoSchema, Source, Visibility, type Memo } from '../gen/memoria/v1/memo_service_pb';
import { useAction } from '../hooks/useAction';
import { formatDateTime, toDate, visibilityLabel } from '../lib/format';
import { Composer, type Draft } from './Composer';
import { ConfirmDialog } from './ConfirmDialog';
import { ErrorMessage } from './ErrorMessage';
import { MemoContent } from './MemoContent';
import { MemoResources } from './MemoResources';
import { VisibilitySelect } from './VisibilitySelect';

interface Props {
  memo: Memo;
  activeTag: string;
  onTag: (tag: string) => void;
  onChanged: (memo: Memo) => void;
  onDeleted: (name: string) => void;
}

function update(memo: MessageInitShape<typeof MemoSchema>, paths: string[]): Promise<Memo> {
  return memoClient.updateMemo({ memo, updateMask: mask(...paths) });
}

/** One memo on the timeline, with its actions: pin, visibility, edit, delete. */
export function MemoCard({ memo, activeTag, onTag, onChanged, onDeleted }: Props) {
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const pin = useAction(() => update({ name: memo.name, pinned: !memo.pinned }, ['pinned']));
  const changeVisibility = useAction((v: Visibility) => update({ name: memo.name, visibility: v }, ['visibility']));
  const del = useAction(() => memoClient.deleteMemo({ name: memo.name }));

  const created = toDate(memo.createTime);
  const updated = toDate(memo.updateTime);
  const edited = created && updated && updated.getTime() - created.getTime() > 1000;
  const busy = pin.pending || changeVisibility.pending;

  async function saveEdit(d: Draft): Promise<Memo> {
    return update(
      {
        name: memo.name,
        content: d.content,
        visibility: d.visibility,
        resources: d.resourceNames.map((name) => ({ name })),
      },
      ['content', 'visibility', 'resources'],
    );
  }

  return (
    <article className={memo.pinned ? 'memo pinned' : 'memo'} aria-label={`Memo from ${formatDateTime(memo.createTime)}`}>
      <header className="memo-header">
        <time dateTime={created?.toISOString()}>{formatDateTime(memo.createTime)}</time>
        {edited ? <span className="muted"> · edited</span> : null}
        {memo.pinned ? <span className="badge pin-badge">Pinned</span> : null}
        {memo.source === Source.TELEGRAM ? (
          <span className="badge telegram-badge" title="Sent to the Telegram bot">
            via Telegram
          </span>
        ) : null}
        <span className="badge visibility-badge">{visibilityLabel(memo.visibility)}</span>
      </header>

      {editing ? (
        <Composer
          label="Edit memo"
          submitLabel="Save changes"
          initialContent={memo.content}
          initialVisibility={memo.visibility}
          initialResources={memo.resources}
          autoFocus
          save={saveEdit}
          onSaved={(m) => {
            setEditing(false);
            onChanged(m);
          }}
          onCancel={() => setEditing(false)}
        />
      ) : (
        <>
          <MemoContent content={memo.content} onTag={onTag} />
          <MemoResources resources={memo.resources} />
          {memo.tags.length > 0 ? (
            <ul className="tag-list" aria-label="Tags">
              {memo.tags.map((t) => (
                <li key={t}>
                  <button
                    type="button"
                    className={t === activeTag ? 'tag-chip active' : 'tag-chip'}
                    aria-pressed={t === activeTag}
                    onClick={() => onTag(t)}
                  >
                    #{t}
                  </button>
                </li>
              ))}
            </ul>
          ) : null}
          <div className="memo-actions" role="group" aria-label="Memo actions">
            <button
              type="button"
              className="small"
              disabled={busy}
              aria-busy={pin.pending}
              onClick={async () => {
                const m = await pin.run();
                if (m) onChanged(m);
              }}
            >
              {pin.pending ? 'Saving…' : memo.pinned ? 'Unpin' : 'Pin'}
            </button>
            <button type="button" className="small" onClick={() => setEditing(true)} disabled={busy}>
              Edit
            </button>
            <VisibilitySelect
              compact
              label="Change visibility"
              value={memo.visibility}
              disabled={busy}
              onChange={async (v) => {
                const m = await changeVisibility.run(v);
                if (m) onChanged(m);
              }}
            />
            {changeVisibility.pending ? <span className="muted">Saving…</span> : null}
            <span className="spacer" />
            <button type="button" className="small danger-outline" onClick={() => setConfirming(true)}>
              Delete
            </button>
          </div>
          <ErrorMessage message={pin.error || changeVisibility.error} />
        </>
      )}

      <ConfirmDialog
        open={confirming}
        title="Delete this memo?"
        message={
          memo.resources.length > 0
            ? `The memo and its ${memo.resources.length} attached file(s) will be deleted. This cannot be undone.`
            : 'The memo will be deleted. This cannot be undone.'
        }
        confirmLabel="Delete memo"
        pending={del.pending}
        error={del.error}
        onCancel={() => {
          setConfirming(false);
          del.setError('');
        }}
        onConfirm={async () => {
          const ok = await del.run();
          if (ok) {
            setConfirming(false);
            onDeleted(memo.name);
          }
        }}
      />
    </article>
  );
}
