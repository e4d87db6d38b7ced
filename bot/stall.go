package bot

import (
	"context"
	"time"

	"github.com/memoria-app/memoria/rules"
)

// stall follows why the batches of one receiver (the poller, the webhook
// inbox consumer) cannot be stored: a full disk, a failing database, a
// file Telegram keeps failing to hand out. Its reason stays the bot's
// status until a batch is stored again, and its retries wait longer and
// longer however often Telegram answers.
type stall struct {
	p        *poller
	username string
	why      string // "" when batches are being stored
	wait     *backoff
}

func newStall(p *poller, username string) *stall {
	o := p.sup.opts
	return &stall{p: p, username: username, wait: &backoff{min: o.StallBackoff[0], max: o.StallBackoff[1]}}
}

// stalled reports whether the last batch could not be stored.
func (s *stall) stalled() bool { return s.why != "" }

// stored records that a batch was stored: the bot is running again.
func (s *stall) stored() {
	if s.why != "" {
		s.p.log.Info("messages are being saved again")
		s.p.sup.status.set(rules.BotRunning, s.username, "")
	}
	s.why = ""
	s.wait.reset()
}

// failed records a batch that could not be stored, shows why, and waits
// before the retry. It returns false when ctx ended.
func (s *stall) failed(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	s.why = stallStatus(err)
	s.p.sup.status.set(rules.BotError, s.username, s.why)
	wait := s.wait.next()
	s.p.log.Error("cannot store updates; retrying from the first one not stored", "err", err, "retry_in", wait.Round(time.Millisecond))
	return sleep(ctx, wait) == nil
}
