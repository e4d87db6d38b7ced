package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	neturl "net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/memoria-app/memoria/store/internal/testdb"
)

// snapshotOf snapshots src into a new scratch file for RestoreSnapshot
// (which migrates its scratch copy, so each restore gets its own).
func snapshotOf(t *testing.T, src copySource) string {
	t.Helper()
	snap := filepath.Join(t.TempDir(), DatabaseFile)
	if err := Snapshot(context.Background(), src.dir, snap); err != nil {
		t.Fatal(err)
	}
	return snap
}

// copiedRows counts the rows of the copied tables in url's database.
func copiedRows(t *testing.T, url string) int64 {
	t.Helper()
	g := openRaw(t, "", url)
	tables, err := listTables(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, name := range tables {
		if !isCopied(name) {
			continue
		}
		var n int64
		if err := g.Raw("SELECT COUNT(*) FROM " + quoteIdent(name)).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		total += n
	}
	return total
}

// TestRestoreSnapshotRollsBack: whatever stops a restore midway — its
// context cancelled, its connection killed by the server, a file that
// cannot be read, a file missing from the backup or one that nothing
// refers to — it fails, the target holds no memoria rows, and the same
// restore then succeeds.
func TestRestoreSnapshotRollsBack(t *testing.T) {
	src := seedCopySource(t)
	failing := errors.New("the archive could not be read")
	cases := map[string]struct {
		hooks func(cancel context.CancelFunc) copyHooks
		files func() FileSource
		want  string
	}{
		"context cancelled after the memos": {
			hooks: func(cancel context.CancelFunc) copyHooks {
				return copyHooks{afterTable: func(_ context.Context, _ *gorm.DB, table string) error {
					if table == "memos" {
						cancel()
					}
					return nil
				}}
			},
			want: "context canceled",
		},
		"connection killed after the resources": {
			hooks: func(context.CancelFunc) copyHooks {
				return copyHooks{afterTable: func(ctx context.Context, dst *gorm.DB, table string) error {
					if table != "resources" {
						return nil
					}
					var pid int
					if err := dst.WithContext(ctx).Raw("SELECT pg_backend_pid()").Scan(&pid).Error; err != nil {
						return err
					}
					_, err := testdb.Admin(t).Exec("SELECT pg_terminate_backend($1)", pid)
					return err
				}}
			},
			want: "unavailable",
		},
		"a file that cannot be read": {
			files: func() FileSource {
				return func(ctx context.Context, fn func(string, io.Reader) error) error {
					for p, b := range src.disk {
						return fn(p, io.MultiReader(strings.NewReader(string(b[:10])), iotestErrReader{failing}))
					}
					return nil
				}
			},
			want: failing.Error(),
		},
		"a file missing from the backup": {
			files: func() FileSource {
				some := map[string][]byte{}
				for p, b := range src.disk {
					some[p] = b
					break
				}
				return fileSource(some)
			},
			want: "not in the backup",
		},
		"a file no resource refers to": {
			files: func() FileSource {
				more := map[string][]byte{"zz/stray.bin": []byte("stray")}
				for p, b := range src.disk {
					more[p] = b
				}
				return fileSource(more)
			},
			want: "no resource",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			url := testdb.PostgresURL(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			hooks := copyHooks{}
			if tc.hooks != nil {
				hooks = tc.hooks(cancel)
			}
			files := fileSource(src.disk)
			if tc.files != nil {
				files = tc.files()
			}
			_, err := restoreSnapshot(ctx, snapshotOf(t, src), url, files, hooks)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("restore = %v, want an error containing %q", err, tc.want)
			}
			if n := copiedRows(t, url); n != 0 {
				t.Fatalf("the failed restore left %d rows behind", n)
			}
			if _, err := RestoreSnapshot(context.Background(), snapshotOf(t, src), url, fileSource(src.disk)); err != nil {
				t.Fatalf("the restore after the failed one: %v", err)
			}
		})
	}
}

// iotestErrReader fails every read with err.
type iotestErrReader struct{ err error }

func (r iotestErrReader) Read([]byte) (int, error) { return 0, r.err }

