package store

import (
	"context"
	"fmt"
	"testing"
)

// TestLocalMemoFeedDeliversInStageOrder: writes settle in any order (their
// callers wake up in any order after a group commit), but subscribers get
// events in the order the writes were staged, i.e. committed; a write that
// failed (settled uncommitted) or staged twice holds nothing back.
func TestLocalMemoFeedDeliversInStageOrder(t *testing.T) {
	f := newLocalMemoFeed()
	sub := f.subscribe(context.Background(), 0)
	ev := func(id int64) MemoEvent { return MemoEvent{Type: MemoCreated, Memo: Memo{ID: id}} }
	received := func() []int64 {
		var out []int64
		for {
			select {
			case e := <-sub.Events():
				out = append(out, e.Memo.ID)
			default:
				return out
			}
		}
	}
	t0, _ := f.stage(nil, []MemoEvent{ev(1)})
	t1, _ := f.stage(nil, []MemoEvent{ev(2), ev(3)})
	failed, _ := f.stage(nil, []MemoEvent{ev(99)})
	rerun := &memoChanges{feed: f}
	if err := rerun.stage(nil, ev(98)); err != nil { // a transaction function run twice
		t.Fatal(err)
	}
	if err := rerun.stage(nil, ev(4)); err != nil {
		t.Fatal(err)
	}
	t4, _ := f.stage(nil, []MemoEvent{ev(5)})

	f.settle(t1, true)
	if got := received(); len(got) != 0 {
		t.Fatalf("delivered %v before the earlier write settled", got)
	}
	f.settle(t4, true)
	f.settle(t0, true)
	if got := fmt.Sprint(received()); got != "[1 2 3]" {
		t.Fatalf("after the first settles: %s, want [1 2 3]", got)
	}
	f.settle(failed, false)
	rerun.settle(nil)
	if got := fmt.Sprint(received()); got != "[4 5]" {
		t.Fatalf("after the rest settle: %s, want [4 5]", got)
	}
	if len(f.settled) != 0 || f.head != f.next {
		t.Fatalf("feed not drained: head %d next %d pending %d", f.head, f.next, len(f.settled))
	}
}
