package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
)

// slowPublic is the real rules, except that making a memo public holds
// back until another update has finished (or a while has passed), as a
// slow database write would.
type slowPublic struct {
	*rules.Rules
	calls     atomic.Int32
	otherDone chan struct{}
	once      sync.Once
}

func (s *slowPublic) UpdateMemo(ctx context.Context, id int64, p rules.MemoPatch) (store.Memo, error) {
	s.calls.Add(1)
	public := p.Visibility != nil && *p.Visibility == store.VisibilityPublic
	if public {
		select {
		case <-s.otherDone:
		case <-time.After(300 * time.Millisecond):
		}
	}
	m, err := s.Rules.UpdateMemo(ctx, id, p)
	if !public {
		s.once.Do(func() { close(s.otherDone) })
	}
	return m, err
}

// TestCallbacksRunInUpdateOrder: presses on one memo that arrive in one
// batch act in the order they were made, so the memo ends in the state of
// the last press, however long each one takes.
func TestCallbacksRunInUpdateOrder(t *testing.T) {
	ctx := context.Background()
	e := newBatchEnv(t, "9100000002:callback_order", "order_bot")
	m := store.Memo{CreatorID: e.user.ID, Content: "pressed twice", Visibility: store.VisibilityPrivate, Source: store.SourceTelegram}
	if err := e.db.CreateMemo(ctx, &m, nil); err != nil {
		t.Fatal(err)
	}
	raws := []json.RawMessage{
		e.bot.SendCallbackQuery(e.linked, fmt.Sprintf("1:vpu:%d", m.ID), nil).Raw,
		e.bot.SendCallbackQuery(e.linked, fmt.Sprintf("1:vpt:%d", m.ID), nil).Raw,
	}
	slow := &slowPublic{Rules: e.rules, otherDone: make(chan struct{})}
	h := e.handler(slow)
	if _, err := h.handle(ctx, raws); err != nil {
		t.Fatal(err)
	}
	got, err := e.db.GetMemo(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := slow.calls.Load(); n != 2 {
		t.Fatalf("%d updates, want 2 (one per press)", n)
	}
	if got.Visibility != store.VisibilityProtected {
		t.Fatalf("visibility = %s after pressing Public then Protected, want PROTECTED", got.Visibility)
	}
}
