package rules

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/memoria-app/memoria/store"
)

const (
	defaultBcryptCost = bcrypt.DefaultCost
	SessionLifetime   = 30 * 24 * time.Hour
	tokenPrefix       = "mem_"
	authCacheTTL      = 10 * time.Second
)

var (
	errBadCredentials = Errorf(CodeUnauthenticated, "invalid username or password")
	errSignUpClosed   = Errorf(CodePermissionDenied, "sign-up is closed on this instance; ask an admin for an account")
)

// dummyHash (a bcrypt hash at the default cost, precomputed so start-up
// stays fast) is compared against when a username does not exist, so a
// failed sign-in takes as long whether or not the user exists.
var dummyHash = []byte("$2a$10$kRO69VMmJlOToaIuqaGFseU10JGFsSkqU1IogdeQf3AohsKpwKtgu")

func validateUsername(s string) error {
	if s == "" {
		return invalid("username is required")
	}
	if len(s) > 32 {
		return invalid("username must be at most 32 characters")
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return invalid("username may contain only letters, digits, '_', '-' and '.'")
		}
	}
	return nil
}

func validatePassword(s string) error {
	if len(s) < 8 {
		return invalid("password must be at least 8 characters")
	}
	if len(s) > 72 {
		return invalid("password must be at most 72 bytes")
	}
	return nil
}

func validateDisplayName(s string) error {
	if utf8.RuneCountInString(s) > 64 {
		return invalid("display_name must be at most 64 characters")
	}
	if !utf8.ValidString(s) {
		return invalid("display_name must be valid UTF-8")
	}
	return refuseNUL("display_name", s)
}

// hashPassword hashes pw on the password pool.
func (r *Rules) hashPassword(ctx context.Context, pw string) (string, error) {
	return r.pw.hash(ctx, pw, r.cfg.BcryptCost)
}

// checkPassword checks password for account (the throttle key of a
// username) under the sign-in throttle: a refused attempt returns
// resource_exhausted before anything is read or hashed. lookup then
// returns the stored hash, nil when there is no such account (a dummy hash
// is compared, so the answer takes as long). ok=false: a wrong password.
func (r *Rules) checkPassword(ctx context.Context, account, password string, lookup func() ([]byte, error)) (bool, error) {
	addr := clientAddrKeyFrom(ctx)
	now := time.Now()
	retry, ok, err := r.cfg.SignInThrottle.Attempt(ctx, account, addr, now)
	if err != nil {
		return false, err
	}
	if !ok {
		return false, throttled(retry, now)
	}
	if account == "" {
		return false, nil // no account can have this name: nothing to compare
	}
	hash, err := lookup()
	if err != nil {
		return false, err
	}
	if hash == nil {
		_, err := r.pw.matches(ctx, dummyHash, password)
		return false, err
	}
	ok, err = r.pw.matches(ctx, hash, password)
	if err != nil || !ok {
		return false, err
	}
	// The password is right whatever happens here: should the throttle
	// fail to record it, the attempt merely stays counted as a failure.
	_ = r.cfg.SignInThrottle.Succeeded(ctx, account, addr, time.Now())
	return true, nil
}

// newSecret returns a fresh opaque token and the hash that is stored.
func newSecret() (string, []byte, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, err
	}
	s := tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return s, hashSecret(s), nil
}

func hashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// SignUp creates an account and a session for it. The first account becomes
// admin; later ones need the allowSignUp setting.
func (r *Rules) SignUp(ctx context.Context, username, password string) (store.User, string, error) {
	if err := validateUsername(username); err != nil {
		return store.User{}, "", err
	}
	if err := validatePassword(password); err != nil {
		return store.User{}, "", err
	}
	settings, err := r.db.GetSystemSettings(ctx)
	if err != nil {
		return store.User{}, "", err
	}
	if !settings.AllowSignUp {
		// Refuse a closed sign-up before hashing: otherwise each refused
		// call would still cost a bcrypt hash.
		has, err := r.db.HasUsers(ctx)
		if err != nil {
			return store.User{}, "", err
		}
		if has {
			return store.User{}, "", errSignUpClosed
		}
	}
	hash, err := r.hashPassword(ctx, password)
	if err != nil {
		return store.User{}, "", err
	}
	u := store.User{Username: username, PasswordHash: hash, Role: store.RoleUser}
	err = r.db.CreateUser(ctx, &u, func(existing int64) error {
		if existing == 0 {
			u.Role = store.RoleAdmin
			return nil
		}
		if !settings.AllowSignUp {
			return errSignUpClosed
		}
		return nil
	})
	if errors.Is(err, store.ErrConflict) {
		return store.User{}, "", Errorf(CodeAlreadyExists, "username %q is taken", username)
	}
	if err != nil {
		return store.User{}, "", err
	}
	secret, err := r.newSession(ctx, u.ID)
	return u, secret, err
}

