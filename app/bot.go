package app

import (
	"context"
	"log/slog"

	"github.com/memoria-app/memoria/server"
	"github.com/memoria-app/memoria/store"
)

// botRunner will host the Telegram supervisor; until it lands the bot is
// reported as disabled.
type botRunner struct{}

func newBotRunner(*store.DB, *server.Rules, *slog.Logger) *botRunner { return &botRunner{} }

func (b *botRunner) run(ctx context.Context) { <-ctx.Done() }

func (b *botRunner) Status() server.BotStatus { return server.BotStatus{State: server.BotDisabled} }
