import type { Resource } from '../gen/memoria/v1/resource_service_pb';
import { formatBytes, isImage, resourceUrl } from '../lib/format';
import { Icon } from './Icon';

/** A memo's attachments: images inline, other files as download links. */
export function MemoResources({ resources }: { resources: readonly Resource[] }) {
  if (resources.length === 0) return null;
  const images = resources.filter(isImage);
  const files = resources.filter((r) => !isImage(r));
  return (
    <div className="memo-resources">
      {images.length > 0 ? (
        <div className={images.length === 1 ? 'image-grid single' : 'image-grid'}>
          {images.map((r) => (
            <a key={r.name} href={resourceUrl(r)} target="_blank" rel="noopener" className="image-link">
              <img src={resourceUrl(r)} alt={r.filename} loading="lazy" decoding="async" />
            </a>
          ))}
        </div>
      ) : null}
      {files.length > 0 ? (
        <ul className="file-list" aria-label="Attached files">
          {files.map((r) => (
            <li key={r.name}>
              <a href={resourceUrl(r)} download={r.filename}>
                <Icon name="file" /> {r.filename}
              </a>{' '}
              <span className="muted">({formatBytes(r.size)})</span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
