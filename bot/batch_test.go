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
	"github.com/memoria-app/memoria/tgtoken"
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

func (f failingLookup) StageFile(in rules.ResourceInput) (rules.StagedFile, error) {
	sf, err := f.Rules.StageFile(in)
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
// the cut are removed — nothing is left on disk that no resource uses.
func TestCutBatchLeavesNoFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rules, err := rules.NewRules(db, dir, rules.Config{BcryptCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	u := store.User{Username: "u", PasswordHash: "x", Role: store.RoleUser}
	if err := db.CreateUser(ctx, &u, nil); err != nil {
		t.Fatal(err)
	}
	linked := telegramtest.User{ID: 101, FirstName: "Linked"}
	if _, err := db.UpdateUserSettings(ctx, u.ID, func(s *store.UserSettings) error { s.TelegramUserID = linked.ID; return nil }); err != nil {
		t.Fatal(err)
	}

	tg := telegramtest.NewServer()
	defer tg.Close()
	const token = "9100000001:cut_batch"
	tgBot := tg.AddBot(token, "cut_bot")
	var raws []json.RawMessage
	raws = append(raws, tgBot.SendText(linked, "before the cut").Raw)
	raws = append(raws, tgBot.SendText(telegramtest.User{ID: 666, FirstName: "Broken"}, "lookup fails").Raw)
	for i := 0; i < 6; i++ {
		raws = append(raws, tgBot.SendPhoto(linked, "after the cut", nil, []byte(strings.Repeat("p", 5000+i)), "").Raw)
	}

	ep, err := tgtoken.Parse(tg.URL() + "/bot" + token)
	if err != nil {
		t.Fatal(err)
	}
	sup := New(failingLookup{Rules: rules, broken: 666, staged: make(chan struct{}), count: new(atomic.Int32), want: 6}, db, db, Options{})
	p := newPoller(sup, ep)
	p.botID = ep.BotID
	p.sender = newSender(p)
	next, err := newBatchHandler(p).handle(ctx, raws)
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
}
