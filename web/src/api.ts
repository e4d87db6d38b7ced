// The one place that talks to the Memoria server: a Connect transport on the
// page's own origin (the session cookie rides along; the UI never sees the
// token), a typed client per service, and the mapping from API errors to
// sentences a person can act on.
import { Code, ConnectError, createClient, type Interceptor } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-web';
import { AuthService } from './gen/memoria/v1/auth_service_pb';
import { BotService } from './gen/memoria/v1/bot_service_pb';
import { MemoService } from './gen/memoria/v1/memo_service_pb';
import { ResourceService } from './gen/memoria/v1/resource_service_pb';
import { SystemSettingService } from './gen/memoria/v1/system_setting_service_pb';
import { UserService } from './gen/memoria/v1/user_service_pb';
import { UserSettingService } from './gen/memoria/v1/user_setting_service_pb';

type SessionLostListener = (notice?: string) => void;
let sessionLost: SessionLostListener | null = null;

/** Registers what to do when a call finds the session gone (UNAUTHENTICATED). */
export function onSessionLost(listener: SessionLostListener | null): void {
  sessionLost = listener;
}

/**
 * Tells the app the session is gone (for requests made outside the
 * transport, or when an action ended it), with what to tell the user.
 */
export function notifySessionLost(notice?: string): void {
  sessionLost?.(notice);
}

// Calls that answer UNAUTHENTICATED as a normal outcome, not a lost session.
const expectedUnauthenticated = new Set(['SignIn', 'SignUp', 'GetCurrentUser', 'SignOut']);

const sessionInterceptor: Interceptor = (next) => async (req) => {
  try {
    return await next(req);
  } catch (err) {
    if (
      err instanceof ConnectError &&
      err.code === Code.Unauthenticated &&
      !expectedUnauthenticated.has(req.method.name)
    ) {
      notifySessionLost();
    }
    throw err;
  }
};

function originBaseUrl(): string {
  return typeof window === 'undefined' ? 'http://localhost' : window.location.origin;
}

export const transport = createConnectTransport({
  baseUrl: originBaseUrl(),
  // Binary Protobuf is smaller than JSON, which matters for file uploads.
  useBinaryFormat: true,
  fetch: (input, init) => globalThis.fetch(input, { ...init, credentials: 'same-origin' }),
  interceptors: [sessionInterceptor],
});

export const authClient = createClient(AuthService, transport);
export const userClient = createClient(UserService, transport);
export const memoClient = createClient(MemoService, transport);
export const resourceClient = createClient(ResourceService, transport);
export const systemSettingClient = createClient(SystemSettingService, transport);
export const userSettingClient = createClient(UserSettingService, transport);
export const botClient = createClient(BotService, transport);

/** Per-call wording that replaces the generic sentence for some codes. */
export type ErrorOverrides = Partial<Record<Code, string>>;

/** What to say for a code when the server's own message is not meant for people. */
const genericMessages: Record<Code, string> = {
  [Code.Canceled]: 'The request was cancelled.',
  [Code.Unknown]: 'Something went wrong. Please try again.',
  [Code.InvalidArgument]: 'Some of the values are not valid.',
  [Code.DeadlineExceeded]: 'The server took too long to answer. Please try again.',
  [Code.NotFound]: 'That no longer exists — it may have been deleted.',
  [Code.AlreadyExists]: 'That already exists.',
  [Code.PermissionDenied]: 'You are not allowed to do that.',
  [Code.ResourceExhausted]: 'That is too large, or too many requests were made. Please try again later.',
  [Code.FailedPrecondition]: 'That cannot be done right now.',
  [Code.Aborted]: 'Someone else changed this at the same time. Please reload and try again.',
  [Code.OutOfRange]: 'That value is out of range.',
  [Code.Unimplemented]: 'This server does not support that.',
  [Code.Internal]: 'Something went wrong on the server. Please try again later.',
  [Code.Unavailable]: 'Cannot reach the Memoria server. Check your connection and try again.',
  [Code.DataLoss]: 'Something went wrong on the server. Please try again later.',
  [Code.Unauthenticated]: 'Your session has ended. Please sign in again.',
};

// Codes whose server message explains a user mistake and is safe to show.
const showServerMessage = new Set<Code>([
  Code.InvalidArgument,
  Code.AlreadyExists,
  Code.FailedPrecondition,
  Code.PermissionDenied,
  Code.Unauthenticated,
  Code.NotFound,
  Code.OutOfRange,
  Code.ResourceExhausted,
]);

// A leading proto field name ("telegram_bot_token: …") means nothing to people.
const FIELD_PREFIX = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)+:\s+/;

/** "invalid username or password" → "Invalid username or password." */
export function toSentence(text: string): string {
  const t = text.trim().replace(FIELD_PREFIX, '');
  if (t === '') return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?…]$/.test(first) ? first : `${first}.`;
}

function isNetworkFailure(err: ConnectError): boolean {
  return err.code === Code.Unknown && err.cause instanceof TypeError;
}

// What connect-web says when a response was not a Connect error at all
// (e.g. a proxy's 502 page): only the HTTP status, useless to a person.
function isBareHttpStatus(message: string): boolean {
  return /^HTTP \d{3}$/.test(message.trim());
}

/**
 * Turns anything a call can throw into a sentence for the user. Never shows a
 * raw code; shows the server's own message only for codes where it describes
 * what the user did (validation, conflicts, permissions).
 */
export function errorMessage(err: unknown, overrides: ErrorOverrides = {}): string {
  const ce = ConnectError.from(err);
  const override = overrides[ce.code];
  if (override !== undefined) return override;
  if (isNetworkFailure(ce)) return genericMessages[Code.Unavailable];
  const raw = ce.rawMessage.trim();
  if (showServerMessage.has(ce.code) && raw !== '' && !isBareHttpStatus(raw)) {
    return toSentence(raw);
  }
  return genericMessages[ce.code] ?? genericMessages[Code.Unknown];
}

/** "invalid_argument" (Connect's wire name) → Code.InvalidArgument. */
export function codeFromWireName(name: string): Code | undefined {
  for (const value of Object.values(Code)) {
    if (typeof value !== 'number') continue;
    const wire = Code[value].replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
    if (wire === name) return value;
  }
  return undefined;
}

/** The code of an error thrown by a call, or undefined for other failures. */
export function errorCode(err: unknown): Code | undefined {
  return err instanceof ConnectError ? err.code : undefined;
}

export { Code, ConnectError };
