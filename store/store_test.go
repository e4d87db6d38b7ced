package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/store/storetest"
)

// MustOpenDB opens a store on a new database of the dialect the tests run
// on (see storetest): a SQLite file in a temporary directory, or a fresh
// PostgreSQL schema.
func MustOpenDB(tb testing.TB) *store.DB {
	tb.Helper()
	return storetest.Open(tb, store.Options{})
}

func mustUser(tb testing.TB, db *store.DB, name string) store.User {
	tb.Helper()
	u := store.User{Username: name, PasswordHash: "x", Role: store.RoleUser}
	if err := db.CreateUser(context.Background(), &u, nil); err != nil {
		tb.Fatal(err)
	}
	return u
}

func TestMigrationsAreIdempotent(t *testing.T) {
	ctx := context.Background()
	dir, url := t.TempDir(), storetest.URL(t)
	for i := 0; i < 2; i++ {
		db, err := store.Open(ctx, dir, store.Options{URL: url})
		if err != nil {
			t.Fatalf("open #%d: %v", i, err)
		}
		v, err := db.SchemaVersion(ctx)
		if want := store.LatestSchemaVersion(); err != nil || v != want {
			t.Fatalf("schema version = %d, %v; want %d", v, err, want)
		}
		db.Close()
	}
}

func TestUsers(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	u := mustUser(t, db, "alice")
	if u.ID == 0 || u.CreatedAt.IsZero() {
		t.Fatalf("created user lacks id/time: %+v", u)
	}
	dup := store.User{Username: "alice", PasswordHash: "y", Role: store.RoleUser}
	if err := db.CreateUser(ctx, &dup, nil); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate username: err = %v, want ErrConflict", err)
	}
	if _, err := db.GetUser(ctx, 999); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing user: err = %v, want ErrNotFound", err)
	}
	got, err := db.GetUserByUsername(ctx, "alice")
	if err != nil || got.ID != u.ID {
		t.Fatalf("by username: %+v, %v", got, err)
	}
	name := "Alice A."
	upd, err := db.UpdateUser(ctx, u.ID, store.UserUpdate{DisplayName: &name})
	if err != nil || upd.DisplayName != name {
		t.Fatalf("update: %+v, %v", upd, err)
	}
	if _, err := db.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeleteUser(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: err = %v, want ErrNotFound", err)
	}
}

