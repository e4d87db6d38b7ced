import { formatBytes } from '../lib/format';
import type { Attachment } from '../hooks/useAttachments';
import { Icon } from './Icon';

interface Props {
  items: Attachment[];
  onRemove: (key: string) => void;
  onRetry: (key: string) => void;
}

function statusText(a: Attachment): string {
  switch (a.status) {
    case 'queued':
      return 'Waiting to upload';
    case 'uploading':
      return `Uploading ${a.total > 0 ? Math.floor((a.loaded / a.total) * 100) : 0}%`;
    case 'done':
      return a.existing ? 'Attached' : 'Uploaded';
    case 'failed':
      return a.error || 'Upload failed';
  }
}

/** Files being attached to a memo, each with its upload state and progress. */
export function AttachmentQueue({ items, onRemove, onRetry }: Props) {
  if (items.length === 0) return null;
  return (
    <ul className="attachment-queue" aria-label="Attachments">
      {items.map((a) => (
        <li key={a.key} className={`attachment-item status-${a.status}`}>
          {a.previewUrl ? <img className="thumb" src={a.previewUrl} alt="" /> : <span className="thumb file-icon"><Icon name="file" size={22} /></span>}
          <span className="attachment-meta">
            <span className="filename" title={a.filename}>
              {a.filename}
            </span>
            <span className="muted">{formatBytes(a.size)}</span>
            <span className="upload-status" role={a.status === 'failed' ? 'alert' : undefined} aria-live="polite">
              {statusText(a)}
            </span>
            {a.status === 'uploading' || a.status === 'queued' ? (
              <progress
                max={a.total || 1}
                value={a.status === 'uploading' ? a.loaded : undefined}
                aria-label={`Upload progress of ${a.filename}`}
              />
            ) : null}
          </span>
          <span className="attachment-actions">
            {a.status === 'failed' && a.file ? (
              <button type="button" className="small" onClick={() => onRetry(a.key)}>
                Retry
              </button>
            ) : null}
            <button type="button" className="small" onClick={() => onRemove(a.key)} aria-label={`Remove ${a.filename}`}>
              Remove
            </button>
          </span>
        </li>
      ))}
    </ul>
  );
}
