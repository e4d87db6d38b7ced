package backup_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/memoria-app/memoria/backup"
	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
)

// instance is an open store with its rules over a temporary data dir.
type instance struct {
	dir    string
	db     *store.DB
	rules  *rules.Rules
	closed bool
}

// close closes the store once.
func (in *instance) close() {
	if !in.closed {
		in.closed = true
		in.db.Close()
	}
}

// fileStores are the ways an instance keeps its files, for tests that
// run on each: on disk, in the database, or both (the instance switched
// from disk to the database halfway through).
var fileStores = []string{"disk", "database", "both"}

func open(t *testing.T, dir string) *instance { return openWith(t, dir, false) }

// openWith opens the instance in dir, keeping new files in the database
// when inDB is set.
func openWith(t *testing.T, dir string, inDB bool) *instance {
	t.Helper()
	db, err := store.Open(context.Background(), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rl, err := rules.NewRules(db, dir, rules.Config{BcryptCost: bcrypt.MinCost, FilesInDB: inDB})
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{dir: dir, db: db, rules: rl}
	t.Cleanup(in.close)
	return in
}

// seedStored opens an instance in a new directory and seeds it with memos
// whose files are kept as kind (one of fileStores) says; it returns the
// open instance and the user's acting context.
func seedStored(t *testing.T, kind string, memos int) (*instance, context.Context) {
	t.Helper()
	dir := t.TempDir()
	in := openWith(t, dir, kind == "database")
	if kind != "both" {
		return in, seed(t, in, memos)
	}
	actx := seed(t, in, memos/2)
	in.close()
	in = openWith(t, dir, true)
	for i := memos / 2; i < memos; i++ {
		addMemo(t, in, actx, i)
	}
	return in, actx
}

// seed creates a user with memos, some with files, and settings; it
// returns the user's acting context.
func seed(t *testing.T, in *instance, memos int) context.Context {
	t.Helper()
	ctx := context.Background()
	u, _, err := in.rules.SignUp(ctx, "alice", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	actx := rules.WithActor(ctx, &rules.Actor{User: u, Source: store.SourceAPI})
	url := "https://memo.example.com"
	if _, err := in.rules.UpdateSystemSettings(actx, rules.SystemPatch{InstanceURL: &url}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < memos; i++ {
		addMemo(t, in, actx, i)
	}
	return actx
}

func addMemo(t *testing.T, in *instance, actx context.Context, i int) {
	t.Helper()
	var ids []int64
	for j := 0; j < i%3; j++ {
		res, err := in.rules.CreateResource(actx, rules.ResourceInput{
			Filename: fmt.Sprintf("f%d-%d.bin", i, j), Type: "application/octet-stream",
			Content: bytes.NewReader(bytes.Repeat([]byte{byte(i), byte(j)}, 100+i)),
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.ID)
	}
	if _, err := in.rules.CreateMemo(actx, rules.MemoInput{Content: fmt.Sprintf("memo %d #t%d", i, i%5), ResourceIDs: ids}); err != nil {
		t.Fatal(err)
	}
}

// dump is everything an instance serves, with the files' bytes.
type dump struct {
	Memos     []store.Memo
	Resources []store.Resource // attached or not
	Files     map[string][]byte
	Settings  store.SystemSettings
	Users     []store.User
}

func dumpOf(t *testing.T, in *instance) dump {
	t.Helper()
	ctx := context.Background()
	d := dump{Files: map[string][]byte{}}
	var err error
	if d.Memos, err = in.db.ListMemos(ctx, store.MemoQuery{Limit: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	if d.Resources, err = in.db.ListResources(ctx, store.ResourceQuery{Limit: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	if d.Settings, err = in.db.GetSystemSettings(ctx); err != nil {
		t.Fatal(err)
	}
	if d.Users, err = in.db.ListUsers(ctx, 0, 1000); err != nil {
		t.Fatal(err)
	}
	// The bytes as the instance serves them, from whichever store holds
	// them.
	for _, r := range d.Resources {
		i := slices.IndexFunc(d.Users, func(u store.User) bool { return u.ID == r.CreatorID })
		if i < 0 {
			t.Fatalf("resources/%d has no creator", r.ID)
		}
		_, f, err := in.rules.OpenResource(rules.WithActor(ctx, &rules.Actor{User: d.Users[i], Source: store.SourceAPI}), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		d.Files[r.StoragePath] = b
	}
	return d
}

// TestBackupRestoreWhileWriting takes a backup while another goroutine
// keeps writing memos and files, restores it into an empty directory and
// checks that the restored instance holds exactly a prefix of the writes:
// every memo up to some point, each with all its files, and nothing after
// — with files on disk, in the database, or both.
func TestBackupRestoreWhileWriting(t *testing.T) {
	for _, kind := range fileStores {
		t.Run(kind, func(t *testing.T) { testBackupRestoreWhileWriting(t, kind) })
	}
}

func testBackupRestoreWhileWriting(t *testing.T, kind string) {
	src, actx := seedStored(t, kind, 30)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 30; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			addMemo(t, src, actx, i)
		}
	}()
	archive := filepath.Join(t.TempDir(), "memoria.backup")
	sum, err := backup.Create(context.Background(), backup.Instance{DataDir: src.dir}, archive)
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "restored")
	rsum, err := backup.Restore(context.Background(), archive, backup.Instance{DataDir: target})
	if err != nil {
		t.Fatal(err)
	}
	if rsum.Files != sum.Files || rsum.SchemaVersion != store.LatestSchemaVersion() {
		t.Errorf("restore summary %+v, backup summary %+v", rsum, sum)
	}
	got := dumpOf(t, open(t, target))
	all := dumpOf(t, src)
	if len(got.Memos) < 30 {
		t.Fatalf("restored %d memos, want at least the 30 written before the backup", len(got.Memos))
	}
	// ListMemos is newest first: the restored memos are the oldest of all.
	want := all.Memos[len(all.Memos)-len(got.Memos):]
	if !reflect.DeepEqual(got.Memos, want) {
		t.Errorf("restored memos differ from the source's first %d", len(got.Memos))
	}
	for p, b := range got.Files {
		if !bytes.Equal(b, all.Files[p]) {
			t.Errorf("file %s differs", p)
		}
	}
	if sum.Files != len(got.Resources) || len(got.Files) != len(got.Resources) {
		t.Errorf("archive holds %d files, the restored database has %d resources", sum.Files, len(got.Resources))
	}
	if !reflect.DeepEqual(got.Settings, all.Settings) || !reflect.DeepEqual(got.Users, all.Users) {
		t.Errorf("settings or users differ:\n got %+v %+v\nwant %+v %+v", got.Settings, got.Users, all.Settings, all.Users)
	}
	t.Logf("backup during writes: %d of %d memos, %d files", len(got.Memos), len(all.Memos), len(got.Files))
}

// TestBackupOfStoppedInstance: a closed store backs up and restores to an
// identical instance, files on disk, in the database or both.
func TestBackupOfStoppedInstance(t *testing.T) {
	for _, kind := range fileStores {
		t.Run(kind, func(t *testing.T) {
			src, _ := seedStored(t, kind, 12)
			want := dumpOf(t, src)
			src.close()
			inDB := 0
			for _, r := range want.Resources {
				if _, ok := store.ParseBlobRef(r.StoragePath); ok {
					inDB++
				}
			}
			if wantDB := map[string]bool{"disk": inDB == 0, "database": inDB == len(want.Resources), "both": inDB > 0 && inDB < len(want.Resources)}; !wantDB[kind] {
				t.Fatalf("%d of the %d files are in the database; not what %q means", inDB, len(want.Resources), kind)
			}
			archive := filepath.Join(t.TempDir(), "b.tar")
			sum, err := backup.Create(context.Background(), backup.Instance{DataDir: src.dir}, archive)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Files != len(want.Resources) {
				t.Errorf("the archive holds %d files, the instance %d", sum.Files, len(want.Resources))
			}
			target := t.TempDir() // exists, empty
			if _, err := backup.Restore(context.Background(), archive, backup.Instance{DataDir: target}); err != nil {
				t.Fatal(err)
			}
			got := dumpOf(t, open(t, target))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("restored instance differs")
			}
			if _, err := os.Stat(filepath.Join(target, ".restore-tmp")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("staging directory left behind: %v", err)
			}
		})
	}
}

// rewrite copies the archive's entries through edit (which may change
// names, bodies or drop entries by returning ok=false).
func rewrite(t *testing.T, src, dst string, edit func(h *tar.Header, body []byte) ([]byte, bool)) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	tr, tw := tar.NewReader(f), tar.NewWriter(&buf)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		body, ok := edit(h, body)
		if !ok {
			continue
		}
		h.Size = int64(len(body))
		tw.WriteHeader(h)
		tw.Write(body)
	}
	tw.Close()
	if err := os.WriteFile(dst, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRestoreRefuses: every damaged archive and a non-empty target are
// refused before anything is written.
func TestRestoreRefuses(t *testing.T) {
	src := open(t, t.TempDir())
	seed(t, src, 6)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.tar")
	if _, err := backup.Create(context.Background(), backup.Instance{DataDir: src.dir}, good); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	writeBytes := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	edited := func(name string, edit func(h *tar.Header, body []byte) ([]byte, bool)) string {
		p := filepath.Join(dir, name)
		rewrite(t, good, p, edit)
		return p
	}
	isFile := func(h *tar.Header) bool { return strings.HasPrefix(h.Name, "files/") }
	flipped := false
	cases := map[string]struct {
		archive string
		target  func() string
		want    string
	}{
		"truncated in the middle": {writeBytes("half.tar", raw[:len(raw)/2]), nil, "damaged or incomplete"},
		"truncated before the manifest": {edited("nomanifest.tar", func(h *tar.Header, b []byte) ([]byte, bool) {
			return b, h.Name != "manifest.json"
		}), nil, "no manifest"},
		"a file's byte flipped": {edited("flipped.tar", func(h *tar.Header, b []byte) ([]byte, bool) {
			if isFile(h) && !flipped {
				flipped = true
				b[len(b)/2] ^= 0xff
			}
			return b, true
		}), nil, "SHA-256"},
		"the database's byte flipped": {edited("dbflip.tar", func(h *tar.Header, b []byte) ([]byte, bool) {
			if h.Name == "memoria.db" {
				b[len(b)-10] ^= 0x01
			}
			return b, true
		}), nil, `"memoria.db" has SHA-256`},
		"a file missing": {edited("missing.tar", func(h *tar.Header, b []byte) ([]byte, bool) {
			return b, !isFile(h)
		}), nil, "in the manifest but not in the archive"},
		"an entry outside the data dir": {edited("escape.tar", func(h *tar.Header, b []byte) ([]byte, bool) {
			if isFile(h) {
				h.Name = "files/../../etc/x"
			}
			return b, true
		}), nil, "unexpected entry"},
		"a newer schema": {edited("newer.tar", func(h *tar.Header, b []byte) ([]byte, bool) {
			if h.Name == "manifest.json" {
				b = bytes.Replace(b, []byte(fmt.Sprintf(`"schemaVersion": %d`, store.LatestSchemaVersion())), []byte(`"schemaVersion": 9999`), 1)
			}
			return b, true
		}), nil, "newer than this memoria's"},
		"not a backup": {writeBytes("junk.tar", []byte("hello, I am not a tar file at all, sorry")), nil, "damaged or incomplete"},
		"a non-empty target": {good, func() string {
			d := t.TempDir()
			os.WriteFile(filepath.Join(d, "notes.txt"), []byte("keep me"), 0o600)
			return d
		}, "not empty"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			target := filepath.Join(t.TempDir(), "target")
			if tc.target != nil {
				target = tc.target()
			}
			before, _ := os.ReadDir(target)
			_, err := backup.Restore(context.Background(), tc.archive, backup.Instance{DataDir: target})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Restore = %v, want an error containing %q", err, tc.want)
			}
			after, _ := os.ReadDir(target)
			if len(after) != len(before) {
				t.Errorf("the target changed: %d entries before, %d after", len(before), len(after))
			}
		})
	}
	// The good archive itself restores.
	if _, err := backup.Restore(context.Background(), good, backup.Instance{DataDir: filepath.Join(t.TempDir(), "ok")}); err != nil {
		t.Fatalf("the untouched archive: %v", err)
	}
}

// TestBackupRetriesWhenAFileIsDeleted: a memo deleted (with its files)
// after the snapshot was taken makes Create take a fresh snapshot, so the
// archive never refers to a file it lacks.
func TestBackupRetriesWhenAFileIsDeleted(t *testing.T) {
	src := open(t, t.TempDir())
	actx := seed(t, src, 6)
	victim, err := src.db.ListMemos(context.Background(), store.MemoQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	for _, m := range victim {
		if len(m.Resources) > 0 {
			id = m.ID
			break
		}
	}
	calls := 0
	backup.SetAfterSnapshot(func() {
		calls++
		if calls == 1 {
			if err := src.rules.DeleteMemo(actx, id); err != nil {
				t.Error(err)
			}
		}
	})
	defer backup.SetAfterSnapshot(nil)
	archive := filepath.Join(t.TempDir(), "b.tar")
	sum, err := backup.Create(context.Background(), backup.Instance{DataDir: src.dir}, archive)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Attempts != 2 {
		t.Errorf("attempts = %d, want 2 (the first snapshot refers to a deleted file)", sum.Attempts)
	}
	target := filepath.Join(t.TempDir(), "r")
	if _, err := backup.Restore(context.Background(), archive, backup.Instance{DataDir: target}); err != nil {
		t.Fatal(err)
	}
	src.close()
	if got, want := dumpOf(t, open(t, target)), dumpOf(t, open(t, src.dir)); !reflect.DeepEqual(got, want) {
		t.Error("restored instance differs from the source after the deletion")
	}
}
