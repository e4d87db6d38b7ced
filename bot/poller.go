package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"

	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/tgtoken"
)

// poller long-polls getUpdates for one token. A batch is handled and
// committed in full before the next offset is stored and asked for, so a
// crash at any point redelivers only updates whose effects were not
// committed (and those that were are recognised by their ingest keys).
type poller struct {
	sup    *Supervisor
	ep     tgtoken.Endpoint
	bot    *gotgbot.Bot
	log    *slog.Logger
	sender *sender
	botID  int64
	// username is the bot's @name without '@', from getMe.
	username string
	// webhookURL is where Telegram delivers updates in webhook mode
	// (webhook.go); "" means polling.
	webhookURL string
	// lease is this process's lease on the bot (leader.go), checked
	// before each getUpdates and offset; nil: not elected (tests).
	lease store.Lease
}

func newPoller(s *Supervisor, ep tgtoken.Endpoint) *poller {
	client := &gotgbot.BaseBotClient{
		Client: *s.opts.HTTPClient,
		DefaultRequestOpts: &gotgbot.RequestOpts{
			Timeout: s.opts.RequestTimeout,
			APIURL:  ep.APIURL,
		},
	}
	b, _ := gotgbot.NewBot(ep.Token, &gotgbot.BotOpts{BotClient: client, DisableTokenCheck: true})
	return &poller{sup: s, ep: ep, bot: b, log: s.log.With("bot", ep.String()), botID: ep.BotID}
}

const tokenRejected = "the token was rejected by Telegram; check it in Settings → Admin → System"

// fail records a failed Bot API call in the status and waits as the
// failure demands. It returns false when ctx ended.
func (p *poller) fail(ctx context.Context, err error, what string, transient, rejected, conflict *backoff, username string) bool {
	if ctx.Err() != nil {
		return false
	}
	kind, wait := classify(err)
	var msg string
	switch kind {
	case failRateLimited:
		msg = fmt.Sprintf("Telegram asked to slow down (429); retrying in %s", wait)
		// 429 is Telegram throttling a healthy bot: keep the state.
		p.log.Warn(what+" rate limited", "retry_after", wait)
		return sleep(ctx, wait) == nil
	case failRejected:
		msg = tokenRejected
		wait = rejected.next()
	case failConflict:
		msg = "another bot instance or a webhook is using this bot (409 Conflict); make sure only one program polls it and no webhook is set"
		wait = conflict.next()
	default:
		msg = "cannot reach Telegram: " + describe(err)
		wait = transient.next()
	}
	p.sup.status.set(rules.BotError, username, msg)
	p.log.Warn(what+" failed", "err", describe(err), "retry_in", wait.Round(time.Millisecond))
	return sleep(ctx, wait) == nil
}

func (p *poller) newBackoffs() (transient, rejected, conflict *backoff) {
	o := p.sup.opts
	return &backoff{min: o.TransientBackoff[0], max: o.TransientBackoff[1]},
		&backoff{min: o.RejectedBackoff[0], max: o.RejectedBackoff[1]},
		&backoff{min: o.ConflictBackoff[0], max: o.ConflictBackoff[1]}
}

func (p *poller) run(ctx context.Context) {
	p.sup.status.set(rules.BotStarting, "", "")
	transient, rejected, conflict := p.newBackoffs()
	var me *gotgbot.User
	for {
		var err error
		me, err = p.bot.GetMeWithContext(ctx, nil)
		if err == nil {
			break
		}
		if !p.fail(ctx, err, "getMe", transient, rejected, conflict, "") {
			return
		}
	}
	p.botID = me.Id
	p.log = p.log.With("username", me.Username)
	p.username = me.Username
	p.sender = newSender(p)
	senderDone := make(chan struct{})
	go func() {
		defer close(senderDone)
		p.sender.run(ctx)
	}()
	defer func() { <-senderDone }()
	p.sup.active.Store(p.sender)
	defer p.sup.active.CompareAndSwap(p.sender, nil)
	select {
	case p.sup.started <- struct{}{}:
	default: // a cue is already waiting
	}
	go p.registerCommands(ctx)
	if p.webhookURL != "" {
		p.receive(ctx, me.Username, transient, rejected, conflict)
		return
	}
	if !p.leaveWebhook(ctx, me.Username, transient, rejected, conflict) {
		return
	}
	p.sup.status.set(rules.BotRunning, me.Username, "")
	p.log.Info("telegram bot running")
	p.poll(ctx, me.Username, transient, rejected, conflict)
}

func (p *poller) cursorName() string { return "telegram:" + strconv.FormatInt(p.botID, 10) + ":offset" }

func (p *poller) poll(ctx context.Context, username string, transient, rejected, conflict *backoff) {
	var offset int64
	for {
		var err error
		if offset, err = p.sup.cursors.GetCursor(ctx, p.cursorName()); err == nil {
			break
		}
		p.log.Error("read offset", "err", err)
		if sleep(ctx, transient.next()) != nil {
			return
		}
	}
	transient.reset()
	h := newBatchHandler(p)
	st := newStall(p, username)
	for p.stillLeader(ctx, "getUpdates") {
		raw, err := p.getUpdates(ctx, offset)
		if err != nil {
			p.observeGetUpdates(ctx, err)
			if !p.fail(ctx, err, "getUpdates", transient, rejected, conflict, username) {
				return
			}
			continue
		}
		transient.reset()
		rejected.reset()
		conflict.reset()
		if st.stalled() && len(raw) > 0 {
			p.sup.status.set(rules.BotError, username, st.why)
		} else {
			p.sup.status.set(rules.BotRunning, username, "")
		}
		if len(raw) == 0 {
			st.why = "" // nothing waits to be stored
			continue
		}
		next, err := h.handle(ctx, raw)
		// Confirm what is committed, even when the rest of the batch
		// failed: only the updates from the failure on come again.
		if next > offset && ctx.Err() == nil {
			if !p.stillLeader(ctx, "storing the offset") {
				return // another process may have polled these already
			}
			if err := p.sup.cursors.SetCursor(ctx, p.cursorName(), next); err != nil {
				// Not fatal: ingest keys make the redelivery harmless.
				p.log.Error("store offset", "err", err)
			}
			offset = next
		}
		if err == nil {
			st.stored()
			continue
		}
		// Only a failure to store gets here (ctx ended, the disk is full,
		// the database is failing, or a file kept failing to download).
		if !st.failed(ctx, err) {
			return
		}
	}
}

// getUpdates fetches raw updates: each is decoded on its own later, so one
// malformed update cannot stall the queue.
func (p *poller) getUpdates(ctx context.Context, offset int64) ([]json.RawMessage, error) {
	params := map[string]any{
		"timeout":         strconv.FormatInt(int64(p.sup.opts.PollTimeout/time.Second), 10),
		"limit":           "100",
		"allowed_updates": allowedUpdatesJSON,
	}
	if offset != 0 {
		params["offset"] = strconv.FormatInt(offset, 10)
	}
	opts := &gotgbot.RequestOpts{Timeout: p.sup.opts.PollTimeout + 15*time.Second, APIURL: p.ep.APIURL}
	res, err := p.bot.RequestWithContext(ctx, "getUpdates", params, opts)
	if err != nil {
		return nil, err
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(res, &raw); err != nil {
		return nil, fmt.Errorf("getUpdates: result is not a list: %w", err)
	}
	return raw, nil
}
