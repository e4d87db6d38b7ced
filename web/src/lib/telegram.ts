import { toSentence } from '../api';
import { BotState } from '../gen/memoria/v1/bot_service_pb';

const INT64_MAX = 9223372036854775807n;

/**
 * Reads what a user typed as their Telegram UserID: digits (spaces ignored);
 * empty means "unlink" (0). Returns undefined for anything else.
 */
export function parseTelegramUserId(text: string): bigint | undefined {
  const t = text.replace(/\s+/g, '');
  if (t === '') return 0n;
  if (!/^\d{1,19}$/.test(t)) return undefined;
  const n = BigInt(t);
  return n <= INT64_MAX ? n : undefined;
}

/** The state line shown next to the Telegram Token. */
export function botStatusText(status: { state: BotState; username: string; error: string }): string {
  switch (status.state) {
    case BotState.RUNNING:
      return status.username ? `Connected as @${status.username}` : 'Connected';
    case BotState.DISABLED:
      return 'Not configured';
    case BotState.STARTING:
      return 'Connecting…';
    case BotState.ERROR:
      return status.error ? toSentence(status.error) : 'The bot cannot connect to Telegram.';
    default:
      return 'Status unknown';
  }
}
