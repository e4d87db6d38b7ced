package app_test

import (
	"testing"

	"connectrpc.com/connect"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

// TestDefaultVisibilityFollowsChanges: a memo without a visibility gets the
// user's current default, right after each change (the default is cached).
func TestDefaultVisibilityFollowsChanges(t *testing.T) {
	s := startServer(t)
	_, tok := s.signUp("admin")
	for _, vis := range []v1.Visibility{v1.Visibility_VISIBILITY_PRIVATE, v1.Visibility_VISIBILITY_PUBLIC, v1.Visibility_VISIBILITY_PROTECTED, v1.Visibility_VISIBILITY_PRIVATE} {
		if _, err := s.as(tok).UserSettings.UpdateUserSetting(ctxT(t), connect.NewRequest(&v1.UpdateUserSettingRequest{
			Setting: &v1.UserSetting{DefaultVisibility: vis}, UpdateMask: mask("default_visibility"),
		})); err != nil {
			t.Fatal(err)
		}
		if m := s.createMemo(tok, "x", v1.Visibility_VISIBILITY_UNSPECIFIED); m.Visibility != vis {
			t.Fatalf("default %v: memo got %v", vis, m.Visibility)
		}
	}
}
