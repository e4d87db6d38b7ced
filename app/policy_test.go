package app_test

import (
	"sync"
	"testing"

	"connectrpc.com/connect"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

// TestFirstSignUpRace: of many simultaneous first sign-ups exactly one
// becomes the admin and the rest are refused (sign-up is closed once an
// account exists).
func TestFirstSignUpRace(t *testing.T) {
	s := startServer(t)
	const n = 12
	codes := make([]connect.Code, n)
	roles := make([]v1.Role, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := s.anon().Auth.SignUp(ctxT(t), req(&v1.SignUpRequest{Username: uniqueName("racer"), Password: testPassword}))
			codes[i] = codeOf(err)
			if err == nil {
				roles[i] = resp.Msg.GetUser().GetRole()
			}
		}()
	}
	close(start)
	wg.Wait()
	admins, refused := 0, 0
	for i := range n {
		switch {
		case codes[i] == codeOK && roles[i] == v1.Role_ROLE_ADMIN:
			admins++
		case codes[i] == connect.CodePermissionDenied:
			refused++
		default:
			t.Errorf("sign-up %d: code %s, role %v", i, codeName(codes[i]), roles[i])
		}
	}
	if admins != 1 || refused != n-1 {
		t.Fatalf("%d admins and %d refusals, want 1 and %d", admins, refused, n-1)
	}
}

// TestDeletedUserLosesAccess: deleting an account revokes its sessions and
// tokens at once and removes its memos.
func TestDeletedUserLosesAccess(t *testing.T) {
	s := startServer(t)
	ctx := ctxT(t)
	_, adminTok := s.signUp("admin")
	u, userTok := s.createUser(adminTok, "leaver")
	pat, err := s.as(userTok).Users.CreateAccessToken(ctx, req(&v1.CreateAccessTokenRequest{Description: "cli"}))
	wantCode(t, err, codeOK)
	m := s.createMemo(userTok, "public words", v1.Visibility_VISIBILITY_PUBLIC)
	r := s.createResource(userTok, "f.txt", "", []byte("bytes"), m.GetName())
	// Warm the credential cache.
	for _, tok := range []string{userTok, pat.Msg.GetToken()} {
		_, err := s.as(tok).Auth.GetCurrentUser(ctx, req(&v1.GetCurrentUserRequest{}))
		wantCode(t, err, codeOK)
	}
	_, err = s.as(adminTok).Users.DeleteUser(ctx, req(&v1.DeleteUserRequest{Name: u.GetName()}))
	wantCode(t, err, codeOK)
	for _, tok := range []string{userTok, pat.Msg.GetToken()} {
		_, err := s.as(tok).Auth.GetCurrentUser(ctx, req(&v1.GetCurrentUserRequest{}))
		wantCode(t, err, connect.CodeUnauthenticated)
	}
	_, err = s.anon().Memos.GetMemo(ctx, req(&v1.GetMemoRequest{Name: m.GetName()}))
	wantCode(t, err, connect.CodeNotFound)
	if st, _, _ := getFile(t, fileURL(s, r), nil); st != 404 {
		t.Fatalf("the deleted user's file answers %d, want 404", st)
	}
	_, err = s.anon().Auth.SignIn(ctx, req(&v1.SignInRequest{Username: "leaver", Password: testPassword}))
	wantCode(t, err, connect.CodeUnauthenticated, "invalid username or password")
}

// TestRoleChangeTakesEffect: a promoted user may act as admin at once; a
// demoted one may not.
func TestRoleChangeTakesEffect(t *testing.T) {
	s := startServer(t)
	ctx := ctxT(t)
	_, adminTok := s.signUp("admin")
	u, userTok := s.createUser(adminTok, "user")
	user := s.as(userTok)
	_, err := user.System.GetSystemSetting(ctx, req(&v1.GetSystemSettingRequest{})) // caches the credential
	wantCode(t, err, connect.CodePermissionDenied)
	setRole := func(r v1.Role) {
		t.Helper()
		_, err := s.as(adminTok).Users.UpdateUser(ctx, req(&v1.UpdateUserRequest{User: &v1.User{Name: u.GetName(), Role: r}, UpdateMask: mask("role")}))
		wantCode(t, err, codeOK)
	}
	setRole(v1.Role_ROLE_ADMIN)
	_, err = user.System.GetSystemSetting(ctx, req(&v1.GetSystemSettingRequest{}))
	wantCode(t, err, codeOK)
	setRole(v1.Role_ROLE_USER)
	_, err = user.System.GetSystemSetting(ctx, req(&v1.GetSystemSettingRequest{}))
	wantCode(t, err, connect.CodePermissionDenied)
}

