package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/memoria-app/memoria/store"
)

func mustMemo(tb testing.TB, db *store.DB, creator int64, content string, pinned bool) store.Memo {
	tb.Helper()
	m := store.Memo{CreatorID: creator, Content: content, Visibility: store.VisibilityPrivate, Pinned: pinned, Source: store.SourceAPI}
	if err := db.CreateMemo(context.Background(), &m, nil); err != nil {
		tb.Fatal(err)
	}
	return m
}

func TestListMemosOrderAndKeysetPagination(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	u := mustUser(t, db, "u")
	var want []int64
	for i := 0; i < 25; i++ {
		mustMemo(t, db, u.ID, fmt.Sprint(i), i%10 == 0)
	}
	// pinned (20, 10, 0) first, then the rest newest first.
	for _, i := range []int{20, 10, 0} {
		want = append(want, int64(i+1))
	}
	for i := 24; i >= 0; i-- {
		if i%10 != 0 {
			want = append(want, int64(i+1))
		}
	}
	var got []int64
	var after *store.MemoCursor
	for page := 0; ; page++ {
		ms, err := db.ListMemos(ctx, store.MemoQuery{CreatorID: u.ID, After: after, Limit: 7})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			got = append(got, m.ID)
		}
		if len(ms) < 7 {
			break
		}
		// Memos created while paging must not shift later pages.
		mustMemo(t, db, u.ID, "new", false)
		c := store.CursorAfter(ms[len(ms)-1])
		after = &c
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("order\n got %v\nwant %v", got, want)
	}
}

func TestListMemosFilters(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	a, b := mustUser(t, db, "a"), mustUser(t, db, "b")
	m := store.Memo{CreatorID: a.ID, Content: "hello #go", Tags: []string{"go"}, Visibility: store.VisibilityPublic, Source: store.SourceTelegram}
	if err := db.CreateMemo(ctx, &m, nil); err != nil {
		t.Fatal(err)
	}
	mustMemo(t, db, a.ID, "private", false)
	mustMemo(t, db, b.ID, "b's", false)
	cases := map[string]struct {
		q    store.MemoQuery
		want int
	}{
		"by creator":          {store.MemoQuery{CreatorID: a.ID}, 2},
		"by tag":              {store.MemoQuery{Tag: "go"}, 1},
		"by unknown tag":      {store.MemoQuery{Tag: "rust"}, 0},
		"public only":         {store.MemoQuery{Visibilities: []store.Visibility{store.VisibilityPublic}}, 1},
		"creator + visible":   {store.MemoQuery{CreatorID: a.ID, Visibilities: []store.Visibility{store.VisibilityPublic, store.VisibilityProtected}}, 1},
		"by source":           {store.MemoQuery{Source: store.SourceTelegram}, 1},
		"content contains":    {store.MemoQuery{ContentContains: "hell"}, 1},
		"content not present": {store.MemoQuery{ContentContains: "zzz"}, 0},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			c.q.Limit = 100
			ms, err := db.ListMemos(ctx, c.q)
			if err != nil || len(ms) != c.want {
				t.Fatalf("got %d memos (%v), want %d", len(ms), err, c.want)
			}
		})
	}
}

