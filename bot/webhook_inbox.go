package bot

import (
	"context"
	"encoding/json"
	"time"

	"github.com/memoria-app/memoria/rules"
)

const (
	// inboxBatch is how many inbox updates are handled together, like a
	// getUpdates batch.
	inboxBatch = 100
	// inboxKeep is how long handled updates stay in the inbox, so that a
	// redelivery is recognised: longer than Telegram keeps an update.
	inboxKeep = 48 * time.Hour
	// inboxPruneEvery spaces the pruning of handled updates.
	inboxPruneEvery = time.Hour
)

// consume handles the webhook inbox of this bot in update_id order, a
// batch at a time, through the same batch handler as polling: an update
// is marked done only after its effects are committed, just as the
// poller's offset advances, so a crash at any point leaves unhandled
// updates pending (and those already committed are recognised by their
// ingest keys). When the inbox is empty it waits for the store's signal
// that an update arrived (or the slow safety re-check); with untilEmpty it
// returns true instead. It returns false when ctx ended.
func (p *poller) consume(ctx context.Context, inbox Inbox, username string, untilEmpty bool) bool {
	o := p.sup.opts
	wake := inbox.WatchTelegramInbox(ctx) // before the first read: no arrival is missed
	recheck := time.NewTicker(o.InboxRecheck)
	defer recheck.Stop()
	h := newBatchHandler(p)
	// unmarked are handled updates not yet marked done.
	st := newStall(p, username)
	var unmarked []int64
	reads := &backoff{min: o.TransientBackoff[0], max: o.TransientBackoff[1]}
	failing := false // the inbox could not be read or marked
	problem := func(what string, err error) bool {
		if ctx.Err() != nil {
			return false
		}
		failing = true
		wait := reads.next()
		p.sup.status.set(rules.BotError, username, "cannot "+what+" the webhook inbox: "+storeProblem(err))
		p.log.Error(what+" webhook inbox", "err", err, "retry_in", wait.Round(time.Millisecond))
		return sleep(ctx, wait) == nil
	}
	pruned := time.Now()
	for ctx.Err() == nil {
		if !p.stillLeader(ctx, "reading the webhook inbox") {
			return false
		}
		if len(unmarked) > 0 {
			// Never handle an update again (a button press would act
			// twice) just because marking it failed.
			if err := inbox.MarkTelegramUpdatesDone(ctx, p.botID, unmarked); err != nil {
				if !problem("update", err) {
					return false
				}
				continue
			}
			unmarked = nil
		}
		ups, err := inbox.PendingTelegramUpdates(ctx, p.botID, inboxBatch)
		if err != nil {
			if !problem("read", err) {
				return false
			}
			continue
		}
		reads.reset()
		if failing && !st.stalled() {
			p.sup.status.set(rules.BotRunning, username, "")
		}
		failing = false
		if len(ups) == 0 {
			if untilEmpty {
				return true
			}
			if time.Since(pruned) > inboxPruneEvery {
				pruned = time.Now()
				if n, err := inbox.PruneTelegramInbox(ctx, pruned.Add(-inboxKeep)); err != nil {
					p.log.Warn("prune webhook inbox", "err", err)
				} else if n > 0 {
					p.log.Debug("pruned webhook inbox", "updates", n)
				}
			}
			select {
			case <-wake:
			case <-recheck.C:
			case <-ctx.Done():
				return false
			}
			continue
		}
		raws := make([]json.RawMessage, len(ups))
		for i, u := range ups {
			raws[i] = u.Body
		}
		next, err := h.handle(ctx, raws)
		for _, u := range ups {
			if u.UpdateID < next {
				unmarked = append(unmarked, u.UpdateID)
			}
		}
		if err == nil {
			st.stored()
			continue
		}
		// Only a failure to store gets here (see poll).
		if !st.failed(ctx, err) {
			return false
		}
	}
	return false
}
