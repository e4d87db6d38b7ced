import { useEffect, useId, useRef, useState, type ClipboardEvent, type DragEvent, type FormEvent, type KeyboardEvent } from 'react';
import { Visibility, type Memo } from '../gen/memoria/v1/memo_service_pb';
import type { Resource } from '../gen/memoria/v1/resource_service_pb';
import { useAction } from '../hooks/useAction';
import { useAttachments } from '../hooks/useAttachments';
import { useInstanceInfo } from '../hooks/useInstanceInfo';
import { formatLimit } from '../lib/instance';
import { extractTags } from '../lib/tags';
import { AttachmentQueue } from './AttachmentQueue';
import { ErrorMessage } from './ErrorMessage';
import { VisibilitySelect } from './VisibilitySelect';
import { Icon } from './Icon';

export interface Draft {
  content: string;
  visibility: Visibility;
  resourceNames: string[];
}

interface Props {
  /** Accessible name of the form, e.g. "New memo" or "Edit memo". */
  label: string;
  submitLabel: string;
  initialContent?: string;
  initialVisibility: Visibility;
  initialResources?: readonly Resource[];
  save: (draft: Draft) => Promise<Memo>;
  onSaved: (memo: Memo) => void;
  onCancel?: () => void;
  autoFocus?: boolean;
}

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
export const saveShortcut = isMac ? '⌘+Enter' : 'Ctrl+Enter';

/** Writes or edits a memo: Markdown text, visibility and attachments. */
export function Composer(props: Props) {
  const { label, submitLabel, initialContent = '', initialVisibility, initialResources, save, onSaved, onCancel, autoFocus } = props;
  const [content, setContent] = useState(initialContent);
  const [visibility, setVisibility] = useState(initialVisibility);
  const visibilityTouched = useRef(false);
  const [dragging, setDragging] = useState(false);
  const attachments = useAttachments(initialResources);
  const { info } = useInstanceInfo();
  const uploadLimit = info && info.maxUploadBytes > 0n ? ` (up to ${formatLimit(info.maxUploadBytes)} each)` : '';
  const ids = { text: useId(), hint: useId(), file: useId(), error: useId() };
  const action = useAction(save);
  const textRef = useRef<HTMLTextAreaElement>(null);

  // The default visibility may arrive after the composer is shown.
  useEffect(() => {
    if (!visibilityTouched.current) setVisibility(initialVisibility);
  }, [initialVisibility]);

  const tags = extractTags(content);
  const empty = content.trim() === '' && attachments.items.length === 0;
  const blocked = attachments.busy || attachments.failed;

  async function submit(e?: FormEvent) {
    e?.preventDefault();
    if (empty || action.pending) return;
    if (attachments.busy) {
      action.setError('Wait until the files have finished uploading.');
      return;
    }
    if (attachments.failed) {
      action.setError('Some files did not upload. Retry or remove them first.');
      return;
    }
    const memo = await action.run({ content, visibility, resourceNames: attachments.resourceNames });
    if (!memo) return;
    if (!onCancel) {
      // The composer for new memos stays; make it blank for the next one.
      setContent('');
      attachments.clear();
      textRef.current?.focus();
    }
    onSaved(memo);
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void submit();
    } else if (e.key === 'Escape' && onCancel) {
      e.preventDefault();
      cancel();
    }
  }

  function cancel() {
    attachments.discard();
    onCancel?.();
  }

  function onPaste(e: ClipboardEvent<HTMLTextAreaElement>) {
    if (e.clipboardData.files.length > 0) {
      e.preventDefault();
      attachments.add(e.clipboardData.files);
    }
  }

  function onDrop(e: DragEvent) {
    if (e.dataTransfer.files.length === 0) return;
    e.preventDefault();
    setDragging(false);
    attachments.add(e.dataTransfer.files);
  }

  return (
    <form
      className={dragging ? 'composer dragging' : 'composer'}
      aria-label={label}
      onSubmit={submit}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes('Files')) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      <label htmlFor={ids.text} className="visually-hidden">
        {label} (Markdown)
      </label>
      <textarea
        id={ids.text}
        ref={textRef}
        value={content}
        rows={onCancel ? 6 : 4}
        placeholder="What's on your mind? Markdown and #tags work."
        aria-describedby={ids.hint}
        autoFocus={autoFocus}
        onChange={(e) => setContent(e.target.value)}
        onKeyDown={onKeyDown}
        onPaste={onPaste}
      />
      <p className="field-hint" id={ids.hint}>
        {tags.length > 0 ? (
          <span className="tag-preview">Tags: {tags.map((t) => `#${t}`).join(' ')} · </span>
        ) : null}
        {saveShortcut} saves. Drop or paste files to attach them{uploadLimit}.
      </p>
      <AttachmentQueue items={attachments.items} onRemove={attachments.remove} onRetry={attachments.retry} />
      <ErrorMessage message={attachments.refused.join(' ')} />
      <div className="composer-bar">
        <input
          id={ids.file}
          type="file"
          multiple
          className="visually-hidden"
          onChange={(e) => {
            if (e.target.files) attachments.add(e.target.files);
            e.target.value = '';
          }}
        />
        <label className="button file-button" htmlFor={ids.file}>
          <Icon name="paperclip" /> Attach files
        </label>
        <VisibilitySelect
          value={visibility}
          compact
          onChange={(v) => {
            visibilityTouched.current = true;
            setVisibility(v);
          }}
        />
        <span className="spacer" />
        {onCancel ? (
          <button type="button" onClick={cancel} disabled={action.pending}>
            Cancel
          </button>
        ) : null}
        <button
          type="submit"
          className="primary"
          disabled={empty || action.pending}
          aria-disabled={blocked || undefined}
          aria-busy={action.pending}
        >
          {action.pending ? 'Saving…' : submitLabel}
        </button>
      </div>
      <ErrorMessage id={ids.error} message={action.error} />
    </form>
  );
}
