package store

import (
	"context"
	"errors"
	"sync"

	"gorm.io/gorm"
)

// The memo event feed: every committed change to a memo (create, update,
// delete, Telegram ingest, resources attached or detached) becomes a
// MemoEvent that subscribers receive in commit order. Writes publish only
// after db.tx returned nil, i.e. once the change is committed (and synced),
// so nobody hears of a change that could still be lost.
//
// Ordering: concurrent writers return from db.tx in any order, so each
// write takes a sequence number inside its transaction function (which the
// writer goroutine runs in commit order) and the feed delivers strictly in
// that order, holding back a later write's events until every earlier
// sequence number is settled — published or dropped because its write
// failed.
//
// Back-pressure: each subscriber has a bounded buffer and the writer never
// waits for it. A subscriber whose buffer is full is dropped: its channel
// closes and Err reports ErrEventsLost, so it can reload and subscribe again.
//
// On SQLite the feed is in-process (localMemoFeed). The memoEventFeed
// interface is what a PostgreSQL LISTEN/NOTIFY feed implements so that every
// process hears every change.

// MemoEventType says what happened to a memo.
type MemoEventType int

// Memo event types.
const (
	MemoCreated MemoEventType = iota + 1
	MemoUpdated
	MemoDeleted
)

func (t MemoEventType) String() string {
	switch t {
	case MemoCreated:
		return "created"
	case MemoUpdated:
		return "updated"
	case MemoDeleted:
		return "deleted"
	}
	return "unknown"
}

// MemoEvent is one committed change to a memo.
type MemoEvent struct {
	Type MemoEventType
	// Memo is the memo after the change, with its resources. For
	// MemoDeleted only ID, CreatorID and Visibility (as it was) are set.
	Memo Memo
	// PrevVisibility is the memo's visibility before a MemoUpdated change
	// ("" for other types), so that a subscriber can tell a memo that
	// stopped being visible to it.
	PrevVisibility Visibility
}

// ErrEventsLost ends a memo subscription that fell behind by more than its
// buffer: events were dropped, and the subscriber must resynchronise.
var ErrEventsLost = errors.New("memo events were lost: the subscriber fell behind")

// DefaultMemoEventBuffer is how many undelivered events a subscriber may
// have before it is dropped with ErrEventsLost.
const DefaultMemoEventBuffer = 256

// MemoSubscription receives memo events in commit order.
type MemoSubscription struct {
	c    chan MemoEvent
	mu   sync.Mutex
	err  error
	stop func() bool // releases the context watch
}

// Events delivers the events; it is closed when the subscription ends
// (see Err). Events queued before the end are still delivered.
func (s *MemoSubscription) Events() <-chan MemoEvent { return s.c }

