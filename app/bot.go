package app

import (
	"context"
	"log/slog"
	"sync"

	"github.com/memoria-app/memoria/bot"
	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
)

// botRunner hosts the Telegram supervisor and the notifier for the App.
type botRunner struct {
	sup    *bot.Supervisor
	notify *bot.Notifier
}

func newBotRunner(db *store.DB, rl *rules.Rules, log *slog.Logger, opts bot.Options) *botRunner {
	opts.Logger, opts.Inbox = log, db
	sup := bot.New(rl, db, db, opts)
	return &botRunner{sup: sup, notify: bot.NewNotifier(sup, rl, db, opts.Notify)}
}

// run runs the supervisor and the notifier until ctx ends.
func (b *botRunner) run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		b.notify.Run(ctx)
	}()
	b.sup.Run(ctx)
	wg.Wait()
}

// Status implements rules.BotStatusSource.
func (b *botRunner) Status() rules.BotStatus { return b.sup.Status() }

// NotifyTelegramLinked implements rules.TelegramNotifier.
func (b *botRunner) NotifyTelegramLinked(telegramUserID int64, username string) {
	b.sup.NotifyTelegramLinked(telegramUserID, username)
}
