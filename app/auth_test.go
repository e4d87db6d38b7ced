package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
)

// TestSignUpSignInFlow walks the account life cycle: the first sign-up is
// the admin, later ones wait for allowSignUp, sign-in failures look alike.
func TestSignUpSignInFlow(t *testing.T) {
	s := startServer(t)
	ctx := ctxT(t)
	anon := s.anon()

	first, err := anon.Auth.SignUp(ctx, connect.NewRequest(&v1.SignUpRequest{Username: "alice", Password: testPassword}))
	wantCode(t, err, codeOK)
	if got := first.Msg.GetUser().GetRole(); got != v1.Role_ROLE_ADMIN {
		t.Fatalf("first user role = %v, want ROLE_ADMIN", got)
	}
	if first.Msg.GetAccessToken() == "" || first.Msg.GetUser().GetName() == "" || first.Msg.GetUser().GetCreateTime() == nil {
		t.Fatalf("SignUp response incomplete: %v", first.Msg)
	}
	if first.Msg.GetUser().GetPassword() != "" {
		t.Fatal("SignUp returned the password")
	}
	admin := s.as(first.Msg.GetAccessToken())

	// Sign-up is closed by default after the first account.
	_, err = anon.Auth.SignUp(ctx, connect.NewRequest(&v1.SignUpRequest{Username: "bob", Password: testPassword}))
	wantCode(t, err, connect.CodePermissionDenied, "sign-up is closed")
	_, err = anon.Auth.SignIn(ctx, connect.NewRequest(&v1.SignInRequest{Username: "bob", Password: testPassword}))
	wantCode(t, err, connect.CodeUnauthenticated) // bob was not created
	users, err := admin.Users.ListUsers(ctx, connect.NewRequest(&v1.ListUsersRequest{}))
	wantCode(t, err, codeOK)
	if n := len(users.Msg.GetUsers()); n != 1 {
		t.Fatalf("after a refused sign-up there are %d users, want 1", n)
	}

	// An admin opens sign-up.
	_, err = admin.System.UpdateSystemSetting(ctx, connect.NewRequest(&v1.UpdateSystemSettingRequest{
		Setting: &v1.SystemSetting{AllowSignUp: true}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"allow_sign_up"}},
	}))
	wantCode(t, err, codeOK)
	bob, err := anon.Auth.SignUp(ctx, connect.NewRequest(&v1.SignUpRequest{Username: "bob", Password: testPassword}))
	wantCode(t, err, codeOK)
	if got := bob.Msg.GetUser().GetRole(); got != v1.Role_ROLE_USER {
		t.Fatalf("second user role = %v, want ROLE_USER", got)
	}
	_, err = anon.Auth.SignUp(ctx, connect.NewRequest(&v1.SignUpRequest{Username: "bob", Password: "another password"}))
	wantCode(t, err, connect.CodeAlreadyExists, `username "bob" is taken`)

	// Wrong password and unknown user are indistinguishable.
	_, errWrong := anon.Auth.SignIn(ctx, connect.NewRequest(&v1.SignInRequest{Username: "bob", Password: "wrong password"}))
	wantCode(t, errWrong, connect.CodeUnauthenticated, "invalid username or password")
	_, errUnknown := anon.Auth.SignIn(ctx, connect.NewRequest(&v1.SignInRequest{Username: "nobody", Password: testPassword}))
	wantCode(t, errUnknown, connect.CodeUnauthenticated, "invalid username or password")
	if errWrong.Error() != errUnknown.Error() {
		t.Errorf("wrong password %q and unknown user %q differ", errWrong, errUnknown)
	}
	_, errEmpty := anon.Auth.SignIn(ctx, connect.NewRequest(&v1.SignInRequest{}))
	wantCode(t, errEmpty, connect.CodeUnauthenticated, "invalid username or password")

	// The right password works and yields a fresh, working token.
	in, err := anon.Auth.SignIn(ctx, connect.NewRequest(&v1.SignInRequest{Username: "bob", Password: testPassword}))
	wantCode(t, err, codeOK)
	if in.Msg.GetAccessToken() == bob.Msg.GetAccessToken() {
		t.Fatal("SignIn returned the sign-up session token again")
	}
	me, err := s.as(in.Msg.GetAccessToken()).Auth.GetCurrentUser(ctx, connect.NewRequest(&v1.GetCurrentUserRequest{}))
	wantCode(t, err, codeOK)
	if me.Msg.GetUser().GetUsername() != "bob" {
		t.Fatalf("GetCurrentUser = %v, want bob", me.Msg.GetUser())
	}

	// A stale credential does not get in the way of signing in again.
	stale := s.as("mem_revoked-or-made-up")
	_, err = stale.Auth.SignIn(ctx, connect.NewRequest(&v1.SignInRequest{Username: "bob", Password: testPassword}))
	wantCode(t, err, codeOK)
	_, err = stale.Auth.GetCurrentUser(ctx, connect.NewRequest(&v1.GetCurrentUserRequest{}))
	wantCode(t, err, connect.CodeUnauthenticated, "not valid")
}

