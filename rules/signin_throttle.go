package rules

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// SignInThrottle limits password guessing, per account and per client
// address. Before a password is checked (SignIn, or the current password
// of a password change) the rules ask Attempt; a refused attempt is
// answered resource_exhausted at once, without hashing anything.
//
// The in-memory implementation (NewMemorySignInThrottle) serves one
// process; processes sharing a PostgreSQL database share the counters
// in it (NewDBSignInThrottle, signin_throttle_db.go) with the same policy.
type SignInThrottle interface {
	// Attempt asks whether a password for account may be checked now for
	// a caller at addr (an empty account or addr is not tracked). When it
	// may not, ok is false and retry is the earliest time worth trying
	// again. An allowed attempt counts as a failure at once, so concurrent
	// guesses cannot slip past the limit, until Succeeded withdraws it.
	// An error (the counters could not be read) allows nothing.
	Attempt(ctx context.Context, account, addr string, now time.Time) (retry time.Time, ok bool, err error)
	// Succeeded records that an attempt Attempt allowed was right: the
	// account's failures are forgotten, the address's provisional failure
	// is withdrawn, and addr becomes an address the account is known to
	// sign in from.
	Succeeded(ctx context.Context, account, addr string, now time.Time) error
}

// ThrottleConfig tunes the in-memory sign-in throttle; zero fields take the
// defaults named on each.
type ThrottleConfig struct {
	// FreeFailures is how many failures an account or an address may have
	// before lock-outs begin (10).
	FreeFailures int
	// Window is the quiet time after which failures are forgotten: no
	// failure (and no lock-out) for this long resets a counter (15 min).
	Window time.Duration
	// BaseLockout is the first lock-out, at the FreeFailures-th failure;
	// every further failure doubles it (1 s).
	BaseLockout time.Duration
	// MaxAccountLockout caps an account's lock-out (15 min).
	MaxAccountLockout time.Duration
	// MaxAddressLockout caps an address's lock-out (1 h).
	MaxAddressLockout time.Duration
	// KnownFor is how long an address stays known for an account after a
	// successful sign-in from it (30 days).
	KnownFor time.Duration
	// MaxEntries bounds each table — accounts, addresses, known pairs —
	// so memory stays bounded under any flood (10,000 each).
	MaxEntries int
}

func (c ThrottleConfig) withDefaults() ThrottleConfig {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.FreeFailures <= 0 {
		c.FreeFailures = 10
	}
	def(&c.Window, 15*time.Minute)
	def(&c.BaseLockout, time.Second)
	def(&c.MaxAccountLockout, 15*time.Minute)
	def(&c.MaxAddressLockout, time.Hour)
	def(&c.KnownFor, 30*24*time.Hour)
	if c.MaxEntries <= 0 {
		c.MaxEntries = 10000
	}
	return c
}

// memoryThrottle is the in-process SignInThrottle.
//
// Two counters guard every attempt. The address counter stops one caller
// from guessing many accounts (or one) quickly; success never resets it, or
// an attacker could interleave sign-ins to an account of their own. The
// account counter stops many addresses together (a botnet) from guessing
// one account; it is reset by a successful sign-in. So that the account
// counter cannot become a way to lock a victim out from everywhere, it is
// not applied to addresses the account has signed in from before (known
// pairs): there only the address counter counts. A victim on a new address
// waits at most MaxAccountLockout between attempts while the attack lasts.
type memoryThrottle struct {
	cfg ThrottleConfig

	mu       sync.Mutex
	accounts map[string]*failureCount
	addrs    map[string]*failureCount
	known    map[string]time.Time // account + "\x00" + addr → last success
}

// failureCount is one account's or address's recent failures.
type failureCount struct {
	n    int
	last time.Time // latest failure
}

// NewMemorySignInThrottle returns the in-memory throttle for one process.
func NewMemorySignInThrottle(cfg ThrottleConfig) SignInThrottle {
	return &memoryThrottle{
		cfg:      cfg.withDefaults(),
		accounts: map[string]*failureCount{},
		addrs:    map[string]*failureCount{},
		known:    map[string]time.Time{},
	}
}

// lockedUntil is when f's lock-out ends (zero: no lock-out).
func (c ThrottleConfig) lockedUntil(f *failureCount, maxLock time.Duration) time.Time {
	if f == nil || f.n < c.FreeFailures {
		return time.Time{}
	}
	d := maxLock
	if shift := f.n - c.FreeFailures; shift < 40 {
		d = min(c.BaseLockout<<shift, maxLock)
	}
	return f.last.Add(d)
}

// stale reports whether f may be forgotten: quiet for a window after its
// last failure or lock-out.
func (c ThrottleConfig) stale(f *failureCount, maxLock time.Duration, now time.Time) bool {
	end := f.last
	if u := c.lockedUntil(f, maxLock); u.After(end) {
		end = u
	}
	return now.Sub(end) > c.Window
}

func (t *memoryThrottle) lockedUntil(f *failureCount, maxLock time.Duration) time.Time {
	return t.cfg.lockedUntil(f, maxLock)
}

func (t *memoryThrottle) stale(f *failureCount, maxLock time.Duration, now time.Time) bool {
	return t.cfg.stale(f, maxLock, now)
}

