// Pure rules derived from AuthService.GetInstanceInfo: which sign-in page to
// show, which visibilities to offer, and which files to refuse before upload.
import { Visibility } from '../gen/memoria/v1/memo_service_pb';
import { visibilityOptions } from './format';

/** The parts of GetInstanceInfoResponse the UI uses. */
export interface InstanceInfo {
  firstSignUp: boolean;
  allowSignUp: boolean;
  disallowPublicVisibility: boolean;
  maxUploadBytes: bigint;
}

export type AuthMode = 'signIn' | 'signUp';

/** The first account opens the page in sign-up mode; otherwise sign-in. */
export function initialAuthMode(info: InstanceInfo | undefined): AuthMode {
  return info?.firstSignUp ? 'signUp' : 'signIn';
}

/** Whether to offer sign-up at all; unknown info keeps it offered (the server decides). */
export function canSignUp(info: InstanceInfo | undefined): boolean {
  return info === undefined || info.allowSignUp || info.firstSignUp;
}

export interface VisibilityChoice {
  value: Visibility;
  label: string;
  hint: string;
  disabled?: boolean;
}

export const PUBLIC_DISALLOWED_HINT = 'Public memos are turned off on this instance';

/**
 * The options of a visibility picker. With public memos turned off, Public is
 * not offered — except as the (disabled) current value, so a memo that is
 * already public still shows as Public.
 */
export function visibilityChoices(current: Visibility, disallowPublic: boolean): VisibilityChoice[] {
  if (!disallowPublic) return visibilityOptions;
  return visibilityOptions.flatMap((o): VisibilityChoice[] => {
    if (o.value !== Visibility.PUBLIC) return [o];
    if (current !== Visibility.PUBLIC) return [];
    return [{ ...o, hint: PUBLIC_DISALLOWED_HINT, disabled: true }];
  });
}

/**
 * A visibility to preselect for a new memo: Public becomes Signed-in users
 * when public memos are turned off (the server does the same for defaults).
 */
export function allowedVisibility(v: Visibility, disallowPublic: boolean): Visibility {
  return disallowPublic && v === Visibility.PUBLIC ? Visibility.PROTECTED : v;
}

const MiB = 1n << 20n;

/** 33554432 → "32 MiB"; 1500000 → "1500000 bytes". */
export function formatLimit(bytes: bigint | number): string {
  const b = BigInt(bytes);
  if (b > 0n && b % MiB === 0n) return `${b / MiB} MiB`;
  return `${b} ${b === 1n ? 'byte' : 'bytes'}`;
}

/**
 * Why a file cannot be uploaded under the limit, or '' if it can. A limit of
 * 0 or less (unknown) refuses nothing; a file exactly at the limit is fine.
 */
export function oversizeMessage(file: { name: string; size: number }, maxBytes: bigint | number | undefined): string {
  if (maxBytes === undefined) return '';
  const max = BigInt(maxBytes);
  if (max <= 0n || BigInt(file.size) <= max) return '';
  return `“${file.name || 'file'}” is too large to attach: files can be at most ${formatLimit(max)}.`;
}

/** Splits files into those to upload and the messages for those refused. */
export function partitionBySize<F extends { name: string; size: number }>(
  files: Iterable<F>,
  maxBytes: bigint | number | undefined,
): { accepted: F[]; refused: string[] } {
  const accepted: F[] = [];
  const refused: string[] = [];
  for (const f of files) {
    const msg = oversizeMessage(f, maxBytes);
    if (msg) refused.push(msg);
    else accepted.push(f);
  }
  return { accepted, refused };
}
