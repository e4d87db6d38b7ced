package bot

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/memoria-app/memoria/bot/telegramtest"
	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/store/storetest"
	"github.com/memoria-app/memoria/tgtoken"
)

// fullDisk is the real rules, except that writing a staged file fails as
// on a full disk after reading part of it.
type fullDisk struct{ *rules.Rules }

func (f fullDisk) StageFile(ctx context.Context, in rules.ResourceInput) (rules.StagedFile, error) {
	io.CopyN(io.Discard, in.Content, 100)
	return rules.StagedFile{}, &os.PathError{Op: "write", Path: "upload", Err: syscall.ENOSPC}
}

// countFiles counts the files under <dir>/files, staging ones included.
func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(filepath.Join(dir, "files"), func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// TestFetch: downloads stream into staging files — on disk or in the
// database — and are checked against the upload limit before and while
// downloading; short bodies are retried (never stored cut short); a file
// this server cannot store is not retried here.
func TestFetch(t *testing.T) {
	for kind, inDB := range map[string]bool{"disk": false, "database": true} {
		t.Run(kind, func(t *testing.T) { testFetch(t, inDB) })
	}
}

func testFetch(t *testing.T, inDB bool) {
	const limit = 1000
	tests := map[string]struct {
		size      int   // bytes the fake holds
		announced int64 // the size in the message (0: unknown)
		// front changes the download answer: "short once" sends half the
		// body then cuts the connection the first time, "longer" sends
		// 2,000 bytes without a Content-Length.
		front     string
		full      bool // the disk is full
		getFiles  int
		downloads int
		staged    int64  // size of the staged file (0: none)
		permanent string // reason, for a refusal
		diskFull  bool
	}{
		"whole file":                       {size: 600, announced: 600, getFiles: 1, downloads: 1, staged: 600},
		"short body is fetched again":      {size: 600, announced: 600, front: "short once", getFiles: 2, downloads: 2, staged: 600},
		"announced size over the limit":    {size: 1500, announced: 1500, permanent: "too large"},
		"getFile's size over the limit":    {size: 1500, getFiles: 1, permanent: "too large"},
		"body longer than the limit":       {size: 500, front: "longer", getFiles: 1, downloads: 1, permanent: "too large"},
		"disk full: left to the batch":     {size: 600, announced: 600, full: true, getFiles: 1, downloads: 1, diskFull: true},
		"file of exactly the upload limit": {size: limit, announced: limit, getFiles: 1, downloads: 1, staged: limit},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			db, err := store.Open(ctx, dir, store.Options{URL: storetest.URL(t)})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			rl, err := rules.NewRules(db, dir, rules.Config{BcryptCost: 4, MaxUploadBytes: limit, FilesInDB: inDB})
			if err != nil {
				t.Fatal(err)
			}
			tg := telegramtest.New()
			defer tg.Close()
			const token = "9100000002:fetch"
			tgBot := tg.AddBot(token, "fetch_bot")
			data := []byte(strings.Repeat("d", tc.size))
			id := tgBot.AddFile(data, "f.bin")
			var getFiles, downloads atomic.Int32
			front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case strings.HasSuffix(r.URL.Path, "/getFile"):
					getFiles.Add(1)
				case strings.Contains(r.URL.Path, "/file/bot"):
					n := downloads.Add(1)
					switch {
					case tc.front == "short once" && n == 1:
						w.Header().Set("Content-Length", strconv.Itoa(len(data)))
						w.WriteHeader(http.StatusOK)
						w.Write(data[:len(data)/2])
						w.(http.Flusher).Flush()
						panic(http.ErrAbortHandler)
					case tc.front == "longer":
						w.WriteHeader(http.StatusOK)
						for range 20 {
							w.Write([]byte(strings.Repeat("x", 100)))
							w.(http.Flusher).Flush()
						}
						return
					}
				}
				tg.Handler().ServeHTTP(w, r)
			}))
			defer front.Close()
			ep, err := tgtoken.Parse(front.URL + "/bot" + token)
			if err != nil {
				t.Fatal(err)
			}
			var r Rules = rl
			if tc.full {
				r = fullDisk{rl}
			}
			sup := New(r, db, db, Options{TransientBackoff: [2]time.Duration{time.Millisecond, 5 * time.Millisecond}})
			p := newPoller(sup, ep)

			staged, err := p.fetch(ctx, fileRef{id: id, uniqueID: "u", name: "f.bin", mime: "application/octet-stream", size: tc.announced})
			var pe *permanentError
			var se *stageError
			switch {
			case tc.permanent != "":
				if !errors.As(err, &pe) || !strings.Contains(pe.reason, tc.permanent) {
					t.Fatalf("err = %v, want a refusal saying %q", err, tc.permanent)
				}
			case tc.diskFull:
				if !errors.As(err, &se) || !rules.IsDiskFull(err) {
					t.Fatalf("err = %v, want a stage error for a full disk", err)
				}
			case err != nil:
				t.Fatal(err)
			case staged.Size() != tc.staged:
				t.Fatalf("staged %d bytes, want %d", staged.Size(), tc.staged)
			}
			if g, d := int(getFiles.Load()), int(downloads.Load()); g != tc.getFiles || d != tc.downloads {
				t.Fatalf("%d getFile calls and %d downloads, want %d and %d", g, d, tc.getFiles, tc.downloads)
			}
			want := 0
			if tc.staged > 0 {
				want = 1
			}
			if n := countFiles(t, dir); !inDB && n != want || inDB && n != 0 {
				t.Fatalf("%d files on disk, want %d (no partial ones)", n, want)
			}
			// A staged file is referenced by no resource yet: the sweep
			// finds it, in either store.
			if n, err := rl.SweepOrphanFiles(ctx, 0); err != nil || n != want {
				t.Fatalf("%d files stored (%v), want %d (no partial ones)", n, err, want)
			}
		})
	}
}
