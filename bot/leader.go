package bot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/tgtoken"
)

// Leadership. Every process follows the settings, but only the one that
// holds the bot's lease (Options.Elector; store/lease.go) runs it — polls
// getUpdates, or sets the webhook and consumes its inbox — so Telegram
// never sees two pollers. The others stand by in Acquire and take over
// when the holder stops or dies.
//
// The holder fences: the poller checks the lease right before each
// getUpdates and before it stores an offset (or marks inbox updates
// done), and stops without storing when the check fails; and it is
// cancelled the moment the lease reports its loss, which aborts a long
// poll in flight. Then the process goes back to standing by.
//
// Status: the holder writes its status to the store (Options.
// SharedStatus) under a term of its own, so a holder that has not yet
// noticed its loss cannot overwrite its successor's; a standby answers
// Status with the holder's row, so GetBotStatus reads the same
// everywhere.

// SharedStatus is the bot status shared by the processes; *store.DB.
type SharedStatus interface {
	ClaimBotStatus(ctx context.Context, st store.BotStatus) (int64, error)
	SetBotStatus(ctx context.Context, st store.BotStatus) error
	GetBotStatus(ctx context.Context, botID int64) (store.BotStatus, error)
	WatchBotStatus(ctx context.Context) <-chan struct{}
}

// rejoinDelay is how long a process that lost the lease waits before it
// stands for election again.
const rejoinDelay = time.Second

// handoverPause is how long a process that stopped polling keeps the
// lease before it lets go (see lead).
const handoverPause = 100 * time.Millisecond

// statusRecheck is how often a standby re-reads the holder's status
// without a change signal, as a safety net.
const statusRecheck = 5 * time.Second

// defaultProcessName is "<hostname>:<pid>".
func defaultProcessName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return host + ":" + strconv.Itoa(os.Getpid())
}

// leaseName is the election a bot's processes take part in: one per bot,
// so that a token change elects afresh.
func leaseName(botID int64) string { return "telegram:" + strconv.FormatInt(botID, 10) }

// lead runs the bot of ep while this process holds its lease, and stands
// by otherwise, until ctx ends.
func (s *Supervisor) lead(ctx context.Context, ep tgtoken.Endpoint, webhookURL string) {
	defer s.shared.Store(nil)
	var delay time.Duration
	for {
		lease, err := s.standBy(ctx, ep.BotID, delay)
		if err != nil {
			return // ctx ended
		}
		s.log.Info("this process runs the telegram bot", "process", s.opts.ProcessName)
		s.runLeader(ctx, lease, ep, webhookURL)
		// The poller's last getUpdates was aborted by closing its
		// connection; give Telegram a moment to see it gone before a
		// standby's first getUpdates arrives, or Telegram answers one of
		// the two with 409 (seen once in TestLeaderOneProcessRuns).
		time.Sleep(handoverPause)
		lease.Release()
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("lost the telegram bot's lease; standing by")
		// Give a healthy standby the first chance: whatever cost this
		// process its lease (its database session ended) may recur.
		delay = rejoinDelay
	}
}

// standBy waits delay, then for the lease, answering Status with the
// holder's shared status meanwhile.
func (s *Supervisor) standBy(ctx context.Context, botID int64, delay time.Duration) (store.Lease, error) {
	mctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	s.shared.Store(&rules.BotStatus{State: rules.BotStarting, Since: time.Now()})
	go func() {
		defer close(done)
		s.mirror(mctx, botID)
	}()
	var lease store.Lease
	err := sleep(ctx, delay)
	if err == nil {
		lease, err = s.opts.Elector.Acquire(ctx, leaseName(botID))
	}
	stop()
	<-done
	s.shared.Store(nil)
	return lease, err
}

// mirror keeps s.shared at the holder's status until ctx ends.
func (s *Supervisor) mirror(ctx context.Context, botID int64) {
	st := s.opts.SharedStatus
	if st == nil {
		return
	}
	wake := st.WatchBotStatus(ctx)
	t := time.NewTicker(statusRecheck)
	defer t.Stop()
	for {
		row, err := st.GetBotStatus(ctx, botID)
		switch {
		case err == nil:
			v := fromShared(row)
			s.shared.Store(&v)
		case errors.Is(err, store.ErrNotFound):
			// No holder has written yet: keep "starting".
		case ctx.Err() == nil:
			s.log.Warn("read the shared bot status", "err", err)
		}
		select {
		case <-wake:
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// runLeader runs the poller while the lease holds, and publishes the
// status meanwhile.
func (s *Supervisor) runLeader(ctx context.Context, lease store.Lease, ep tgtoken.Endpoint, webhookURL string) {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-lease.Lost():
			cancel() // at once: a long poll in flight is aborted
		case <-pctx.Done():
		}
	}()
	s.status.setPoller(s.opts.ProcessName)
	published := make(chan struct{})
	go func() {
		defer close(published)
		s.publishStatus(pctx, ep.BotID)
	}()
	p := newPoller(s, ep)
	p.webhookURL = webhookURL
	p.lease = lease
	p.run(pctx)
	cancel()
	<-published
}

// publishStatus claims a term for the bot's shared status and writes the
// status after every change, until ctx ends or a newer holder claims it.
func (s *Supervisor) publishStatus(ctx context.Context, botID int64) {
	shared := s.opts.SharedStatus
	if shared == nil {
		return
	}
	retry := &backoff{min: 250 * time.Millisecond, max: 10 * time.Second}
	var term int64
	for term == 0 {
		var err error
		term, err = shared.ClaimBotStatus(ctx, s.sharedRow(botID, 0))
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, store.ErrStaleTerm) {
			// Another holder claimed in the same instant: ours is the
			// stale lease, about to be reported lost.
			return
		}
		s.log.Warn("claim the shared bot status", "err", err)
		if sleep(ctx, retry.next()) != nil {
			return
		}
	}
	retry.reset()
	for {
		select {
		case <-s.status.changed:
		case <-ctx.Done():
			return
		}
		for {
			err := shared.SetBotStatus(ctx, s.sharedRow(botID, term))
			if err == nil || ctx.Err() != nil {
				break
			}
			if errors.Is(err, store.ErrStaleTerm) {
				s.log.Warn("another process now leads the telegram bot; no longer publishing its status")
				return
			}
			s.log.Warn("write the shared bot status", "err", err)
			if sleep(ctx, retry.next()) != nil {
				return
			}
		}
		retry.reset()
	}
}

// sharedRow is this process's status as the store keeps it.
func (s *Supervisor) sharedRow(botID, term int64) store.BotStatus {
	st := s.status.get()
	return store.BotStatus{BotID: botID, Term: term, State: StateName(st.State), Username: st.Username,
		Error: st.Error, Since: st.Since, Poller: st.Poller}
}

// fromShared reads a shared status row.
func fromShared(row store.BotStatus) rules.BotStatus {
	st := rules.BotStatus{State: rules.BotStarting, Username: row.Username, Error: row.Error, Since: row.Since, Poller: row.Poller}
	for i, name := range StateNames {
		if name == row.State {
			st.State = rules.BotState(i)
		}
	}
	return st
}

// stillLeader checks the lease right before a step that must not run in
// two processes; false means stop (the lease is gone or ctx ended).
func (p *poller) stillLeader(ctx context.Context, step string) bool {
	if p.lease == nil {
		return ctx.Err() == nil
	}
	err := p.lease.Check(ctx)
	if err != nil && ctx.Err() == nil {
		p.log.Warn(fmt.Sprintf("lease check before %s failed; stopping", step), "err", err)
	}
	return err == nil
}