// SignIn checks credentials and opens a session. Attempts are throttled
// per account and per client address (see SignInThrottle); the password
// is compared on the bounded password pool.
func (r *Rules) SignIn(ctx context.Context, username, password string) (store.User, string, error) {
	var u store.User
	ok, err := r.checkPassword(ctx, throttleAccount(username), password, func() ([]byte, error) {
		if hasNUL(username) {
			return nil, nil // no account's name holds NUL (PostgreSQL could not even look it up)
		}
		var err error
		u, err = r.db.GetUserByUsername(ctx, username)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		return []byte(u.PasswordHash), err
	})
	if err != nil {
		return store.User{}, "", err
	}
	if !ok {
		return store.User{}, "", errBadCredentials
	}
	secret, err := r.newSession(ctx, u.ID)
	return u, secret, err
}

func (r *Rules) newSession(ctx context.Context, userID int64) (string, error) {
	secret, hash, err := newSecret()
	if err != nil {
		return "", err
	}
	t := store.Token{UserID: userID, Kind: store.TokenSession, ExpiresAt: time.Now().Add(SessionLifetime)}
	if err := r.db.CreateToken(ctx, &t, hash); err != nil {
		return "", err
	}
	return secret, nil
}

// SignOut revokes the credential the actor used.
func (r *Rules) SignOut(ctx context.Context) error {
	a, err := requireActor(ctx)
	if err != nil {
		return err
	}
	defer r.auth.clear()
	if len(a.TokenHash) == 0 {
		return nil
	}
	if err := r.db.DeleteTokenByHash(ctx, a.TokenHash); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// Authenticate resolves a presented secret to an actor. An unknown, revoked
// or expired secret is Unauthenticated.
func (r *Rules) Authenticate(ctx context.Context, secret string, source store.Source) (*Actor, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return nil, Errorf(CodeUnauthenticated, "the access token is not valid")
	}
	hash := hashSecret(secret)
	u, ok, gen := r.auth.get(hash)
	if ok {
		return &Actor{User: u, Source: source, TokenHash: hash}, nil
	}
	t, u, err := r.db.GetTokenByHash(ctx, hash)
	if r.auth.afterRead != nil {
		r.auth.afterRead()
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, Errorf(CodeUnauthenticated, "the access token is not valid (revoked or unknown)")
	}
	if err != nil {
		return nil, err
	}
	if !t.ExpiresAt.IsZero() && time.Now().After(t.ExpiresAt) {
		return nil, Errorf(CodeUnauthenticated, "the access token has expired")
	}
	r.auth.put(gen, hash, u, t.ExpiresAt)
	return &Actor{User: u, Source: source, TokenHash: hash}, nil
}

// CreateAccessToken creates a personal access token for the actor.
func (r *Rules) CreateAccessToken(ctx context.Context, description string, expires time.Time) (store.Token, string, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return store.Token{}, "", err
	}
	if utf8.RuneCountInString(description) > 256 {
		return store.Token{}, "", invalid("description must be at most 256 characters")
	}
	if err := refuseNUL("description", description); err != nil {
		return store.Token{}, "", err
	}
	if !expires.IsZero() && !expires.After(time.Now()) {
		return store.Token{}, "", invalid("expire_time must be in the future")
	}
	secret, hash, err := newSecret()
	if err != nil {
		return store.Token{}, "", err
	}
	t := store.Token{UserID: a.User.ID, Kind: store.TokenPersonal, Description: description, ExpiresAt: expires}
	if err := r.db.CreateToken(ctx, &t, hash); err != nil {
		return store.Token{}, "", err
	}
	return t, secret, nil
}

// ListAccessTokens lists the actor's personal access tokens.
func (r *Rules) ListAccessTokens(ctx context.Context) ([]store.Token, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	return r.db.ListTokens(ctx, a.User.ID, store.TokenPersonal)
}

// DeleteAccessToken revokes one of the actor's personal access tokens.
func (r *Rules) DeleteAccessToken(ctx context.Context, id int64) error {
	a, err := requireActor(ctx)
	if err != nil {
		return err
	}
	defer r.auth.clear()
	return notFoundAs(r.db.DeleteToken(ctx, a.User.ID, id), "access token")
}

// authCache remembers resolved tokens briefly so that each call does not
// hit the database; any revocation or user change clears it. Clearing
// bumps the generation: a lookup that read the database before a
// revocation and puts its result after it is not cached (it would bring
// the revoked token back for the cache's lifetime).
type authCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[[32]byte]authEntry
	// afterRead, when set (tests only), runs between a lookup's database
	// read and its cache put.
	afterRead func()
}

type authEntry struct {
	user  store.User
	until time.Time
}

func newAuthCache() *authCache { return &authCache{m: map[[32]byte]authEntry{}} }

// get returns the cached user of hash, and the generation to pass to put
// after a miss.
func (c *authCache) get(hash []byte) (store.User, bool, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[[32]byte(hash)]
	if !ok || time.Now().After(e.until) {
		return store.User{}, false, c.gen
	}
	return e.user, true, c.gen
}

// put caches u for hash unless the cache was cleared since gen was read.
func (c *authCache) put(gen uint64, hash []byte, u store.User, expires time.Time) {
	until := time.Now().Add(authCacheTTL)
	if !expires.IsZero() && expires.Before(until) {
		until = expires
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(c.m) > 10000 {
		clear(c.m)
	}
	c.m[[32]byte(hash)] = authEntry{user: u, until: until}
}

func (c *authCache) clear() {
	c.mu.Lock()
	c.gen++
	clear(c.m)
	c.mu.Unlock()
}