// TestDisallowPublicVisibility: with the setting on, an explicit PUBLIC is
// refused, a PUBLIC default falls back to PROTECTED, and PUBLIC cannot
// become anyone's default.
func TestDisallowPublicVisibility(t *testing.T) {
	s := startServer(t)
	ctx := ctxT(t)
	_, adminTok := s.signUp("admin")
	_, userTok := s.createUser(adminTok, "user")
	user := s.as(userTok)
	setDefault := func(v v1.Visibility) error {
		_, err := user.UserSettings.UpdateUserSetting(ctx, req(&v1.UpdateUserSettingRequest{Setting: &v1.UserSetting{DefaultVisibility: v}, UpdateMask: mask("default_visibility")}))
		return err
	}
	wantCode(t, setDefault(v1.Visibility_VISIBILITY_PUBLIC), codeOK)
	publicBefore := s.createMemo(userTok, "by default", 0)
	if got := publicBefore.GetVisibility(); got != v1.Visibility_VISIBILITY_PUBLIC {
		t.Fatalf("default visibility gave %v, want PUBLIC", got)
	}
	_, err := s.as(adminTok).System.UpdateSystemSetting(ctx, req(&v1.UpdateSystemSettingRequest{Setting: &v1.SystemSetting{DisallowPublicVisibility: true}, UpdateMask: mask("disallow_public_visibility")}))
	wantCode(t, err, codeOK)

	_, err = user.Memos.CreateMemo(ctx, req(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: "x", Visibility: v1.Visibility_VISIBILITY_PUBLIC}}))
	wantCode(t, err, connect.CodePermissionDenied, "disallowPublicVisibility")
	if got := s.createMemo(userTok, "by default", 0).GetVisibility(); got != v1.Visibility_VISIBILITY_PROTECTED {
		t.Fatalf("a PUBLIC default gave %v, want PROTECTED", got)
	}
	m := s.createMemo(userTok, "private", v1.Visibility_VISIBILITY_PRIVATE)
	_, err = user.Memos.UpdateMemo(ctx, req(&v1.UpdateMemoRequest{Memo: &v1.Memo{Name: m.GetName(), Visibility: v1.Visibility_VISIBILITY_PUBLIC}, UpdateMask: mask("visibility")}))
	wantCode(t, err, connect.CodePermissionDenied, "public memos are disabled")
	wantCode(t, setDefault(v1.Visibility_VISIBILITY_PUBLIC), connect.CodePermissionDenied)
	wantCode(t, setDefault(v1.Visibility_VISIBILITY_PROTECTED), codeOK)

	// A memo made public before the setting can still be edited as the UI
	// does it (content with its unchanged visibility), and made less public.
	pub := publicBefore
	resp, err := user.Memos.UpdateMemo(ctx, req(&v1.UpdateMemoRequest{Memo: &v1.Memo{Name: pub.GetName(), Content: "edited", Visibility: v1.Visibility_VISIBILITY_PUBLIC}, UpdateMask: mask("content", "visibility")}))
	wantCode(t, err, codeOK)
	if resp.Msg.GetVisibility() != v1.Visibility_VISIBILITY_PUBLIC || resp.Msg.GetContent() != "edited" {
		t.Fatalf("edited public memo = %v", resp.Msg)
	}
	_, err = user.Memos.UpdateMemo(ctx, req(&v1.UpdateMemoRequest{Memo: &v1.Memo{Name: pub.GetName(), Visibility: v1.Visibility_VISIBILITY_PRIVATE}, UpdateMask: mask("visibility")}))
	wantCode(t, err, codeOK)
	_, err = user.Memos.UpdateMemo(ctx, req(&v1.UpdateMemoRequest{Memo: &v1.Memo{Name: pub.GetName(), Visibility: v1.Visibility_VISIBILITY_PUBLIC}, UpdateMask: mask("visibility")}))
	wantCode(t, err, connect.CodePermissionDenied, "public memos are disabled")
}
