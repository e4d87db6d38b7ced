package bot

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/memoria-app/memoria/store"
)

// crashed is what a crash hook panics with.
type crashed struct{}

// handleCrashing runs one round of h.handle that crashes (a panic from
// the hook, as kill -9 would stop the process) when the hook reaches
// point for update crashID (crashCommitted names the batch's last
// update; here always /undo, which ends its batch). It reports whether the crash happened.
func handleCrashing(t *testing.T, h *batchHandler, raws []json.RawMessage, point crashPoint, crashID int64) (didCrash bool) {
	t.Helper()
	h.crashAt = func(p crashPoint, updateID int64) {
		if p == point && updateID == crashID {
			panic(crashed{})
		}
	}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(crashed); !ok {
				panic(r)
			}
			didCrash = true
		}
	}()
	if _, err := h.handle(context.Background(), raws); err != nil {
		t.Fatal(err)
	}
	return false
}

func memoContents(t *testing.T, e *batchEnv) []string {
	t.Helper()
	memos, err := e.db.ListMemos(context.Background(), store.MemoQuery{CreatorID: e.user.ID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range memos {
		out = append(out, m.Content)
	}
	slices.Sort(out)
	return out
}

// TestUndoExactlyOnceAcrossCrashes: /undo deletes the newest memo made
// before it exactly once, whether the process dies before it ran (after
// the batch's commit) or after its deletion committed (before the reply
// and the offset), and however often it is delivered again.
func TestUndoExactlyOnceAcrossCrashes(t *testing.T) {
	tests := map[string]struct {
		texts []string // "/undo" is the command
		crash crashPoint
		// redeliveries after the crashed round (and its recovery round).
		again int
		want  []string
	}{
		"crash after the batch commit, before /undo ran": {
			texts: []string{"first", "second", "/undo"}, crash: crashCommitted, want: []string{"first"},
		},
		"crash after /undo deleted, before its reply": {
			texts: []string{"first", "second", "/undo"}, crash: crashApplied, want: []string{"first"},
		},
		"delivered three more times after the crash": {
			texts: []string{"first", "second", "/undo"}, crash: crashApplied, again: 3, want: []string{"first"},
		},
		"a message after /undo in the same batch is not the one undone": {
			texts: []string{"first", "second", "/undo", "third"}, crash: crashCommitted, want: []string{"first", "third"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			e := newBatchEnv(t, "9100000004:undo_once", "undo_bot")
			var raws []json.RawMessage
			var undoID int64
			for _, text := range tt.texts {
				u := e.bot.SendText(e.linked, text)
				raws = append(raws, u.Raw)
				if text == "/undo" {
					undoID = decodeUpdate(u.Raw).updateID
				}
			}
			if !handleCrashing(t, e.handler(e.rules), raws, tt.crash, undoID) {
				t.Fatal("the handler never reached the crash point")
			}
			// A new process: Telegram delivers everything again, from the
			// offset stored before the crash (none).
			handleAll(t, e.handler(e.rules), raws)
			for i := 0; i < tt.again; i++ {
				handleAll(t, e.handler(e.rules), raws[slices.Index(tt.texts, "/undo"):])
			}
			if got := memoContents(t, e); !slices.Equal(got, tt.want) {
				t.Fatalf("memos = %q, want %q", got, tt.want)
			}
			key := messageKey(e.ep.BotID, decodeUpdate(raws[slices.Index(tt.texts, "/undo")]))
			if done, err := e.rules.Ingested(context.Background(), key); err != nil || !done {
				t.Fatalf("the /undo key is recorded: %v, %v", done, err)
			}
		})
	}
}

// TestUndoRedeliveredWithoutCrash: the same /undo handled twice (an
// offset that was not stored) deletes one memo, not two.
func TestUndoRedeliveredWithoutCrash(t *testing.T) {
	e := newBatchEnv(t, "9100000005:undo_twice", "undo2_bot")
	raws := []json.RawMessage{
		e.bot.SendText(e.linked, "first").Raw,
		e.bot.SendText(e.linked, "second").Raw,
		e.bot.SendText(e.linked, "/undo").Raw,
	}
	handleAll(t, e.handler(e.rules), raws)
	handleAll(t, e.handler(e.rules), raws)
	if got := memoContents(t, e); !slices.Equal(got, []string{"first"}) {
		t.Fatalf("memos = %q, want only the first", got)
	}
}

// TestKeyedAfterCommandsSurviveACrash: a crash between the effect of
// /notify on and the record of its key leaves the setting applied, and
// the redelivery applies it again harmlessly and records the key.
func TestKeyedAfterCommandsSurviveACrash(t *testing.T) {
	ctx := context.Background()
	e := newBatchEnv(t, "9100000006:notify_once", "notify_bot")
	u := e.bot.SendText(e.linked, "/notify on")
	raws := []json.RawMessage{u.Raw}
	in := decodeUpdate(u.Raw)
	if !handleCrashing(t, e.handler(e.rules), raws, crashApplied, in.updateID) {
		t.Fatal("the handler never reached the crash point")
	}
	key := messageKey(e.ep.BotID, in)
	if done, _ := e.rules.Ingested(ctx, key); done {
		t.Fatal("the key was recorded before the crash point")
	}
	handleAll(t, e.handler(e.rules), raws)
	s, err := e.db.GetUserSettings(ctx, e.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !s.TelegramNotifications {
		t.Fatal("notifications are off after /notify on")
	}
	if done, err := e.rules.Ingested(ctx, key); err != nil || !done {
		t.Fatalf("the /notify key is recorded: %v, %v", done, err)
	}
}
