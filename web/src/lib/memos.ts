import type { Memo } from '../gen/memoria/v1/memo_service_pb';

function seconds(m: Memo): bigint {
  return m.createTime?.seconds ?? 0n;
}

function nanos(m: Memo): number {
  return m.createTime?.nanos ?? 0;
}

function idOf(m: Memo): number {
  const n = Number(m.name.split('/')[1]);
  return Number.isFinite(n) ? n : 0;
}

/** Timeline order, as the server lists: pinned first, then newest first. */
export function compareMemos(a: Memo, b: Memo): number {
  if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
  const s = seconds(b) - seconds(a);
  if (s !== 0n) return s > 0n ? 1 : -1;
  const n = nanos(b) - nanos(a);
  if (n !== 0) return n;
  return idOf(b) - idOf(a);
}

/** Inserts or replaces a memo and keeps timeline order. */
export function upsertMemo(list: readonly Memo[], memo: Memo): Memo[] {
  const rest = list.filter((m) => m.name !== memo.name);
  return [...rest, memo].sort(compareMemos);
}

/** Appends a further page, dropping memos already shown. */
export function appendPage(list: readonly Memo[], page: readonly Memo[]): Memo[] {
  const seen = new Set(list.map((m) => m.name));
  return [...list, ...page.filter((m) => !seen.has(m.name))];
}