// TestRestoreSnapshotRefuses: a target that holds memoria data, another
// application's tables or a newer schema is refused before anything is
// written; one that a memoria started on and left empty is accepted.
func TestRestoreSnapshotRefuses(t *testing.T) {
	ctx := context.Background()
	src := seedCopySource(t)

	t.Run("memoria data", func(t *testing.T) {
		url := testdb.PostgresURL(t)
		db, err := Open(ctx, "", Options{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		_, err = db.UpdateSystemSettings(ctx, func(s *SystemSettings) error { s.AllowSignUp = true; return nil })
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		before := copiedRows(t, url)
		_, err = RestoreSnapshot(ctx, snapshotOf(t, src), url, fileSource(src.disk))
		if !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "system_settings") {
			t.Fatalf("restore into a used database = %v, want ErrNotEmpty naming system_settings", err)
		}
		if n := copiedRows(t, url); n != before {
			t.Errorf("the target holds %d rows, want its %d", n, before)
		}
	})
	t.Run("another application's tables", func(t *testing.T) {
		url := testdb.PostgresURL(t)
		g := openRaw(t, "", url)
		if err := g.Exec("CREATE TABLE orders (id BIGINT)").Error; err != nil {
			t.Fatal(err)
		}
		_, err := RestoreSnapshot(ctx, snapshotOf(t, src), url, fileSource(src.disk))
		if err == nil || !strings.Contains(err.Error(), "orders") {
			t.Fatalf("restore beside another application's table = %v, want an error naming it", err)
		}
		if tables, _ := listTables(ctx, g); len(tables) != 1 {
			t.Errorf("the target now has tables %v; want only orders (nothing migrated)", tables)
		}
	})
	t.Run("a newer schema", func(t *testing.T) {
		url := testdb.PostgresURL(t)
		db, err := Open(ctx, "", Options{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		g := openRaw(t, "", url)
		if err := g.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 0)", LatestSchemaVersion()+1).Error; err != nil {
			t.Fatal(err)
		}
		_, err = RestoreSnapshot(ctx, snapshotOf(t, src), url, fileSource(src.disk))
		if err == nil || !strings.Contains(err.Error(), "newer than this memoria's") {
			t.Fatalf("restore into a newer schema = %v", err)
		}
	})
	t.Run("a schema that does not exist", func(t *testing.T) {
		u, err := neturl.Parse(testdb.PostgresURL(t))
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", "no_such_schema")
		u.RawQuery = q.Encode()
		_, err = RestoreSnapshot(ctx, snapshotOf(t, src), u.String(), fileSource(src.disk))
		if err == nil || !strings.Contains(err.Error(), "CREATE SCHEMA") {
			t.Fatalf("restore into a missing schema = %v, want an error saying to create it", err)
		}
	})
	t.Run("an empty memoria database", func(t *testing.T) {
		url := testdb.PostgresURL(t)
		db, err := Open(ctx, "", Options{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		if _, err := RestoreSnapshot(ctx, snapshotOf(t, src), url, fileSource(src.disk)); err != nil {
			t.Fatalf("restore into a migrated, empty database: %v", err)
		}
	})
}

// TestRestoreSnapshotConcurrently: two restores into the same target at
// once — one waits for the other's lock — end with one restored copy and
// the other refused as not empty.
func TestRestoreSnapshotConcurrently(t *testing.T) {
	src := seedCopySource(t)
	url := testdb.PostgresURL(t)
	snaps := []string{snapshotOf(t, src), snapshotOf(t, src)}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hooks := copyHooks{afterTable: func(context.Context, *gorm.DB, string) error {
				time.Sleep(20 * time.Millisecond) // long enough for the other to reach its lock
				return nil
			}}
			_, errs[i] = restoreSnapshot(context.Background(), snaps[i], url, fileSource(src.disk), hooks)
		}()
	}
	wg.Wait()
	ok, refused := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrNotEmpty):
			refused++
		default:
			t.Errorf("restore: %v", err)
		}
	}
	if ok != 1 || refused != 1 {
		t.Fatalf("%d restores succeeded and %d were refused (%v); want one of each", ok, refused, errs)
	}
	lite := openRaw(t, filepath.Join(src.dir, DatabaseFile), "")
	pg := openRaw(t, "", url)
	if got, want := len(tableRows(t, pg, "memos")), len(tableRows(t, lite, "memos")); got != want {
		t.Errorf("the target holds %d memos, want the one copy's %d", got, want)
	}
}

