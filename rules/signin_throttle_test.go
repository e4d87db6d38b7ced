package rules

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/memoria-app/memoria/store"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// throttleKinds are the throttles every scenario runs on: the in-memory
// one, and the database's (here over SQLite; the store's own tests hold
// its locking on PostgreSQL).
var throttleKinds = map[string]func(t *testing.T) SignInThrottle{
	"memory": func(*testing.T) SignInThrottle { return NewMemorySignInThrottle(ThrottleConfig{}) },
	"database": func(t *testing.T) SignInThrottle {
		db, err := store.Open(context.Background(), t.TempDir(), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return NewDBSignInThrottle(db, ThrottleConfig{})
	},
}

// throttleT calls a throttle as the scenarios read best, failing the test
// on an error.
type throttleT struct {
	t  *testing.T
	th SignInThrottle
}

func (a *throttleT) Attempt(account, addr string, now time.Time) (time.Time, bool) {
	a.t.Helper()
	retry, ok, err := a.th.Attempt(context.Background(), account, addr, now)
	if err != nil {
		a.t.Fatal(err)
	}
	return retry, ok
}

func (a *throttleT) Succeeded(account, addr string, now time.Time) {
	a.t.Helper()
	if err := a.th.Succeeded(context.Background(), account, addr, now); err != nil {
		a.t.Fatal(err)
	}
}

// failN makes n allowed attempts (all wrong) one second apart, the first
// at start, and returns the time of the last; it fails if one is refused.
func failN(t *testing.T, th *throttleT, account, addr string, n int, start time.Time) time.Time {
	t.Helper()
	now := start
	for i := range n {
		if i > 0 {
			now = now.Add(time.Second)
		}
		if retry, ok := th.Attempt(account, addr, now); !ok {
			t.Fatalf("attempt %d of %d refused (retry %v)", i+1, n, retry)
		}
	}
	return now
}

func TestSignInThrottle(t *testing.T) {
	cfg := ThrottleConfig{}.withDefaults()
	free := cfg.FreeFailures
	for name, run := range map[string]func(t *testing.T, th *throttleT){
		"ten failures are free, then the account and the address are locked": func(t *testing.T, th *throttleT) {
			last := failN(t, th, "alice", "10.0.0.1", free, t0)
			// The 10th failure locks for BaseLockout from its time.
			retry, ok := th.Attempt("alice", "10.0.0.1", last)
			if ok || !retry.Equal(last.Add(cfg.BaseLockout)) {
				t.Fatalf("11th attempt: ok=%v retry=%v, want refused until %v", ok, retry, last.Add(cfg.BaseLockout))
			}
			// Another address is locked out of this account too...
			if _, ok := th.Attempt("alice", "10.0.0.2", last); ok {
				t.Fatal("the account's lock-out does not hold for another address")
			}
			// ...and this address out of another account.
			if _, ok := th.Attempt("bob", "10.0.0.1", last); ok {
				t.Fatal("the address's lock-out does not hold for another account")
			}
		},
		"nine failures lock nothing": func(t *testing.T, th *throttleT) {
			last := failN(t, th, "alice", "10.0.0.1", free-1, t0)
			if _, ok := th.Attempt("alice", "10.0.0.1", last); !ok {
				t.Fatal("the 10th attempt is refused")
			}
		},
		"each further failure doubles the lock-out, up to the cap": func(t *testing.T, th *throttleT) {
			last := failN(t, th, "alice", "", free, t0)
			want := cfg.BaseLockout
			for i := range 14 {
				retry, ok := th.Attempt("alice", "", last)
				if ok || !retry.Equal(last.Add(want)) {
					t.Fatalf("lock-out %d: ok=%v for %v, want %v", i, ok, retry.Sub(last), want)
				}
				last = retry // the next attempt, as soon as allowed, fails again
				if _, ok := th.Attempt("alice", "", last); !ok {
					t.Fatalf("attempt at the end of lock-out %d refused", i)
				}
				want = min(2*want, cfg.MaxAccountLockout)
			}
			if want != cfg.MaxAccountLockout {
				t.Fatalf("lock-out never reached the cap: %v", want)
			}
		},
		"a refused attempt does not extend the lock-out": func(t *testing.T, th *throttleT) {
			last := failN(t, th, "alice", "10.0.0.1", free, t0)
			first, _ := th.Attempt("alice", "10.0.0.1", last)
			for range 50 {
				th.Attempt("alice", "10.0.0.1", last)
			}
			if again, _ := th.Attempt("alice", "10.0.0.1", last); first.IsZero() || !again.Equal(first) {
				t.Fatalf("refused attempts moved the lock-out from %v to %v", first, again)
			}
		},
		"failures are forgotten after a quiet window": func(t *testing.T, th *throttleT) {
			last := failN(t, th, "alice", "10.0.0.1", free-1, t0)
			last = failN(t, th, "alice", "10.0.0.1", free-1, last.Add(cfg.Window+time.Second))
			if _, ok := th.Attempt("alice", "10.0.0.1", last); !ok {
				t.Fatal("failures before the quiet window still count")
			}
			if _, ok := th.Attempt("alice", "10.0.0.1", last); ok {
				t.Fatal("a full count after the window did not lock")
			}
		},
		"success resets the account, not the address": func(t *testing.T, th *throttleT) {
			last := failN(t, th, "alice", "10.0.0.1", free, t0) // the 10th is right
			th.Succeeded("alice", "10.0.0.1", last)
			// The successful attempt is withdrawn from the address: one more
			// failure from it is free, and then it is locked.
			last = failN(t, th, "mallory", "10.0.0.1", 1, last.Add(time.Second))
			if _, ok := th.Attempt("carol", "10.0.0.1", last); ok {
				t.Fatal("a success reset the address's failures")
			}
			// The account starts afresh (from another address).
			last = failN(t, th, "alice", "10.0.0.9", free, last)
			if _, ok := th.Attempt("alice", "10.0.0.8", last); ok {
				t.Fatal("the account was not locked again")
			}
		},
		"a known address is not locked out by others' failures on the account": func(t *testing.T, th *throttleT) {
			if _, ok := th.Attempt("alice", "192.0.2.7", t0); !ok {
				t.Fatal("refused")
			}
			th.Succeeded("alice", "192.0.2.7", t0)
			now := t0.Add(time.Hour)
			for i := range 3 * free { // a botnet: one guess per address
				th.Attempt("alice", fmt.Sprintf("203.0.113.%d", i), now)
			}
			if _, ok := th.Attempt("alice", "198.51.100.1", now); ok {
				t.Fatal("the account is not locked for a new address")
			}
			if _, ok := th.Attempt("alice", "192.0.2.7", now); !ok {
				t.Fatal("the account's owner is locked out from their usual address")
			}
			// An address is known only for KnownFor.
			later := t0.Add(cfg.KnownFor + time.Second)
			for i := range free {
				th.Attempt("alice", fmt.Sprintf("203.0.113.%d", 100+i), later)
			}
			if _, ok := th.Attempt("alice", "192.0.2.7", later); ok {
				t.Fatal("an address stays known forever")
			}
		},
		"empty account and address are not tracked": func(t *testing.T, th *throttleT) {
			failN(t, th, "", "", 5*free, t0)
		},
	} {
		for kind, open := range throttleKinds {
			t.Run(kind+"/"+name, func(t *testing.T) { run(t, &throttleT{t: t, th: open(t)}) })
		}
	}
}

// TestSignInThrottleBoundedMemory: a flood of distinct accounts and
// addresses never grows the tables past MaxEntries, and a long lock-out
// survives the evictions.
func TestSignInThrottleBoundedMemory(t *testing.T) {
	mt := NewMemorySignInThrottle(ThrottleConfig{MaxEntries: 100}).(*memoryThrottle)
	th := &throttleT{t: t, th: mt}
	// A victim guessed at for a while: locked for the longest lock-out.
	now := failN(t, th, "victim", "", mt.cfg.FreeFailures, t0)
	for range 10 {
		retry, _ := th.Attempt("victim", "", now)
		if _, ok := th.Attempt("victim", "", retry); !ok {
			t.Fatal("refused at the end of a lock-out")
		}
		now = retry
	}
	for i := range 10000 {
		th.Attempt(fmt.Sprintf("user%d", i), fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), now)
		now = now.Add(time.Millisecond)
	}
	for range 500 {
		th.Succeeded(fmt.Sprintf("u%d", now.UnixNano()), "10.0.0.1", now)
		now = now.Add(time.Millisecond)
	}
	if len(mt.accounts) > 100 || len(mt.addrs) > 100 || len(mt.known) > 100 {
		t.Fatalf("tables grew to %d accounts, %d addresses, %d known pairs; cap 100", len(mt.accounts), len(mt.addrs), len(mt.known))
	}
	if _, ok := th.Attempt("victim", "", now); ok {
		t.Fatal("the attacked account's counter was evicted")
	}
}

