package app_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	"github.com/memoria-app/memoria/bot/telegramtest"
	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

// served is everything an instance serves to its admin and one user.
type served struct {
	users       []*v1.User
	system      *v1.SystemSetting
	userSetting *v1.UserSetting
	memos       []*v1.Memo        // the user's, newest first
	files       map[string]string // resource name → SHA-256 of its bytes
}

func collect(t *testing.T, url, admin, user string) served {
	t.Helper()
	s := &testServer{tb: t, URL: url}
	ctx := ctxT(t)
	var out served
	users, err := s.as(admin).Users.ListUsers(ctx, connect.NewRequest(&v1.ListUsersRequest{PageSize: 1000}))
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	out.users = users.Msg.Users
	sys, err := s.as(admin).System.GetSystemSetting(ctx, connect.NewRequest(&v1.GetSystemSettingRequest{}))
	if err != nil {
		t.Fatalf("GetSystemSetting: %v", err)
	}
	out.system = sys.Msg
	us, err := s.as(user).UserSettings.GetUserSetting(ctx, connect.NewRequest(&v1.GetUserSettingRequest{}))
	if err != nil {
		t.Fatalf("GetUserSetting: %v", err)
	}
	out.userSetting = us.Msg
	for page := ""; ; {
		resp, err := s.as(user).Memos.ListMemos(ctx, connect.NewRequest(&v1.ListMemosRequest{PageSize: 1000, PageToken: page}))
		if err != nil {
			t.Fatalf("ListMemos: %v", err)
		}
		out.memos = append(out.memos, resp.Msg.Memos...)
		if page = resp.Msg.NextPageToken; page == "" {
			break
		}
	}
	out.files = map[string]string{}
	for _, m := range out.memos {
		for _, r := range m.Resources {
			out.files[r.Name] = fmt.Sprintf("%x", sha256.Sum256(s.fileBytes(user, r)))
		}
	}
	return out
}

// equalServed reports the first difference between two instances.
func equalServed(got, want served) error {
	if len(got.users) != len(want.users) {
		return fmt.Errorf("%d users, want %d", len(got.users), len(want.users))
	}
	for i := range want.users {
		if !proto.Equal(got.users[i], want.users[i]) {
			return fmt.Errorf("user %d: %v, want %v", i, got.users[i], want.users[i])
		}
	}
	if !proto.Equal(got.system, want.system) {
		return fmt.Errorf("system settings %v, want %v", got.system, want.system)
	}
	if !proto.Equal(got.userSetting, want.userSetting) {
		return fmt.Errorf("user settings %v, want %v", got.userSetting, want.userSetting)
	}
	if len(got.memos) != len(want.memos) {
		return fmt.Errorf("%d memos, want %d", len(got.memos), len(want.memos))
	}
	for i := range want.memos {
		if !proto.Equal(got.memos[i], want.memos[i]) {
			return fmt.Errorf("memo %d: %v, want %v", i, got.memos[i], want.memos[i])
		}
	}
	for name, sum := range want.files {
		if got.files[name] != sum {
			return fmt.Errorf("%s has other bytes", name)
		}
	}
	return nil
}

// checkPrefix checks that an instance restored from a backup taken during
// ingestion holds exactly the memos of a prefix of the ingestion: every
// memo of the full run up to the newest one it has, none missing, each
// equal to the full run's except that an album may have only the first of
// its photos (the others came in later transactions).
func checkPrefix(t *testing.T, part, full served) {
	t.Helper()
	var newest string
	if len(part.memos) > 0 {
		newest = part.memos[0].Name
	}
	byName := map[string]*v1.Memo{}
	for _, m := range part.memos {
		byName[m.Name] = m
	}
	seenNewest := newest == ""
	count := 0
	for _, w := range full.memos { // newest first
		if !seenNewest {
			seenNewest = w.Name == newest
			if !seenNewest {
				continue
			}
		}
		count++
		g, ok := byName[w.Name]
		if !ok {
			t.Fatalf("%s (%q) is missing from the restored prefix", w.Name, w.Content)
		}
		if g.Content != w.Content || g.Visibility != w.Visibility || g.Source != w.Source ||
			!proto.Equal(g.CreateTime, w.CreateTime) || strings.Join(g.Tags, " ") != strings.Join(w.Tags, " ") {
			t.Fatalf("%s differs: %v, want %v", w.Name, g, w)
		}
		if len(g.Resources) > len(w.Resources) {
			t.Fatalf("%s has %d resources, more than the full run's %d", w.Name, len(g.Resources), len(w.Resources))
		}
		for i, r := range g.Resources {
			if !proto.Equal(r, w.Resources[i]) || part.files[r.Name] != full.files[r.Name] {
				t.Fatalf("%s resource %d differs", w.Name, i)
			}
		}
	}
	if count != len(part.memos) {
		t.Fatalf("the restored instance has %d memos, of which only %d are in the full run's prefix", len(part.memos), count)
	}
	if err := equalServed(served{users: part.users, system: part.system, userSetting: part.userSetting},
		served{users: full.users, system: full.system, userSetting: full.userSetting}); err != nil {
		t.Fatal(err)
	}
}

