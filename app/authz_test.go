package app_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/reflect/protoreflect"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

// caller is who makes a call in the authorization matrix.
type caller int

const (
	anonymous caller = iota
	owner            // "user": owns every memo and resource of the fixture
	otherUser        // another ordinary user
	admin
)

var callerNames = [...]string{"anonymous", "user", "another user", "admin"}

// authzFixture: user owns a memo of each visibility, a resource attached to
// each, and an unattached resource.
type authzFixture struct {
	t     *testing.T
	s     *testServer
	p     protocol
	users [4]*v1.User
	toks  [4]string
	memo  map[string]*v1.Memo     // by visibility: private, protected, public
	res   map[string]*v1.Resource // by memo visibility, plus "unattached"
}

func newAuthzFixture(t *testing.T, s *testServer) *authzFixture {
	f := &authzFixture{t: t, s: s, memo: map[string]*v1.Memo{}, res: map[string]*v1.Resource{}}
	f.users[admin], f.toks[admin] = s.signUp("admin")
	f.users[owner], f.toks[owner] = s.createUser(f.toks[admin], "user")
	f.users[otherUser], f.toks[otherUser] = s.createUser(f.toks[admin], "other")
	for _, vis := range []string{"private", "protected", "public"} {
		f.memo[vis] = f.newMemo(vis)
		f.res[vis] = f.newResource(f.memo[vis].GetName())
	}
	f.res["unattached"] = f.newResource("")
	return f
}

var visibilities = map[string]v1.Visibility{
	"private": v1.Visibility_VISIBILITY_PRIVATE, "protected": v1.Visibility_VISIBILITY_PROTECTED, "public": v1.Visibility_VISIBILITY_PUBLIC,
}

func (f *authzFixture) newMemo(vis string) *v1.Memo {
	return f.s.createMemo(f.toks[owner], vis+" memo #fixture", visibilities[vis])
}

func (f *authzFixture) newResource(memo string) *v1.Resource {
	return f.s.createResource(f.toks[owner], "file.txt", "", []byte("fixture bytes"), memo)
}

// api is the caller's client over the protocol under test.
func (f *authzFixture) api(who caller) *api { return f.s.client(f.p, f.toks[who]) }

// freshSession signs the caller in again ("" for anonymous).
func (f *authzFixture) freshSession(who caller) string {
	if who == anonymous {
		return ""
	}
	_, tok := f.s.signIn(f.users[who].GetUsername())
	return tok
}

// memoExists reports whether the owner can still read the memo.
func (f *authzFixture) memoExists(name string) bool {
	_, err := f.s.as(f.toks[owner]).Memos.GetMemo(context.Background(), connect.NewRequest(&v1.GetMemoRequest{Name: name}))
	if err != nil && connect.CodeOf(err) != connect.CodeNotFound {
		f.t.Fatalf("GetMemo(%s) as owner: %v", name, err)
	}
	return err == nil
}

func (f *authzFixture) resourceExists(name string) bool {
	_, err := f.s.as(f.toks[owner]).Resources.GetResource(context.Background(), connect.NewRequest(&v1.GetResourceRequest{Name: name}))
	if err != nil && connect.CodeOf(err) != connect.CodeNotFound {
		f.t.Fatalf("GetResource(%s) as owner: %v", name, err)
	}
	return err == nil
}

// authzCase is one row of the matrix: an RPC against a target, and the code
// each caller gets.
type authzCase struct {
	rpc    string // "Service/Method"
	target string
	call   func(ctx context.Context, f *authzFixture, who caller) (any, error)
	want   [4]connect.Code // indexed by caller
	// check, if set, runs after the call (e.g. that a refused delete
	// deleted nothing, or what a listing shows).
	check func(t *testing.T, f *authzFixture, who caller, resp any, err error)
}

const (
	OK = codeOK
	UA = connect.CodeUnauthenticated
	PD = connect.CodePermissionDenied
	NF = connect.CodeNotFound
	FP = connect.CodeFailedPrecondition
)

func req[T any](m *T) *connect.Request[T] { return connect.NewRequest(m) }

// deleted checks that a delete took effect exactly when it succeeded.
func deleted(exists func(*authzFixture, string) bool, name *string) func(*testing.T, *authzFixture, caller, any, error) {
	return func(t *testing.T, f *authzFixture, _ caller, _ any, err error) {
		if still := exists(f, *name); still == (err == nil) {
			t.Errorf("after a delete with code %s the target exists = %v", codeName(codeOf(err)), still)
		}
	}
}