func TestClientAddrKey(t *testing.T) {
	for name, tt := range map[string]struct{ addr, want string }{
		"IPv4 with port":        {"192.0.2.1:5555", "192.0.2.1"},
		"IPv4 without port":     {"192.0.2.1", "192.0.2.1"},
		"IPv6 keyed by its /64": {"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		"same /64, other host":  {"[2001:db8:1:2:ffff::1]:80", "2001:db8:1:2::/64"},
		"IPv4-mapped IPv6":      {"[::ffff:192.0.2.1]:1", "192.0.2.1"},
		"zone dropped":          {"[fe80::1%eth0]:1", "fe80::/64"},
		"unknown":               {"", ""},
		"not an IP":             {"pipe:1", "pipe"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := clientAddrKeyFrom(WithClientAddr(context.Background(), tt.addr)); got != tt.want {
				t.Fatalf("key of %q = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
	if got := clientAddrKeyFrom(context.Background()); got != "" {
		t.Fatalf("key without an address = %q", got)
	}
}

func TestThrottleAccount(t *testing.T) {
	for in, want := range map[string]string{"Alice": "alice", "alice": "alice", "": "", string(make([]byte, 200)): ""} {
		if got := throttleAccount(in); got != want {
			t.Errorf("throttleAccount(%q) = %q, want %q", in, got, want)
		}
	}
}
