import { describe, expect, it } from 'vitest';
import { findMatches, fold, joinFilters, matchesSearch, searchFilter, searchWords } from './search';

describe('searchFilter', () => {
  it('quotes the query', () => {
    expect(searchFilter('quantum tea')).toBe('search("quantum tea")');
  });
  it('escapes quotes and backslashes, so phrases reach the server', () => {
    expect(searchFilter('"exact phrase" a\\b')).toBe('search("\\"exact phrase\\" a\\\\b")');
  });
  it('joins with the tag filter', () => {
    expect(joinFilters('tag == "go"', searchFilter('x'))).toBe('tag == "go" && search("x")');
    expect(joinFilters('', searchFilter('x'))).toBe('search("x")');
    expect(joinFilters('', '')).toBe('');
  });
});

describe('fold', () => {
  it.each([
    ['Été', 'ete'],
    ['ЁЛКА', 'елка'],
    ['Straße', 'straße'],
    ['CAFÉ', 'cafe'],
  ])('%s → %s', (input, want) => {
    expect(fold(input)).toBe(want);
  });
});

describe('searchWords', () => {
  it.each<[string, string, string[]]>([
    ['words, folded', 'Quantum  Café', ['quantum', 'cafe']],
    ['phrase words', '"design team" x', ['design', 'team', 'x']],
    ['CJK runs apart from Latin', 'go语言', ['go', '语言']],
    ['punctuation ignored', '-- ?!', []],
    ['repeats once', 'a A a', ['a']],
  ])('%s', (_name, q, want) => {
    expect(searchWords(q)).toEqual(want);
  });
});

describe('findMatches', () => {
  const at = (text: string, q: string) => findMatches(text, searchWords(q)).map(([s, e]) => text.slice(s, e));
  it.each<[string, string, string, string[]]>([
    ['whole words, any case', 'Quantum and quantumness, QUANTUM!', 'quantum', ['Quantum', 'QUANTUM']],
    ['accents', "L'été à Montréal", 'ete montreal', ['été', 'Montréal']],
    ['cyrillic', 'Зимой пили ЧАЙ', 'чай', ['ЧАЙ']],
    ['CJK inside a run', '今天读了关于量子纠缠的论文', '量子纠缠', ['量子纠缠']],
    ['overlapping CJK words merge', '量子纠缠', '量子 子纠', ['量子纠']],
    ['nothing', 'hello', 'zebra', []],
  ])('%s', (_name, text, q, want) => {
    expect(at(text, q)).toEqual(want);
  });
});

describe('matchesSearch', () => {
  it.each<[string, string, string, boolean]>([
    ['every word', 'Quantum tea party', 'tea quantum', true],
    ['a word missing', 'Quantum party', 'tea quantum', false],
    ['part of a word is not a match', 'teapot', 'tea', false],
    ['CJK inside a run', '关于量子纠缠的', '量子', true],
  ])('%s', (_name, content, q, want) => {
    expect(matchesSearch(content, q)).toBe(want);
  });
});
