package rules

import (
	"context"
	"time"
)

// BotState is the Telegram runner's state.
type BotState int

// Bot states.
const (
	BotDisabled BotState = iota
	BotStarting
	BotRunning
	BotError
)

// BotStatus is a snapshot of the Telegram runner.
type BotStatus struct {
	State    BotState
	Username string
	Error    string
	Since    time.Time
	// Poller names the process that runs the bot (polls, or consumes
	// the webhook inbox), "<hostname>:<pid>"; "" while none does.
	Poller string
}

// BotStatusSource reports the bot runner's status; the bot package
// implements it.
type BotStatusSource interface {
	Status() BotStatus
}

// AttachBot tells the rules where the bot runner's status comes from. The
// runner is built after the rules (it calls them), so it is attached
// afterwards; until then the bot reads as disabled.
func (r *Rules) AttachBot(src BotStatusSource) {
	r.botMu.Lock()
	r.bot = src
	r.botMu.Unlock()
}

// BotStatus reports the Telegram runner's state (admin only).
func (r *Rules) BotStatus(ctx context.Context) (BotStatus, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return BotStatus{}, err
	}
	r.botMu.Lock()
	src := r.bot
	r.botMu.Unlock()
	if src == nil {
		return BotStatus{State: BotDisabled}, nil
	}
	return src.Status(), nil
}
