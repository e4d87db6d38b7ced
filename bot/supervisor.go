package bot

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/tgtoken"
)

// Rules is the part of the rules layer the bot uses; *rules.Rules.
type Rules interface {
	UserByTelegramID(ctx context.Context, telegramUserID int64) (store.User, error)
	Ingested(ctx context.Context, key string) (bool, error)
	IngestBatch(ctx context.Context, items []rules.IngestItem) []rules.IngestOutcome
	StageFile(ctx context.Context, in rules.ResourceInput) (rules.StagedFile, error)
	DiscardStaged(files ...rules.StagedFile)
	MaxUploadBytes() int64
	ChatRules
}

// ChatRules are the rules behind the chat: buttons, commands, linking,
// edits and replies; *rules.Rules. All but RedeemTelegramLink act for the
// actor in ctx (the linked sender).
type ChatRules interface {
	GetMemo(ctx context.Context, id int64) (store.Memo, error)
	UpdateMemo(ctx context.Context, id int64, p rules.MemoPatch) (store.Memo, error)
	DeleteMemo(ctx context.Context, id int64) error
	ListMemos(ctx context.Context, filter string, size int32, pageToken string) ([]store.Memo, string, error)
	TelegramPrefs(ctx context.Context) (rules.ChatPrefs, error)
	TelegramMessage(ctx context.Context, key string) (store.ExternalMessage, error)
	RecordTelegramConfirmation(ctx context.Context, key string, memoID int64) error
	UndoTelegram(ctx context.Context, prefix, key string) (rules.UndoResult, error)
	EditFromTelegram(ctx context.Context, key, part string) (store.Memo, bool, error)
	ListTags(ctx context.Context) ([]store.TagCount, error)
	RedeemTelegramLink(ctx context.Context, code string, telegramUserID int64) (store.User, error)
	UnlinkTelegram(ctx context.Context) error
	GetUserSettings(ctx context.Context) (store.UserSettings, error)
	UpdateUserSettings(ctx context.Context, p rules.UserSettingsPatch) (store.UserSettings, error)
}

// Settings is the settings feed; *store.DB.
type Settings interface {
	GetSystemSettings(ctx context.Context) (store.SystemSettings, error)
	SubscribeSettings(ctx context.Context) <-chan store.SystemSettings
}

// Cursors persists each bot's getUpdates offset; *store.DB.
type Cursors interface {
	GetCursor(ctx context.Context, name string) (int64, error)
	SetCursor(ctx context.Context, name string, value int64) error
}

// Options tune the runner; zero values pick production defaults.
type Options struct {
	Logger *slog.Logger
	// PollTimeout is the getUpdates long-poll timeout (default 50 s); each
	// request's HTTP timeout is PollTimeout + 15 s.
	PollTimeout time.Duration
	// RequestTimeout bounds other Bot API calls (default 30 s).
	RequestTimeout time.Duration
	// HTTPClient is used for Bot API calls and downloads (default: a
	// client with sane transport limits).
	HTTPClient *http.Client
	// Prefetch is how many updates of a batch are prepared (user lookup,
	// downloads) at once (default 8).
	Prefetch int
	// Backoffs for failures (defaults: transient 250 ms → 30 s, rejected
	// token 5 s → 5 min, conflict 2 s → 1 min).
	TransientBackoff, RejectedBackoff, ConflictBackoff [2]time.Duration
	// StallBackoff spaces retries of a batch that could not be stored
	// (disk full, database failing, files Telegram keeps failing to hand
	// out; default 1 s → 1 min).
	StallBackoff [2]time.Duration
	// SendInterval spaces messages to one chat (default 1 s) and
	// SendGlobalInterval all messages (default 34 ms, under 30/s).
	SendInterval, SendGlobalInterval time.Duration
	// DownloadAttempts bounds retries of one file on transient errors
	// (default 8).
	DownloadAttempts int
	// Observer hears what the bot does, for metrics (default: nobody).
	Observer Observer
	// Notify tunes the notifier (notify.go); tests inject its clock.
	Notify NotifyOptions
	// Inbox is the webhook inbox (*store.DB); without one, webhook mode
	// is reported as an error.
	Inbox Inbox
	// WebhookCheck is how often, in webhook mode, the bot asks Telegram
	// (getWebhookInfo) whether it can deliver (default 1 min).
	WebhookCheck time.Duration
	// InboxRecheck is how often the webhook inbox is read without a
	// signal from the store, as a safety net (default 30 s).
	InboxRecheck time.Duration
	// Elector elects the one process that runs the bot among those
	// sharing the database (leader.go); default: an in-process one, for
	// a database no other process opens.
	Elector store.Elector
	// SharedStatus is where the running process publishes the bot's
	// status and the others read it (*store.DB); nil: not shared.
	SharedStatus SharedStatus
	// ProcessName names this process in the bot status (default
	// "<hostname>:<pid>").
	ProcessName string
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.PollTimeout <= 0 {
		o.PollTimeout = 50 * time.Second
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 30 * time.Second
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			MaxIdleConnsPerHost: 16,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
		}}
	}
	if o.Prefetch <= 0 {
		o.Prefetch = 8
	}
	def := func(b *[2]time.Duration, lo, hi time.Duration) {
		if b[0] <= 0 {
			b[0] = lo
		}
		if b[1] <= 0 {
			b[1] = hi
		}
	}
	def(&o.TransientBackoff, 250*time.Millisecond, 30*time.Second)
	def(&o.RejectedBackoff, 5*time.Second, 5*time.Minute)
	def(&o.ConflictBackoff, 2*time.Second, time.Minute)
	def(&o.StallBackoff, time.Second, time.Minute)
	if o.SendInterval <= 0 {
		o.SendInterval = time.Second
	}
	if o.SendGlobalInterval <= 0 {
		o.SendGlobalInterval = 34 * time.Millisecond
	}
	if o.DownloadAttempts <= 0 {
		o.DownloadAttempts = 8
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	if o.WebhookCheck <= 0 {
		o.WebhookCheck = time.Minute
	}
	if o.InboxRecheck <= 0 {
		o.InboxRecheck = 30 * time.Second
	}
	if o.Elector == nil {
		o.Elector = store.NewLocalElector()
	}
	if o.ProcessName == "" {
		o.ProcessName = defaultProcessName()
	}
}

