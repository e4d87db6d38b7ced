package rules

import (
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/memoria-app/memoria/store"
)

// TestNULRefused: text holding U+0000, which PostgreSQL cannot store, is
// refused as invalid_argument naming the field on both databases (run
// with MEMORIA_TEST_DB=postgres), and nothing is written; a sign-in under
// such a name is a plain wrong sign-in; imports drop it.
func TestNULRefused(t *testing.T) {
	r := newTestRules(t, Config{})
	admin, _ := signUpT(t, r, "admin")
	ctx := WithActor(context.Background(), &Actor{User: admin})
	m, err := r.CreateMemo(ctx, MemoInput{Content: "clean"})
	if err != nil {
		t.Fatal(err)
	}
	const z = "a\x00b"
	ptr := func(s string) *string { return &s }
	for name, tt := range map[string]struct {
		call  func() error
		field string
	}{
		"memo content": {func() error { _, err := r.CreateMemo(ctx, MemoInput{Content: z}); return err }, "content"},
		"memo edit": {func() error {
			_, err := r.UpdateMemo(ctx, m.ID, MemoPatch{Content: ptr(z)})
			return err
		}, "content"},
		"display name of a new user": {func() error {
			_, err := r.CreateUser(ctx, NewUser{Username: "bob", DisplayName: z, Password: testPassword, Role: store.RoleUser})
			return err
		}, "display_name"},
		"display name":      {func() error { _, err := r.UpdateUser(ctx, admin.ID, UserPatch{DisplayName: ptr(z)}); return err }, "display_name"},
		"token description": {func() error { _, _, err := r.CreateAccessToken(ctx, z, time.Time{}); return err }, "description"},
		"locale":            {func() error { _, err := r.UpdateUserSettings(ctx, UserSettingsPatch{Locale: ptr(z)}); return err }, "locale"},
		"filter contains":   {func() error { _, _, err := r.ListMemos(ctx, `content.contains("a\u0000")`, 10, ""); return err }, "filter"},
		"filter tag":        {func() error { _, _, err := r.ListMemos(ctx, `tag == "a\x00"`, 10, ""); return err }, "filter"},
		"imported memo": {func() error {
			_, err := r.ImportMemo(ctx, ImportedMemo{Key: "k:1", CreatorID: admin.ID, Content: z, Visibility: store.VisibilityPrivate})
			return err
		}, "content"},
	} {
		t.Run(name, func(t *testing.T) {
			err := tt.call()
			if ErrorCode(err) != CodeInvalidArgument || !strings.HasPrefix(err.Error(), tt.field) || !strings.Contains(err.Error(), "NUL") {
				t.Fatalf("err = %v (code %v), want invalid_argument naming %s and NUL", err, ErrorCode(err), tt.field)
			}
		})
	}
	memos, _, err := r.ListMemos(ctx, "", 10, "")
	if err != nil || len(memos) != 1 || memos[0].Content != "clean" {
		t.Fatalf("memos after the refusals: %v, %v", memos, err)
	}
	if _, _, err := r.SignIn(context.Background(), "admin\x00", testPassword); ErrorCode(err) != CodeUnauthenticated {
		t.Fatalf("sign-in as a name with NUL: %v, want unauthenticated", err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.ImportUser(ctx, ImportedUser{Key: "k:u", Username: "carol", DisplayName: "Ca\x00rol", PasswordHash: string(hash),
		Role: store.RoleUser, Locale: "e\x00n", CreatedAt: time.Now().Add(-time.Hour)})
	if err != nil || res.User.DisplayName != "Carol" {
		t.Fatalf("ImportUser with NUL in the display name: %+v, %v; want it imported as Carol", res.User, err)
	}
}