// TestSnapshotPostgresRefuses: a database that is not memoria's, of
// another schema version, or with tables a copy would miss, is not
// snapshotted, and an existing destination is not overwritten.
func TestSnapshotPostgresRefuses(t *testing.T) {
	ctx := context.Background()
	migrated := func(t *testing.T) (string, *gorm.DB) {
		url := testdb.PostgresURL(t)
		db, err := Open(ctx, "", Options{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		return url, openRaw(t, "", url)
	}
	cases := map[string]struct {
		prepare func(t *testing.T) string
		want    string
	}{
		"no memoria database": {func(t *testing.T) string { return testdb.PostgresURL(t) }, "no memoria database"},
		"a newer schema": {func(t *testing.T) string {
			url, g := migrated(t)
			g.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 0)", LatestSchemaVersion()+1)
			return url
		}, "newer than this memoria's"},
		"an older schema": {func(t *testing.T) string {
			url, g := migrated(t)
			g.Exec("DELETE FROM schema_migrations WHERE version = ?", LatestSchemaVersion())
			return url
		}, "older than this memoria's"},
		"an unknown table": {func(t *testing.T) string {
			url, g := migrated(t)
			g.Exec("CREATE TABLE future_things (id BIGINT)")
			return url
		}, "future_things"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "snap.db")
			err := SnapshotPostgres(ctx, tc.prepare(t), dest)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("SnapshotPostgres = %v, want an error containing %q", err, tc.want)
			}
			if entries, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), "*")); len(entries) != 0 {
				t.Errorf("left behind: %v", entries)
			}
		})
	}
	t.Run("an existing destination", func(t *testing.T) {
		url, _ := migrated(t)
		dest := filepath.Join(t.TempDir(), "snap.db")
		if err := SnapshotPostgres(ctx, url, dest); err != nil {
			t.Fatal(err)
		}
		if err := SnapshotPostgres(ctx, url, dest); err == nil || !strings.Contains(err.Error(), "exists") {
			t.Fatalf("a second snapshot to the same file = %v, want a refusal", err)
		}
	})
}

// TestSnapshotPostgresIsConsistent: a snapshot taken while another
// connection keeps writing holds a prefix of the writes — every memo up
// to some point with all its tags, nothing after — as of one moment.
func TestSnapshotPostgresIsConsistent(t *testing.T) {
	ctx := context.Background()
	url := testdb.PostgresURL(t)
	db, err := Open(ctx, "", Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u := User{Username: "w", PasswordHash: "x", Role: RoleAdmin}
	if err := db.CreateUser(ctx, &u, nil); err != nil {
		t.Fatal(err)
	}
	stop, done := make(chan struct{}), make(chan int)
	go func() {
		n := 0
		defer func() { done <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			m := Memo{CreatorID: u.ID, Content: fmt.Sprintf("m%d #a #b", n), Tags: []string{"a", "b"}, Visibility: VisibilityPrivate, Source: SourceAPI}
			if err := db.CreateMemo(ctx, &m, nil); err != nil {
				t.Error(err)
				return
			}
			n++
		}
	}()
	time.Sleep(100 * time.Millisecond)
	dest := filepath.Join(t.TempDir(), DatabaseFile)
	err = SnapshotPostgres(ctx, url, dest)
	close(stop)
	written := <-done
	if err != nil {
		t.Fatal(err)
	}
	snap := openRaw(t, dest, "")
	var memos, tags, maxID int64
	snap.Raw("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM memos").Row().Scan(&memos, &maxID)
	snap.Raw("SELECT COUNT(*) FROM memo_tags").Scan(&tags)
	if memos == 0 || memos != maxID || tags != 2*memos {
		t.Fatalf("the snapshot holds %d memos (largest id %d) and %d tags; want a prefix, each memo with its 2 tags", memos, maxID, tags)
	}
	t.Logf("snapshot during writes: %d of %d memos", memos, written)
	sdb, err := Open(ctx, filepath.Dir(dest), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	if err := sdb.CheckSearchIndex(ctx); err != nil {
		t.Error(err)
	}
}
