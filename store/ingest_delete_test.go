package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/memoria-app/memoria/store"
)

// TestDeleteMemoOnce: the deletion and its key commit together; the same
// key again deletes nothing (not even another memo) and names the memo
// deleted first; a memo that is gone records no key.
func TestDeleteMemoOnce(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	u := mustUser(t, db, "undoer")
	var ids []int64
	for _, c := range []string{"a", "b"} {
		m := store.Memo{CreatorID: u.ID, Content: c, Visibility: store.VisibilityPrivate, Source: store.SourceTelegram}
		if err := db.CreateMemo(ctx, &m, nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	tests := []struct {
		name    string
		id      int64
		key     string
		wantErr error
		wantDup bool
		wantID  int64 // MemoID of a duplicate
		left    int
	}{
		{name: "first delivery deletes", id: ids[1], key: "k1", left: 1},
		{name: "same key, other memo: nothing deleted", id: ids[0], key: "k1", wantDup: true, wantID: ids[1], left: 1},
		{name: "memo gone: not found", id: ids[1], key: "k2", wantErr: store.ErrNotFound, left: 1},
	}
	for _, tt := range tests {
		res, err := db.DeleteMemoOnce(ctx, tt.id, tt.key)
		if !errors.Is(err, tt.wantErr) || res.Duplicate != tt.wantDup || (tt.wantDup && res.MemoID != tt.wantID) {
			t.Fatalf("%s: DeleteMemoOnce = %+v, %v", tt.name, res, err)
		}
		memos, err := db.ListMemos(ctx, store.MemoQuery{CreatorID: u.ID, Limit: 10})
		if err != nil || len(memos) != tt.left {
			t.Fatalf("%s: %d memos left (%v), want %d", tt.name, len(memos), err, tt.left)
		}
	}
	if done, _, err := db.AppliedKey(ctx, "k2"); err != nil || done {
		t.Fatalf("the key of a failed deletion is recorded: %v, %v", done, err)
	}
	if done, id, err := db.AppliedKey(ctx, "k1"); err != nil || !done || id != ids[1] {
		t.Fatalf("AppliedKey(k1) = %v, %d, %v", done, id, err)
	}
}
