package app

import (
	"context"
	"log/slog"

	"github.com/memoria-app/memoria/bot"
	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
)

// botRunner hosts the Telegram supervisor for the App.
type botRunner struct {
	sup *bot.Supervisor
}

func newBotRunner(db *store.DB, rl *rules.Rules, log *slog.Logger, opts bot.Options) *botRunner {
	opts.Logger, opts.Inbox = log, db
	return &botRunner{sup: bot.New(rl, db, db, opts)}
}

func (b *botRunner) run(ctx context.Context) { b.sup.Run(ctx) }

// Status implements rules.BotStatusSource.
func (b *botRunner) Status() rules.BotStatus { return b.sup.Status() }

// NotifyTelegramLinked implements rules.TelegramNotifier.
func (b *botRunner) NotifyTelegramLinked(telegramUserID int64, username string) {
	b.sup.NotifyTelegramLinked(telegramUserID, username)
}
