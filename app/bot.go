package app

import (
	"context"
	"log/slog"

	"github.com/memoria-app/memoria/bot"
	"github.com/memoria-app/memoria/server"
	"github.com/memoria-app/memoria/store"
)

// botRunner hosts the Telegram supervisor for the App.
type botRunner struct {
	sup *bot.Supervisor
}

func newBotRunner(db *store.DB, rules *server.Rules, log *slog.Logger, opts bot.Options) *botRunner {
	opts.Logger = log
	return &botRunner{sup: bot.New(rules, db, db, opts)}
}

func (b *botRunner) run(ctx context.Context) { b.sup.Run(ctx) }

// Status implements server.BotStatusSource.
func (b *botRunner) Status() server.BotStatus { return b.sup.Status() }
