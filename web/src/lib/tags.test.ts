import { describe, expect, it } from 'vitest';
import { extractTags, findTags, tagFilter } from './tags';

describe('extractTags', () => {
  it.each<[string, string, string[]]>([
    ['simple', 'Hello #world', ['world']],
    ['order of first appearance, distinct', '#b #a #b', ['b', 'a']],
    ['start of line and punctuation', '#one, (#two) #three.', ['one', 'two', 'three']],
    ['nested', '#work/project-x', ['work/project-x']],
    ['trailing dash or slash is not part of it', '#a- #b/', ['a', 'b']],
    ['unicode letters', 'Notiz #Käse #日本', ['Käse', '日本']],
    ['heading is not a tag', '# Title\n## Sub', []],
    ['inside a word is not a tag', 'C#sharp foo#bar', []],
    ['double hash', '##x', []],
    ['URL fragment', 'https://example.com/page#section', []],
    ['inline code', 'use `#define` here #real', ['real']],
    ['fenced code', '```\n#include <x>\n```\n#after', ['after']],
    ['empty', '', []],
  ])('%s', (_name, text, want) => {
    expect(extractTags(text)).toEqual(want);
  });
});

describe('tagFilter', () => {
  it('quotes the tag', () => {
    expect(tagFilter('work')).toBe('tag == "work"');
  });
  it('escapes quotes and backslashes', () => {
    expect(tagFilter('a"b\\c')).toBe('tag == "a\\"b\\\\c"');
  });
});

describe('findTags (server rules)', () => {
  it.each<[string, string[]]>([
    ['#1 and #42 are not tags, #v2 is', ['v2']],
    ['dash#x slash/#y amp&#z', []],
    ['#-odd', ['-odd']],
    ['(#café)', ['café']],
  ])('%s', (text, want) => {
    expect(findTags(text).map((m) => m.tag)).toEqual(want);
  });

  it('reports positions', () => {
    expect(findTags('a #bc- d')).toEqual([{ index: 2, length: 3, tag: 'bc' }]);
  });
});
