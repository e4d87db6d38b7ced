package bot

import (
	"errors"
	"sync"
	"time"

	"github.com/memoria-app/memoria/rules"
)

// statusBox holds the runner's status for BotService.GetBotStatus.
type statusBox struct {
	mu sync.Mutex
	s  rules.BotStatus
	// changed (capacity 1) receives a value after every change, for the
	// leader's status publisher (leader.go).
	changed chan struct{}
}

func newStatusBox() *statusBox {
	return &statusBox{s: rules.BotStatus{State: rules.BotDisabled, Since: time.Now()}, changed: make(chan struct{}, 1)}
}

// signalLocked tells the publisher the status changed; b.mu is held.
func (b *statusBox) signalLocked() {
	select {
	case b.changed <- struct{}{}:
	default:
	}
}

// setPoller names the process running the bot ("" for none).
func (b *statusBox) setPoller(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.s.Poller != name {
		b.s.Poller = name
		b.signalLocked()
	}
}

func (b *statusBox) get() rules.BotStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.s
}

// set changes the state; Since moves only when the state or error changes.
func (b *statusBox) set(state rules.BotState, username, errText string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	old := b.s
	if b.s.State != state || b.s.Error != errText {
		b.s.Since = time.Now()
	}
	b.s.State, b.s.Error = state, errText
	if username != "" || state == rules.BotDisabled {
		b.s.Username = username
	}
	if state == rules.BotDisabled {
		b.s.Poller = ""
	}
	if b.s != old {
		b.signalLocked()
	}
}

// clearIf sets the state back to running only while errText is still the
// status's error (another part of the bot may have reported since).
func (b *statusBox) clearIf(errText, username string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.s.State == rules.BotError && b.s.Error == errText {
		b.s.State, b.s.Error, b.s.Since = rules.BotRunning, "", time.Now()
		if username != "" {
			b.s.Username = username
		}
		b.signalLocked()
	}
}

// Status texts for a batch the server could not store. Telegram keeps
// undelivered updates for 24 hours (https://core.telegram.org/bots/api#getupdates).
const (
	statusDiskFull         = "the server's disk is full, so Telegram messages are not being saved: free space on the disk that holds Memoria's data directory and the bot resumes by itself. Telegram keeps undelivered messages for about 24 hours."
	statusDownloadsFailing = "files cannot be downloaded from Telegram right now (its file server or the network keeps failing), so the messages from the first one with a file are waiting; retrying. Telegram keeps undelivered messages for about 24 hours."
	statusStoreFailing     = "Telegram messages cannot be saved: the database is failing (see the server log); retrying. Telegram keeps undelivered messages for about 24 hours."
)

// stallStatus is the status text for a batch that failed to store.
func stallStatus(err error) string {
	if rules.IsDiskFull(err) {
		return statusDiskFull
	}
	var oe *outageError
	if errors.As(err, &oe) {
		return statusDownloadsFailing
	}
	return statusStoreFailing
}
