package rules

import (
	"context"
	"errors"

	"github.com/memoria-app/memoria/store"
)

// MemoChange is one change to a memo as a watching actor sees it.
type MemoChange struct {
	Type store.MemoEventType
	// Memo is the memo after the change; for MemoDeleted only its ID.
	Memo store.Memo
}

// MemoWatch is an actor's stream of memo changes; see WatchMemos.
type MemoWatch struct {
	actor *Actor
	sub   *store.MemoSubscription
}

var (
	errWatchLagged = Errorf(CodeUnavailable, "this watch fell behind and missed changes: reconnect and reload the list")
	errWatchClosed = Errorf(CodeUnavailable, "the server is shutting down: reconnect and reload the list")
)

// WatchMemos subscribes the actor to changes of the memos they see in
// ListMemos without a filter (their own memos), from now on, in commit
// order, until ctx ends. Each change is checked against what the actor
// may see when it is delivered: a memo that stops being visible to them
// arrives as deleted, one that becomes visible as created.
func (r *Rules) WatchMemos(ctx context.Context) (*MemoWatch, error) {
	return r.watchMemos(ctx, 0)
}

// watchMemos is WatchMemos with a chosen event buffer (0: the store's default).
func (r *Rules) watchMemos(ctx context.Context, buffer int) (*MemoWatch, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	return &MemoWatch{actor: a, sub: r.db.SubscribeMemoEvents(ctx, buffer)}, nil
}

// Next waits for the next change the actor may see. It fails with
// CodeUnavailable when the watch fell too far behind (changes were
// dropped) or the server is shutting down — either way the client should
// reconnect and reload — and with ctx's error when ctx ends first.
func (w *MemoWatch) Next(ctx context.Context) (MemoChange, error) {
	for {
		select {
		case e, ok := <-w.sub.Events():
			if !ok {
				return MemoChange{}, w.endError()
			}
			if c, ok := changeFor(w.actor, e); ok {
				return c, nil
			}
		case <-ctx.Done():
			return MemoChange{}, ctx.Err()
		}
	}
}

func (w *MemoWatch) endError() error {
	err := w.sub.Err()
	switch {
	case errors.Is(err, store.ErrEventsLost):
		return errWatchLagged
	case errors.Is(err, store.ErrClosed):
		return errWatchClosed
	}
	return err // the watch's own context ended
}

// inUnfilteredList reports whether a memo of creatorID with visibility v is
// in the actor's ListMemos without a filter: a signed-in user's own memos,
// an anonymous caller's public ones.
func inUnfilteredList(a *Actor, creatorID int64, v store.Visibility) bool {
	if a == nil {
		return v == store.VisibilityPublic
	}
	return creatorID == a.User.ID
}

// changeFor is the change the actor sees for e, if any.
func changeFor(a *Actor, e store.MemoEvent) (MemoChange, bool) {
	m := e.Memo
	now := inUnfilteredList(a, m.CreatorID, m.Visibility)
	deleted := MemoChange{Type: store.MemoDeleted, Memo: store.Memo{ID: m.ID}}
	switch e.Type {
	case store.MemoCreated:
		return MemoChange{Type: store.MemoCreated, Memo: m}, now
	case store.MemoUpdated:
		before := inUnfilteredList(a, m.CreatorID, e.PrevVisibility)
		switch {
		case now && before:
			return MemoChange{Type: store.MemoUpdated, Memo: m}, true
		case now:
			return MemoChange{Type: store.MemoCreated, Memo: m}, true
		case before:
			return deleted, true
		}
	case store.MemoDeleted:
		return deleted, now
	}
	return MemoChange{}, false
}