func (t *memoryThrottle) Attempt(_ context.Context, account, addr string, now time.Time) (time.Time, bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var retry time.Time
	if account != "" && !t.isKnown(account, addr, now) {
		if u := t.lockedUntil(t.current(t.accounts, account, t.cfg.MaxAccountLockout, now), t.cfg.MaxAccountLockout); u.After(now) {
			retry = u
		}
	}
	if addr != "" {
		if u := t.lockedUntil(t.current(t.addrs, addr, t.cfg.MaxAddressLockout, now), t.cfg.MaxAddressLockout); u.After(now) && u.After(retry) {
			retry = u
		}
	}
	if !retry.IsZero() {
		return retry, false, nil
	}
	if account != "" {
		t.fail(t.accounts, account, t.cfg.MaxAccountLockout, now)
	}
	if addr != "" {
		t.fail(t.addrs, addr, t.cfg.MaxAddressLockout, now)
	}
	return time.Time{}, true, nil
}

func (t *memoryThrottle) Succeeded(_ context.Context, account, addr string, now time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if account != "" {
		delete(t.accounts, account)
	}
	if addr == "" {
		return nil
	}
	if f := t.addrs[addr]; f != nil && f.n > 0 {
		f.n--
	}
	if account == "" {
		return nil
	}
	k := account + "\x00" + addr
	if _, ok := t.known[k]; !ok && len(t.known) >= t.cfg.MaxEntries {
		t.evictKnown(now)
	}
	t.known[k] = now
	return nil
}

// current returns key's counter, forgetting it first if it is stale.
func (t *memoryThrottle) current(m map[string]*failureCount, key string, maxLock time.Duration, now time.Time) *failureCount {
	f := m[key]
	if f != nil && t.stale(f, maxLock, now) {
		delete(m, key)
		return nil
	}
	return f
}

// fail counts one failure for key, making room in a full table.
func (t *memoryThrottle) fail(m map[string]*failureCount, key string, maxLock time.Duration, now time.Time) {
	f := t.current(m, key, maxLock, now)
	if f == nil {
		if len(m) >= t.cfg.MaxEntries {
			t.evict(m, maxLock, now)
		}
		f = &failureCount{}
		m[key] = f
	}
	f.n++
	f.last = now
}

// evict drops the stale counters of a full table, or else the one that
// would be forgotten first (the latest of its last failure and its
// lock-out's end): a long lock-out outlives a flood of fresh entries.
func (t *memoryThrottle) evict(m map[string]*failureCount, maxLock time.Duration, now time.Time) {
	var oldest string
	var oldestAt time.Time
	for k, f := range m {
		if t.stale(f, maxLock, now) {
			delete(m, k)
			continue
		}
		end := f.last
		if u := t.lockedUntil(f, maxLock); u.After(end) {
			end = u
		}
		if oldest == "" || end.Before(oldestAt) {
			oldest, oldestAt = k, end
		}
	}
	if len(m) >= t.cfg.MaxEntries {
		delete(m, oldest)
	}
}

func (t *memoryThrottle) isKnown(account, addr string, now time.Time) bool {
	if addr == "" {
		return false
	}
	k := account + "\x00" + addr
	at, ok := t.known[k]
	if ok && now.Sub(at) > t.cfg.KnownFor {
		delete(t.known, k)
		return false
	}
	return ok
}

// evictKnown drops expired known pairs, or else the least recently used.
func (t *memoryThrottle) evictKnown(now time.Time) {
	var oldest string
	var oldestAt time.Time
	for k, at := range t.known {
		if now.Sub(at) > t.cfg.KnownFor {
			delete(t.known, k)
			continue
		}
		if oldest == "" || at.Before(oldestAt) {
			oldest, oldestAt = k, at
		}
	}
	if len(t.known) >= t.cfg.MaxEntries {
		delete(t.known, oldest)
	}
}

// maxThrottledUsername bounds the usernames the throttle keeps: longer
// ones (far beyond what validateUsername allows, imported accounts
// included) cannot belong to an account and are not stored.
const maxThrottledUsername = 128

// throttleAccount is the throttle's key for a username: lower-cased, so
// that case variants share one counter; "" for a name no account can have
// (empty, too long, or holding NUL, which the database cannot store).
func throttleAccount(username string) string {
	if username == "" || len(username) > maxThrottledUsername || hasNUL(username) {
		return ""
	}
	return strings.ToLower(username)
}

// throttled is the answer to a refused attempt, saying when to retry.
func throttled(retry, now time.Time) error {
	wait := retry.Sub(now).Round(time.Second)
	if wait < time.Second {
		wait = time.Second
	}
	return Errorf(CodeResourceExhausted,
		"too many failed sign-in attempts for this account or from your address; try again in %s (after %s UTC)",
		wait, retry.UTC().Add(time.Second).Truncate(time.Second).Format("15:04:05"))
}

type clientAddrKey struct{}

// WithClientAddr returns ctx carrying the caller's network address (the
// direct peer, "ip:port" or "ip"), which the sign-in throttle counts by.
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

// clientAddrKeyFrom is the throttle key of the caller's address: the IP
// for IPv4, the /64 prefix for IPv6 (one subscriber usually holds a whole
// /64, so counting single IPv6 addresses would count nothing); "" when
// the caller's address is unknown.
func clientAddrKeyFrom(ctx context.Context) string {
	addr, _ := ctx.Value(clientAddrKey{}).(string)
	if addr == "" {
		return ""
	}
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		return netip.PrefixFrom(ip, 64).Masked().String()
	}
	return ip.String()
}