func TestMemoResourcesAttachUpdateDelete(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	u, other := mustUser(t, db, "u"), mustUser(t, db, "o")
	res := func(owner int64, name string) store.Resource {
		r := store.Resource{CreatorID: owner, Filename: name, Type: "text/plain", Size: 1, StoragePath: "p/" + name}
		if err := db.CreateResource(ctx, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	r1, r2, foreign := res(u.ID, "1"), res(u.ID, "2"), res(other.ID, "3")
	m := store.Memo{CreatorID: u.ID, Content: "x", Visibility: store.VisibilityPrivate, Source: store.SourceAPI}
	if err := db.CreateMemo(ctx, &m, []int64{r2.ID, r1.ID}); err != nil {
		t.Fatal(err)
	}
	if len(m.Resources) != 2 || m.Resources[0].ID != r2.ID || m.Resources[1].ID != r1.ID {
		t.Fatalf("attachment order: %+v", m.Resources)
	}
	bad := store.Memo{CreatorID: u.ID, Content: "y", Visibility: store.VisibilityPrivate, Source: store.SourceAPI}
	if err := db.CreateMemo(ctx, &bad, []int64{foreign.ID}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("attach someone else's resource: %v, want ErrConflict", err)
	}
	if err := db.CreateMemo(ctx, &bad, []int64{r1.ID}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("attach a resource attached elsewhere: %v, want ErrConflict", err)
	}
	if ms, _ := db.ListMemos(ctx, store.MemoQuery{CreatorID: u.ID, Limit: 10}); len(ms) != 1 {
		t.Fatalf("a failed create left %d memos", len(ms))
	}
	ids := []int64{r1.ID}
	upd, err := db.UpdateMemo(ctx, m.ID, store.MemoUpdate{ResourceIDs: &ids})
	if err != nil || len(upd.Resources) != 1 || upd.Resources[0].ID != r1.ID {
		t.Fatalf("update resources: %+v %v", upd.Resources, err)
	}
	paths, err := db.DeleteMemo(ctx, m.ID)
	if err != nil || len(paths) != 1 || paths[0] != "p/1" {
		t.Fatalf("delete memo: %v %v", paths, err)
	}
	if _, err := db.GetResource(ctx, r1.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("resource of deleted memo: %v", err)
	}
	if r, err := db.GetResource(ctx, r2.ID); err != nil || r.MemoID != 0 {
		t.Fatalf("detached resource: %+v %v", r, err)
	}
}

func TestIngestIsExactlyOnceAndGroupsAlbums(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	u := mustUser(t, db, "u")
	item := func(key, caption, file string) store.Ingest {
		return store.Ingest{
			Key: key, GroupKey: "album-1",
			Memo:      &store.Memo{CreatorID: u.ID, Content: caption, Visibility: store.VisibilityPrivate, Source: store.SourceTelegram},
			Resources: []store.Resource{{Filename: file, Type: "image/jpeg", Size: 1, StoragePath: "f/" + file}},
		}
	}
	r1, err := db.Ingest(ctx, item("u1", "", "a.jpg"))
	if err != nil || r1.Appended || r1.Duplicate {
		t.Fatalf("first item: %+v %v", r1, err)
	}
	r2, err := db.Ingest(ctx, item("u2", "caption #trip", "b.jpg"))
	if err != nil || !r2.Appended || r2.Memo.ID != r1.Memo.ID {
		t.Fatalf("second item: %+v %v", r2, err)
	}
	again, err := db.Ingest(ctx, item("u2", "caption #trip", "b.jpg"))
	if err != nil || !again.Duplicate || again.Memo.ID != r1.Memo.ID {
		t.Fatalf("redelivery: %+v %v", again, err)
	}
	m, err := db.GetMemo(ctx, r1.Memo.ID)
	if err != nil || m.Content != "caption #trip" || len(m.Resources) != 2 || m.Resources[1].Filename != "b.jpg" {
		t.Fatalf("album memo: %+v %v", m, err)
	}
	if _, err := db.Ingest(ctx, store.Ingest{Key: "u3"}); err != nil {
		t.Fatal(err)
	}
	if r, _ := db.Ingest(ctx, store.Ingest{Key: "u3"}); !r.Duplicate {
		t.Fatal("a handled event without a memo was not recorded")
	}
	if err := db.SetCursor(ctx, "bot:1", 77); err != nil {
		t.Fatal(err)
	}
	if v, err := db.GetCursor(ctx, "bot:1"); err != nil || v != 77 {
		t.Fatalf("cursor: %d %v", v, err)
	}
	if v, err := db.GetCursor(ctx, "bot:2"); err != nil || v != 0 {
		t.Fatalf("unset cursor: %d %v", v, err)
	}
}

// TestConcurrentWritersNeverSeeBusy hammers the store from many goroutines
// mixing writes and reads; every call must succeed (no SQLITE_BUSY).
func TestConcurrentWritersNeverSeeBusy(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	u := mustUser(t, db, "u")
	const workers, each = 64, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				m := store.Memo{CreatorID: u.ID, Content: "c", Tags: []string{"t"}, Visibility: store.VisibilityPrivate, Source: store.SourceAPI}
				if err := db.CreateMemo(ctx, &m, nil); err != nil {
					errs <- err
				}
				if _, err := db.Ingest(ctx, store.Ingest{Key: fmt.Sprintf("%d/%d", w, i)}); err != nil {
					errs <- err
				}
				if _, err := db.ListMemos(ctx, store.MemoQuery{CreatorID: u.ID, Limit: 20}); err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent call failed: %v", err)
	}
	ms, _ := db.ListMemos(ctx, store.MemoQuery{CreatorID: u.ID, Limit: 10000})
	if len(ms) != workers*each {
		t.Fatalf("memos = %d, want %d", len(ms), workers*each)
	}
}

func TestIngestManyIsolatesFailures(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	u := mustUser(t, db, "u")
	memo := func(creator int64, content string) *store.Memo {
		return &store.Memo{CreatorID: creator, Content: content, Visibility: store.VisibilityPrivate, Source: store.SourceTelegram}
	}
	ins := []store.Ingest{
		{Key: "a", Memo: memo(u.ID, "first")},
		{Key: "b", Memo: memo(9999, "no such user: the foreign key fails")},
		{Key: "c", Memo: memo(u.ID, "third")},
		{Key: "a", Memo: memo(u.ID, "first again")},
	}
	res, errs := db.IngestMany(ctx, ins)
	if errs[0] != nil || errs[2] != nil || errs[3] != nil {
		t.Fatalf("errs = %v", errs)
	}
	if errs[1] == nil {
		t.Fatal("the bad event did not fail")
	}
	if !res[3].Duplicate || res[3].Memo.ID != res[0].Memo.ID {
		t.Fatalf("a key repeated within the batch must be a duplicate: %+v", res[3])
	}
	ms, _ := db.ListMemos(ctx, store.MemoQuery{CreatorID: u.ID, Limit: 10})
	if len(ms) != 2 {
		t.Fatalf("memos = %d, want 2", len(ms))
	}
	if ok, _ := db.HasIngested(ctx, "b"); ok {
		t.Fatal("the failed event's key was recorded")
	}
}
