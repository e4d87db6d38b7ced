package rules

import (
	"context"
	"fmt"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/store/storetest"
)

func TestChangeForFollowsTheUnfilteredList(t *testing.T) {
	me := &Actor{User: store.User{ID: 1}}
	memo := func(creator int64, v store.Visibility) store.Memo {
		return store.Memo{ID: 7, CreatorID: creator, Visibility: v, Content: "x"}
	}
	ev := func(typ store.MemoEventType, creator int64, v, prev store.Visibility) store.MemoEvent {
		return store.MemoEvent{Type: typ, Memo: memo(creator, v), PrevVisibility: prev}
	}
	const (
		priv = store.VisibilityPrivate
		prot = store.VisibilityProtected
		pub  = store.VisibilityPublic
	)
	cases := map[string]struct {
		actor *Actor
		event store.MemoEvent
		want  string // "" = not delivered
	}{
		"my memo created":                {me, ev(store.MemoCreated, 1, priv, ""), "created x"},
		"my memo updated":                {me, ev(store.MemoUpdated, 1, pub, priv), "updated x"},
		"my memo deleted":                {me, ev(store.MemoDeleted, 1, prot, ""), "deleted "},
		"someone's public memo created":  {me, ev(store.MemoCreated, 2, pub, ""), ""},
		"someone's public memo updated":  {me, ev(store.MemoUpdated, 2, pub, pub), ""},
		"someone's public memo deleted":  {me, ev(store.MemoDeleted, 2, pub, ""), ""},
		"anonymous: public created":      {nil, ev(store.MemoCreated, 2, pub, ""), "created x"},
		"anonymous: private created":     {nil, ev(store.MemoCreated, 2, priv, ""), ""},
		"anonymous: made private":        {nil, ev(store.MemoUpdated, 2, priv, pub), "deleted "},
		"anonymous: made public":         {nil, ev(store.MemoUpdated, 2, pub, prot), "created x"},
		"anonymous: private stays so":    {nil, ev(store.MemoUpdated, 2, prot, priv), ""},
		"anonymous: public memo deleted": {nil, ev(store.MemoDeleted, 2, pub, ""), "deleted "},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, ok := changeFor(tc.actor, tc.event)
			got := ""
			if ok {
				got = fmt.Sprintf("%s %s", c.Type, c.Memo.Content)
				if c.Memo.ID != 7 {
					t.Fatalf("change names memo %d, want 7", c.Memo.ID)
				}
			}
			if got != tc.want {
				t.Fatalf("change = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWatchMemosEnds(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, dir, store.Options{URL: storetest.URL(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := NewRules(db, dir, Config{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := r.SignUp(ctx, "me", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	as := WithActor(ctx, &Actor{User: u, Source: store.SourceAPI})

	if _, err := r.WatchMemos(ctx); ErrorCode(err) != CodeUnauthenticated {
		t.Fatalf("anonymous WatchMemos: %v", err)
	}

	lagging, err := r.watchMemos(as, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := r.CreateMemo(as, MemoInput{Content: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if c, err := lagging.Next(ctx); err != nil || c.Memo.Content != "0" {
		t.Fatalf("first change = %+v %v, want memo 0 (it fitted in the buffer)", c, err)
	}
	if _, err := lagging.Next(ctx); ErrorCode(err) != CodeUnavailable {
		t.Fatalf("a watch that fell behind: %v, want CodeUnavailable", err)
	}

	cancelled, cancel := context.WithCancel(as)
	w, err := r.WatchMemos(cancelled)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := w.Next(ctx); err != context.Canceled {
		t.Fatalf("a watch whose context ended: %v, want context.Canceled", err)
	}

	open, err := r.WatchMemos(as)
	if err != nil {
		t.Fatal(err)
	}
	db.EndMemoEventSubscriptions()
	if _, err := open.Next(ctx); ErrorCode(err) != CodeUnavailable {
		t.Fatalf("a watch at shutdown: %v, want CodeUnavailable", err)
	}
}
