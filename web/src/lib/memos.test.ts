import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { MemoSchema, type Memo } from '../gen/memoria/v1/memo_service_pb';
import { appendPage, compareMemos, upsertMemo } from './memos';

function memo(id: number, seconds: number, pinned = false): Memo {
  return create(MemoSchema, { name: `memos/${id}`, pinned, createTime: { seconds: BigInt(seconds) } });
}

const names = (list: Memo[]) => list.map((m) => m.name);

describe('timeline order', () => {
  it('puts pinned first, then newest first, then later id first', () => {
    const list = [memo(1, 100), memo(2, 300), memo(3, 200, true), memo(4, 300)].sort(compareMemos);
    expect(names(list)).toEqual(['memos/3', 'memos/4', 'memos/2', 'memos/1']);
  });

  it('upsert replaces in place and re-sorts on pin', () => {
    const list = [memo(2, 200), memo(1, 100)];
    expect(names(upsertMemo(list, memo(1, 100, true)))).toEqual(['memos/1', 'memos/2']);
    expect(names(upsertMemo(list, memo(3, 300)))).toEqual(['memos/3', 'memos/2', 'memos/1']);
  });

  it('appendPage skips memos already shown', () => {
    expect(names(appendPage([memo(3, 3), memo(2, 2)], [memo(2, 2), memo(1, 1)]))).toEqual([
      'memos/3',
      'memos/2',
      'memos/1',
    ]);
  });
});