// Supervisor follows the telegramBotToken and telegramUpdateMode settings
// and keeps exactly one poller (or webhook receiver) running for the
// current token.
type Supervisor struct {
	rules    Rules
	settings Settings
	cursors  Cursors
	opts     Options
	log      *slog.Logger
	status   *statusBox
	// active is the running poller's sender (nil while none runs), for
	// messages that do not answer an update (link notices).
	active atomic.Pointer[sender]
	// started gets a value (dropped if one waits) each time a poller
	// sets active: the notifier's cue to drain what waited for a bot.
	started chan struct{}
	// shared is the running process's status while this one stands by
	// (nil otherwise; leader.go).
	shared atomic.Pointer[rules.BotStatus]
}

// New builds a supervisor; Run starts it.
func New(rules Rules, settings Settings, cursors Cursors, opts Options) *Supervisor {
	opts.defaults()
	return &Supervisor{
		rules: rules, settings: settings, cursors: cursors, opts: opts,
		log: opts.Logger.With("component", "telegram"), status: newStatusBox(),
		started: make(chan struct{}, 1),
	}
}

// NotifyTelegramLinked tells a Telegram account which Memoria user it is
// now linked to (rules.TelegramNotifier). Without a running bot the
// notice is dropped.
func (s *Supervisor) NotifyTelegramLinked(telegramUserID int64, username string) {
	if snd := s.active.Load(); snd != nil {
		snd.enqueue(outMessage{chatID: telegramUserID, text: replyLinked(username)})
		return
	}
	s.log.Info("link notice not sent: the bot is not running", "telegram_user", telegramUserID)
}

// Status reports the runner's state for BotService.GetBotStatus: this
// process's, or while it stands by the running process's.
func (s *Supervisor) Status() rules.BotStatus {
	if st := s.shared.Load(); st != nil {
		return *st
	}
	return s.status.get()
}

// Run follows the settings until ctx ends. On every change of the token
// or of how updates arrive the running poller is cancelled — its in-flight
// long poll aborted, not waited out — and has fully stopped before the
// next one starts.
func (s *Supervisor) Run(ctx context.Context) {
	changes := s.settings.SubscribeSettings(ctx)
	var current runTarget
	for {
		st, err := s.settings.GetSystemSettings(ctx)
		if err == nil {
			current = targetOf(st)
			break
		}
		s.log.Error("read settings", "err", err)
		if sleep(ctx, time.Second) != nil {
			return
		}
	}
	stop := s.start(ctx, current)
	for {
		select {
		case st, ok := <-changes:
			if !ok {
				stop()
				return
			}
			if targetOf(st) == current {
				continue
			}
			current = targetOf(st)
			stop()
			s.log.Info("telegram bot settings changed; restarting")
			stop = s.start(ctx, current)
		case <-ctx.Done():
			stop()
			return
		}
	}
}

// start launches a poller for the target and returns a function that
// cancels it and waits until it has stopped.
func (s *Supervisor) start(ctx context.Context, target runTarget) (stop func()) {
	ep, err := tgtoken.Parse(target.token)
	if errors.Is(err, tgtoken.ErrEmpty) {
		s.status.set(rules.BotDisabled, "", "")
		s.log.Info("telegram bot disabled (no token)")
		return func() {}
	}
	if err != nil {
		// The API validates tokens before storing them; this is a token
		// written some other way.
		s.status.set(rules.BotError, "", "the stored token is invalid: "+err.Error())
		return func() {}
	}
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.lead(pctx, ep, target.webhookURL) // leader.go
	}()
	return func() {
		cancel()
		<-done
	}
}
