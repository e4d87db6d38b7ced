import { describe, expect, it } from 'vitest';
import { BotState } from '../gen/memoria/v1/bot_service_pb';
import { botStatusText, parseTelegramUserId } from './telegram';

describe('parseTelegramUserId', () => {
  it.each<[string, bigint | undefined]>([
    ['123456789', 123456789n],
    [' 12 345 ', 12345n],
    ['', 0n],
    ['0', 0n],
    ['9223372036854775807', 9223372036854775807n],
    ['9223372036854775808', undefined],
    ['-5', undefined],
    ['12a', undefined],
    ['@someone', undefined],
  ])('%j', (input, want) => {
    expect(parseTelegramUserId(input)).toBe(want);
  });
});

describe('botStatusText', () => {
  it.each<[BotState, string, string, string]>([
    [BotState.RUNNING, 'memoria_bot', '', 'Connected as @memoria_bot'],
    [BotState.DISABLED, '', '', 'Not configured'],
    [BotState.STARTING, '', '', 'Connecting…'],
    [BotState.ERROR, '', 'telegram rejected the token (401 Unauthorized)', 'Telegram rejected the token (401 Unauthorized).'],
    [BotState.ERROR, '', '', 'The bot cannot connect to Telegram.'],
    [BotState.UNSPECIFIED, '', '', 'Status unknown'],
  ])('state %i', (state, username, error, want) => {
    expect(botStatusText({ state, username, error })).toBe(want);
  });
});
