import { useEffect, useState } from 'react';
import { botClient, errorMessage } from '../api';
import { BotState, type GetBotStatusResponse } from '../gen/memoria/v1/bot_service_pb';
import { botStatusText } from '../lib/telegram';

const POLL_MS = 2000;

const stateClass: Record<BotState, string> = {
  [BotState.UNSPECIFIED]: 'unknown',
  [BotState.DISABLED]: 'disabled',
  [BotState.STARTING]: 'starting',
  [BotState.RUNNING]: 'running',
  [BotState.ERROR]: 'error',
};

/** The Telegram bot's live state, polled every 2 s while shown. */
export function BotStatus() {
  const [status, setStatus] = useState<GetBotStatusResponse | null>(null);
  const [error, setError] = useState('');

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ctrl = new AbortController();

    async function poll() {
      try {
        const s = await botClient.getBotStatus({}, { signal: ctrl.signal });
        if (stopped) return;
        setStatus(s);
        setError('');
      } catch (err) {
        if (stopped) return;
        setError(errorMessage(err));
      }
      timer = setTimeout(() => void poll(), POLL_MS);
    }
    void poll();
    return () => {
      stopped = true;
      ctrl.abort();
      clearTimeout(timer);
    };
  }, []);

  let text: string;
  let cls: string;
  if (error) {
    text = `Cannot read the bot status: ${error}`;
    cls = 'error';
  } else if (!status) {
    text = 'Checking…';
    cls = 'unknown';
  } else {
    text = botStatusText(status);
    cls = stateClass[status.state] ?? 'unknown';
  }

  return (
    <p className={`bot-status state-${cls}`} role="status" aria-live="polite" data-state={cls}>
      <span className="dot" aria-hidden="true" />
      <span>
        <span className="visually-hidden">Bot status: </span>
        {text}
      </span>
    </p>
  );
}