// TestWriteReferringToAMissingRow: a write that refers to a row that does
// not exist (a foreign key) is ErrNotFound, on both databases.
func TestWriteReferringToAMissingRow(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	tok := store.Token{UserID: 999, Kind: store.TokenPersonal}
	if err := db.CreateToken(ctx, &tok, []byte("h")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("token of a missing user: %v, want ErrNotFound", err)
	}
	u := mustUser(t, db, "u")
	m := store.Memo{CreatorID: u.ID, Content: "x", Visibility: store.VisibilityPrivate, Source: store.SourceAPI}
	if err := db.CreateMemo(ctx, &m, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeleteMemo(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	r := store.Resource{CreatorID: u.ID, MemoID: m.ID, Filename: "f", Type: "text/plain", Size: 1, StoragePath: "p"}
	if err := db.CreateResource(ctx, &r); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("resource of a deleted memo: %v, want ErrNotFound", err)
	}
}

func TestCreateUserDecideSeesCountUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	admins := 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			u := store.User{Username: fmt.Sprintf("u%d", i), PasswordHash: "x", Role: store.RoleUser}
			err := db.CreateUser(ctx, &u, func(n int64) error {
				if n == 0 {
					u.Role = store.RoleAdmin
				}
				return nil
			})
			if err != nil {
				t.Error(err)
				return
			}
			if u.Role == store.RoleAdmin {
				mu.Lock()
				admins++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if admins != 1 {
		t.Fatalf("admins = %d, want exactly 1", admins)
	}
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	u := mustUser(t, db, "bob")
	tok := store.Token{UserID: u.ID, Kind: store.TokenPersonal, Description: "cli", ExpiresAt: time.Now().Add(time.Hour)}
	if err := db.CreateToken(ctx, &tok, []byte("hash-1")); err != nil {
		t.Fatal(err)
	}
	got, owner, err := db.GetTokenByHash(ctx, []byte("hash-1"))
	if err != nil || got.ID != tok.ID || owner.ID != u.ID || got.ExpiresAt.IsZero() {
		t.Fatalf("by hash: %+v %+v %v", got, owner, err)
	}
	list, err := db.ListTokens(ctx, u.ID, store.TokenPersonal)
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	other := mustUser(t, db, "eve")
	if err := db.DeleteToken(ctx, other.ID, tok.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete someone else's token: %v, want ErrNotFound", err)
	}
	if err := db.DeleteToken(ctx, u.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.GetTokenByHash(ctx, []byte("hash-1")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoked token: %v, want ErrNotFound", err)
	}
}

func TestUserSettingsTelegramIDIsUnique(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	a, b := mustUser(t, db, "a"), mustUser(t, db, "b")
	s, err := db.GetUserSettings(ctx, a.ID)
	if err != nil || s.DefaultVisibility != store.VisibilityPrivate || s.TelegramUserID != 0 {
		t.Fatalf("defaults: %+v %v", s, err)
	}
	link := func(uid, tg int64) error {
		_, err := db.UpdateUserSettings(ctx, uid, func(s *store.UserSettings) error { s.TelegramUserID = tg; return nil })
		return err
	}
	if err := link(a.ID, 42); err != nil {
		t.Fatal(err)
	}
	if err := link(b.ID, 42); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second claim: %v, want ErrConflict", err)
	}
	got, err := db.GetUserByTelegramID(ctx, 42)
	if err != nil || got.ID != a.ID {
		t.Fatalf("by telegram id: %+v %v", got, err)
	}
	if err := link(a.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := link(b.ID, 42); err != nil {
		t.Fatalf("claim after unlink: %v", err)
	}
	if _, err := db.GetUserByTelegramID(ctx, 7); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown telegram id: %v", err)
	}
}

func TestSettingsFeedDeliversEveryChangeInOrder(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := MustOpenDB(t)
	ch := db.SubscribeSettings(ctx)
	// Each change increments a counter read inside its own transaction,
	// so the values in commit order are exactly 1, 2, …, n; the feed must
	// deliver them in that order whatever order the writers raced in.
	const n = 50
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := db.UpdateSystemSettings(ctx, func(s *store.SystemSettings) error {
				var k int
				if s.InstanceURL != "" {
					if _, err := fmt.Sscanf(s.InstanceURL, "https://x/%d", &k); err != nil {
						return err
					}
				}
				s.InstanceURL = fmt.Sprintf("https://x/%d", k+1)
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	// On PostgreSQL the listener re-reads the settings when it hears of a
	// change (another process may have made it), so changes that commit
	// close together may arrive as one, the latest: values must still
	// only go forward and end at the last.
	coalesced := storetest.OnPostgres(t)
	for got, i := 0, 1; got < n; i++ {
		select {
		case s := <-ch:
			var k int
			fmt.Sscanf(s.InstanceURL, "https://x/%d", &k)
			if coalesced && k >= got || k == got+1 {
				got = k
				continue
			}
			t.Fatalf("message %d is %q after https://x/%d (out of commit order)", i, s.InstanceURL, got)
		case <-time.After(5 * time.Second):
			t.Fatalf("received up to change %d of %d", got, n)
		}
	}
	last, _ := db.GetSystemSettings(ctx)
	// The last value delivered is the one stored.
	_, err := db.UpdateSystemSettings(ctx, func(s *store.SystemSettings) error { s.AllowSignUp = true; return nil })
	if err != nil {
		t.Fatal(err)
	}
	got := <-ch
	if got.InstanceURL != last.InstanceURL || !got.AllowSignUp {
		t.Fatalf("feed value %+v does not match committed settings", got)
	}
	refused := errors.New("refused")
	if _, err := db.UpdateSystemSettings(ctx, func(*store.SystemSettings) error { return refused }); !errors.Is(err, refused) {
		t.Fatalf("refused change: %v", err)
	}
	select {
	case s := <-ch:
		t.Fatalf("a rolled-back change was published: %+v", s)
	case <-time.After(50 * time.Millisecond):
	}
}
