package rules

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/store/storetest"
)

const testPassword = "correct horse battery"

// newTestRules opens the rules over a fresh SQLite store.
func newTestRules(t *testing.T, cfg Config) *Rules {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(context.Background(), dir, store.Options{URL: storetest.URL(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = bcrypt.MinCost
	}
	r, err := NewRules(db, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func signUpT(t *testing.T, r *Rules, username string) (store.User, string) {
	t.Helper()
	u, tok, err := r.SignUp(context.Background(), username, testPassword)
	if err != nil {
		t.Fatalf("SignUp(%s): %v", username, err)
	}
	return u, tok
}

// TestAuthCacheRevocationRace: a token lookup that read the database
// before a revocation and fills the cache after it must not bring the
// revoked token back. The hook between the read and the cache put makes
// the race happen every time.
func TestAuthCacheRevocationRace(t *testing.T) {
	for name, revoke := range map[string]func(ctx context.Context, r *Rules, tok string) error{
		"sign-out": func(ctx context.Context, r *Rules, tok string) error {
			a, err := r.Authenticate(ctx, tok, store.SourceAPI)
			if err != nil {
				return err
			}
			return r.SignOut(WithActor(ctx, a))
		},
		"deleted access token": func(ctx context.Context, r *Rules, tok string) error {
			a, err := r.Authenticate(ctx, tok, store.SourceAPI)
			if err != nil {
				return err
			}
			ts, err := r.ListAccessTokens(WithActor(ctx, a))
			if err != nil {
				return err
			}
			if len(ts) != 1 {
				return fmt.Errorf("%d access tokens, want 1", len(ts))
			}
			return r.DeleteAccessToken(WithActor(ctx, a), ts[0].ID)
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			r := newTestRules(t, Config{})
			u, session := signUpT(t, r, "alice")
			tok := session
			if name == "deleted access token" {
				_, pat, err := r.CreateAccessToken(WithActor(ctx, &Actor{User: u}), "cli", time.Time{})
				if err != nil {
					t.Fatal(err)
				}
				tok = pat
			}
			read, release := make(chan struct{}), make(chan struct{})
			var once sync.Once
			r.auth.afterRead = func() {
				once.Do(func() {
					close(read)
					<-release
				})
			}
			done := make(chan error, 1)
			go func() {
				_, err := r.Authenticate(ctx, tok, store.SourceAPI)
				done <- err
			}()
			<-read // the racing lookup has read the token, not yet cached it
			r.auth.afterRead = nil
			if err := revoke(ctx, r, tok); err != nil {
				t.Fatalf("revoke: %v", err)
			}
			close(release)
			if err := <-done; err != nil {
				t.Fatalf("racing lookup (read before the revocation): %v", err)
			}
			_, err := r.Authenticate(ctx, tok, store.SourceAPI)
			if ErrorCode(err) != CodeUnauthenticated {
				t.Fatalf("after revocation the token still authenticates (err %v)", err)
			}
		})
	}
}

// TestSignInThrottledWithoutHashing: once an account is locked, a sign-in
// (even with the right password) is resource_exhausted, says when to try
// again, and runs no bcrypt at all.
func TestSignInThrottledWithoutHashing(t *testing.T) {
	ctx := WithClientAddr(context.Background(), "192.0.2.1:4000")
	r := newTestRules(t, Config{})
	alice, _ := signUpT(t, r, "alice")
	if _, err := r.CreateUser(WithActor(ctx, &Actor{User: alice}), NewUser{Username: "bob", Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, _, err := r.SignIn(ctx, "alice", "wrong password"); ErrorCode(err) != CodeUnauthenticated {
			t.Fatalf("wrong password %d: %v, want unauthenticated", i+1, err)
		}
	}
	before := r.pw.ran.Load()
	for _, who := range []struct{ name, password string }{{"alice", testPassword}, {"alice", "wrong password"}, {"nobody", "x"}} {
		_, _, err := r.SignIn(ctx, who.name, who.password)
		if ErrorCode(err) != CodeResourceExhausted || !strings.Contains(err.Error(), "try again in") {
			t.Fatalf("SignIn(%s) while locked: %v, want resource_exhausted saying when to try again", who.name, err)
		}
	}
	if ran := r.pw.ran.Load() - before; ran != 0 {
		t.Fatalf("%d bcrypt operations ran for throttled attempts", ran)
	}
	// Another address signing in to another account is not affected.
	other := WithClientAddr(context.Background(), "198.51.100.1:1")
	if _, _, err := r.SignIn(other, "bob", testPassword); err != nil {
		t.Fatalf("bob from another address: %v", err)
	}
}

// TestChangeOwnPasswordNeedsCurrent: changing one's own password needs
// the current one; an admin resetting another user's does not.
func TestChangeOwnPasswordNeedsCurrent(t *testing.T) {
	ctx := context.Background()
	r := newTestRules(t, Config{})
	admin, _ := signUpT(t, r, "root")
	asAdmin := WithActor(ctx, &Actor{User: admin})
	bob, err := r.CreateUser(asAdmin, NewUser{Username: "bob", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	asBob := WithActor(ctx, &Actor{User: bob})
	newPW := "a brand new password"
	for name, tt := range map[string]struct {
		ctx     context.Context
		id      int64
		current string
		want    Code
	}{
		"own, without the current password":  {asBob, bob.ID, "", CodeInvalidArgument},
		"own, with a wrong current password": {asBob, bob.ID, "not the password", CodePermissionDenied},
		"admin's own, without the current":   {asAdmin, admin.ID, "", CodeInvalidArgument},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := r.UpdateUser(tt.ctx, tt.id, UserPatch{Password: &newPW, CurrentPassword: tt.current})
			if ErrorCode(err) != tt.want {
				t.Fatalf("err = %v, want code %d", err, tt.want)
			}
			if _, _, err := r.SignIn(ctx, map[int64]string{bob.ID: "bob", admin.ID: "root"}[tt.id], testPassword); err != nil {
				t.Fatalf("the old password stopped working: %v", err)
			}
		})
	}
	if _, err := r.UpdateUser(asBob, bob.ID, UserPatch{Password: &newPW, CurrentPassword: testPassword}); err != nil {
		t.Fatalf("own change with the right current password: %v", err)
	}
	if _, _, err := r.SignIn(ctx, "bob", newPW); err != nil {
		t.Fatalf("new password: %v", err)
	}
	reset := "reset by the admin"
	if _, err := r.UpdateUser(asAdmin, bob.ID, UserPatch{Password: &reset}); err != nil {
		t.Fatalf("admin reset without a current password: %v", err)
	}
	if _, _, err := r.SignIn(ctx, "bob", reset); err != nil {
		t.Fatalf("reset password: %v", err)
	}
}

// TestPasswordPool: at most its size of operations run at once; a caller
// whose context ends while waiting gets its error and its work never runs.
func TestPasswordPool(t *testing.T) {
	p := newPasswordPool(2)
	hold := make(chan struct{})
	started := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.run(context.Background(), func() { started <- struct{}{}; <-hold })
		}()
	}
	<-started
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	waited := make(chan error, 1)
	ran := false
	go func() { waited <- p.run(ctx, func() { ran = true }) }()
	cancel()
	if err := <-waited; err != context.Canceled {
		t.Fatalf("waiting caller got %v, want context.Canceled", err)
	}
	if ran {
		t.Fatal("the cancelled caller's work ran")
	}
	close(hold)
	wg.Wait()
	if err := p.run(context.Background(), func() { ran = true }); err != nil || !ran {
		t.Fatalf("free pool: err %v, ran %v", err, ran)
	}
	if got := p.ran.Load(); got != 3 {
		t.Fatalf("ran = %d operations, want 3", got)
	}
	if newPasswordPool(0).slots == nil || cap(newPasswordPool(0).slots) != defaultPasswordWorkers() {
		t.Fatal("size 0 does not mean the default")
	}
}

// TestClosedSignUpHashesNothing: with sign-up closed, a refused SignUp
// costs no bcrypt hash (a flood of them cannot burn CPU).
func TestClosedSignUpHashesNothing(t *testing.T) {
	r := newTestRules(t, Config{})
	signUpT(t, r, "root")
	before := r.pw.ran.Load()
	for i := range 5 {
		_, _, err := r.SignUp(context.Background(), fmt.Sprintf("user%d", i), testPassword)
		if ErrorCode(err) != CodePermissionDenied {
			t.Fatalf("closed SignUp: %v, want permission_denied", err)
		}
	}
	if ran := r.pw.ran.Load() - before; ran != 0 {
		t.Fatalf("%d bcrypt hashes for refused sign-ups", ran)
	}
}
