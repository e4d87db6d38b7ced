package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/store/storetest"
)

// eventLine renders an event compactly for comparisons.
func eventLine(e store.MemoEvent) string {
	return fmt.Sprintf("%s %d %q res=%d prev=%s", e.Type, e.Memo.ID, e.Memo.Content, len(e.Memo.Resources), e.PrevVisibility)
}

// drain reads exactly n events (failing after a generous bound: a missing
// event is a bug, not slowness).
func drain(tb testing.TB, sub *store.MemoSubscription, n int) []string {
	tb.Helper()
	var out []string
	for len(out) < n {
		select {
		case e, ok := <-sub.Events():
			if !ok {
				tb.Fatalf("subscription ended after %v: %v", out, sub.Err())
			}
			out = append(out, eventLine(e))
		case <-time.After(10 * time.Second):
			tb.Fatalf("only %d of %d events: %v", len(out), n, out)
		}
	}
	return out
}

// assertNoEvent checks nothing is pending: every write before it was
// settled by the time it returned, so an event would already be queued.
func assertNoEvent(tb testing.TB, sub *store.MemoSubscription) {
	tb.Helper()
	select {
	case e := <-sub.Events():
		tb.Fatalf("unexpected event %s", eventLine(e))
	default:
	}
}

func TestMemoEventsForEveryKindOfWrite(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	u := mustUser(t, db, "u")
	sub := db.SubscribeMemoEvents(ctx, 0)
	priv := store.VisibilityPrivate

	free := store.Resource{CreatorID: u.ID, Filename: "a.txt", Type: "text/plain", Size: 1, StoragePath: "p/a"}
	noErr(t, db.CreateResource(ctx, &free)) // unattached: no memo changed
	assertNoEvent(t, sub)

	m := store.Memo{CreatorID: u.ID, Content: "one", Visibility: priv, Source: store.SourceAPI}
	noErr(t, db.CreateMemo(ctx, &m, []int64{free.ID}))
	pub := store.VisibilityPublic
	content := "two"
	_, err := db.UpdateMemo(ctx, m.ID, store.MemoUpdate{Content: &content, Visibility: &pub})
	noErr(t, err)
	attached := store.Resource{CreatorID: u.ID, MemoID: m.ID, Filename: "b.txt", Type: "text/plain", Size: 1, StoragePath: "p/b"}
	noErr(t, db.CreateResource(ctx, &attached))
	_, err = db.DeleteResource(ctx, free.ID)
	noErr(t, err)
	_, err = db.DeleteMemo(ctx, m.ID)
	noErr(t, err)

	album := func(key, file string) store.Ingest {
		return store.Ingest{
			Key: key, GroupKey: "album",
			Memo:      &store.Memo{CreatorID: u.ID, Content: "trip", Visibility: priv, Source: store.SourceTelegram},
			Resources: []store.Resource{{Filename: file, Type: "image/jpeg", Size: 1, StoragePath: "f/" + file}},
		}
	}
	first, err := db.Ingest(ctx, album("k1", "1.jpg"))
	noErr(t, err)
	_, err = db.Ingest(ctx, album("k2", "2.jpg"))
	noErr(t, err)
	_, err = db.Ingest(ctx, album("k2", "2.jpg")) // redelivered: nothing changes
	noErr(t, err)
	batch, errs := db.IngestMany(ctx, []store.Ingest{
		{Key: "m1", Memo: &store.Memo{CreatorID: u.ID, Content: "batch a", Visibility: priv, Source: store.SourceTelegram}},
		{Key: "m2", Memo: &store.Memo{CreatorID: 9999, Content: "no such user", Visibility: priv, Source: store.SourceTelegram}},
		{Key: "m3"}, // handled without a memo
		{Key: "m4", Memo: &store.Memo{CreatorID: u.ID, Content: "batch b", Visibility: priv, Source: store.SourceTelegram}},
	})
	if errs[1] == nil {
		t.Fatal("the bad ingest did not fail")
	}

	got := drain(t, sub, 9)
	want := []string{
		fmt.Sprintf(`created %d "one" res=1 prev=`, m.ID),
		fmt.Sprintf(`updated %d "two" res=1 prev=private`, m.ID),
		fmt.Sprintf(`updated %d "two" res=2 prev=public`, m.ID),
		fmt.Sprintf(`updated %d "two" res=1 prev=public`, m.ID),
		fmt.Sprintf(`deleted %d "" res=0 prev=`, m.ID),
		fmt.Sprintf(`created %d "trip" res=1 prev=`, first.Memo.ID),
		fmt.Sprintf(`updated %d "trip" res=2 prev=private`, first.Memo.ID),
		fmt.Sprintf(`created %d "batch a" res=0 prev=`, batch[0].Memo.ID),
		fmt.Sprintf(`created %d "batch b" res=0 prev=`, batch[3].Memo.ID),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events\n got %q\nwant %q", got, want)
	}
	assertNoEvent(t, sub)
}

