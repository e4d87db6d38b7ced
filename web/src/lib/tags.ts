// `#tags` as people write them in memos: a `#` at the start of a word,
// followed by letters, digits, `_`, `-` or `/` (not ending in `-` or `/`).
// The server extracts the authoritative list (Memo.tags); this is for
// display: linking tags inside rendered text and previewing while writing.

const TAG_BODY = String.raw`[\p{L}\p{N}_](?:[\p{L}\p{N}_\-/]*[\p{L}\p{N}_])?`;
const NOT_AFTER = String.raw`(?<![\p{L}\p{N}_&#/\\])`;

/** Finds tags in plain text; group 1 is the tag without `#`. */
export function tagPattern(): RegExp {
  return new RegExp(`${NOT_AFTER}#(${TAG_BODY})`, 'gu');
}

/** Removes fenced code blocks and inline code, where `#` is not a tag. */
function stripCode(markdown: string): string {
  return markdown
    .replace(/^(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, ' ')
    .replace(/(`+)[\s\S]*?\1/g, ' ');
}

/** The distinct tags in Markdown text, in order of first appearance. */
export function extractTags(markdown: string): string[] {
  const seen = new Set<string>();
  for (const m of stripCode(markdown).matchAll(tagPattern())) {
    seen.add(m[1]);
  }
  return [...seen];
}

/** A ListMemos filter term matching one tag. */
export function tagFilter(tag: string): string {
  return `tag == "${tag.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