func authzCases() []authzCase {
	var (
		missingMemo     = "memos/999999"
		missingResource = "resources/999999"
		missingUser     = "users/999999"
		scratch         string // the target a mutating row just created
	)
	memoCase := func(method, vis string, want [4]connect.Code) authzCase {
		return authzCase{rpc: "MemoService/" + method, target: vis + " memo", want: want,
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				name := missingMemo
				if vis != "missing" {
					name = f.memo[vis].GetName()
				}
				switch method {
				case "GetMemo":
					return f.api(who).Memos.GetMemo(ctx, req(&v1.GetMemoRequest{Name: name}))
				case "UpdateMemo":
					// Pin and unpin: the fixture is left as it was.
					return f.api(who).Memos.UpdateMemo(ctx, req(&v1.UpdateMemoRequest{Memo: &v1.Memo{Name: name, Pinned: false}, UpdateMask: mask("pinned")}))
				}
				panic(method)
			}}
	}
	deleteMemoCase := func(vis string, want [4]connect.Code) authzCase {
		return authzCase{rpc: "MemoService/DeleteMemo", target: "fresh " + vis + " memo", want: want,
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				scratch = f.newMemo(vis).GetName()
				return f.api(who).Memos.DeleteMemo(ctx, req(&v1.DeleteMemoRequest{Name: scratch}))
			},
			check: deleted((*authzFixture).memoExists, &scratch)}
	}
	getResourceCase := func(kind string, want [4]connect.Code) authzCase {
		return authzCase{rpc: "ResourceService/GetResource", target: kind + " resource", want: want,
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				name := missingResource
				if kind != "missing" {
					name = f.res[kind].GetName()
				}
				return f.api(who).Resources.GetResource(ctx, req(&v1.GetResourceRequest{Name: name}))
			}}
	}
	listResourcesCase := func(vis string, want [4]connect.Code) authzCase {
		return authzCase{rpc: "ResourceService/ListResources", target: "of the " + vis + " memo", want: want,
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Resources.ListResources(ctx, req(&v1.ListResourcesRequest{Memo: f.memo[vis].GetName()}))
			},
			check: func(t *testing.T, f *authzFixture, _ caller, resp any, err error) {
				if err != nil {
					return
				}
				var names []string
				for _, r := range resp.(*connect.Response[v1.ListResourcesResponse]).Msg.GetResources() {
					names = append(names, r.GetName())
					if r.GetMemo() != f.memo[vis].GetName() {
						t.Errorf("listed %s of %s", r.GetName(), r.GetMemo())
					}
				}
				if !slices.Contains(names, f.res[vis].GetName()) {
					t.Errorf("listed %v, without %s", names, f.res[vis].GetName())
				}
			}}
	}
	deleteResourceCase := func(kind string, want [4]connect.Code) authzCase {
		return authzCase{rpc: "ResourceService/DeleteResource", target: "fresh " + kind + " resource", want: want,
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				memo := ""
				if kind != "unattached" {
					memo = f.memo[kind].GetName()
				}
				scratch = f.newResource(memo).GetName()
				return f.api(who).Resources.DeleteResource(ctx, req(&v1.DeleteResourceRequest{Name: scratch}))
			},
			check: deleted((*authzFixture).resourceExists, &scratch)}
	}
	// listMemosCheck: a listing shows exactly the fixture memos that
	// listed(who, visibility) says, and never a memo hidden from the caller.
	listMemosCheck := func(listed func(who caller, vis string) bool) func(*testing.T, *authzFixture, caller, any, error) {
		return func(t *testing.T, f *authzFixture, who caller, resp any, err error) {
			if err != nil {
				return
			}
			var names []string
			for _, m := range resp.(*connect.Response[v1.ListMemosResponse]).Msg.GetMemos() {
				names = append(names, m.GetName())
				v := m.GetVisibility()
				switch {
				case who == anonymous && v != v1.Visibility_VISIBILITY_PUBLIC:
					t.Errorf("anonymous sees %s (%v)", m.GetName(), v)
				case who != owner && m.GetCreator() == f.users[owner].GetName() && v == v1.Visibility_VISIBILITY_PRIVATE:
					t.Errorf("%s sees the user's private %s", callerNames[who], m.GetName())
				case who != anonymous && v == v1.Visibility_VISIBILITY_PRIVATE && m.GetCreator() != f.users[who].GetName():
					t.Errorf("%s sees another's private %s", callerNames[who], m.GetName())
				}
			}
			for vis, m := range f.memo {
				if got, want := slices.Contains(names, m.GetName()), listed(who, vis); got != want {
					t.Errorf("%s memo listed = %v, want %v", vis, got, want)
				}
			}
		}
	}
	mayView := func(who caller, vis string) bool {
		return who == owner || vis == "public" || (vis == "protected" && who != anonymous)
	}

	return []authzCase{
		// AuthService
		{rpc: "AuthService/SignUp", target: "new account (sign-up closed)", want: [4]connect.Code{PD, PD, PD, PD},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Auth.SignUp(ctx, req(&v1.SignUpRequest{Username: uniqueName("new"), Password: testPassword}))
			}},
		{rpc: "AuthService/SignIn", target: "the user's credentials", want: [4]connect.Code{OK, OK, OK, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Auth.SignIn(ctx, req(&v1.SignInRequest{Username: "user", Password: testPassword}))
			}},
		{rpc: "AuthService/SignOut", target: "own fresh session", want: [4]connect.Code{UA, OK, OK, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.s.client(f.p, f.freshSession(who)).Auth.SignOut(ctx, req(&v1.SignOutRequest{}))
			}},
		{rpc: "AuthService/GetCurrentUser", target: "self", want: [4]connect.Code{UA, OK, OK, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Auth.GetCurrentUser(ctx, req(&v1.GetCurrentUserRequest{}))
			},
			check: func(t *testing.T, f *authzFixture, who caller, resp any, err error) {
				if err == nil && resp.(*connect.Response[v1.GetCurrentUserResponse]).Msg.GetUser().GetName() != f.users[who].GetName() {
					t.Errorf("GetCurrentUser = %v, want %s", resp, f.users[who].GetName())
				}
			}},
		{rpc: "AuthService/GetInstanceInfo", target: "instance", want: [4]connect.Code{OK, OK, OK, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Auth.GetInstanceInfo(ctx, req(&v1.GetInstanceInfoRequest{}))
			},
			check: func(t *testing.T, f *authzFixture, who caller, resp any, err error) {
				if err == nil {
					info := resp.(*connect.Response[v1.GetInstanceInfoResponse]).Msg
					if info.GetFirstSignUp() || info.GetMaxUploadBytes() <= 0 {
						t.Errorf("GetInstanceInfo = %v", info)
					}
				}
			}},

		// UserService
		{rpc: "UserService/CreateUser", target: "new account", want: [4]connect.Code{UA, PD, PD, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Users.CreateUser(ctx, req(&v1.CreateUserRequest{User: &v1.User{Username: uniqueName("made"), Password: testPassword}}))
			}},
		{rpc: "UserService/ListUsers", target: "all", want: [4]connect.Code{UA, PD, PD, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Users.ListUsers(ctx, req(&v1.ListUsersRequest{}))
			}},
		{rpc: "UserService/GetUser", target: "the user", want: [4]connect.Code{UA, OK, PD, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Users.GetUser(ctx, req(&v1.GetUserRequest{Name: f.users[owner].GetName()}))
			}},
		{rpc: "UserService/GetUser", target: "the admin", want: [4]connect.Code{UA, PD, PD, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Users.GetUser(ctx, req(&v1.GetUserRequest{Name: f.users[admin].GetName()}))
			}},
		{rpc: "UserService/GetUser", target: "missing user", want: [4]connect.Code{UA, PD, PD, NF},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Users.GetUser(ctx, req(&v1.GetUserRequest{Name: missingUser}))
			}},
		{rpc: "UserService/UpdateUser", target: "the user's display name", want: [4]connect.Code{UA, OK, PD, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Users.UpdateUser(ctx, req(&v1.UpdateUserRequest{User: &v1.User{Name: f.users[owner].GetName(), DisplayName: "User"}, UpdateMask: mask("display_name")}))
			}},
		{rpc: "UserService/UpdateUser", target: "the user's role", want: [4]connect.Code{UA, PD, PD, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Users.UpdateUser(ctx, req(&v1.UpdateUserRequest{User: &v1.User{Name: f.users[owner].GetName(), Role: v1.Role_ROLE_USER}, UpdateMask: mask("role")}))
			}},
		{rpc: "UserService/UpdateUser", target: "missing user", want: [4]connect.Code{UA, PD, PD, NF},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Users.UpdateUser(ctx, req(&v1.UpdateUserRequest{User: &v1.User{Name: missingUser, DisplayName: "x"}, UpdateMask: mask("display_name")}))
			}},
		{rpc: "UserService/DeleteUser", target: "fresh account", want: [4]connect.Code{UA, PD, PD, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				u, _ := f.s.createUser(f.toks[admin], uniqueName("victim"))
				scratch = u.GetName()
				return f.api(who).Users.DeleteUser(ctx, req(&v1.DeleteUserRequest{Name: scratch}))
			},
			check: func(t *testing.T, f *authzFixture, who caller, _ any, err error) {
				_, gerr := f.s.as(f.toks[admin]).Users.GetUser(context.Background(), req(&v1.GetUserRequest{Name: scratch}))
				if exists := gerr == nil; exists == (err == nil) {
					t.Errorf("after DeleteUser with code %s the user exists = %v", codeName(codeOf(err)), exists)
				}
			}},
		{rpc: "UserService/DeleteUser", target: "self", want: [4]connect.Code{UA, PD, PD, FP},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				self := f.users[who]
				if who == anonymous {
					self = f.users[owner]
				}
				return f.api(who).Users.DeleteUser(ctx, req(&v1.DeleteUserRequest{Name: self.GetName()}))
			}},
		{rpc: "UserService/DeleteUser", target: "missing user", want: [4]connect.Code{UA, PD, PD, NF},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Users.DeleteUser(ctx, req(&v1.DeleteUserRequest{Name: missingUser}))
			}},
		{rpc: "UserService/CreateAccessToken", target: "own", want: [4]connect.Code{UA, OK, OK, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Users.CreateAccessToken(ctx, req(&v1.CreateAccessTokenRequest{Description: "matrix"}))
			}},
		{rpc: "UserService/ListAccessTokens", target: "own", want: [4]connect.Code{UA, OK, OK, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Users.ListAccessTokens(ctx, req(&v1.ListAccessTokensRequest{}))
			}},
		{rpc: "UserService/DeleteAccessToken", target: "the user's fresh token", want: [4]connect.Code{UA, OK, NF, NF},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				tk, err := f.s.as(f.toks[owner]).Users.CreateAccessToken(ctx, req(&v1.CreateAccessTokenRequest{Description: "victim"}))
				if err != nil {
					f.t.Fatal(err)
				}
				scratch = tk.Msg.GetToken()
				return f.api(who).Users.DeleteAccessToken(ctx, req(&v1.DeleteAccessTokenRequest{Name: tk.Msg.GetAccessToken().GetName()}))
			},
			check: func(t *testing.T, f *authzFixture, _ caller, _ any, err error) {
				_, gerr := f.s.as(scratch).Auth.GetCurrentUser(context.Background(), req(&v1.GetCurrentUserRequest{}))
				if works := gerr == nil; works == (err == nil) {
					t.Errorf("after DeleteAccessToken with code %s the token works = %v", codeName(codeOf(err)), works)
				}
			}},

		// MemoService
		{rpc: "MemoService/CreateMemo", target: "own", want: [4]connect.Code{UA, OK, OK, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Memos.CreateMemo(ctx, req(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: "matrix"}}))
			}},
		memoCase("GetMemo", "private", [4]connect.Code{UA, OK, PD, PD}),
		memoCase("GetMemo", "protected", [4]connect.Code{UA, OK, OK, OK}),
		memoCase("GetMemo", "public", [4]connect.Code{OK, OK, OK, OK}),
		memoCase("GetMemo", "missing", [4]connect.Code{NF, NF, NF, NF}),
		{rpc: "MemoService/WatchMemos", target: "own memos", want: [4]connect.Code{UA, OK, OK, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return watchFirstMessage(ctx, f.api(anonymous), f.toks[who])
			}},
		{rpc: "MemoService/ListTags", target: "own tags", want: [4]connect.Code{UA, OK, OK, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Memos.ListTags(ctx, req(&v1.ListTagsRequest{}))
			}},
		{rpc: "MemoService/ListMemos", target: "the user's memos", want: [4]connect.Code{OK, OK, OK, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Memos.ListMemos(ctx, req(&v1.ListMemosRequest{PageSize: 1000, Filter: `creator == "` + f.users[owner].GetName() + `"`}))
			},
			check: listMemosCheck(mayView)},
		{rpc: "MemoService/ListMemos", target: "no filter", want: [4]connect.Code{OK, OK, OK, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Memos.ListMemos(ctx, req(&v1.ListMemosRequest{PageSize: 1000}))
			},
			// Signed in: one's own memos; anonymous: public memos.
			check: listMemosCheck(func(who caller, vis string) bool {
				return who == owner || (who == anonymous && vis == "public")
			})},
		{rpc: "MemoService/ListMemos", target: "private visibility of the user", want: [4]connect.Code{OK, OK, OK, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Memos.ListMemos(ctx, req(&v1.ListMemosRequest{Filter: `creator == "` + f.users[owner].GetName() + `" && visibility == "VISIBILITY_PRIVATE"`}))
			},
			check: listMemosCheck(func(who caller, vis string) bool { return who == owner && vis == "private" })},
		memoCase("UpdateMemo", "private", [4]connect.Code{UA, OK, PD, PD}),
		memoCase("UpdateMemo", "protected", [4]connect.Code{UA, OK, PD, PD}),
		memoCase("UpdateMemo", "public", [4]connect.Code{UA, OK, PD, PD}),
		memoCase("UpdateMemo", "missing", [4]connect.Code{UA, NF, NF, NF}),
		deleteMemoCase("private", [4]connect.Code{UA, OK, PD, OK}),
		deleteMemoCase("protected", [4]connect.Code{UA, OK, PD, OK}),
		deleteMemoCase("public", [4]connect.Code{UA, OK, PD, OK}),
		{rpc: "MemoService/DeleteMemo", target: "missing memo", want: [4]connect.Code{UA, NF, NF, NF},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Memos.DeleteMemo(ctx, req(&v1.DeleteMemoRequest{Name: missingMemo}))
			}},

		// ResourceService
		{rpc: "ResourceService/CreateResource", target: "own, unattached", want: [4]connect.Code{UA, OK, OK, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Resources.CreateResource(ctx, req(&v1.CreateResourceRequest{Resource: &v1.Resource{Filename: "a.txt", Content: []byte("a")}}))
			}},
		{rpc: "ResourceService/CreateResource", target: "into the user's public memo", want: [4]connect.Code{UA, OK, PD, PD},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Resources.CreateResource(ctx, req(&v1.CreateResourceRequest{Resource: &v1.Resource{Filename: "a.txt", Content: []byte("a"), Memo: f.memo["public"].GetName()}}))
			},
			check: func(t *testing.T, f *authzFixture, _ caller, resp any, err error) {
				if err == nil { // keep the fixture memo at one resource
					name := resp.(*connect.Response[v1.Resource]).Msg.GetName()
					if _, err := f.s.as(f.toks[owner]).Resources.DeleteResource(context.Background(), req(&v1.DeleteResourceRequest{Name: name})); err != nil {
						t.Fatal(err)
					}
				}
			}},
		getResourceCase("private", [4]connect.Code{UA, OK, PD, PD}),
		getResourceCase("protected", [4]connect.Code{UA, OK, OK, OK}),
		getResourceCase("public", [4]connect.Code{OK, OK, OK, OK}),
		getResourceCase("unattached", [4]connect.Code{UA, OK, PD, OK}),
		getResourceCase("missing", [4]connect.Code{NF, NF, NF, NF}),
		{rpc: "ResourceService/ListResources", target: "own", want: [4]connect.Code{UA, OK, OK, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Resources.ListResources(ctx, req(&v1.ListResourcesRequest{PageSize: 1000}))
			},
			check: func(t *testing.T, f *authzFixture, who caller, resp any, err error) {
				if err != nil {
					return
				}
				var names []string
				for _, r := range resp.(*connect.Response[v1.ListResourcesResponse]).Msg.GetResources() {
					names = append(names, r.GetName())
				}
				for kind, r := range f.res {
					if slices.Contains(names, r.GetName()) != (who == owner) {
						t.Errorf("%s resource listed for %s: %v", kind, callerNames[who], who != owner)
					}
				}
			}},
		listResourcesCase("private", [4]connect.Code{UA, OK, PD, PD}),
		listResourcesCase("protected", [4]connect.Code{UA, OK, OK, OK}),
		listResourcesCase("public", [4]connect.Code{UA, OK, OK, OK}),
		deleteResourceCase("unattached", [4]connect.Code{UA, OK, PD, OK}),
		deleteResourceCase("private", [4]connect.Code{UA, OK, PD, OK}),
		deleteResourceCase("protected", [4]connect.Code{UA, OK, PD, OK}),
		deleteResourceCase("public", [4]connect.Code{UA, OK, PD, OK}),
		{rpc: "ResourceService/DeleteResource", target: "missing resource", want: [4]connect.Code{UA, NF, NF, NF},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Resources.DeleteResource(ctx, req(&v1.DeleteResourceRequest{Name: missingResource}))
			}},

		// SystemSettingService
		{rpc: "SystemSettingService/GetSystemSetting", target: "instance", want: [4]connect.Code{UA, PD, PD, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).System.GetSystemSetting(ctx, req(&v1.GetSystemSettingRequest{}))
			}},
		{rpc: "SystemSettingService/UpdateSystemSetting", target: "instance_url", want: [4]connect.Code{UA, PD, PD, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).System.UpdateSystemSetting(ctx, req(&v1.UpdateSystemSettingRequest{Setting: &v1.SystemSetting{InstanceUrl: "https://memo.example.com"}, UpdateMask: mask("instance_url")}))
			}},

		// UserSettingService
		{rpc: "UserSettingService/GetUserSetting", target: "own", want: [4]connect.Code{UA, OK, OK, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).UserSettings.GetUserSetting(ctx, req(&v1.GetUserSettingRequest{}))
			}},
		{rpc: "UserSettingService/UpdateUserSetting", target: "own locale", want: [4]connect.Code{UA, OK, OK, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).UserSettings.UpdateUserSetting(ctx, req(&v1.UpdateUserSettingRequest{Setting: &v1.UserSetting{Locale: "en"}, UpdateMask: mask("locale")}))
			}},
		{rpc: "UserSettingService/CreateTelegramLink", target: "own, bot not running", want: [4]connect.Code{UA, FP, FP, FP},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).UserSettings.CreateTelegramLink(ctx, req(&v1.CreateTelegramLinkRequest{}))
			}},

		// BotService
		{rpc: "BotService/GetBotStatus", target: "instance", want: [4]connect.Code{UA, PD, PD, OK},
			call: func(ctx context.Context, f *authzFixture, who caller) (any, error) {
				return f.api(who).Bot.GetBotStatus(ctx, req(&v1.GetBotStatusRequest{}))
			}},
	}
}

