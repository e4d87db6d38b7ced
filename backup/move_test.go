package backup_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/memoria-app/memoria/backup"
	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/store/storetest"
)

// Moving an instance between databases: a backup of either restores into
// either, and the instance it gives is the same one.

// Passwords of the seeded users.
const (
	alicePassword = "correct horse battery"
	bobPassword   = "bob's own long password"
)

// openPG opens an instance on the PostgreSQL database url (files in the
// database, as there by default), with dir as its data directory.
func openPG(t *testing.T, dir, url string) *instance {
	t.Helper()
	db, err := store.Open(context.Background(), dir, store.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	rl, err := rules.NewRules(db, dir, rules.Config{BcryptCost: bcrypt.MinCost, FilesInDB: true})
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{dir: dir, db: db, rules: rl}
	t.Cleanup(in.close)
	return in
}

// rich is what seedRich made: its users' acting contexts, a personal
// access token, and the largest memo id handed out.
type rich struct {
	alice, bob, aliceTG context.Context
	token               string
	lastMemo            int64
}

// seedRich fills a SQLite instance in a new directory with two users
// (passwords, a personal token, user settings, a Telegram link), memos of
// every visibility and source, pinned and tagged, some with files on disk
// and some with files in the database, system settings, a Telegram
// cursor, an ingested update and a deleted memo; it returns the instance,
// open.
func seedRich(t *testing.T) (*instance, rich) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	in := openWith(t, dir, false)
	var r rich
	alice, _, err := in.rules.SignUp(ctx, "alice", alicePassword)
	if err != nil {
		t.Fatal(err)
	}
	r.alice = rules.WithActor(ctx, &rules.Actor{User: alice, Source: store.SourceWeb})
	r.aliceTG = rules.WithActor(ctx, &rules.Actor{User: alice, Source: store.SourceTelegram})
	bob, err := in.rules.CreateUser(r.alice, rules.NewUser{Username: "bob", DisplayName: "Bob B.", Password: bobPassword, Role: store.RoleUser})
	if err != nil {
		t.Fatal(err)
	}
	r.bob = rules.WithActor(ctx, &rules.Actor{User: bob, Source: store.SourceAPI})
	url, yes := "https://memo.example.com", true
	if _, err := in.rules.UpdateSystemSettings(r.alice, rules.SystemPatch{InstanceURL: &url, AllowSignUp: &yes}); err != nil {
		t.Fatal(err)
	}
	if _, r.token, err = in.rules.CreateAccessToken(r.alice, "cli", time.Now().Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	tgID, vis, tz, tag := int64(4242), store.VisibilityProtected, "Europe/Berlin", "inbox"
	if _, err := in.rules.UpdateUserSettings(r.alice, rules.UserSettingsPatch{TelegramUserID: &tgID, DefaultVisibility: &vis, Timezone: &tz, TelegramTag: &tag, TelegramNotifications: &yes}); err != nil {
		t.Fatal(err)
	}
	if err := in.db.SetCursor(ctx, "telegram:6000000001", 1234); err != nil {
		t.Fatal(err)
	}
	memo := func(actx context.Context, content string, v store.Visibility, pinned bool, files int) store.Memo {
		t.Helper()
		var ids []int64
		for j := 0; j < files; j++ {
			res, err := in.rules.CreateResource(actx, rules.ResourceInput{
				Filename: fmt.Sprintf("f%d.bin", j), Type: "application/octet-stream",
				Content: bytes.NewReader(bytes.Repeat([]byte(content[:3]), 500+j)),
			})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, res.ID)
		}
		m, err := in.rules.CreateMemo(actx, rules.MemoInput{Content: content, Visibility: v, Pinned: pinned, ResourceIDs: ids})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	memo(r.alice, "public #go notes, pinned", store.VisibilityPublic, true, 2)
	memo(r.alice, "protected 你好世界 #日本", store.VisibilityProtected, false, 1)
	memo(r.bob, "bob's private #go api memo", store.VisibilityPrivate, false, 1)
	memo(r.aliceTG, "sent from telegram #inbox", "", false, 0)
	if out := in.rules.IngestBatch(ctx, []rules.IngestItem{{Actor: rules.ActorFrom(r.aliceTG), Input: rules.IngestInput{Key: "tg:6000000001:77", Content: "ingested update"}}}); out[0].Err != nil {
		t.Fatal(out[0].Err)
	}
	// Later files go into the database (the instance switched stores).
	in.close()
	in = openWith(t, dir, true)
	memo(r.alice, "files in the database #db", store.VisibilityPrivate, false, 2)
	memo(r.bob, "bob's protected memo with one #db file", store.VisibilityProtected, true, 1)
	gone := memo(r.bob, "deleted soon", store.VisibilityPrivate, false, 0)
	if err := in.rules.DeleteMemo(r.bob, gone.ID); err != nil {
		t.Fatal(err)
	}
	r.lastMemo = gone.ID
	return in, r
}

// movedDump is everything an instance serves, compared across databases:
// the files by resource (their storage paths differ once moved into the
// database, so those are blanked), each user's settings, tokens and tags,
// and what searches find.
type movedDump struct {
	dump
	ByResource   map[int64][]byte
	UserSettings map[int64]store.UserSettings
	Tokens       map[int64][]store.Token
	Tags         map[int64][]store.TagCount
	Searches     map[string][]int64
	Cursor       int64
	Ingested     bool
}

func movedDumpOf(t *testing.T, in *instance) movedDump {
	t.Helper()
	ctx := context.Background()
	d := movedDump{dump: dumpOf(t, in), ByResource: map[int64][]byte{}, UserSettings: map[int64]store.UserSettings{},
		Tokens: map[int64][]store.Token{}, Tags: map[int64][]store.TagCount{}, Searches: map[string][]int64{}}
	for _, r := range d.Resources {
		d.ByResource[r.ID] = d.Files[r.StoragePath]
	}
	d.Files = nil
	for i := range d.Resources {
		d.Resources[i].StoragePath = ""
	}
	for i := range d.Memos {
		for j := range d.Memos[i].Resources {
			d.Memos[i].Resources[j].StoragePath = ""
		}
	}
	for _, u := range d.Users {
		var err error
		if d.UserSettings[u.ID], err = in.db.GetUserSettings(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		for _, kind := range []store.TokenKind{store.TokenPersonal, store.TokenSession} {
			toks, err := in.db.ListTokens(ctx, u.ID, kind)
			if err != nil {
				t.Fatal(err)
			}
			d.Tokens[u.ID] = append(d.Tokens[u.ID], toks...)
		}
		if d.Tags[u.ID], err = in.db.ListTagCounts(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{"go", "世界", "telegram", "memo", "db"} {
		hits, err := in.db.SearchMemos(ctx, store.MemoQuery{Limit: 100}, store.SearchQuery{Terms: []store.SearchTerm{{Text: q}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			d.Searches[q] = append(d.Searches[q], h.Memo.ID)
		}
	}
	var err error
	if d.Cursor, err = in.db.GetCursor(ctx, "telegram:6000000001"); err != nil {
		t.Fatal(err)
	}
	if d.Ingested, err = in.db.HasIngested(ctx, "tg:6000000001:77"); err != nil {
		t.Fatal(err)
	}
	return d
}

// checkSame fails the test where got differs from want, by part.
func checkSame(t *testing.T, what string, got, want movedDump) {
	t.Helper()
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := 0; i < gv.NumField(); i++ {
		name := gv.Type().Field(i).Name
		if name == "dump" {
			for j := 0; j < gv.Field(i).NumField(); j++ {
				if g, w := gv.Field(i).Field(j).Interface(), wv.Field(i).Field(j).Interface(); !reflect.DeepEqual(g, w) {
					t.Errorf("%s: %s differ:\n got %+v\nwant %+v", what, gv.Field(i).Type().Field(j).Name, g, w)
				}
			}
			continue
		}
		if g, w := gv.Field(i).Interface(), wv.Field(i).Interface(); !reflect.DeepEqual(g, w) {
			t.Errorf("%s: %s differ:\n got %+v\nwant %+v", what, name, g, w)
		}
	}
}

// checkWorks checks what only a working instance shows: the passwords
// and the token still sign in, and a new memo gets the next id never
// handed out.
func checkWorks(t *testing.T, what string, in *instance, r rich) {
	t.Helper()
	ctx := context.Background()
	for user, pw := range map[string]string{"alice": alicePassword, "bob": bobPassword} {
		if _, _, err := in.rules.SignIn(ctx, user, pw); err != nil {
			t.Errorf("%s: %s cannot sign in: %v", what, user, err)
		}
	}
	if _, _, err := in.rules.SignIn(ctx, "alice", "wrong password"); err == nil {
		t.Errorf("%s: a wrong password signs in", what)
	}
	a, err := in.rules.Authenticate(ctx, r.token, store.SourceAPI)
	if err != nil || a.User.Username != "alice" {
		t.Errorf("%s: the personal token: %v, %v", what, a, err)
	}
	m, err := in.rules.CreateMemo(r.bob, rules.MemoInput{Content: "after the move"})
	if err != nil {
		t.Fatal(err)
	}
	if m.ID <= r.lastMemo {
		t.Errorf("%s: a new memo got id %d, not past %d (the largest ever handed out)", what, m.ID, r.lastMemo)
	}
	if err := in.rules.DeleteMemo(r.bob, m.ID); err != nil {
		t.Fatal(err)
	}
	if err := in.db.CheckSearchIndex(ctx); err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

// TestMoveBetweenDatabases: SQLite → backup → PostgreSQL gives the same
// instance, its files now all in the database; PostgreSQL (still
// running) → backup → SQLite and → another PostgreSQL schema give it
// again. A restore into the used PostgreSQL database is refused and
// changes nothing.
func TestMoveBetweenDatabases(t *testing.T) {
	ctx := context.Background()
	lite, r := seedRich(t)
	want := movedDumpOf(t, lite)
	if len(want.Resources) != 7 {
		t.Fatalf("seeded %d resources, want 7", len(want.Resources))
	}
	archive := filepath.Join(t.TempDir(), "from-sqlite.tar")
	if _, err := backup.Create(ctx, backup.Instance{DataDir: lite.dir}, archive); err != nil {
		t.Fatal(err)
	}

	url := storetest.PostgresURL(t)
	pgDir := t.TempDir()
	sum, err := backup.Restore(ctx, archive, backup.Instance{DataDir: pgDir, DB: url})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Files != len(want.Resources) || sum.SchemaVersion != store.LatestSchemaVersion() {
		t.Errorf("restore summary %+v", sum)
	}
	if left, _ := os.ReadDir(pgDir); len(left) != 0 {
		t.Errorf("the restore left %v in --data", left)
	}
	pg := openPG(t, pgDir, url)
	checkSame(t, "SQLite → PostgreSQL", movedDumpOf(t, pg), want)
	res, err := pg.db.ListResources(ctx, store.ResourceQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, rs := range res {
		if _, ok := store.ParseBlobRef(rs.StoragePath); !ok {
			t.Errorf("resources/%d is at %q on PostgreSQL, not in the database", rs.ID, rs.StoragePath)
		}
	}
	checkWorks(t, "SQLite → PostgreSQL", pg, r)

	// Back, with the PostgreSQL instance still open.
	want = movedDumpOf(t, pg)
	back := filepath.Join(t.TempDir(), "from-postgres.tar")
	if _, err := backup.Create(ctx, backup.Instance{DataDir: pgDir, DB: url}, back); err != nil {
		t.Fatal(err)
	}
	liteDir := filepath.Join(t.TempDir(), "again")
	if _, err := backup.Restore(ctx, back, backup.Instance{DataDir: liteDir}); err != nil {
		t.Fatal(err)
	}
	again := openWith(t, liteDir, false)
	checkSame(t, "PostgreSQL → SQLite", movedDumpOf(t, again), want)
	checkWorks(t, "PostgreSQL → SQLite", again, r)

	url2 := storetest.PostgresURL(t)
	if _, err := backup.Restore(ctx, back, backup.Instance{DataDir: t.TempDir(), DB: url2}); err != nil {
		t.Fatal(err)
	}
	pg2 := openPG(t, t.TempDir(), url2)
	checkSame(t, "PostgreSQL → PostgreSQL", movedDumpOf(t, pg2), want)

	// The used database is not restored into.
	_, err = backup.Restore(ctx, archive, backup.Instance{DataDir: t.TempDir(), DB: url})
	if !errors.Is(err, backup.ErrNotEmpty) {
		t.Fatalf("restore into the used PostgreSQL database = %v, want ErrNotEmpty", err)
	}
	checkSame(t, "after the refused restore", movedDumpOf(t, pg), want)
}

// TestRestoreIntoPostgresRefusesDamage: a damaged archive is refused
// before anything — not even the schema — is written to PostgreSQL.
func TestRestoreIntoPostgresRefusesDamage(t *testing.T) {
	src := open(t, t.TempDir())
	seed(t, src, 6)
	good := filepath.Join(t.TempDir(), "good.tar")
	if _, err := backup.Create(context.Background(), backup.Instance{DataDir: src.dir}, good); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.tar")
	flipped := false
	rewrite(t, good, bad, func(h *tar.Header, b []byte) ([]byte, bool) {
		if strings.HasPrefix(h.Name, "files/") && !flipped {
			flipped = true
			b[len(b)/2] ^= 0xff
		}
		return b, true
	})
	url := storetest.PostgresURL(t)
	_, err := backup.Restore(context.Background(), bad, backup.Instance{DataDir: t.TempDir(), DB: url})
	if err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("restore of a damaged archive = %v, want a checksum error", err)
	}
	var tables int
	if err := storetest.SQL(t, "", url).QueryRow("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("the refused restore created %d tables", tables)
	}
}

// TestBackupPostgresWhileWriting: a backup of a PostgreSQL instance taken
// while it keeps writing memos with files restores (into SQLite) to a
// prefix of the writes: every memo up to some point with all its files,
// nothing after.
func TestBackupPostgresWhileWriting(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresURL(t)
	src := openPG(t, t.TempDir(), url)
	actx := seed(t, src, 10)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for i := 10; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			addMemo(t, src, actx, i)
		}
	}()
	time.Sleep(200 * time.Millisecond)
	archive := filepath.Join(t.TempDir(), "pg.tar")
	_, err := backup.Create(ctx, backup.Instance{DataDir: src.dir, DB: url}, archive)
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "restored")
	if _, err := backup.Restore(ctx, archive, backup.Instance{DataDir: target}); err != nil {
		t.Fatal(err)
	}
	got, all := dumpOf(t, open(t, target)), dumpOf(t, src)
	if len(got.Memos) < 10 {
		t.Fatalf("restored %d memos, want at least the 10 written before the backup", len(got.Memos))
	}
	if want := all.Memos[len(all.Memos)-len(got.Memos):]; !reflect.DeepEqual(got.Memos, want) {
		t.Errorf("restored memos differ from the source's first %d", len(got.Memos))
	}
	attached := 0
	for _, m := range got.Memos {
		attached += len(m.Resources)
	}
	// The next memo's files, uploaded before it, may be in the backup
	// unattached.
	if len(got.Files) != len(got.Resources) || len(got.Resources) < attached || len(got.Resources) > attached+2 {
		t.Errorf("%d resources and %d files restored for %d attachments", len(got.Resources), len(got.Files), attached)
	}
	for p, b := range got.Files {
		if !bytes.Equal(b, all.Files[p]) {
			t.Errorf("file %s differs", p)
		}
	}
	t.Logf("backup during writes: %d of %d memos", len(got.Memos), len(all.Memos))
}
