package rules

import (
	"context"
	"errors"

	"github.com/memoria-app/memoria/store"
)

const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

func pageSize(n int32) (int, error) {
	switch {
	case n < 0:
		return 0, invalid("page_size must not be negative")
	case n == 0:
		return defaultPageSize, nil
	case n > maxPageSize:
		return maxPageSize, nil
	}
	return int(n), nil
}

// NewUser is what CreateUser needs.
type NewUser struct {
	Username, DisplayName, Password string
	Role                            store.Role
}

// CreateUser adds an account (admin only).
func (r *Rules) CreateUser(ctx context.Context, in NewUser) (store.User, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return store.User{}, err
	}
	if err := validateUsername(in.Username); err != nil {
		return store.User{}, err
	}
	if err := validatePassword(in.Password); err != nil {
		return store.User{}, err
	}
	if err := validateDisplayName(in.DisplayName); err != nil {
		return store.User{}, err
	}
	if in.Role == "" {
		in.Role = store.RoleUser
	}
	hash, err := r.hashPassword(ctx, in.Password)
	if err != nil {
		return store.User{}, err
	}
	u := store.User{Username: in.Username, DisplayName: in.DisplayName, PasswordHash: hash, Role: in.Role}
	if err := r.db.CreateUser(ctx, &u, nil); errors.Is(err, store.ErrConflict) {
		return store.User{}, Errorf(CodeAlreadyExists, "username %q is taken", in.Username)
	} else if err != nil {
		return store.User{}, err
	}
	return u, nil
}

// ListUsers pages through all users (admin only).
func (r *Rules) ListUsers(ctx context.Context, size int32, afterID int64) ([]store.User, bool, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, false, err
	}
	n, err := pageSize(size)
	if err != nil {
		return nil, false, err
	}
	us, err := r.db.ListUsers(ctx, afterID, n+1)
	if err != nil {
		return nil, false, err
	}
	more := len(us) > n
	if more {
		us = us[:n]
	}
	return us, more, nil
}

func requireSelfOrAdmin(ctx context.Context, id int64) (*Actor, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	if a.User.ID != id && !a.IsAdmin() {
		return nil, Errorf(CodePermissionDenied, "you may only see or change your own account")
	}
	return a, nil
}

// CurrentUser returns the actor's account, read fresh (the cached actor may
// predate a profile change).
func (r *Rules) CurrentUser(ctx context.Context) (store.User, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return store.User{}, err
	}
	u, err := r.db.GetUser(ctx, a.User.ID)
	return u, notFoundAs(err, "user")
}

// GetUser returns a user (self or admin).
func (r *Rules) GetUser(ctx context.Context, id int64) (store.User, error) {
	if _, err := requireSelfOrAdmin(ctx, id); err != nil {
		return store.User{}, err
	}
	u, err := r.db.GetUser(ctx, id)
	return u, notFoundAs(err, "user")
}

// UserPatch names the user fields to change; nil fields stay.
type UserPatch struct {
	Username, DisplayName, Password *string
	Role                            *store.Role
	// CurrentPassword proves a user changing their own Password knows
	// the old one (an admin resetting someone else's needs none).
	CurrentPassword string
}

// UpdateUser changes a user (self or admin; role only by an admin). A
// user changing their own password must give the current one; that check
// is throttled like a sign-in.
func (r *Rules) UpdateUser(ctx context.Context, id int64, p UserPatch) (store.User, error) {
	a, err := requireSelfOrAdmin(ctx, id)
	if err != nil {
		return store.User{}, err
	}
	upd := store.UserUpdate{Username: p.Username, DisplayName: p.DisplayName}
	if p.Username != nil {
		if err := validateUsername(*p.Username); err != nil {
			return store.User{}, err
		}
	}
	if p.DisplayName != nil {
		if err := validateDisplayName(*p.DisplayName); err != nil {
			return store.User{}, err
		}
	}
	if p.Role != nil {
		if !a.IsAdmin() {
			return store.User{}, Errorf(CodePermissionDenied, "only an admin may change a role")
		}
		if a.User.ID == id && *p.Role != store.RoleAdmin {
			return store.User{}, Errorf(CodeFailedPrecondition, "an admin cannot remove their own admin role")
		}
		upd.Role = p.Role
	}
	if p.Password != nil {
		if err := validatePassword(*p.Password); err != nil {
			return store.User{}, err
		}
		if a.User.ID == id {
			if err := r.checkCurrentPassword(ctx, id, p.CurrentPassword); err != nil {
				return store.User{}, err
			}
		}
		h, err := r.hashPassword(ctx, *p.Password)
		if err != nil {
			return store.User{}, err
		}
		upd.PasswordHash = &h
	}
	defer r.auth.clear()
	u, err := r.db.UpdateUser(ctx, id, upd)
	if errors.Is(err, store.ErrConflict) && p.Username != nil {
		return store.User{}, Errorf(CodeAlreadyExists, "username %q is taken", *p.Username)
	}
	return u, notFoundAs(err, "user")
}

// checkCurrentPassword verifies that password is user id's current one.
func (r *Rules) checkCurrentPassword(ctx context.Context, id int64, password string) error {
	if password == "" {
		return invalid("current_password is required to change your own password")
	}
	u, err := r.db.GetUser(ctx, id)
	if err != nil {
		return notFoundAs(err, "user")
	}
	ok, err := r.checkPassword(ctx, throttleAccount(u.Username), password, func() ([]byte, error) {
		return []byte(u.PasswordHash), nil
	})
	if err != nil {
		return err
	}
	if !ok {
		return Errorf(CodePermissionDenied, "the current password is not right")
	}
	return nil
}

// DeleteUser removes a user and everything they own (admin only, not self).
func (r *Rules) DeleteUser(ctx context.Context, id int64) error {
	a, err := requireAdmin(ctx)
	if err != nil {
		return err
	}
	if a.User.ID == id {
		return Errorf(CodeFailedPrecondition, "an admin cannot delete their own account")
	}
	defer r.auth.clear()
	defer r.settings.forget(id)
	paths, err := r.db.DeleteUser(ctx, id)
	if err != nil {
		return notFoundAs(err, "user")
	}
	r.files.Remove(paths...)
	return nil
}