// postJSON makes a Connect unary call with JSON by hand, to see headers
// that the generated client hides (Set-Cookie).
func postJSON(t *testing.T, url, procedure string, body any, header http.Header) (*http.Response, []byte) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctxT(t), http.MethodPost, url+procedure, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, out
}

func sessionCookieOf(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == "memoria_session" {
			return c
		}
	}
	t.Fatalf("no memoria_session cookie in %v", resp.Header.Values("Set-Cookie"))
	return nil
}

// TestSessionCookie: SignIn sets an HttpOnly, SameSite=Lax cookie that works
// for API calls and /file, and SignOut revokes it.
func TestSessionCookie(t *testing.T) {
	s := startServer(t)
	ctx := ctxT(t)
	_, adminTok := s.signUp("admin")

	resp, body := postJSON(t, s.URL, memoriav1connect.AuthServiceSignInProcedure, map[string]string{"username": "admin", "password": testPassword}, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("SignIn: %s %s", resp.Status, body)
	}
	c := sessionCookieOf(t, resp)
	if !c.HttpOnly {
		t.Error("session cookie is not HttpOnly")
	}
	if c.SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie SameSite = %v, want Lax", c.SameSite)
	}
	if c.Path != "/" {
		t.Errorf("session cookie Path = %q, want /", c.Path)
	}
	if c.MaxAge <= 0 {
		t.Errorf("session cookie MaxAge = %d, want a lasting session", c.MaxAge)
	}
	if c.Secure {
		t.Error("session cookie is Secure on plain http: the browser would drop it")
	}
	var signIn struct{ AccessToken string }
	if err := json.Unmarshal(body, &signIn); err != nil || signIn.AccessToken != c.Value {
		t.Errorf("cookie value differs from the response's accessToken (%v)", err)
	}
	// Behind a TLS-terminating proxy the cookie is Secure.
	resp, _ = postJSON(t, s.URL, memoriav1connect.AuthServiceSignInProcedure, map[string]string{"username": "admin", "password": testPassword}, http.Header{"X-Forwarded-Proto": {"https"}})
	if !sessionCookieOf(t, resp).Secure {
		t.Error("cookie is not Secure behind X-Forwarded-Proto: https")
	}

	cookie := s.clientWith(connectJSON, connect.WithInterceptors(withHeader("Cookie", c.String())))
	me, err := cookie.Auth.GetCurrentUser(ctx, connect.NewRequest(&v1.GetCurrentUserRequest{}))
	wantCode(t, err, codeOK)
	if me.Msg.GetUser().GetUsername() != "admin" {
		t.Fatalf("cookie user = %v", me.Msg.GetUser())
	}
	// A memo written with the cookie comes from the web; with a bearer token from the API.
	m, err := cookie.Memos.CreateMemo(ctx, connect.NewRequest(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: "from the browser"}}))
	wantCode(t, err, codeOK)
	if m.Msg.GetSource() != v1.Source_SOURCE_WEB {
		t.Errorf("cookie memo source = %v, want SOURCE_WEB", m.Msg.GetSource())
	}
	if got := s.createMemo(adminTok, "from a script", 0).GetSource(); got != v1.Source_SOURCE_API {
		t.Errorf("bearer memo source = %v, want SOURCE_API", got)
	}

	// The cookie opens /file for a private memo's resource.
	res := s.createResource(adminTok, "note.txt", "text/plain", []byte("private bytes"), m.Msg.GetName())
	get := func(h http.Header) int {
		t.Helper()
		st, _, _ := getFile(t, s.URL+"/file/"+res.GetName()+"/note.txt", h)
		return st
	}
	if st := get(http.Header{"Cookie": {c.String()}}); st != http.StatusOK {
		t.Fatalf("/file with the cookie = %d, want 200", st)
	}

	// SignOut with the cookie clears it and revokes the session.
	resp, body = postJSON(t, s.URL, memoriav1connect.AuthServiceSignOutProcedure, map[string]string{}, http.Header{"Cookie": {c.String()}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("SignOut: %s %s", resp.Status, body)
	}
	if cleared := sessionCookieOf(t, resp); cleared.MaxAge >= 0 || cleared.Value != "" {
		t.Errorf("SignOut cookie = %v, want an expired empty cookie", cleared)
	}
	_, err = cookie.Auth.GetCurrentUser(ctx, connect.NewRequest(&v1.GetCurrentUserRequest{}))
	wantCode(t, err, connect.CodeUnauthenticated)
	if st := get(http.Header{"Cookie": {c.String()}}); st != http.StatusUnauthorized {
		t.Fatalf("/file with a revoked cookie = %d, want 401", st)
	}
	// The admin's other session is untouched.
	_, err = s.as(adminTok).Auth.GetCurrentUser(ctx, connect.NewRequest(&v1.GetCurrentUserRequest{}))
	wantCode(t, err, codeOK)
}

