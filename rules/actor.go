package rules

import (
	"context"

	"github.com/memoria-app/memoria/store"
)

// Actor is who is making a call: a user, and where the call came from.
type Actor struct {
	User   store.User
	Source store.Source // SourceWeb (cookie), SourceAPI (bearer), SourceTelegram (bot)
	// TokenHash is the hash of the credential used, for SignOut.
	TokenHash []byte
}

// IsAdmin reports whether the actor is an admin.
func (a *Actor) IsAdmin() bool { return a != nil && a.User.Role == store.RoleAdmin }

type actorKey struct{}

// WithActor returns ctx carrying the acting user. The API's auth
// interceptor and the Telegram bot both use it before calling the rules.
func WithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the acting user, or nil when the caller is anonymous.
func ActorFrom(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}

func requireActor(ctx context.Context) (*Actor, error) {
	a := ActorFrom(ctx)
	if a == nil {
		return nil, ErrUnauthenticated
	}
	return a, nil
}

func requireAdmin(ctx context.Context) (*Actor, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	if !a.IsAdmin() {
		return nil, errAdminOnly
	}
	return a, nil
}
