package bot

import (
	"context"
	"errors"
	"time"

	"github.com/memoria-app/memoria/rules"
)

// Observer hears what the bot does, for monitoring: the app wires it to
// its metrics. Its methods are called from the poller's, the preparers'
// and the sender's goroutines; they must be quick and safe for concurrent
// use. The string arguments are drawn from UpdateKinds, FailureKinds,
// DownloadFailureKinds and DropReasons.
type Observer interface {
	// UpdateHandled reports an update whose batch was committed, by kind,
	// with the date Telegram gave it (zero when it has none, or when it
	// had been committed before and is only redelivered).
	UpdateHandled(kind string, date time.Time)
	// GetUpdatesFailed reports a failed getUpdates call.
	GetUpdatesFailed(kind string)
	// DownloadFailed reports a failed attempt to download a file.
	DownloadFailed(kind string)
	// Downloaded reports a file downloaded and staged, by its size.
	Downloaded(bytes int64)
	// ReplyQueued, ReplySent and ReplyDropped follow replies through the
	// sender: accepted into a chat's queue (consecutive confirmations to
	// one chat then merge into one message), delivered as a Bot API call,
	// or given up.
	ReplyQueued()
	ReplySent()
	ReplyDropped(reason string)
}

// Update kinds (UpdateHandled).
const (
	KindMessage  = "message"  // a message to save (or to add to a memo)
	KindCommand  = "command"  // a command for the bot
	KindEdit     = "edit"     // an edited message
	KindCallback = "callback" // a button press
	KindIgnored  = "ignored"  // a message not for the bot (groups, other bots' commands)
	KindOther    = "other"    // any other update: kinds the bot does not handle, undecodable ones
)

// UpdateKinds lists every kind UpdateHandled reports.
var UpdateKinds = []string{KindMessage, KindCommand, KindEdit, KindCallback, KindIgnored, KindOther}

// Bot API failure kinds (GetUpdatesFailed, and DownloadFailed's getFile
// and download failures).
const (
	FailRateLimited = "rate_limited" // 429: Telegram asked to slow down
	FailRejected    = "rejected"     // 401/404: the token is wrong or revoked
	FailConflict    = "conflict"     // 409: another poller or a webhook
	FailTransient   = "transient"    // network, timeouts, 5xx, garbage answers
	FailRefused     = "refused"      // other 4xx: retrying the same call will not help
)

// FailureKinds lists every kind GetUpdatesFailed reports.
var FailureKinds = []string{FailRateLimited, FailRejected, FailConflict, FailTransient, FailRefused}

// Download failure kinds, beside FailRateLimited and FailTransient.
const (
	// DownloadPermanent: the file cannot be had (over the upload limit,
	// refused by Telegram); the memo is saved without it.
	DownloadPermanent = "permanent"
	// DownloadStorage: this server could not store the file (a full
	// disk); the update is tried again later.
	DownloadStorage = "storage"
)

// DownloadFailureKinds lists every kind DownloadFailed reports.
var DownloadFailureKinds = []string{FailRateLimited, FailTransient, DownloadPermanent, DownloadStorage}

// Reasons a reply is dropped (ReplyDropped).
const (
	DropQueueFull     = "queue_full"    // the chat's queue overflowed: its oldest reply went
	DropUndeliverable = "undeliverable" // Telegram refused it (blocked by the user, chat gone)
	DropRetries       = "retries_exhausted"
)

// DropReasons lists every reason ReplyDropped reports.
var DropReasons = []string{DropQueueFull, DropUndeliverable, DropRetries}

// StateNames are the names of the bot's states, indexed by rules.BotState.
var StateNames = []string{
	rules.BotDisabled: "disabled",
	rules.BotStarting: "starting",
	rules.BotRunning:  "running",
	rules.BotError:    "error",
}

// StateName names a state ("disabled", "starting", "running", "error").
func StateName(s rules.BotState) string {
	if int(s) >= 0 && int(s) < len(StateNames) {
		return StateNames[s]
	}
	return "unknown"
}

// nopObserver is the Observer of Options without one.
type nopObserver struct{}

func (nopObserver) UpdateHandled(string, time.Time) {}
func (nopObserver) GetUpdatesFailed(string)         {}
func (nopObserver) DownloadFailed(string)           {}
func (nopObserver) Downloaded(int64)                {}
func (nopObserver) ReplyQueued()                    {}
func (nopObserver) ReplySent()                      {}
func (nopObserver) ReplyDropped(string)             {}

// failureKind names a Bot API failure.
func failureKind(err error) string {
	kind, _ := classify(err)
	switch kind {
	case failRateLimited:
		return FailRateLimited
	case failRejected:
		return FailRejected
	case failConflict:
		return FailConflict
	case failPermanent:
		return FailRefused
	}
	return FailTransient
}

// observeUpdate reports a handled update of a committed batch.
func (h *batchHandler) observeUpdate(it *prepared) {
	in := it.in
	var kind string
	switch {
	case in.callback != nil:
		kind = KindCallback
	case in.message == nil:
		kind = KindOther
	case it.act == actSave:
		kind = KindMessage
	case it.act == actCommand:
		kind = KindCommand
	case it.act == actEdit:
		kind = KindEdit
	default:
		kind = KindIgnored
	}
	var date time.Time
	if m := in.message; m != nil && !it.dup && !it.result.Duplicate {
		date = time.Unix(max(m.Date, m.EditDate), 0)
	}
	h.p.sup.opts.Observer.UpdateHandled(kind, date)
}

// observeDownload reports one attempt of a download (fetch).
func (p *poller) observeDownload(ctx context.Context, staged rules.StagedFile, err error) {
	var pe *permanentError
	var se *stageError
	switch {
	case err == nil:
		p.sup.opts.Observer.Downloaded(staged.Size())
	case ctx.Err() != nil:
		// Cancelled (shutdown, token change, batch cut): no failure of the download.
	case errors.As(err, &pe):
		p.sup.opts.Observer.DownloadFailed(DownloadPermanent)
	case errors.As(err, &se):
		p.sup.opts.Observer.DownloadFailed(DownloadStorage)
	case failureKind(err) == FailRateLimited:
		p.sup.opts.Observer.DownloadFailed(FailRateLimited)
	default:
		p.sup.opts.Observer.DownloadFailed(FailTransient)
	}
}

// observeGetUpdates reports a failed getUpdates call (not one cancelled
// because the poller is stopping).
func (p *poller) observeGetUpdates(ctx context.Context, err error) {
	if ctx.Err() == nil {
		p.sup.opts.Observer.GetUpdatesFailed(failureKind(err))
	}
}

// obs is the sender's Observer (none for a sender without a poller, in
// tests).
func (s *sender) obs() Observer {
	if s.p == nil {
		return nopObserver{}
	}
	return s.p.sup.opts.Observer
}
