package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
)

// The notifier: messages the bot sends on its own — mentions, posts to
// the public channel, "On this day", admin alerts. The rules decide and
// claim each one (rules/notify.go); the notifier words them and queues
// them to the running poller's rate-limited sender, so nothing here ever
// waits in the ingest path: the only ingest-side cost is the outbox row a
// memo change that may need a notice writes in its own transaction.
//
// Driving: memo events from the store's feed wake the notifier, which
// then drains the outbox; so does a bot starting (changes made while no
// bot ran: no token yet, a restart, a standby waiting for the lease); a
// ticker (every CheckInterval) drains it too (changes missed while the
// feed had dropped this subscriber), checks the alerts and sends the "On
// this day" messages that are due. Without a running bot nothing is claimed: the
// outbox waits (up to OutboxMaxAge) and the daily message goes out later
// that day once the bot runs.
//
// Guarantees (see also rules/notify.go): every memo change that may call
// for a notice is considered — the outbox row commits with the change,
// so neither a restart nor a slow subscriber loses it — and each notice
// is claimed durably before it is queued, so none is sent twice, across
// restarts and processes. A notice claimed but not delivered (the process
// stops with it queued, the token changes, Telegram refuses it after
// retries) is not sent again: delivery is at most once.

// NotifyRules is what the notifier needs of the rules; *rules.Rules.
type NotifyRules interface {
	NotifyOutbox(ctx context.Context, limit int) ([]store.OutboxEntry, error)
	DoneNotifyOutbox(ctx context.Context, ids ...int64) error
	PruneNotifyOutbox(ctx context.Context, before time.Time) (int64, error)
	MemoNotices(ctx context.Context, memoID int64) ([]rules.Notice, error)
	OnThisDayRecipients(ctx context.Context) ([]store.Recipient, error)
	OnThisDay(ctx context.Context, rec store.Recipient, now time.Time) (rules.Notice, bool, error)
	AdminAlert(ctx context.Context, cause rules.AlertCause, now time.Time) ([]rules.Notice, error)
	OpenNoticePhoto(res store.Resource) (io.ReadCloser, error)
	DataDiskUsage() (float64, error)
}

// MemoFeed is the memo event feed that wakes the notifier; *store.DB.
type MemoFeed interface {
	SubscribeMemoEvents(ctx context.Context, buffer int) *store.MemoSubscription
}

// NotifyOptions tune the notifier; zero values pick production defaults.
type NotifyOptions struct {
	// Now is the clock for "On this day" and the alerts (default
	// time.Now).
	Now func() time.Time
	// Tick, when set, replaces the ticker: each value received is one
	// check. The notifier takes the next value only after the previous
	// check is done, so a test that sends two ticks knows the first one's
	// messages are queued.
	Tick <-chan time.Time
	// CheckInterval is the ticker's period (default 30 s; the disk must
	// be checked at least once a minute).
	CheckInterval time.Duration
	// DiskUsage reports how full the data directory's disk is, 0–1
	// (default rules' DataDiskUsage, statfs).
	DiskUsage func() (float64, error)
	// OutboxMaxAge is how long an outbox entry may wait for a running bot
	// before it is dropped (default 24 h).
	OutboxMaxAge time.Duration
}

// BotErrorAlertAfter is how long the bot must stay in BOT_STATE_ERROR for
// an admin alert.
const BotErrorAlertAfter = 10 * time.Minute

// outboxBatch is how many outbox entries are read at once.
const outboxBatch = 100

// Notifier sends the bot's own messages; Run drives it.
type Notifier struct {
	sup   *Supervisor
	rules NotifyRules
	feed  MemoFeed
	opts  NotifyOptions
	log   *slog.Logger

	errSince  time.Time // when the bot was first seen in ERROR (zero: not in ERROR)
	lastPrune time.Time
}

// NewNotifier builds a notifier that sends through sup's running bot.
func NewNotifier(sup *Supervisor, r NotifyRules, feed MemoFeed, opts NotifyOptions) *Notifier {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CheckInterval <= 0 {
		opts.CheckInterval = 30 * time.Second
	}
	if opts.DiskUsage == nil {
		opts.DiskUsage = r.DataDiskUsage
	}
	if opts.OutboxMaxAge <= 0 {
		opts.OutboxMaxAge = 24 * time.Hour
	}
	return &Notifier{sup: sup, rules: r, feed: feed, opts: opts, log: sup.log.With("part", "notify")}
}

// Run sends notifications until ctx ends.
func (n *Notifier) Run(ctx context.Context) {
	tick := n.opts.Tick
	if tick == nil {
		t := time.NewTicker(n.opts.CheckInterval)
		defer t.Stop()
		tick = t.C
	}
	sub := n.feed.SubscribeMemoEvents(ctx, 0)
	events := sub.Events()
	n.drain(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-events:
			if !ok {
				if ctx.Err() != nil {
					return
				}
				if errors.Is(sub.Err(), store.ErrClosed) {
					events = nil // shutting down; ticks still drain
					continue
				}
				// Fell behind: the outbox has every change anyway.
				sub = n.feed.SubscribeMemoEvents(ctx, 0)
				events = sub.Events()
			}
			coalesce(events)
			n.drain(ctx)
		case <-n.sup.started:
			n.drain(ctx)
		case <-tick:
			n.check(ctx)
		}
	}
}

