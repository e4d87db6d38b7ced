import { describe, expect, it } from 'vitest';
import { Code, ConnectError, codeFromWireName, errorMessage, toSentence } from './api';

describe('errorMessage', () => {
  it('shows the server message for wrong credentials, as a sentence', () => {
    const err = new ConnectError('invalid username or password', Code.Unauthenticated);
    expect(errorMessage(err)).toBe('Invalid username or password.');
  });

  it('shows validation messages from the server', () => {
    const err = new ConnectError(
      'telegram bot token must be <digits>:<token> or a URL ending in /bot<token>',
      Code.InvalidArgument,
    );
    expect(errorMessage(err)).toBe('Telegram bot token must be <digits>:<token> or a URL ending in /bot<token>.');
  });

  it('drops a leading proto field name', () => {
    const err = new ConnectError(
      'telegram_bot_token: telegram bot token must be a bot token like "123456789:AAE..."',
      Code.InvalidArgument,
    );
    expect(errorMessage(err)).toBe('Telegram bot token must be a bot token like "123456789:AAE...".');
  });

  it('keeps an ordinary leading word with a colon', () => {
    expect(toSentence('note: this is kept')).toBe('Note: this is kept.');
  });

  it('never shows the code prefix', () => {
    const err = new ConnectError('username taken', Code.AlreadyExists);
    expect(err.message).toContain('[already_exists]');
    expect(errorMessage(err)).not.toContain('already_exists');
    expect(errorMessage(err)).toBe('Username taken.');
  });

  it('hides internal details behind a generic sentence', () => {
    const err = new ConnectError('sql: database is locked at store.go:42', Code.Internal);
    expect(errorMessage(err)).toBe('Something went wrong on the server. Please try again later.');
  });

  it('uses the generic sentence when the server gave no message', () => {
    expect(errorMessage(new ConnectError('', Code.PermissionDenied))).toBe('You are not allowed to do that.');
  });

  it('does not show a bare HTTP status', () => {
    expect(errorMessage(new ConnectError('HTTP 404', Code.NotFound))).toBe(
      'That no longer exists — it may have been deleted.',
    );
  });

  it('applies per-call overrides by code', () => {
    const err = new ConnectError('telegram user id already linked', Code.AlreadyExists);
    expect(errorMessage(err, { [Code.AlreadyExists]: 'Taken.' })).toBe('Taken.');
  });

  it('explains network failures', () => {
    const err = ConnectError.from(new TypeError('Failed to fetch'));
    expect(errorMessage(err)).toBe('Cannot reach the Memoria server. Check your connection and try again.');
  });

  it('maps unavailable without leaking the message', () => {
    expect(errorMessage(new ConnectError('dial tcp 10.0.0.1:5230: refused', Code.Unavailable))).toBe(
      'Cannot reach the Memoria server. Check your connection and try again.',
    );
  });

  it('handles non-Error values', () => {
    expect(errorMessage('boom')).toBe('Something went wrong. Please try again.');
  });
});

describe('toSentence', () => {
  it.each([
    ['already.', 'Already.'],
    ['question?', 'Question?'],
    ['  padded  ', 'Padded.'],
    ['', ''],
  ])('%s', (input, want) => {
    expect(toSentence(input)).toBe(want);
  });
});

describe('codeFromWireName', () => {
  it.each<[string, Code | undefined]>([
    ['invalid_argument', Code.InvalidArgument],
    ['permission_denied', Code.PermissionDenied],
    ['unauthenticated', Code.Unauthenticated],
    ['already_exists', Code.AlreadyExists],
    ['resource_exhausted', Code.ResourceExhausted],
    ['nope', undefined],
  ])('%s', (name, want) => {
    expect(codeFromWireName(name)).toBe(want);
  });
});
