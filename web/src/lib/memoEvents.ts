// Applying WatchMemos events to the memos shown on the timeline: merged by
// name (an event for a memo already shown replaces it, never duplicates
// it), in timeline order, and only within what the page has loaded.
import { MemoEventType, type Memo, type WatchMemosResponse } from '../gen/memoria/v1/memo_service_pb';
import { compareMemos, upsertMemo } from './memos';

export interface ShownMemos {
  /** Whether every matching memo is loaded (no further page). */
  complete: boolean;
  /** Whether a memo belongs on this timeline (e.g. carries the filter's tag). */
  matches: (memo: Memo) => boolean;
  /** Whether the list is in rank order (a search): new memos are then not inserted. */
  ranked?: boolean;
}

function micros(m: Memo): bigint {
  const t = m.updateTime;
  return t ? t.seconds * 1_000_000n + BigInt(Math.floor(t.nanos / 1000)) : 0n;
}

/**
 * The list after one event. A memo that no longer matches leaves the list;
 * a new one enters only if it sorts among the loaded memos (otherwise a
 * later page brings it); an event older than the memo shown (by
 * updateTime) is ignored, so replaying events onto a fresher page is safe.
 */
export function applyMemoEvent(list: readonly Memo[], event: WatchMemosResponse, shown: ShownMemos): readonly Memo[] {
  const memo = event.memo;
  if (!memo || event.type === MemoEventType.UNSPECIFIED) return list;
  const index = list.findIndex((m) => m.name === memo.name);
  if (event.type === MemoEventType.DELETED || !shown.matches(memo)) {
    return index < 0 ? list : list.filter((m) => m.name !== memo.name);
  }
  if (index >= 0) {
    return micros(memo) < micros(list[index]) ? list : upsertMemo(list, memo);
  }
  if (shown.ranked) return list;
  const last = list[list.length - 1];
  const inWindow = shown.complete || (last !== undefined && compareMemos(memo, last) < 0);
  return inWindow ? upsertMemo(list, memo) : list;
}

/** Applies events in order. */
export function applyMemoEvents(
  list: readonly Memo[],
  events: readonly WatchMemosResponse[],
  shown: ShownMemos,
): readonly Memo[] {
  return events.reduce((acc, e) => applyMemoEvent(acc, e, shown), list);
}

/** Delay before reconnect attempt `attempt` (0-based): 1 s doubling to 30 s, ±20 % jitter. */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5));
  return Math.round(base * (0.8 + 0.4 * random()));
}