// Err says why Events was closed: ErrEventsLost, ErrClosed, or the error
// of the context the subscription was made with. It is nil while the
// subscription runs.
func (s *MemoSubscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// SubscribeMemoEvents subscribes to every memo change committed from now
// on, until ctx ends. buffer bounds the undelivered events (0:
// DefaultMemoEventBuffer).
func (db *DB) SubscribeMemoEvents(ctx context.Context, buffer int) *MemoSubscription {
	return db.memoEvents.subscribe(ctx, buffer)
}

// EndMemoEventSubscriptions ends every memo subscription with ErrClosed and
// refuses new ones (they end at once). A server calls it when it starts to
// shut down, so that open watch streams do not hold up a graceful stop;
// Close does it too.
func (db *DB) EndMemoEventSubscriptions() { db.memoEvents.close() }

// memoEventFeed carries committed memo changes to subscribers. stage runs
// at the end of a write's transaction function (on the writer, in commit
// order) with the events the write makes; settle runs once the
// transaction's outcome is known, exactly once per successful stage.
type memoEventFeed interface {
	stage(tx *gorm.DB, events []MemoEvent) (memoEventTicket, error)
	settle(t memoEventTicket, committed bool)
	subscribe(ctx context.Context, buffer int) *MemoSubscription
	close()
}

// memoEventTicket is a staged write's place in the feed.
type memoEventTicket struct {
	seq    uint64
	events []MemoEvent
}

// memoChanges collects one write's events for the feed. Use: stage as the
// last step of the transaction function, settle with db.tx's result.
type memoChanges struct {
	feed   memoEventFeed
	ticket memoEventTicket
	staged bool
}

func (db *DB) memoChanges() *memoChanges { return &memoChanges{feed: db.memoEvents} }

// stage records the write's events inside its transaction. Should the
// transaction function run again, the earlier staging is dropped.
func (c *memoChanges) stage(tx *gorm.DB, events ...MemoEvent) error {
	if c.staged {
		c.feed.settle(c.ticket, false)
		c.staged = false
	}
	if err := writeNotifyOutbox(tx, events); err != nil { // notify.go
		return err
	}
	t, err := c.feed.stage(tx, events)
	if err != nil {
		return err
	}
	c.ticket, c.staged = t, true
	return nil
}

// settle publishes the staged events if the write committed (err == nil)
// and drops them otherwise.
func (c *memoChanges) settle(err error) {
	if c.staged {
		c.feed.settle(c.ticket, err == nil)
		c.staged = false
	}
}

// localMemoFeed is the in-process feed (one process owns the database).
type localMemoFeed struct {
	mu      sync.Mutex
	next    uint64                 // sequence number for the next stage
	head    uint64                 // next sequence number to deliver
	settled map[uint64][]MemoEvent // settled out of order, waiting for head
	subs    map[*MemoSubscription]struct{}
	closed  bool
}

func newLocalMemoFeed() *localMemoFeed {
	return &localMemoFeed{settled: map[uint64][]MemoEvent{}, subs: map[*MemoSubscription]struct{}{}}
}

func (f *localMemoFeed) stage(_ *gorm.DB, events []MemoEvent) (memoEventTicket, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := memoEventTicket{seq: f.next, events: events}
	f.next++
	return t, nil
}

func (f *localMemoFeed) settle(t memoEventTicket, committed bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !committed {
		t.events = nil
	}
	f.settled[t.seq] = t.events
	for {
		events, ok := f.settled[f.head]
		if !ok {
			return
		}
		delete(f.settled, f.head)
		f.head++
		for _, e := range events {
			f.fanOutLocked(e)
		}
	}
}

// fanOutLocked offers e to every subscriber without waiting; f.mu is held.
func (f *localMemoFeed) fanOutLocked(e MemoEvent) {
	for s := range f.subs {
		select {
		case s.c <- e:
		default:
			f.endLocked(s, ErrEventsLost)
		}
	}
}

// endLocked closes s with err; f.mu is held.
func (f *localMemoFeed) endLocked(s *MemoSubscription, err error) {
	if _, ok := f.subs[s]; !ok {
		return
	}
	delete(f.subs, s)
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
	close(s.c)
	s.stop()
}

func (f *localMemoFeed) subscribe(ctx context.Context, buffer int) *MemoSubscription {
	if buffer <= 0 {
		buffer = DefaultMemoEventBuffer
	}
	s := &MemoSubscription{c: make(chan MemoEvent, buffer), stop: func() bool { return false }}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subs[s] = struct{}{}
	if f.closed {
		f.endLocked(s, ErrClosed)
		return s
	}
	if err := ctx.Err(); err != nil {
		f.endLocked(s, err)
		return s
	}
	s.stop = context.AfterFunc(ctx, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.endLocked(s, ctx.Err())
	})
	return s
}

// lose ends every subscription with ErrEventsLost: events were missed
// (the PostgreSQL listener was cut off too long), so subscribers reload.
func (f *localMemoFeed) lose() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range f.subs {
		f.endLocked(s, ErrEventsLost)
	}
}

func (f *localMemoFeed) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for s := range f.subs {
		f.endLocked(s, ErrClosed)
	}
}
