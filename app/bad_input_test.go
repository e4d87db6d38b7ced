package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

// badInputEnv is an admin, a user with a memo and a resource, and another
// user whose Telegram id is linked.
type badInputEnv struct {
	s                    *testServer
	admin, user, other   *api
	userName, otherName  string
	memo                 *v1.Memo
	resource             *v1.Resource
	adminTok, userTok    string
	linkedTelegramUserID int64
}

// snapshot is everything a refused call must leave unchanged.
func (e *badInputEnv) snapshot(t *testing.T) []proto.Message {
	t.Helper()
	ctx := ctxT(t)
	var out []proto.Message
	add := func(m proto.Message, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("snapshot: %v", err)
		}
		out = append(out, m)
	}
	users, err := e.admin.Users.ListUsers(ctx, req(&v1.ListUsersRequest{PageSize: 1000}))
	add(users.Msg, err)
	sys, err := e.admin.System.GetSystemSetting(ctx, req(&v1.GetSystemSettingRequest{}))
	add(sys.Msg, err)
	for _, c := range []*api{e.admin, e.user, e.other} {
		memos, err := c.Memos.ListMemos(ctx, req(&v1.ListMemosRequest{PageSize: 1000}))
		add(memos.Msg, err)
		res, err := c.Resources.ListResources(ctx, req(&v1.ListResourcesRequest{PageSize: 1000}))
		add(res.Msg, err)
		us, err := c.UserSettings.GetUserSetting(ctx, req(&v1.GetUserSettingRequest{}))
		add(us.Msg, err)
		toks, err := c.Users.ListAccessTokens(ctx, req(&v1.ListAccessTokensRequest{}))
		add(toks.Msg, err)
	}
	return out
}

