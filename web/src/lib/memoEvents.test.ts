import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import {
  MemoEventType,
  MemoSchema,
  WatchMemosResponseSchema,
  type Memo,
  type WatchMemosResponse,
} from '../gen/memoria/v1/memo_service_pb';
import { applyMemoEvent, applyMemoEvents, reconnectDelay, type ShownMemos } from './memoEvents';

function memo(id: number, created: number, opts: { updated?: number; pinned?: boolean; content?: string; tags?: string[] } = {}): Memo {
  return create(MemoSchema, {
    name: `memos/${id}`,
    content: opts.content ?? `memo ${id}`,
    pinned: opts.pinned ?? false,
    tags: opts.tags ?? [],
    createTime: { seconds: BigInt(created) },
    updateTime: { seconds: BigInt(opts.updated ?? created) },
  });
}

function ev(type: MemoEventType, m?: Memo): WatchMemosResponse {
  return create(WatchMemosResponseSchema, { type, memo: m });
}

const deleted = (id: number) => ev(MemoEventType.DELETED, create(MemoSchema, { name: `memos/${id}` }));
const all: ShownMemos = { complete: true, matches: () => true };
const partial: ShownMemos = { complete: false, matches: () => true };
const names = (list: readonly Memo[]) => list.map((m) => m.name);
const contents = (list: readonly Memo[]) => list.map((m) => m.content);

describe('applyMemoEvent', () => {
  const shown = [memo(3, 300), memo(2, 200), memo(1, 100)];

  it('puts a created memo in timeline order', () => {
    expect(names(applyMemoEvent(shown, ev(MemoEventType.CREATED, memo(4, 400)), all))).toEqual([
      'memos/4',
      'memos/3',
      'memos/2',
      'memos/1',
    ]);
  });

  it('never duplicates: a created event for a memo already shown (e.g. saved here) replaces it', () => {
    const once = applyMemoEvent(shown, ev(MemoEventType.CREATED, memo(3, 300, { content: 'same' })), all);
    const twice = applyMemoEvent(once, ev(MemoEventType.UPDATED, memo(3, 300, { content: 'same' })), all);
    expect(names(twice)).toEqual(['memos/3', 'memos/2', 'memos/1']);
    expect(contents(twice)[0]).toBe('same');
  });

  it('replaces an updated memo and re-sorts when it is pinned', () => {
    const out = applyMemoEvent(shown, ev(MemoEventType.UPDATED, memo(1, 100, { updated: 500, pinned: true, content: 'pinned' })), all);
    expect(names(out)).toEqual(['memos/1', 'memos/3', 'memos/2']);
    expect(out[0].content).toBe('pinned');
  });

  it('ignores an event older than the memo shown', () => {
    const fresh = [memo(1, 100, { updated: 900, content: 'fresh' })];
    const out = applyMemoEvent(fresh, ev(MemoEventType.UPDATED, memo(1, 100, { updated: 800, content: 'stale' })), all);
    expect(contents(out)).toEqual(['fresh']);
  });

  it('removes a deleted memo; deleting one not shown changes nothing', () => {
    expect(names(applyMemoEvent(shown, deleted(2), all))).toEqual(['memos/3', 'memos/1']);
    expect(applyMemoEvent(shown, deleted(9), all)).toBe(shown);
  });

  it('does not insert a memo that sorts after the loaded page (a later page brings it)', () => {
    const page = [memo(3, 300), memo(2, 200)];
    expect(applyMemoEvent(page, ev(MemoEventType.UPDATED, memo(1, 100, { updated: 999 })), partial)).toBe(page);
    expect(names(applyMemoEvent(page, ev(MemoEventType.CREATED, memo(4, 400)), partial))).toEqual([
      'memos/4',
      'memos/3',
      'memos/2',
    ]);
    expect(names(applyMemoEvent([], ev(MemoEventType.CREATED, memo(4, 400)), partial))).toEqual([]);
    expect(names(applyMemoEvent([], ev(MemoEventType.CREATED, memo(4, 400)), all))).toEqual(['memos/4']);
  });

  it('follows the filter: a memo that stops matching leaves, one that does not match never enters', () => {
    const tagged: ShownMemos = { complete: true, matches: (m) => m.tags.includes('go') };
    const list = [memo(2, 200, { tags: ['go'] }), memo(1, 100, { tags: ['go'] })];
    expect(names(applyMemoEvent(list, ev(MemoEventType.UPDATED, memo(2, 200, { updated: 300, tags: [] })), tagged))).toEqual([
      'memos/1',
    ]);
    expect(applyMemoEvent(list, ev(MemoEventType.CREATED, memo(3, 300, { tags: ['web'] })), tagged)).toBe(list);
  });

  it('ignores keep-alives', () => {
    expect(applyMemoEvent(shown, ev(MemoEventType.UNSPECIFIED), all)).toBe(shown);
  });
});

describe('applyMemoEvents (replaying events that arrived while a page loaded)', () => {
  it('brings a page loaded before the changes up to date, and leaves one loaded after them as it is', () => {
    const events = [
      ev(MemoEventType.CREATED, memo(4, 400)),
      ev(MemoEventType.UPDATED, memo(2, 200, { updated: 450, content: 'edited' })),
      deleted(3),
    ];
    const before = [memo(3, 300), memo(2, 200), memo(1, 100)];
    const after = [memo(4, 400), memo(2, 200, { updated: 450, content: 'edited' }), memo(1, 100)];
    const expected = ['memos/4', 'memos/2', 'memos/1'];
    expect(names(applyMemoEvents(before, events, all))).toEqual(expected);
    expect(contents(applyMemoEvents(before, events, all))[1]).toBe('edited');
    expect(names(applyMemoEvents(after, events, all))).toEqual(expected);
    expect(contents(applyMemoEvents(after, events, all))[1]).toBe('edited');
  });
});

describe('reconnectDelay', () => {
  it('starts at a second, doubles, and stops at 30 s', () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((a) => reconnectDelay(a, mid))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
  });

  it('jitters by at most 20 %', () => {
    expect(reconnectDelay(0, () => 0)).toBe(800);
    expect(reconnectDelay(0, () => 1)).toBe(1200);
  });
});