// TestSignOutBearer: signing out revokes exactly the presented token.
func TestSignOutBearer(t *testing.T) {
	s := startServer(t)
	ctx := ctxT(t)
	_, tok1 := s.signUp("admin")
	_, tok2 := s.signIn("admin")
	_, err := s.as(tok1).Auth.SignOut(ctx, connect.NewRequest(&v1.SignOutRequest{}))
	wantCode(t, err, codeOK)
	_, err = s.as(tok1).Auth.GetCurrentUser(ctx, connect.NewRequest(&v1.GetCurrentUserRequest{}))
	wantCode(t, err, connect.CodeUnauthenticated, "revoked or unknown")
	_, err = s.as(tok1).Auth.SignOut(ctx, connect.NewRequest(&v1.SignOutRequest{}))
	wantCode(t, err, connect.CodeUnauthenticated)
	_, err = s.as(tok2).Auth.GetCurrentUser(ctx, connect.NewRequest(&v1.GetCurrentUserRequest{}))
	wantCode(t, err, codeOK)
	// Malformed credentials are refused, not ignored.
	for _, h := range []string{"Bearer", "Bearer ", "Basic YWRtaW46eA==", "Bearer mem_x", "bearer " + tok2} {
		c := s.clientWith(connectJSON, connect.WithInterceptors(withHeader("Authorization", h)))
		_, err := c.Auth.GetCurrentUser(ctx, connect.NewRequest(&v1.GetCurrentUserRequest{}))
		if codeOf(err) != connect.CodeUnauthenticated {
			t.Errorf("Authorization %q: code %s, want unauthenticated", h, codeName(codeOf(err)))
		}
	}
}

