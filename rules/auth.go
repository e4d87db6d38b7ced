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

var errBadCredentials = Errorf(CodeUnauthenticated, "invalid username or password")

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
	return nil
}

func (r *Rules) hashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), r.cfg.BcryptCost)
	return string(h), err
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
	hash, err := r.hashPassword(password)
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
			return Errorf(CodePermissionDenied, "sign-up is closed on this instance; ask an admin for an account")
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

// SignIn checks credentials and opens a session.
func (r *Rules) SignIn(ctx context.Context, username, password string) (store.User, string, error) {
	u, err := r.db.GetUserByUsername(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return store.User{}, "", errBadCredentials
	}
	if err != nil {
		return store.User{}, "", err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
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
	if u, ok := r.auth.get(hash); ok {
		return &Actor{User: u, Source: source, TokenHash: hash}, nil
	}
	t, u, err := r.db.GetTokenByHash(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, Errorf(CodeUnauthenticated, "the access token is not valid (revoked or unknown)")
	}
	if err != nil {
		return nil, err
	}
	if !t.ExpiresAt.IsZero() && time.Now().After(t.ExpiresAt) {
		return nil, Errorf(CodeUnauthenticated, "the access token has expired")
	}
	r.auth.put(hash, u, t.ExpiresAt)
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
// hit the database; any revocation or user change clears it.
type authCache struct {
	mu sync.Mutex
	m  map[[32]byte]authEntry
}

type authEntry struct {
	user  store.User
	until time.Time
}

func newAuthCache() *authCache { return &authCache{m: map[[32]byte]authEntry{}} }

func (c *authCache) get(hash []byte) (store.User, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[[32]byte(hash)]
	if !ok || time.Now().After(e.until) {
		return store.User{}, false
	}
	return e.user, true
}

func (c *authCache) put(hash []byte, u store.User, expires time.Time) {
	until := time.Now().Add(authCacheTTL)
	if !expires.IsZero() && expires.Before(until) {
		until = expires
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 10000 {
		clear(c.m)
	}
	c.m[[32]byte(hash)] = authEntry{user: u, until: until}
}

func (c *authCache) clear() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}
