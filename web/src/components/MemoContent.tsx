import { useMemo, type MouseEvent } from 'react';
import { renderMarkdown } from '../lib/markdown';

interface Props {
  content: string;
  onTag: (tag: string) => void;
}

/** A memo's Markdown, rendered and sanitised; `#tags` inside it filter the timeline. */
export function MemoContent({ content, onTag }: Props) {
  const html = useMemo(() => renderMarkdown(content), [content]);

  function onClick(e: MouseEvent<HTMLDivElement>) {
    const target = e.target as HTMLElement;
    const link = target.closest<HTMLAnchorElement>('a[data-tag]');
    if (link?.dataset.tag && !e.ctrlKey && !e.metaKey && !e.shiftKey) {
      e.preventDefault();
      onTag(link.dataset.tag);
    }
  }

  if (content.trim() === '') return null;
  // The HTML comes from renderMarkdown, which sanitises it with DOMPurify.
  return <div className="markdown" onClick={onClick} dangerouslySetInnerHTML={{ __html: html }} />;
}
