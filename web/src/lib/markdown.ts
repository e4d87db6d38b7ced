// Markdown → safe HTML. marked renders, raw HTML in the source is shown as
// text (never interpreted), and DOMPurify sanitises the result anyway, so
// nothing a memo contains can run script or restyle the page.
import DOMPurify from 'dompurify';
import { Marked } from 'marked';
import { findTags } from './tags';

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const marked = new Marked({
  gfm: true,
  breaks: true,
  renderer: {
    // Raw HTML (block or inline) is displayed literally.
    html({ text }) {
      return escapeHtml(text);
    },
  },
});

let hooksInstalled = false;

function purifier(): typeof DOMPurify {
  if (!hooksInstalled) {
    DOMPurify.addHook('afterSanitizeAttributes', (node) => {
      if (node.tagName === 'A' && node.hasAttribute('href')) {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer nofollow');
      }
      if (node.tagName === 'IMG') {
        node.setAttribute('loading', 'lazy');
        node.setAttribute('referrerpolicy', 'no-referrer');
      }
    });
    hooksInstalled = true;
  }
  return DOMPurify;
}

const SANITIZE_CONFIG = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: ['style', 'form', 'button', 'textarea', 'select', 'iframe', 'object', 'embed'],
  FORBID_ATTR: ['style', 'class', 'id'],
  ALLOW_DATA_ATTR: false,
  // DOMPurify's default list plus tg: — Telegram text mentions become
  // [name](tg://user?id=N) links (bot/markdown.go).
  ALLOWED_URI_REGEXP:
    /^(?:(?:(?:f|ht)tps?|mailto|tel|callto|sms|cid|xmpp|matrix|tg):|[^a-z]|[a-z+.\-]+(?:[^a-z+.\-:]|$))/i,
};

// Text inside these is left alone when linking tags.
const NO_TAG_LINKS = new Set(['A', 'CODE', 'PRE']);

/** Wraps `#tag`s in text nodes with links that carry `data-tag`. */
function linkTags(root: Node, doc: Document): void {
  const walker = doc.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      for (let p = node.parentNode; p && p !== root; p = p.parentNode) {
        if (NO_TAG_LINKS.has(p.nodeName)) return NodeFilter.FILTER_REJECT;
      }
      return NodeFilter.FILTER_ACCEPT;
    },
  });
  const texts: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) texts.push(n as Text);

  for (const text of texts) {
    const value = text.data;
    const matches = findTags(value);
    if (matches.length === 0) continue;
    const frag = doc.createDocumentFragment();
    let last = 0;
    for (const m of matches) {
      frag.append(value.slice(last, m.index));
      const a = doc.createElement('a');
      a.className = 'tag';
      a.href = `?tag=${encodeURIComponent(m.tag)}`;
      a.dataset.tag = m.tag;
      a.textContent = `#${m.tag}`;
      frag.append(a);
      last = m.index + m.length;
    }
    frag.append(value.slice(last));
    text.replaceWith(frag);
  }
}

/** Renders memo Markdown to sanitised HTML with `#tags` as filter links. */
export function renderMarkdown(markdown: string): string {
  const html = marked.parse(markdown, { async: false });
  const fragment = purifier().sanitize(html, { ...SANITIZE_CONFIG, RETURN_DOM_FRAGMENT: true });
  const doc = fragment.ownerDocument;
  linkTags(fragment, doc);
  const holder = doc.createElement('div');
  holder.append(fragment);
  return holder.innerHTML;
}
