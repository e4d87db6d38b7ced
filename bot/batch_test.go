package bot

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/memoria-app/memoria/bot/telegramtest"
	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
)

// failingLookup is the real rules, except that looking up one Telegram
// user fails as if the database were down.
type failingLookup struct {
	*rules.Rules
	broken int64
	staged chan struct{} // closed after `want` files were staged
	count  *atomic.Int32
	want   int32
}

func (f failingLookup) StageFile(ctx context.Context, in rules.ResourceInput) (rules.StagedFile, error) {
	sf, err := f.Rules.StageFile(ctx, in)
	if f.count.Add(1) == f.want {
		close(f.staged)
	}
	return sf, err
}

func (f failingLookup) UserByTelegramID(ctx context.Context, id int64) (store.User, error) {
	if id == f.broken {
		// Fail only once the later updates have staged their files, so
		// the cut has something to clean up.
		select {
		case <-f.staged:
		case <-ctx.Done():
		}
		return store.User{}, errors.New("database is down")
	}
	return f.Rules.UserByTelegramID(ctx, id)
}

// TestCutBatchLeavesNoFiles: when preparing an update fails internally,
// the batch is cut there, and files already staged for the updates after
// the cut are removed — nothing is left, on disk or in the database, that
// no resource uses.
func TestCutBatchLeavesNoFiles(t *testing.T) {
	ctx := context.Background()
	e := newBatchEnv(t, "9100000001:cut_batch", "cut_bot")
	dir, db, u, linked, tgBot := e.dir, e.db, e.user, e.linked, e.bot
	var raws []json.RawMessage
	raws = append(raws, tgBot.SendText(linked, "before the cut").Raw)
	raws = append(raws, tgBot.SendText(telegramtest.User{ID: 666, FirstName: "Broken"}, "lookup fails").Raw)
	for i := 0; i < 6; i++ {
		raws = append(raws, tgBot.SendPhoto(linked, "after the cut", nil, []byte(strings.Repeat("p", 5000+i)), "").Raw)
	}

	h := e.handler(failingLookup{Rules: e.rules, broken: 666, staged: make(chan struct{}), count: new(atomic.Int32), want: 6})
	next, err := h.handle(ctx, raws)
	if err == nil || !strings.Contains(err.Error(), "database is down") {
		t.Fatalf("err = %v, want the lookup failure", err)
	}
	var first struct {
		UpdateID int64 `json:"update_id"`
	}
	json.Unmarshal(raws[0], &first)
	if next != first.UpdateID+1 {
		t.Fatalf("next offset = %d, want %d (just past the committed update)", next, first.UpdateID+1)
	}
	memos, _ := db.ListMemos(ctx, store.MemoQuery{CreatorID: u.ID, Limit: 10})
	if len(memos) != 1 || memos[0].Content != "before the cut" {
		t.Fatalf("memos = %v", memos)
	}
	var left []string
	filepath.WalkDir(filepath.Join(dir, "files"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			left = append(left, path)
		}
		return nil
	})
	if len(left) > 0 {
		t.Fatalf("files left behind by the cut batch: %v", left)
	}
	// Nor in the database (where files go by default on PostgreSQL).
	if n, err := e.rules.SweepOrphanFiles(ctx, 0); err != nil || n != 0 {
		t.Fatalf("the sweep found %d files no resource uses (%v), want 0", n, err)
	}
}
