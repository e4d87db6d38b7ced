package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/memoria-app/memoria/store"
)

func TestRedeemLinkCode(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	var users []store.User
	for _, name := range []string{"ann", "bob"} {
		u := store.User{Username: name, PasswordHash: "x", Role: store.RoleUser}
		if err := db.CreateUser(ctx, &u, nil); err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	now := time.Now()
	code := func(user int, name string, expires time.Time) []byte {
		h := []byte(name)
		if err := db.CreateLinkCode(ctx, users[user].ID, h, expires); err != nil {
			t.Fatal(err)
		}
		return h
	}
	fresh, expired, forBob := code(0, "fresh", now.Add(10*time.Minute)), code(0, "expired", now.Add(-time.Second)), code(1, "bob", now.Add(10*time.Minute))
	tests := []struct {
		name     string
		hash     []byte
		telegram int64
		want     error
		used     bool
	}{
		{"unknown code", []byte("nope"), 7, store.ErrNotFound, false},
		{"expired code", expired, 7, store.ErrCodeSpent, false},
		{"fresh code", fresh, 7, nil, true},
		{"the same redemption again", fresh, 7, nil, true},
		{"the used code for someone else", fresh, 8, store.ErrCodeSpent, true},
		{"an id linked to another user", forBob, 7, store.ErrConflict, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := db.RedeemLinkCode(ctx, tt.hash, tt.telegram, now)
			if !errors.Is(err, tt.want) && !(err == nil && tt.want == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !errors.Is(err, store.ErrNotFound) && c.UsedAt.IsZero() == tt.used {
				t.Fatalf("used = %v, want %v", !c.UsedAt.IsZero(), tt.used)
			}
		})
	}
	if u, err := db.GetUserByTelegramID(ctx, 7); err != nil || u.ID != users[0].ID {
		t.Fatalf("telegram 7 → %v, %v", u, err)
	}
	if n, err := db.CountLinkCodes(ctx, users[0].ID, now.Add(-time.Minute)); err != nil || n != 2 {
		t.Fatalf("codes = %d, %v", n, err)
	}
}

func TestChatSettingsRoundTrip(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	if v, err := db.SchemaVersion(ctx); err != nil || v < 4 {
		t.Fatalf("schema version = %d, %v", v, err)
	}
	u := mustUser(t, db, "cid")
	if _, err := db.UpdateUserSettings(ctx, u.ID, func(s *store.UserSettings) error {
		s.TelegramConfirmation, s.TelegramTag = store.ConfirmReaction, "tg"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s, err := db.GetUserSettings(ctx, u.ID)
	if err != nil || s.TelegramConfirmation != store.ConfirmReaction || s.TelegramTag != "tg" || s.DefaultVisibility != store.VisibilityPrivate {
		t.Fatalf("settings = %+v, %v", s, err)
	}
}
