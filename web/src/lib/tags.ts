// `#tags` as the server extracts them (server/tags.go): a `#` not preceded by
// a letter, digit, mark, `_`, `-`, `/`, `#` or `&`, then letters, digits,
// marks, `_`, `-` and `/`, without trailing `-` or `/`; all-digit runs
// (`#1`) are not tags. The server's Memo.tags is authoritative; this is for
// display: linking tags inside rendered text and previewing while writing.

const TAG_RUN = /(?<![\p{L}\p{N}\p{M}_\-/#&])#([\p{L}\p{N}\p{M}_\-/]+)/gu;
const MAX_TAG_LENGTH = 128;

export interface TagMatch {
  /** Index of the `#` in the text. */
  index: number;
  /** Length of `#tag` in the text. */
  length: number;
  tag: string;
}

/** Finds tags in plain text (no Markdown handling). */
export function findTags(text: string): TagMatch[] {
  const out: TagMatch[] = [];
  for (const m of text.matchAll(TAG_RUN)) {
    const tag = m[1].replace(/[-/]+$/, '');
    if (tag === '' || /^\d+$/.test(tag) || new TextEncoder().encode(tag).length > MAX_TAG_LENGTH) continue;
    out.push({ index: m.index ?? 0, length: tag.length + 1, tag });
  }
  return out;
}

/** Removes fenced code blocks and inline code, where `#` is not a tag. */
function stripCode(markdown: string): string {
  return markdown
    .replace(/^ *(`{3,}|~{3,})[^\n]*\n[\s\S]*?^ *\1[^\n]*$/gm, ' ')
    .replace(/`[^`\n]*`/g, ' ');
}

/** The distinct tags in Markdown text, in order of first appearance. */
export function extractTags(markdown: string): string[] {
  const seen = new Set<string>();
  for (const line of stripCode(markdown).split('\n')) {
    for (const m of findTags(line)) seen.add(m.tag);
  }
  return [...seen];
}

/** A ListMemos filter term matching one tag. */
export function tagFilter(tag: string): string {
  return `tag == "${tag.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