func TestMemoEventsDeletedCarriesOwnerAndVisibility(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	u := mustUser(t, db, "u")
	m := store.Memo{CreatorID: u.ID, Content: "x", Visibility: store.VisibilityProtected, Source: store.SourceAPI}
	noErr(t, db.CreateMemo(ctx, &m, nil))
	sub := db.SubscribeMemoEvents(ctx, 0)
	_, err := db.DeleteMemo(ctx, m.ID)
	noErr(t, err)
	e := <-sub.Events()
	if e.Type != store.MemoDeleted || e.Memo.ID != m.ID || e.Memo.CreatorID != u.ID || e.Memo.Visibility != store.VisibilityProtected {
		t.Fatalf("deleted event = %+v", e)
	}
}

func TestMemoEventsNotPublishedForFailedWrites(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	u, other := mustUser(t, db, "u"), mustUser(t, db, "o")
	foreign := store.Resource{CreatorID: other.ID, Filename: "f", Type: "text/plain", Size: 1, StoragePath: "p/f"}
	noErr(t, db.CreateResource(ctx, &foreign))
	sub := db.SubscribeMemoEvents(ctx, 0)
	cases := map[string]func() error{
		"create attaching someone else's resource": func() error {
			m := store.Memo{CreatorID: u.ID, Content: "x", Visibility: store.VisibilityPrivate, Source: store.SourceAPI}
			return db.CreateMemo(ctx, &m, []int64{foreign.ID})
		},
		"update of a missing memo": func() error {
			c := "x"
			_, err := db.UpdateMemo(ctx, 424242, store.MemoUpdate{Content: &c})
			return err
		},
		"delete of a missing memo": func() error {
			_, err := db.DeleteMemo(ctx, 424242)
			return err
		},
		"resource for a missing memo": func() error {
			r := store.Resource{CreatorID: u.ID, MemoID: 424242, Filename: "g", Type: "text/plain", Size: 1, StoragePath: "p/g"}
			return db.CreateResource(ctx, &r)
		},
		"ingest for a missing user": func() error {
			_, err := db.Ingest(ctx, store.Ingest{Key: "k", Memo: &store.Memo{CreatorID: 9999, Content: "x", Visibility: store.VisibilityPrivate, Source: store.SourceTelegram}})
			return err
		},
	}
	for name, write := range cases {
		t.Run(name, func(t *testing.T) {
			if err := write(); err == nil {
				t.Fatal("the write did not fail")
			}
			assertNoEvent(t, sub)
		})
	}
	// A failed write must not hold back later events either.
	m := store.Memo{CreatorID: u.ID, Content: "after", Visibility: store.VisibilityPrivate, Source: store.SourceAPI}
	noErr(t, db.CreateMemo(ctx, &m, nil))
	if got := drain(t, sub, 1); got[0] != fmt.Sprintf(`created %d "after" res=0 prev=`, m.ID) {
		t.Fatalf("event after failures = %s", got[0])
	}
}