// coalesce takes the events already waiting: one drain serves them all.
func coalesce(events <-chan store.MemoEvent) {
	for {
		select {
		case _, ok := <-events:
			if !ok {
				return
			}
		default:
			return
		}
	}
}

// running returns the running bot's sender, or nil.
func (n *Notifier) running() *sender { return n.sup.active.Load() }

// drain handles the outbox while a bot runs.
func (n *Notifier) drain(ctx context.Context) {
	for ctx.Err() == nil && n.running() != nil {
		entries, err := n.rules.NotifyOutbox(ctx, outboxBatch)
		if err != nil {
			n.log.Warn("read notification outbox", "err", err)
			return
		}
		var done []int64
		for _, e := range entries {
			notices, err := n.rules.MemoNotices(ctx, e.MemoID)
			n.send(notices, "")
			if err != nil {
				// Claimed notices went out; the entry stays for the next
				// check, which finds them claimed.
				n.log.Warn("memo notifications", "memo", e.MemoID, "err", err)
				break
			}
			done = append(done, e.ID)
		}
		if err := n.rules.DoneNotifyOutbox(ctx, done...); err != nil {
			n.log.Warn("clear notification outbox", "err", err)
			return
		}
		if len(done) < outboxBatch {
			return
		}
	}
}

// check is one tick: the outbox, alerts and "On this day".
func (n *Notifier) check(ctx context.Context) {
	if wall := time.Now(); wall.Sub(n.lastPrune) >= time.Hour {
		n.lastPrune = wall
		if k, err := n.rules.PruneNotifyOutbox(ctx, wall.Add(-n.opts.OutboxMaxAge)); err != nil {
			n.log.Warn("prune notification outbox", "err", err)
		} else if k > 0 {
			n.log.Info("notifications dropped: no bot ran to send them", "memos", k)
		}
	}
	n.drain(ctx)
	now := n.opts.Now()
	n.checkAlerts(ctx, now)
	n.onThisDay(ctx, now)
}

func (n *Notifier) checkAlerts(ctx context.Context, now time.Time) {
	st := n.sup.Status()
	if st.State != rules.BotError {
		n.errSince = time.Time{}
	} else {
		if n.errSince.IsZero() {
			n.errSince = now
		}
		if now.Sub(n.errSince) >= BotErrorAlertAfter {
			n.alert(ctx, rules.AlertBotError, now, st.Error)
		}
	}
	used, err := n.opts.DiskUsage()
	if err != nil {
		n.log.Debug("disk usage", "err", err)
		return
	}
	if used > rules.DiskAlertFraction {
		n.alert(ctx, rules.AlertDiskFull, now, fmt.Sprintf("%.0f%%", used*100))
	}
}

// alert claims and sends an alert while a bot runs to send it.
func (n *Notifier) alert(ctx context.Context, cause rules.AlertCause, now time.Time, detail string) {
	if n.running() == nil {
		return
	}
	notices, err := n.rules.AdminAlert(ctx, cause, now)
	if err != nil {
		n.log.Warn("admin alert", "cause", cause, "err", err)
		return
	}
	n.send(notices, detail)
}

func (n *Notifier) onThisDay(ctx context.Context, now time.Time) {
	if n.running() == nil {
		return
	}
	recs, err := n.rules.OnThisDayRecipients(ctx)
	if err != nil {
		n.log.Warn("on this day: recipients", "err", err)
		return
	}
	for _, rec := range recs {
		notice, ok, err := n.rules.OnThisDay(ctx, rec, now)
		if err != nil {
			n.log.Warn("on this day", "user", rec.User.ID, "err", err)
			continue
		}
		if ok {
			n.send([]rules.Notice{notice}, "")
		}
	}
}

// send words notices and queues them to the running bot (dropped, and
// logged, when it stopped meanwhile).
func (n *Notifier) send(notices []rules.Notice, detail string) {
	if len(notices) == 0 {
		return
	}
	snd := n.running()
	if snd == nil {
		n.log.Warn("notifications not sent: the bot stopped", "count", len(notices))
		return
	}
	for _, nt := range notices {
		m := outMessage{chatID: nt.ChatID, notice: &outNotice{chat: strconv.FormatInt(nt.ChatID, 10)}}
		switch nt.Kind {
		case rules.NoticeMention:
			m.text = mentionText(nt)
		case rules.NoticeOnThisDay:
			m.text = onThisDayText(nt)
		case rules.NoticeAlert:
			m.text = alertText(nt, detail)
		case rules.NoticeChannel:
			m.text = channelText(nt)
			m.notice.chat = nt.Channel
			m.chatID, _ = strconv.ParseInt(nt.Channel, 10, 64) // 0 for an @channel
			if nt.Photo != nil {
				m.notice.photo, m.notice.open = nt.Photo, n.rules.OpenNoticePhoto
			}
		default:
			continue
		}
		snd.enqueue(m)
	}
}