// TestBadInput: each malformed or conflicting request gets the right code
// and a message that names the field, and changes nothing.
func TestBadInput(t *testing.T) {
	s := startServer(t)
	e := &badInputEnv{s: s, linkedTelegramUserID: 777000111}
	_, e.adminTok = s.signUp("admin")
	_, e.userTok = s.createUser(e.adminTok, "user")
	_, otherTok := s.createUser(e.adminTok, "other")
	e.admin, e.user, e.other = s.as(e.adminTok), s.as(e.userTok), s.as(otherTok)
	e.memo = s.createMemo(e.userTok, "a memo #tag", v1.Visibility_VISIBILITY_PRIVATE)
	s.createMemo(e.userTok, "a second memo", v1.Visibility_VISIBILITY_PUBLIC)
	e.resource = s.createResource(e.userTok, "a.txt", "", []byte("a"), "")
	me, err := e.user.Auth.GetCurrentUser(ctxT(t), req(&v1.GetCurrentUserRequest{}))
	wantCode(t, err, codeOK)
	e.userName = me.Msg.GetUser().GetName()
	_, err = e.other.UserSettings.UpdateUserSetting(ctxT(t), req(&v1.UpdateUserSettingRequest{
		Setting: &v1.UserSetting{TelegramUserId: e.linkedTelegramUserID}, UpdateMask: mask("telegram_user_id"),
	}))
	wantCode(t, err, codeOK)

	long := func(n int) string { return strings.Repeat("x", n) }
	goodPW := testPassword
	tests := map[string]struct {
		call  func(ctx context.Context) error
		code  connect.Code
		frags []string // fragments of the message; the first names the field
	}{
		// AuthService
		"SignUp empty username": {func(ctx context.Context) error {
			_, err := s.anon().Auth.SignUp(ctx, req(&v1.SignUpRequest{Password: goodPW}))
			return err
		}, connect.CodeInvalidArgument, []string{"username is required"}},
		"SignUp username too long": {func(ctx context.Context) error {
			_, err := s.anon().Auth.SignUp(ctx, req(&v1.SignUpRequest{Username: long(33), Password: goodPW}))
			return err
		}, connect.CodeInvalidArgument, []string{"username", "at most 32"}},
		"SignUp username with space": {func(ctx context.Context) error {
			_, err := s.anon().Auth.SignUp(ctx, req(&v1.SignUpRequest{Username: "a b", Password: goodPW}))
			return err
		}, connect.CodeInvalidArgument, []string{"username", "letters, digits"}},
		"SignUp password too short": {func(ctx context.Context) error {
			_, err := s.anon().Auth.SignUp(ctx, req(&v1.SignUpRequest{Username: "newbie", Password: "short"}))
			return err
		}, connect.CodeInvalidArgument, []string{"password", "at least 8"}},
		"SignIn username with NUL": {func(ctx context.Context) error {
			_, err := s.anon().Auth.SignIn(ctx, req(&v1.SignInRequest{Username: "user\x00", Password: goodPW}))
			return err
		}, connect.CodeUnauthenticated, []string{"invalid username or password"}},
		"SignUp password too long": {func(ctx context.Context) error {
			_, err := s.anon().Auth.SignUp(ctx, req(&v1.SignUpRequest{Username: "newbie", Password: long(73)}))
			return err
		}, connect.CodeInvalidArgument, []string{"password", "at most 72 bytes"}},

		// UserService
		"CreateUser missing user": {func(ctx context.Context) error {
			_, err := e.admin.Users.CreateUser(ctx, req(&v1.CreateUserRequest{}))
			return err
		}, connect.CodeInvalidArgument, []string{"user is required"}},
		"CreateUser taken username": {func(ctx context.Context) error {
			_, err := e.admin.Users.CreateUser(ctx, req(&v1.CreateUserRequest{User: &v1.User{Username: "user", Password: goodPW}}))
			return err
		}, connect.CodeAlreadyExists, []string{`username "user" is taken`}},
		"CreateUser display name too long": {func(ctx context.Context) error {
			_, err := e.admin.Users.CreateUser(ctx, req(&v1.CreateUserRequest{User: &v1.User{Username: "newbie", Password: goodPW, DisplayName: strings.Repeat("é", 65)}}))
			return err
		}, connect.CodeInvalidArgument, []string{"display_name", "at most 64"}},
		"CreateUser display name with NUL": {func(ctx context.Context) error {
			_, err := e.admin.Users.CreateUser(ctx, req(&v1.CreateUserRequest{User: &v1.User{Username: "newbie", Password: goodPW, DisplayName: "a\x00b"}}))
			return err
		}, connect.CodeInvalidArgument, []string{"display_name", "NUL (U+0000)"}},
		"CreateUser unknown role": {func(ctx context.Context) error {
			_, err := e.admin.Users.CreateUser(ctx, req(&v1.CreateUserRequest{User: &v1.User{Username: "newbie", Password: goodPW, Role: 42}}))
			return err
		}, connect.CodeInvalidArgument, []string{"user.role", "ROLE_ADMIN or ROLE_USER"}},
		"UpdateUser taken username": {func(ctx context.Context) error {
			_, err := e.user.Users.UpdateUser(ctx, req(&v1.UpdateUserRequest{User: &v1.User{Name: e.userName, Username: "other"}, UpdateMask: mask("username")}))
			return err
		}, connect.CodeAlreadyExists, []string{`username "other" is taken`}},
		"UpdateUser unknown mask path": {func(ctx context.Context) error {
			_, err := e.user.Users.UpdateUser(ctx, req(&v1.UpdateUserRequest{User: &v1.User{Name: e.userName}, UpdateMask: mask("create_time")}))
			return err
		}, connect.CodeInvalidArgument, []string{"update_mask", `"create_time"`}},
		"UpdateUser no mask": {func(ctx context.Context) error {
			_, err := e.user.Users.UpdateUser(ctx, req(&v1.UpdateUserRequest{User: &v1.User{Name: e.userName, DisplayName: "x"}}))
			return err
		}, connect.CodeInvalidArgument, []string{"update_mask is required"}},
		"UpdateUser bad name": {func(ctx context.Context) error {
			_, err := e.user.Users.UpdateUser(ctx, req(&v1.UpdateUserRequest{User: &v1.User{Name: "user"}, UpdateMask: mask("display_name")}))
			return err
		}, connect.CodeInvalidArgument, []string{"user.name", "users/{id}"}},
		"UpdateUser missing name": {func(ctx context.Context) error {
			_, err := e.user.Users.UpdateUser(ctx, req(&v1.UpdateUserRequest{UpdateMask: mask("display_name")}))
			return err
		}, connect.CodeInvalidArgument, []string{"user.name is required"}},
		"UpdateUser empty username": {func(ctx context.Context) error {
			_, err := e.user.Users.UpdateUser(ctx, req(&v1.UpdateUserRequest{User: &v1.User{Name: e.userName}, UpdateMask: mask("username")}))
			return err
		}, connect.CodeInvalidArgument, []string{"username is required"}},
		"UpdateUser short password": {func(ctx context.Context) error {
			_, err := e.user.Users.UpdateUser(ctx, req(&v1.UpdateUserRequest{User: &v1.User{Name: e.userName, Password: "x"}, UpdateMask: mask("password")}))
			return err
		}, connect.CodeInvalidArgument, []string{"password", "at least 8"}},
		"UpdateUser unspecified role": {func(ctx context.Context) error {
			_, err := e.admin.Users.UpdateUser(ctx, req(&v1.UpdateUserRequest{User: &v1.User{Name: e.userName}, UpdateMask: mask("role")}))
			return err
		}, connect.CodeInvalidArgument, []string{"user.role"}},
		"UpdateUser admin demotes self": {func(ctx context.Context) error {
			_, err := e.admin.Users.UpdateUser(ctx, req(&v1.UpdateUserRequest{User: &v1.User{Name: "users/1", Role: v1.Role_ROLE_USER}, UpdateMask: mask("role")}))
			return err
		}, connect.CodeFailedPrecondition, []string{"own admin role"}},
		"GetUser unknown": {func(ctx context.Context) error {
			_, err := e.admin.Users.GetUser(ctx, req(&v1.GetUserRequest{Name: "users/424242"}))
			return err
		}, connect.CodeNotFound, []string{"user not found"}},
		"GetUser wrong collection": {func(ctx context.Context) error {
			_, err := e.admin.Users.GetUser(ctx, req(&v1.GetUserRequest{Name: "memos/1"}))
			return err
		}, connect.CodeInvalidArgument, []string{"name", "users/{id}"}},
		"ListUsers bad page token": {func(ctx context.Context) error {
			_, err := e.admin.Users.ListUsers(ctx, req(&v1.ListUsersRequest{PageToken: "nope"}))
			return err
		}, connect.CodeInvalidArgument, []string{"page_token"}},
		"ListUsers negative page size": {func(ctx context.Context) error {
			_, err := e.admin.Users.ListUsers(ctx, req(&v1.ListUsersRequest{PageSize: -1}))
			return err
		}, connect.CodeInvalidArgument, []string{"page_size"}},
		"CreateAccessToken expiry in the past": {func(ctx context.Context) error {
			_, err := e.user.Users.CreateAccessToken(ctx, req(&v1.CreateAccessTokenRequest{ExpireTime: timestamppb.New(time.Now().Add(-time.Second))}))
			return err
		}, connect.CodeInvalidArgument, []string{"expire_time", "future"}},
		"CreateAccessToken invalid expiry": {func(ctx context.Context) error {
			// Binary: the JSON client refuses to marshal it.
			_, err := s.client(connectProto, e.userTok).Users.CreateAccessToken(ctx, req(&v1.CreateAccessTokenRequest{ExpireTime: &timestamppb.Timestamp{Nanos: -1}}))
			return err
		}, connect.CodeInvalidArgument, []string{"expire_time"}},
		"CreateAccessToken description too long": {func(ctx context.Context) error {
			_, err := e.user.Users.CreateAccessToken(ctx, req(&v1.CreateAccessTokenRequest{Description: long(257)}))
			return err
		}, connect.CodeInvalidArgument, []string{"description", "at most 256"}},
		"CreateAccessToken description with NUL": {func(ctx context.Context) error {
			_, err := e.user.Users.CreateAccessToken(ctx, req(&v1.CreateAccessTokenRequest{Description: "cli\x00"}))
			return err
		}, connect.CodeInvalidArgument, []string{"description", "NUL (U+0000)"}},
		"DeleteAccessToken unknown": {func(ctx context.Context) error {
			_, err := e.user.Users.DeleteAccessToken(ctx, req(&v1.DeleteAccessTokenRequest{Name: "accessTokens/424242"}))
			return err
		}, connect.CodeNotFound, []string{"access token not found"}},
		"DeleteAccessToken bad name": {func(ctx context.Context) error {
			_, err := e.user.Users.DeleteAccessToken(ctx, req(&v1.DeleteAccessTokenRequest{Name: "tokens/1"}))
			return err
		}, connect.CodeInvalidArgument, []string{"name", "accessTokens/{id}"}},

		// MemoService
		"CreateMemo missing memo": {func(ctx context.Context) error {
			_, err := e.user.Memos.CreateMemo(ctx, req(&v1.CreateMemoRequest{}))
			return err
		}, connect.CodeInvalidArgument, []string{"memo is required"}},
		"CreateMemo empty content": {func(ctx context.Context) error {
			_, err := e.user.Memos.CreateMemo(ctx, req(&v1.CreateMemoRequest{Memo: &v1.Memo{}}))
			return err
		}, connect.CodeInvalidArgument, []string{"content is required"}},
		"CreateMemo content over 1 MiB": {func(ctx context.Context) error {
			_, err := e.user.Memos.CreateMemo(ctx, req(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: long(1<<20 + 1)}}))
			return err
		}, connect.CodeInvalidArgument, []string{"content", "1048577 bytes", "1 MiB"}},
		"CreateMemo content with NUL": {func(ctx context.Context) error {
			_, err := e.user.Memos.CreateMemo(ctx, req(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: "a\x00b"}}))
			return err
		}, connect.CodeInvalidArgument, []string{"content", "NUL (U+0000)"}},
		"CreateMemo unknown visibility": {func(ctx context.Context) error {
			_, err := e.user.Memos.CreateMemo(ctx, req(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: "x", Visibility: 9}}))
			return err
		}, connect.CodeInvalidArgument, []string{"visibility"}},
		"CreateMemo bad resource name": {func(ctx context.Context) error {
			_, err := e.user.Memos.CreateMemo(ctx, req(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: "x"}, ResourceNames: []string{"files/1"}}))
			return err
		}, connect.CodeInvalidArgument, []string{"resource_names", "resources/{id}"}},
		"CreateMemo unknown resource": {func(ctx context.Context) error {
			_, err := e.user.Memos.CreateMemo(ctx, req(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: "x"}, ResourceNames: []string{"resources/424242"}}))
			return err
		}, connect.CodeNotFound, []string{"resources/424242"}},
		"GetMemo unknown": {func(ctx context.Context) error {
			_, err := e.user.Memos.GetMemo(ctx, req(&v1.GetMemoRequest{Name: "memos/424242"}))
			return err
		}, connect.CodeNotFound, []string{"memos/424242 not found"}},
		"GetMemo empty name": {func(ctx context.Context) error {
			_, err := e.user.Memos.GetMemo(ctx, req(&v1.GetMemoRequest{}))
			return err
		}, connect.CodeInvalidArgument, []string{"name is required"}},
		"GetMemo not a number": {func(ctx context.Context) error {
			_, err := e.user.Memos.GetMemo(ctx, req(&v1.GetMemoRequest{Name: "memos/abc"}))
			return err
		}, connect.CodeInvalidArgument, []string{"name", `"memos/abc"`}},
		"ListMemos bad page token": {func(ctx context.Context) error {
			_, err := e.user.Memos.ListMemos(ctx, req(&v1.ListMemosRequest{PageToken: "bm9wZQ"}))
			return err
		}, connect.CodeInvalidArgument, []string{"page_token"}},
		"ListMemos page token of another filter": {func(ctx context.Context) error {
			page, err := e.user.Memos.ListMemos(ctx, req(&v1.ListMemosRequest{PageSize: 1}))
			if err != nil || page.Msg.GetNextPageToken() == "" {
				t.Fatalf("first page: %v, token %q", err, page.Msg.GetNextPageToken())
			}
			_, err = e.user.Memos.ListMemos(ctx, req(&v1.ListMemosRequest{PageSize: 1, PageToken: page.Msg.GetNextPageToken(), Filter: "pinned == false"}))
			return err
		}, connect.CodeInvalidArgument, []string{"page_token", "another filter"}},
		"ListMemos negative page size": {func(ctx context.Context) error {
			_, err := e.user.Memos.ListMemos(ctx, req(&v1.ListMemosRequest{PageSize: -5}))
			return err
		}, connect.CodeInvalidArgument, []string{"page_size"}},
		"ListMemos bad filter": {func(ctx context.Context) error {
			_, err := e.user.Memos.ListMemos(ctx, req(&v1.ListMemosRequest{Filter: `owner == "users/1"`}))
			return err
		}, connect.CodeInvalidArgument, []string{"filter", `unknown key "owner"`}},
		"ListMemos filter with NUL": {func(ctx context.Context) error {
			_, err := e.user.Memos.ListMemos(ctx, req(&v1.ListMemosRequest{Filter: `content.contains("a\u0000")`}))
			return err
		}, connect.CodeInvalidArgument, []string{"filter", "NUL (U+0000)"}},
		"UpdateMemo unknown mask path": {func(ctx context.Context) error {
			_, err := e.user.Memos.UpdateMemo(ctx, req(&v1.UpdateMemoRequest{Memo: &v1.Memo{Name: e.memo.GetName(), Content: "changed"}, UpdateMask: mask("content", "tags")}))
			return err
		}, connect.CodeInvalidArgument, []string{"update_mask", `unknown field "tags"`, "content, pinned, resources, visibility"}},
		"UpdateMemo output-only path": {func(ctx context.Context) error {
			_, err := e.user.Memos.UpdateMemo(ctx, req(&v1.UpdateMemoRequest{Memo: &v1.Memo{Name: e.memo.GetName(), Creator: "users/1"}, UpdateMask: mask("creator")}))
			return err
		}, connect.CodeInvalidArgument, []string{"update_mask", `"creator"`}},
		"UpdateMemo no mask": {func(ctx context.Context) error {
			_, err := e.user.Memos.UpdateMemo(ctx, req(&v1.UpdateMemoRequest{Memo: &v1.Memo{Name: e.memo.GetName(), Content: "changed"}}))
			return err
		}, connect.CodeInvalidArgument, []string{"update_mask is required"}},
		"UpdateMemo missing memo": {func(ctx context.Context) error {
			_, err := e.user.Memos.UpdateMemo(ctx, req(&v1.UpdateMemoRequest{UpdateMask: mask("content")}))
			return err
		}, connect.CodeInvalidArgument, []string{"memo.name is required"}},
		"UpdateMemo empty content": {func(ctx context.Context) error {
			_, err := e.user.Memos.UpdateMemo(ctx, req(&v1.UpdateMemoRequest{Memo: &v1.Memo{Name: e.memo.GetName()}, UpdateMask: mask("content")}))
			return err
		}, connect.CodeInvalidArgument, []string{"content is required"}},
		"UpdateMemo content over 1 MiB": {func(ctx context.Context) error {
			_, err := e.user.Memos.UpdateMemo(ctx, req(&v1.UpdateMemoRequest{Memo: &v1.Memo{Name: e.memo.GetName(), Content: long(1<<20 + 1)}, UpdateMask: mask("content")}))
			return err
		}, connect.CodeInvalidArgument, []string{"content", "1 MiB"}},
		"UpdateMemo content with NUL": {func(ctx context.Context) error {
			_, err := e.user.Memos.UpdateMemo(ctx, req(&v1.UpdateMemoRequest{Memo: &v1.Memo{Name: e.memo.GetName(), Content: "\x00"}, UpdateMask: mask("content")}))
			return err
		}, connect.CodeInvalidArgument, []string{"content", "NUL (U+0000)"}},
		"UpdateMemo unspecified visibility": {func(ctx context.Context) error {
			_, err := e.user.Memos.UpdateMemo(ctx, req(&v1.UpdateMemoRequest{Memo: &v1.Memo{Name: e.memo.GetName()}, UpdateMask: mask("visibility")}))
			return err
		}, connect.CodeInvalidArgument, []string{"visibility must be"}},
		"UpdateMemo unknown memo": {func(ctx context.Context) error {
			_, err := e.user.Memos.UpdateMemo(ctx, req(&v1.UpdateMemoRequest{Memo: &v1.Memo{Name: "memos/424242", Content: "x"}, UpdateMask: mask("content")}))
			return err
		}, connect.CodeNotFound, []string{"memos/424242"}},
		"UpdateMemo bad resource name": {func(ctx context.Context) error {
			_, err := e.user.Memos.UpdateMemo(ctx, req(&v1.UpdateMemoRequest{Memo: &v1.Memo{Name: e.memo.GetName(), Resources: []*v1.Resource{{Name: "x"}}}, UpdateMask: mask("resources")}))
			return err
		}, connect.CodeInvalidArgument, []string{"memo.resources.name"}},
		"DeleteMemo unknown": {func(ctx context.Context) error {
			_, err := e.user.Memos.DeleteMemo(ctx, req(&v1.DeleteMemoRequest{Name: "memos/424242"}))
			return err
		}, connect.CodeNotFound, []string{"memos/424242"}},

		// ResourceService
		"CreateResource missing resource": {func(ctx context.Context) error {
			_, err := e.user.Resources.CreateResource(ctx, req(&v1.CreateResourceRequest{}))
			return err
		}, connect.CodeInvalidArgument, []string{"resource is required"}},
		"CreateResource empty filename": {func(ctx context.Context) error {
			_, err := e.user.Resources.CreateResource(ctx, req(&v1.CreateResourceRequest{Resource: &v1.Resource{Content: []byte("x")}}))
			return err
		}, connect.CodeInvalidArgument, []string{"filename is required"}},
		"CreateResource filename too long": {func(ctx context.Context) error {
			_, err := e.user.Resources.CreateResource(ctx, req(&v1.CreateResourceRequest{Resource: &v1.Resource{Filename: long(256), Content: []byte("x")}}))
			return err
		}, connect.CodeInvalidArgument, []string{"filename", "at most 255"}},
		"CreateResource filename with slash": {func(ctx context.Context) error {
			_, err := e.user.Resources.CreateResource(ctx, req(&v1.CreateResourceRequest{Resource: &v1.Resource{Filename: "../etc/passwd", Content: []byte("x")}}))
			return err
		}, connect.CodeInvalidArgument, []string{"filename", "'/'"}},
		"CreateResource filename dot-dot": {func(ctx context.Context) error {
			_, err := e.user.Resources.CreateResource(ctx, req(&v1.CreateResourceRequest{Resource: &v1.Resource{Filename: "..", Content: []byte("x")}}))
			return err
		}, connect.CodeInvalidArgument, []string{"filename"}},
		"CreateResource bad type": {func(ctx context.Context) error {
			_, err := e.user.Resources.CreateResource(ctx, req(&v1.CreateResourceRequest{Resource: &v1.Resource{Filename: "a.txt", Type: "not a type", Content: []byte("x")}}))
			return err
		}, connect.CodeInvalidArgument, []string{"type", `"not a type"`}},
		"CreateResource bad memo name": {func(ctx context.Context) error {
			_, err := e.user.Resources.CreateResource(ctx, req(&v1.CreateResourceRequest{Resource: &v1.Resource{Filename: "a.txt", Content: []byte("x"), Memo: "memo/1"}}))
			return err
		}, connect.CodeInvalidArgument, []string{"resource.memo", "memos/{id}"}},
		"CreateResource unknown memo": {func(ctx context.Context) error {
			_, err := e.user.Resources.CreateResource(ctx, req(&v1.CreateResourceRequest{Resource: &v1.Resource{Filename: "a.txt", Content: []byte("x"), Memo: "memos/424242"}}))
			return err
		}, connect.CodeNotFound, []string{"memos/424242"}},
		"GetResource unknown": {func(ctx context.Context) error {
			_, err := e.user.Resources.GetResource(ctx, req(&v1.GetResourceRequest{Name: "resources/424242"}))
			return err
		}, connect.CodeNotFound, []string{"resources/424242 not found"}},
		"ListResources bad page token": {func(ctx context.Context) error {
			_, err := e.user.Resources.ListResources(ctx, req(&v1.ListResourcesRequest{PageToken: "dS4x"})) // "u.1": a users token
			return err
		}, connect.CodeInvalidArgument, []string{"page_token"}},
		"ListResources bad memo": {func(ctx context.Context) error {
			_, err := e.user.Resources.ListResources(ctx, req(&v1.ListResourcesRequest{Memo: "memos/x"}))
			return err
		}, connect.CodeInvalidArgument, []string{"memo", `"memos/x"`}},
		"DeleteResource unknown": {func(ctx context.Context) error {
			_, err := e.user.Resources.DeleteResource(ctx, req(&v1.DeleteResourceRequest{Name: "resources/424242"}))
			return err
		}, connect.CodeNotFound, []string{"resources/424242"}},

		// SystemSettingService
		"UpdateSystemSetting bad token": {func(ctx context.Context) error {
			_, err := e.admin.System.UpdateSystemSetting(ctx, req(&v1.UpdateSystemSettingRequest{Setting: &v1.SystemSetting{TelegramBotToken: "123456:not a token"}, UpdateMask: mask("telegram_bot_token")}))
			return err
		}, connect.CodeInvalidArgument, []string{"telegram_bot_token", "bot token like", `proxy URL ending in "/bot<token>"`}},
		"UpdateSystemSetting bad instance url": {func(ctx context.Context) error {
			_, err := e.admin.System.UpdateSystemSetting(ctx, req(&v1.UpdateSystemSettingRequest{Setting: &v1.SystemSetting{InstanceUrl: "memo.example.com"}, UpdateMask: mask("instance_url")}))
			return err
		}, connect.CodeInvalidArgument, []string{"instance_url", "http:// or https://"}},
		"UpdateSystemSetting unknown mask path": {func(ctx context.Context) error {
			// Binary: in JSON "allowSignUp" is the proper spelling of allow_sign_up.
			_, err := s.client(connectProto, e.adminTok).System.UpdateSystemSetting(ctx, req(&v1.UpdateSystemSettingRequest{Setting: &v1.SystemSetting{AllowSignUp: true}, UpdateMask: mask("allowSignUp")}))
			return err
		}, connect.CodeInvalidArgument, []string{"update_mask", `"allowSignUp"`}},
		"UpdateSystemSetting missing setting": {func(ctx context.Context) error {
			_, err := e.admin.System.UpdateSystemSetting(ctx, req(&v1.UpdateSystemSettingRequest{UpdateMask: mask("allow_sign_up")}))
			return err
		}, connect.CodeInvalidArgument, []string{"setting is required"}},

		// UserSettingService
		"UpdateUserSetting Telegram id taken": {func(ctx context.Context) error {
			_, err := e.user.UserSettings.UpdateUserSetting(ctx, req(&v1.UpdateUserSettingRequest{Setting: &v1.UserSetting{TelegramUserId: e.linkedTelegramUserID, Locale: "de"}, UpdateMask: mask("telegram_user_id", "locale")}))
			return err
		}, connect.CodeAlreadyExists, []string{"Telegram user id 777000111", "already linked"}},
		"UpdateUserSetting negative Telegram id": {func(ctx context.Context) error {
			_, err := e.user.UserSettings.UpdateUserSetting(ctx, req(&v1.UpdateUserSettingRequest{Setting: &v1.UserSetting{TelegramUserId: -5}, UpdateMask: mask("telegram_user_id")}))
			return err
		}, connect.CodeInvalidArgument, []string{"telegram_user_id"}},
		"UpdateUserSetting locale too long": {func(ctx context.Context) error {
			_, err := e.user.UserSettings.UpdateUserSetting(ctx, req(&v1.UpdateUserSettingRequest{Setting: &v1.UserSetting{Locale: long(17)}, UpdateMask: mask("locale")}))
			return err
		}, connect.CodeInvalidArgument, []string{"locale", "16 characters"}},
		"UpdateUserSetting locale with NUL": {func(ctx context.Context) error {
			_, err := e.user.UserSettings.UpdateUserSetting(ctx, req(&v1.UpdateUserSettingRequest{Setting: &v1.UserSetting{Locale: "e\x00n"}, UpdateMask: mask("locale")}))
			return err
		}, connect.CodeInvalidArgument, []string{"locale", "NUL (U+0000)"}},
		"UpdateUserSetting unspecified default visibility": {func(ctx context.Context) error {
			_, err := e.user.UserSettings.UpdateUserSetting(ctx, req(&v1.UpdateUserSettingRequest{Setting: &v1.UserSetting{}, UpdateMask: mask("default_visibility")}))
			return err
		}, connect.CodeInvalidArgument, []string{"default_visibility"}},
		"UpdateUserSetting unknown mask path": {func(ctx context.Context) error {
			_, err := e.user.UserSettings.UpdateUserSetting(ctx, req(&v1.UpdateUserSettingRequest{Setting: &v1.UserSetting{}, UpdateMask: mask("theme")}))
			return err
		}, connect.CodeInvalidArgument, []string{"update_mask", `"theme"`}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			before := e.snapshot(t)
			err := tt.call(ctxT(t))
			wantCode(t, err, tt.code, tt.frags...)
			after := e.snapshot(t)
			for i := range before {
				if !proto.Equal(before[i], after[i]) {
					t.Errorf("state changed:\nbefore %v\nafter  %v", before[i], after[i])
				}
			}
		})
	}
}