// apiFiles are the API's proto files, for the coverage check.
var apiFiles = []protoreflect.FileDescriptor{
	v1.File_memoria_v1_auth_service_proto, v1.File_memoria_v1_user_service_proto,
	v1.File_memoria_v1_memo_service_proto, v1.File_memoria_v1_resource_service_proto,
	v1.File_memoria_v1_system_setting_service_proto, v1.File_memoria_v1_user_setting_service_proto,
	v1.File_memoria_v1_bot_service_proto,
}

// TestAuthorizationMatrix calls every RPC of every service as anonymous,
// the owner of the fixture, another user and an admin, over Connect JSON,
// gRPC and gRPC-Web, and checks the code each gets.
func TestAuthorizationMatrix(t *testing.T) {
	cases := authzCases()
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.rpc] = true
	}
	for _, fd := range apiFiles {
		for i := range fd.Services().Len() {
			sd := fd.Services().Get(i)
			for j := range sd.Methods().Len() {
				if rpc := string(sd.Name()) + "/" + string(sd.Methods().Get(j).Name()); !covered[rpc] {
					t.Errorf("the matrix has no row for %s", rpc)
				}
			}
		}
	}

	s := startServer(t)
	f := newAuthzFixture(t, s)
	for _, p := range allProtocols {
		f.p = p
		for _, c := range cases {
			for who := anonymous; who <= admin; who++ {
				name := p.name + "/" + c.rpc + "/" + c.target + "/" + callerNames[who]
				t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
					f.t = t
					resp, err := c.call(ctxT(t), f, who)
					if got := codeOf(err); got != c.want[who] {
						t.Errorf("code = %s, want %s (%v)", codeName(got), codeName(c.want[who]), err)
					}
					if c.check != nil {
						c.check(t, f, who, resp, err)
					}
				})
			}
		}
	}
}
