//go:build linux

package app_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/memoria-app/memoria/app"
	"github.com/memoria-app/memoria/bot/telegramtest"
	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/store/storetest"
)

// The storage backoff of the disk-full test: short, so the test is quick,
// but long enough to tell a growing wait from a tight loop.
var diskFullBackoff = [2]time.Duration{100 * time.Millisecond, time.Second}

// mountSmallDisk mounts a tmpfs of the given size on a fresh directory
// (unmounted when the test ends, after the server has stopped) or skips
// the test when mounting is refused.
func mountSmallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("skipping: the disk-full test mounts a %s tmpfs, which needs root (mount: %v)", size, err)
	}
	// Registered before the server starts, so it runs after the server
	// has stopped (cleanups run last-in first-out).
	t.Cleanup(func() {
		// Lazily (MNT_DETACH): store.Close can leave SQLite's file
		// descriptors open a while (gorm closes prepared statements in
		// goroutines), which would make a plain unmount fail with EBUSY.
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fillDisk writes a file until the disk is full and returns its path.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte{0xAA}, 1<<20)
	for {
		if _, err = f.Write(chunk); err != nil {
			break
		}
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("filling the disk: %v, want ENOSPC", err)
	}
	return path
}

// filesAndStaging lists the regular files under <data>/files and under
// <data>/files/tmp.
func filesAndStaging(t *testing.T, dataDir string) (stored, tmp []string) {
	t.Helper()
	root := filepath.Join(dataDir, "files")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if strings.HasPrefix(rel, "tmp"+string(filepath.Separator)) {
			tmp = append(tmp, rel)
		} else {
			stored = append(stored, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return stored, tmp
}

// TestDiskFull: with the data directory's disk full, writes fail fast with
// resource_exhausted naming the server's disk and leave no partial files;
// reads keep working; the bot reports the full disk and retries with
// growing waits; once space returns it resumes by itself and every update
// is stored exactly once, files byte for byte.
func TestDiskFull(t *testing.T) {
	storetest.SQLiteOnly(t, "fills the tmpfs that holds the SQLite database (SQLITE_FULL)")
	dataDir := mountSmallDisk(t, "8m")
	tg := telegramtest.NewServer()
	t.Cleanup(tg.Close)
	const token = "8000000101:disk_full"
	tgBot := tg.AddBot(token, "disk_bot")
	from := telegramtest.User{ID: 444001, FirstName: "Dee"}
	s := startServer(t, fastBot, storage{Dir: dataDir}.use, func(cfg *app.Config) {
		cfg.Bot.StallBackoff = diskFullBackoff
	})
	_, admin := s.signUp("admin")
	_, user := s.createUser(admin, "dee")
	s.linkTelegram(user, from.ID)
	before := s.createResource(user, "before.bin", "application/octet-stream", randomBytes(3000, 1), "")
	s.setToken(admin, tg.URL()+"/bot"+token)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tgBot.WaitPolling(ctx); err != nil {
		t.Fatal("bot not polling")
	}

	filler := fillDisk(t, dataDir)

	// API writes fail fast and say why.
	_, err := s.as(user).Resources.CreateResource(ctxT(t), connect.NewRequest(&v1.CreateResourceRequest{
		Resource: &v1.Resource{Filename: "during.bin", Type: "application/octet-stream", Content: randomBytes(200<<10, 2)},
	}))
	wantCode(t, err, connect.CodeResourceExhausted, "the server's disk is full")
	// A memo larger than anything written so far needs the database to
	// grow: SQLITE_FULL.
	_, err = s.as(user).Memos.CreateMemo(ctxT(t), connect.NewRequest(&v1.CreateMemoRequest{
		Memo: &v1.Memo{Content: strings.Repeat("a full disk ", (1<<20)/12-10)},
	}))
	wantCode(t, err, connect.CodeResourceExhausted, "the server's disk is full")
	if stored, tmp := filesAndStaging(t, dataDir); len(stored) != 1 || len(tmp) != 0 {
		t.Fatalf("after failed uploads: stored files %v, tmp %v; want only the one from before", stored, tmp)
	}

	// Telegram messages: texts, photos, an album.
	photo1, album1, album2, photo2 := randomBytes(64<<10, 3), randomBytes(48<<10, 4), randomBytes(40<<10, 5), randomBytes(56<<10, 6)
	var last int64
	tgBot.SendText(from, "text before the photos")
	first := tgBot.SendPhoto(from, "first photo", nil, photo1, "")
	tgBot.SendPhoto(from, "the album", nil, album1, "album-1")
	tgBot.SendPhoto(from, "", nil, album2, "album-1")
	tgBot.SendText(from, "text between")
	last = tgBot.SendPhoto(from, "last photo", nil, photo2, "").UpdateID
	firstID := first.Message.Photo[len(first.Message.Photo)-1].FileID

	eventually(t, 10*time.Second, "BOT_STATE_ERROR naming the full disk", func() bool {
		st := botStatus(t, s, admin)
		return st.State == v1.BotState_BOT_STATE_ERROR && strings.Contains(st.Error, "the server's disk is full") &&
			strings.Contains(st.Error, "24 hours")
	})

	// The bot retries with growing waits: gaps between the attempts to
	// fetch the same file are at least the backoff's lower bounds.
	var attempts []time.Time
	_, err = tgBot.WaitCalls(ctx, func(calls []telegramtest.Call) bool {
		attempts = attempts[:0]
		for _, c := range calls {
			if c.Method == "getFile" && c.Param("file_id") == firstID {
				attempts = append(attempts, c.Time)
			}
		}
		return len(attempts) >= 5
	})
	if err != nil {
		t.Fatalf("only %d attempts to fetch the first photo", len(attempts))
	}
	for i := 1; i < len(attempts); i++ {
		floor := min(diskFullBackoff[0]<<(i-1), diskFullBackoff[1]) / 2
		if gap := attempts[i].Sub(attempts[i-1]); gap < floor {
			t.Fatalf("attempt %d came %v after the previous one, want ≥ %v (the wait must grow)", i+1, gap, floor)
		}
	}

	// Reads keep working, and nothing partial is left behind.
	if got := s.fileBytes(user, before); !bytes.Equal(got, randomBytes(3000, 1)) {
		t.Fatal("a stored file reads back differently while the disk is full")
	}
	if _, err := s.as(user).Memos.ListMemos(ctxT(t), connect.NewRequest(&v1.ListMemosRequest{})); err != nil {
		t.Fatalf("ListMemos while the disk is full: %v", err)
	}
	eventually(t, 5*time.Second, "no staging files left", func() bool {
		stored, tmp := filesAndStaging(t, dataDir)
		return len(stored) == 1 && len(tmp) == 0
	})
	if botStatus(t, s, admin).State != v1.BotState_BOT_STATE_ERROR {
		t.Fatal("the bot left the ERROR state while the disk is still full")
	}

	// Space returns: the bot resumes by itself.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := tgBot.WaitConfirmed(ctx, last); err != nil {
		t.Fatalf("confirmed %d, want %d", tgBot.Confirmed(), last)
	}
	eventually(t, 5*time.Second, "BOT_STATE_RUNNING", func() bool {
		st := botStatus(t, s, admin)
		return st.State == v1.BotState_BOT_STATE_RUNNING && st.Error == ""
	})

	// Every update exactly once, in order, files byte for byte.
	memos := s.waitMemos(user, 5)
	want := []struct {
		content string
		files   [][]byte
	}{
		{"last photo", [][]byte{photo2}},
		{"text between", nil},
		{"the album", [][]byte{album1, album2}},
		{"first photo", [][]byte{photo1}},
		{"text before the photos", nil},
	}
	for i, w := range want {
		m := memos[i]
		if m.Content != w.content || len(m.Resources) != len(w.files) {
			t.Fatalf("memo %d = %q with %d files, want %q with %d", i, m.Content, len(m.Resources), w.content, len(w.files))
		}
		for j, r := range m.Resources {
			if got := s.fileBytes(user, r); !bytes.Equal(got, w.files[j]) {
				t.Fatalf("memo %q file %d: %d bytes differ from the %d sent", w.content, j, len(got), len(w.files[j]))
			}
		}
	}
	stored, tmp := filesAndStaging(t, dataDir)
	if len(stored) != 1+4 || len(tmp) != 0 {
		t.Fatalf("stored files %v, tmp %v; want 5 stored, none in tmp", stored, tmp)
	}

	// Writes work again.
	s.createResource(user, "after.bin", "application/octet-stream", randomBytes(1000, 7), "")
	t.Logf("the first photo was fetched %d times while the disk was full", len(attempts))
}