// TestTelegramUserIDUnique: a Telegram user id links to one user at a time;
// unlinking frees it.
func TestTelegramUserIDUnique(t *testing.T) {
	s := startServer(t)
	ctx := ctxT(t)
	_, adminTok := s.signUp("admin")
	_, userTok := s.createUser(adminTok, "user")
	set := func(tok string, id int64) error {
		_, err := s.as(tok).UserSettings.UpdateUserSetting(ctx, req(&v1.UpdateUserSettingRequest{Setting: &v1.UserSetting{TelegramUserId: id}, UpdateMask: mask("telegram_user_id")}))
		return err
	}
	wantCode(t, set(adminTok, 42), codeOK)
	wantCode(t, set(adminTok, 42), codeOK) // idempotent for the holder
	wantCode(t, set(userTok, 42), connect.CodeAlreadyExists, "Telegram user id 42")
	wantCode(t, set(userTok, 0), codeOK) // many users may be unlinked
	wantCode(t, set(adminTok, 0), codeOK)
	wantCode(t, set(userTok, 42), codeOK)
	got, err := s.as(userTok).UserSettings.GetUserSetting(ctx, req(&v1.GetUserSettingRequest{}))
	wantCode(t, err, codeOK)
	if got.Msg.GetTelegramUserId() != 42 || got.Msg.GetDefaultVisibility() != v1.Visibility_VISIBILITY_PRIVATE {
		t.Fatalf("settings = %v, want telegram id 42 and PRIVATE default", got.Msg)
	}
}
