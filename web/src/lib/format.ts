import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { Visibility } from '../gen/memoria/v1/memo_service_pb';
import { Role } from '../gen/memoria/v1/user_service_pb';

/** 1536 → "1.5 KB". */
export function formatBytes(size: bigint | number): string {
  const n = Number(size);
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function toDate(ts: Timestamp | undefined): Date | undefined {
  return ts ? timestampDate(ts) : undefined;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

export function formatDateTime(ts: Timestamp | undefined): string {
  const d = toDate(ts);
  return d ? dateTime.format(d) : '';
}

export function formatDate(ts: Timestamp | undefined): string {
  const d = toDate(ts);
  return d ? dateOnly.format(d) : '';
}

export const visibilityOptions: { value: Visibility; label: string; hint: string }[] = [
  { value: Visibility.PRIVATE, label: 'Private', hint: 'Only you' },
  { value: Visibility.PROTECTED, label: 'Signed-in users', hint: 'Anyone signed in to this instance' },
  { value: Visibility.PUBLIC, label: 'Public', hint: 'Anyone, without signing in' },
];

export function visibilityLabel(v: Visibility): string {
  return visibilityOptions.find((o) => o.value === v)?.label ?? 'Default';
}

export function roleLabel(r: Role): string {
  return r === Role.ADMIN ? 'Admin' : 'User';
}

/** The URL that serves a resource's bytes. */
export function resourceUrl(resource: { name: string; filename: string }): string {
  return `/file/${resource.name}/${encodeURIComponent(resource.filename)}`;
}

export function isImage(resource: { type: string }): boolean {
  return resource.type.startsWith('image/');
}