// memoria runs the binary with args and returns its combined output.
func memoria(bin string, args ...string) (string, error) {
	out, err := exec.Command(bin, args...).CombinedOutput()
	return string(out), err
}

// TestBackupDuringIngestion: `memoria backup` (a second process) takes a
// backup while the running server ingests 2,000 Telegram updates; after
// the ingestion a second backup is taken of the stopped instance. Each is
// restored (`memoria restore`) into a new instance (data directory, and
// on a PostgreSQL run a new schema) and served: the first holds exactly a
// prefix of the ingestion, the second equals the source in every memo,
// resource byte, user and setting. Damaged archives and non-empty targets
// are refused by the binary too.
func TestBackupDuringIngestion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 3))
	t.Logf("seed %d", seed)
	bin := buildBinary(t)
	tg := telegramtest.NewServer()
	defer tg.Close()
	const token = "6000000003:EEbackup_test"
	tgBot := tg.AddBot(token, "backup_bot")
	tgBot.SetMaxBatch(20)
	// Slow polling down so that the backup lands well inside the burst.
	tgBot.SetFaultRate(1, telegramtest.Fault{Kind: telegramtest.FaultDelay, Delay: 25 * time.Millisecond, Methods: []string{"getUpdates"}})

	dir := t.TempDir()
	data := storageAt(t, filepath.Join(dir, "data"))
	addr := freeAddr(t)
	p := startBinary(t, bin, addr, data)
	s := &testServer{tb: t, URL: "http://" + addr}
	_, admin := s.signUp("admin")
	_, user := s.createUser(admin, "alice")
	alice := telegramtest.User{ID: 616161, FirstName: "Alice"}
	s.linkTelegram(user, alice.ID)
	want := enqueueBurst(tgBot, alice, 2000, rng)
	s.setToken(admin, tg.URL()+"/bot"+token)

	first := want.last - 2000 + 1
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := tgBot.WaitConfirmed(ctx, first+600); err != nil {
		t.Fatalf("stalled: %d confirmed", tgBot.Confirmed()-first)
	}
	mid := filepath.Join(dir, "mid.backup")
	before := tgBot.Confirmed() - first + 1
	if out, err := memoria(bin, data.args("backup", mid)...); err != nil {
		t.Fatalf("backup during ingestion: %v\n%s", err, out)
	}
	after := tgBot.Confirmed() - first + 1
	t.Logf("backup taken while %d..%d of 2000 updates were confirmed", before, after)
	if after >= 2000 {
		t.Fatalf("the ingestion ended before the backup did; the test did not test a backup during ingestion")
	}
	if err := tgBot.WaitConfirmed(ctx, want.last); err != nil {
		t.Fatalf("not every update was confirmed: %d", tgBot.Confirmed()-first+1)
	}
	p.stop(t)
	final := filepath.Join(dir, "final.backup")
	if out, err := memoria(bin, data.args("backup", final)...); err != nil {
		t.Fatalf("backup of the stopped instance: %v\n%s", err, out)
	}
	tg.Close() // the restored instances must not ingest anything more

	restore := func(archive, name string) storage {
		target := storageAt(t, filepath.Join(dir, name))
		if out, err := memoria(bin, target.args("restore", archive)...); err != nil {
			t.Fatalf("restore %s: %v\n%s", archive, err, out)
		}
		return target
	}
	serve := func(data storage) *testServer {
		return startServer(t, fastBot, data.use)
	}
	source := serve(data)
	full := collect(t, source.URL, admin, user)
	checkBurst(t, source.URL, user, want)

	restoredFinal := serve(restore(final, "restored-final"))
	if err := equalServed(collect(t, restoredFinal.URL, admin, user), full); err != nil {
		t.Fatalf("the instance restored from the final backup differs from the source: %v", err)
	}
	restoredMid := serve(restore(mid, "restored-mid"))
	part := collect(t, restoredMid.URL, admin, user)
	checkPrefix(t, part, full)
	t.Logf("mid-ingestion backup: %d of %d memos; final backup: all %d memos, %d files", len(part.memos), len(full.memos), len(full.memos), len(full.files))

	// The binary refuses a non-empty target and a damaged archive, and
	// leaves the target as it was.
	if out, err := memoria(bin, data.args("restore", final)...); err == nil || !strings.Contains(out, "not empty") {
		t.Errorf("restore into the source's data: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(final)
	if err != nil {
		t.Fatal(err)
	}
	half := filepath.Join(dir, "half.backup")
	os.WriteFile(half, raw[:len(raw)/2], 0o600)
	target := storageAt(t, filepath.Join(dir, "from-half"))
	if out, err := memoria(bin, target.args("restore", half)...); err == nil || !strings.Contains(out, "damaged or incomplete") {
		t.Errorf("restore of a truncated archive: %v\n%s", err, out)
	}
	if _, err := os.Stat(target.Dir); !os.IsNotExist(err) {
		t.Errorf("a refused restore created %s", target.Dir)
	}
	if target.migrated(t) {
		t.Errorf("a refused restore wrote to the target database")
	}
}