// TestPersonalAccessTokens: create (secret shown once), list, use, revoke,
// expire.
func TestPersonalAccessTokens(t *testing.T) {
	s := startServer(t)
	ctx := ctxT(t)
	_, adminTok := s.signUp("admin")
	_, userTok := s.createUser(adminTok, "user")
	user := s.as(userTok)

	created, err := user.Users.CreateAccessToken(ctx, connect.NewRequest(&v1.CreateAccessTokenRequest{Description: "cli"}))
	wantCode(t, err, codeOK)
	pat := created.Msg.GetToken()
	if pat == "" || !strings.HasPrefix(created.Msg.GetAccessToken().GetName(), "accessTokens/") {
		t.Fatalf("CreateAccessToken = %v", created.Msg)
	}
	if created.Msg.GetAccessToken().GetExpireTime() != nil {
		t.Error("a token without expiry reports an expire_time")
	}
	second, err := user.Users.CreateAccessToken(ctx, connect.NewRequest(&v1.CreateAccessTokenRequest{Description: "backup", ExpireTime: timestamppb.New(time.Now().Add(time.Hour))}))
	wantCode(t, err, codeOK)

	list, err := user.Users.ListAccessTokens(ctx, connect.NewRequest(&v1.ListAccessTokensRequest{}))
	wantCode(t, err, codeOK)
	var descs []string
	for _, tk := range list.Msg.GetAccessTokens() {
		descs = append(descs, tk.GetDescription())
		if tk.GetCreateTime() == nil {
			t.Errorf("token %s has no create_time", tk.GetName())
		}
	}
	if strings.Join(descs, ",") != "backup,cli" {
		t.Fatalf("ListAccessTokens = %v, want newest first [backup cli] and no sessions", descs)
	}
	if strings.Contains(list.Msg.String(), pat) {
		t.Fatal("ListAccessTokens returned a secret")
	}
	// Another user sees none of them and cannot revoke them.
	otherList, err := s.as(adminTok).Users.ListAccessTokens(ctx, connect.NewRequest(&v1.ListAccessTokensRequest{}))
	wantCode(t, err, codeOK)
	if n := len(otherList.Msg.GetAccessTokens()); n != 0 {
		t.Fatalf("admin sees %d of the user's tokens", n)
	}
	_, err = s.as(adminTok).Users.DeleteAccessToken(ctx, connect.NewRequest(&v1.DeleteAccessTokenRequest{Name: created.Msg.GetAccessToken().GetName()}))
	wantCode(t, err, connect.CodeNotFound, "access token not found")

	// The token works, then stops working at once when revoked.
	me, err := s.as(pat).Auth.GetCurrentUser(ctx, connect.NewRequest(&v1.GetCurrentUserRequest{}))
	wantCode(t, err, codeOK)
	if me.Msg.GetUser().GetUsername() != "user" {
		t.Fatalf("token user = %v", me.Msg.GetUser())
	}
	_, err = user.Users.DeleteAccessToken(ctx, connect.NewRequest(&v1.DeleteAccessTokenRequest{Name: created.Msg.GetAccessToken().GetName()}))
	wantCode(t, err, codeOK)
	_, err = s.as(pat).Auth.GetCurrentUser(ctx, connect.NewRequest(&v1.GetCurrentUserRequest{}))
	wantCode(t, err, connect.CodeUnauthenticated)
	_, err = user.Users.DeleteAccessToken(ctx, connect.NewRequest(&v1.DeleteAccessTokenRequest{Name: created.Msg.GetAccessToken().GetName()}))
	wantCode(t, err, connect.CodeNotFound)
	_, err = s.as(second.Msg.GetToken()).Auth.GetCurrentUser(ctx, connect.NewRequest(&v1.GetCurrentUserRequest{}))
	wantCode(t, err, codeOK)

	// Expiry: a token stops working once its time has passed.
	exp := time.Now().Add(400 * time.Millisecond)
	short, err := user.Users.CreateAccessToken(ctx, connect.NewRequest(&v1.CreateAccessTokenRequest{Description: "short", ExpireTime: timestamppb.New(exp)}))
	wantCode(t, err, codeOK)
	if got := short.Msg.GetAccessToken().GetExpireTime().AsTime(); got.Sub(exp).Abs() > time.Millisecond {
		t.Errorf("expire_time = %v, want %v", got, exp)
	}
	shortAPI := s.as(short.Msg.GetToken())
	_, err = shortAPI.Auth.GetCurrentUser(ctx, connect.NewRequest(&v1.GetCurrentUserRequest{}))
	if time.Now().Before(exp) {
		wantCode(t, err, codeOK)
	}
	var lastErr error
	eventually(t, 5*time.Second, "the short-lived token to expire", func() bool {
		_, lastErr = shortAPI.Auth.GetCurrentUser(ctx, connect.NewRequest(&v1.GetCurrentUserRequest{}))
		return lastErr != nil
	})
	wantCode(t, lastErr, connect.CodeUnauthenticated, "expired")
	if time.Now().Before(exp) {
		t.Fatal("token refused before its expiry")
	}

	// An expiry in the past is refused.
	_, err = user.Users.CreateAccessToken(ctx, connect.NewRequest(&v1.CreateAccessTokenRequest{ExpireTime: timestamppb.New(time.Now().Add(-time.Minute))}))
	wantCode(t, err, connect.CodeInvalidArgument, "expire_time must be in the future")
}
