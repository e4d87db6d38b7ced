// Full-text search as the server does it (store/search_text.go): words are
// runs of letters, digits and marks, compared without case or diacritics;
// CJK text (Han, Hiragana, Katakana, Hangul) has no spaces, so a CJK query
// matches inside longer runs. Quoted "phrases" keep their words together.
// The server decides what matches; this builds the filter and finds the
// words to highlight in what it returned.

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;

/** A ListMemos filter term searching for `query`. */
export function searchFilter(query: string): string {
  return `search("${query.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}")`;
}

/** Joins filter terms with `&&`, skipping empty ones. */
export function joinFilters(...terms: string[]): string {
  return terms.filter((t) => t !== '').join(' && ');
}

/** Lower case, no diacritics ("Été" → "ete", "Ёлка" → "елка"). */
export function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().normalize('NFC');
}

export interface Segment {
  /** Offset of the run in the text. */
  start: number;
  end: number;
  text: string;
  cjk: boolean;
}

/** Runs of word characters, CJK runs apart from the others. */
export function segments(text: string): Segment[] {
  const out: Segment[] = [];
  let cur: Segment | null = null;
  let i = 0;
  for (const ch of text) {
    const isCJK = CJK.test(ch);
    const isWord = !isCJK && WORD_CHAR.test(ch);
    const isMark = /\p{M}/u.test(ch);
    if (cur && (isMark || (isCJK ? cur.cjk : isWord && !cur.cjk))) {
      cur.end = i + ch.length;
      cur.text += ch;
    } else {
      if (cur) out.push(cur);
      cur = isCJK || (isWord && !isMark) ? { start: i, end: i + ch.length, text: ch, cjk: isCJK } : null;
    }
    i += ch.length;
  }
  if (cur) out.push(cur);
  return out;
}

/** The words and CJK runs of a search query, folded, to highlight. */
export function searchWords(query: string): string[] {
  const seen = new Set<string>();
  for (const s of segments(query.replace(/"/g, ' '))) {
    const w = s.cjk ? s.text : fold(s.text);
    if (w) seen.add(w);
  }
  return [...seen];
}

/** Where the words occur in text: [start, end) offsets, in order. */
export function findMatches(text: string, words: string[]): Array<[number, number]> {
  if (words.length === 0) return [];
  const plain = new Set(words.filter((w) => !CJK.test(w)));
  const cjk = words.filter((w) => CJK.test(w));
  const out: Array<[number, number]> = [];
  for (const s of segments(text)) {
    if (!s.cjk) {
      if (plain.has(fold(s.text))) out.push([s.start, s.end]);
      continue;
    }
    const hits: Array<[number, number]> = [];
    for (const w of cjk) {
      for (let at = s.text.indexOf(w); at >= 0; at = s.text.indexOf(w, at + 1)) {
        hits.push([s.start + at, s.start + at + w.length]);
      }
    }
    hits.sort((a, b) => a[0] - b[0]);
    for (const h of hits) {
      const last = out[out.length - 1];
      if (last && h[0] < last[1]) last[1] = Math.max(last[1], h[1]);
      else out.push(h);
    }
  }
  return out;
}

/** Whether every searched word occurs in content (for memos shown without asking the server). */
export function matchesSearch(content: string, query: string): boolean {
  const found = new Set<string>();
  for (const s of segments(content)) {
    if (!s.cjk) found.add(fold(s.text));
  }
  return searchWords(query).every((w) => (CJK.test(w) ? content.includes(w) : found.has(w)));
}