// TestMemoEventsInCommitOrderUnderConcurrency: on SQLite memo ids are
// assigned in commit order, so a subscriber must see created events with
// increasing ids; on both, every memo is created once, and the last update
// of one memo must be the state that stuck.
func TestMemoEventsInCommitOrderUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	u := mustUser(t, db, "u")
	target := mustMemo(t, db, u.ID, "target", false)
	sub := db.SubscribeMemoEvents(ctx, 10000)
	const workers, each = 16, 25
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				m := store.Memo{CreatorID: u.ID, Content: "c", Visibility: store.VisibilityPrivate, Source: store.SourceAPI}
				if err := db.CreateMemo(ctx, &m, nil); err != nil {
					t.Error(err)
				}
				c := fmt.Sprintf("%d/%d", w, i)
				if _, err := db.UpdateMemo(ctx, target.ID, store.MemoUpdate{Content: &c}); err != nil {
					t.Error(err)
				}
			}
		}(w)
	}
	wg.Wait()
	var lastID int64
	var lastContent string
	created := map[int64]int{}
	for n := 0; n < 2*workers*each; n++ {
		var e store.MemoEvent
		select {
		case e = <-sub.Events():
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d events arrived: the rest were lost", n, 2*workers*each)
		}
		switch e.Type {
		case store.MemoCreated:
			// SQLite allocates ids in commit order. PostgreSQL takes them
			// from a sequence before commit, and two writes that share no
			// row commit in either order: there only the last update
			// (writes to one row) says anything about commit order.
			if e.Memo.ID <= lastID && !storetest.OnPostgres(t) {
				t.Fatalf("created memos/%d after memos/%d: out of commit order", e.Memo.ID, lastID)
			}
			lastID = e.Memo.ID
			created[e.Memo.ID]++
		case store.MemoUpdated:
			lastContent = e.Memo.Content
		}
	}
	for id, n := range created {
		if n != 1 {
			t.Errorf("memos/%d: %d created events", id, n)
		}
	}
	if len(created) != workers*each {
		t.Errorf("%d memos created, want %d", len(created), workers*each)
	}
	final, err := db.GetMemo(ctx, target.ID)
	noErr(t, err)
	if lastContent != final.Content {
		t.Fatalf("last update event says %q, the memo says %q", lastContent, final.Content)
	}
	assertNoEvent(t, sub)
}

// TestMemoEventsSlowSubscriberIsDroppedNotWaitedFor: a subscriber that
// never reads must neither block writers nor slow a reading one; it gets
// what fitted in its buffer, then ErrEventsLost.
func TestMemoEventsSlowSubscriberIsDroppedNotWaitedFor(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	u := mustUser(t, db, "u")
	slow := db.SubscribeMemoEvents(ctx, 2)
	fast := db.SubscribeMemoEvents(ctx, 0)
	var ids []int64
	for i := 0; i < 5; i++ {
		ids = append(ids, mustMemo(t, db, u.ID, fmt.Sprint(i), false).ID) // returns although slow never reads
	}
	if got := drain(t, fast, 5); len(got) != 5 {
		t.Fatalf("fast subscriber got %v", got)
	}
	var got []int64
	for e := range slow.Events() {
		got = append(got, e.Memo.ID)
	}
	if fmt.Sprint(got) != fmt.Sprint(ids[:2]) {
		t.Fatalf("slow subscriber got %v, want the first two %v", got, ids[:2])
	}
	if !errors.Is(slow.Err(), store.ErrEventsLost) {
		t.Fatalf("slow subscriber Err = %v, want ErrEventsLost", slow.Err())
	}
	if fast.Err() != nil {
		t.Fatalf("fast subscriber Err = %v", fast.Err())
	}
}

