package telegramtest

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// pendingPoll is a getUpdates waiting for updates.
type pendingPoll struct {
	// conflict is closed when a newer getUpdates takes over.
	conflict chan struct{}
}

// getUpdates is https://core.telegram.org/bots/api#getupdates, with real
// long polling: it answers as soon as there are updates, or after timeout
// seconds with [].
//
// Only one getUpdates per bot can wait at a time. Like Telegram, a new one
// terminates the one that is waiting, which answers 409 "Conflict:
// terminated by other getUpdates request; make sure that only one bot
// instance is running", and the new one is served. (So the instance that
// sees the 409 is the one that polled first.) A bot with a webhook set gets
// 409 too.
func (b *Bot) getUpdates(w http.ResponseWriter, r *http.Request, req request) {
	offset, _, err := req.intParam("offset")
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	limit, _, err := req.intParam("limit")
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	if limit < 1 || limit > 100 {
		limit = 100
	}
	timeout, _, err := req.intParam("timeout")
	if err != nil {
		badRequest(w, err.Error())
		return
	}

	b.mu.Lock()
	if b.webhookURL != "" {
		b.mu.Unlock()
		writeError(w, http.StatusConflict, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first", nil)
		return
	}
	if b.poll != nil {
		close(b.poll.conflict)
	}
	me := &pendingPoll{conflict: make(chan struct{})}
	b.poll = me
	b.confirm(offset)
	b.broadcast()
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		if b.poll == me {
			b.poll = nil
			b.broadcast()
		}
		b.mu.Unlock()
	}()

	var deadline <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(time.Duration(timeout) * time.Second)
		defer t.Stop()
		deadline = t.C
	}
	for {
		b.mu.Lock()
		batch := b.batch(int(limit))
		changed := b.changed
		b.mu.Unlock()
		if len(batch) > 0 || deadline == nil {
			writeResult(w, batch)
			return
		}
		select {
		case <-changed:
		case <-deadline:
			deadline = nil
		case <-me.conflict:
			if r.Context().Err() == nil { // its client is still there to hear it
				b.mu.Lock()
				b.conflicts++
				b.mu.Unlock()
			}
			writeError(w, http.StatusConflict, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running", nil)
			return
		case <-b.srv.done:
			deadline = nil
		case <-r.Context().Done():
			return
		}
	}
}

// confirm applies getUpdates' offset: updates with a lower id are
// confirmed and forgotten; a negative offset keeps only the last -offset
// updates. b.mu must be held.
func (b *Bot) confirm(offset int64) {
	switch {
	case offset > 0:
		i := 0
		for i < len(b.queue) && b.queue[i].id < offset {
			i++
		}
		b.queue = b.queue[i:]
		b.confirmed = max(b.confirmed, offset)
	case offset < 0:
		if keep := -offset; int64(len(b.queue)) > keep {
			b.queue = b.queue[int64(len(b.queue))-keep:]
		}
		if len(b.queue) > 0 {
			b.confirmed = max(b.confirmed, b.queue[0].id)
		} else {
			b.confirmed = max(b.confirmed, b.nextUpdateID)
		}
	}
}

// batch returns the updates the next getUpdates gets. b.mu must be held.
func (b *Bot) batch(limit int) []json.RawMessage {
	n := min(limit, b.maxBatch, len(b.queue))
	out := make([]json.RawMessage, n)
	for i := range n {
		out[i] = b.queue[i].body
	}
	return out
}

// Pending is the number of updates not yet confirmed.
func (b *Bot) Pending() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue)
}

// Confirmed is the highest offset a getUpdates has confirmed: every update
// with a lower id is gone.
func (b *Bot) Confirmed() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.confirmed
}

// WaitConfirmed waits until the client has confirmed update id (called
// getUpdates with a higher offset), or returns ctx's error.
func (b *Bot) WaitConfirmed(ctx context.Context, id int64) error {
	return b.waitFor(ctx, func() bool { return b.confirmed > id })
}

// Conflicts is how many waiting getUpdates were answered 409 because a
// newer one took over while their client still waited: proof that two
// clients polled at once. (A poll its client had already abandoned does
// not count.)
func (b *Bot) Conflicts() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.conflicts
}

// Polling reports whether a getUpdates is waiting.
func (b *Bot) Polling() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.poll != nil
}

// WaitPolling waits until a getUpdates is waiting (the client is up and
// idle), or returns ctx's error.
func (b *Bot) WaitPolling(ctx context.Context) error {
	return b.waitFor(ctx, func() bool { return b.poll != nil })
}