func TestMemoEventSubscriptionEnds(t *testing.T) {
	cases := map[string]struct {
		end  func(db *store.DB, cancel context.CancelFunc)
		want error
	}{
		"context cancelled":   {func(_ *store.DB, cancel context.CancelFunc) { cancel() }, context.Canceled},
		"ended by the server": {func(db *store.DB, _ context.CancelFunc) { db.EndMemoEventSubscriptions() }, store.ErrClosed},
		"store closed":        {func(db *store.DB, _ context.CancelFunc) { db.Close() }, store.ErrClosed},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			// Opened without MustOpenDB's cleanup: one case closes it.
			db, err := store.Open(context.Background(), t.TempDir(), store.Options{URL: storetest.URL(t)})
			noErr(t, err)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sub := db.SubscribeMemoEvents(ctx, 0)
			if sub.Err() != nil {
				t.Fatalf("Err before the end = %v", sub.Err())
			}
			tc.end(db, cancel)
			if _, ok := <-sub.Events(); ok {
				t.Fatal("an event arrived instead of the end")
			}
			if !errors.Is(sub.Err(), tc.want) {
				t.Fatalf("Err = %v, want %v", sub.Err(), tc.want)
			}
			if name != "store closed" {
				noErr(t, db.Close())
			}
		})
	}
	t.Run("subscribing after the end", func(t *testing.T) {
		db := MustOpenDB(t)
		db.EndMemoEventSubscriptions()
		sub := db.SubscribeMemoEvents(context.Background(), 0)
		if _, ok := <-sub.Events(); ok || !errors.Is(sub.Err(), store.ErrClosed) {
			t.Fatalf("late subscription: open=%v Err=%v", ok, sub.Err())
		}
	})
}

func TestListTagCounts(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	u, other := mustUser(t, db, "u"), mustUser(t, db, "o")
	tagged := func(creator int64, tags ...string) store.Memo {
		m := store.Memo{CreatorID: creator, Content: "x", Tags: tags, Visibility: store.VisibilityPrivate, Source: store.SourceAPI}
		noErr(t, db.CreateMemo(ctx, &m, nil))
		return m
	}
	tagged(u.ID, "go", "db")
	tagged(u.ID, "go")
	tagged(u.ID, "web", "go")
	gone := tagged(u.ID, "web", "zz")
	tagged(u.ID, "ai")
	tagged(other.ID, "ai", "ai2")
	tagged(other.ID, "ai")
	_, err := db.DeleteMemo(ctx, gone.ID)
	noErr(t, err)
	got, err := db.ListTagCounts(ctx, u.ID)
	noErr(t, err)
	if want := "[{go 3} {ai 1} {db 1} {web 1}]"; fmt.Sprint(got) != want {
		t.Fatalf("tags = %v, want %s", got, want)
	}
	none, err := db.ListTagCounts(ctx, 424242)
	if err != nil || len(none) != 0 {
		t.Fatalf("tags of nobody = %v %v", none, err)
	}
}

func noErr(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// TestMemoEventsForExternalEdits: an edited chat message that rewrites its
// memo is a change like any other: the feed publishes it, and a mention it
// adds reaches the notification outbox.
func TestMemoEventsForExternalEdits(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	u := mustUser(t, db, "u")
	res, err := db.Ingest(ctx, store.Ingest{
		Key:          "tg:1",
		Memo:         &store.Memo{CreatorID: u.ID, Content: "hello", Visibility: store.VisibilityProtected, Source: store.SourceTelegram},
		Messages:     []store.ExternalMessage{{Key: "msg:1", Kind: store.MessageOrigin, Part: "hello"}},
		TrackContent: true,
	})
	noErr(t, err)
	sub := db.SubscribeMemoEvents(ctx, 0)
	_, err = db.ApplyExternalEdit(ctx, store.ExternalEdit{Key: "msg:1", Expect: "hello", Content: "hello @bob", Part: "hello @bob"})
	noErr(t, err)
	got := drain(t, sub, 1)
	if want := fmt.Sprintf(`updated %d "hello @bob" res=0 prev=protected`, res.Memo.ID); got[0] != want {
		t.Fatalf("event %q, want %q", got[0], want)
	}
	outbox, err := db.NotifyOutbox(ctx, 10)
	noErr(t, err)
	if len(outbox) != 1 || outbox[0].MemoID != res.Memo.ID {
		t.Fatalf("outbox after the edit = %+v, want memo %d", outbox, res.Memo.ID)
	}
	// A refused edit (the memo changed elsewhere) publishes nothing.
	if _, err := db.ApplyExternalEdit(ctx, store.ExternalEdit{Key: "msg:1", Expect: "hello", Content: "stale", Part: "stale"}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale edit: %v, want ErrConflict", err)
	}
	assertNoEvent(t, sub)
}
