package server

import (
	"context"
	"time"

	"connectrpc.com/connect"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
)

type userHandler struct{ r *rules.Rules }

// NewUserHandler serves UserService.
func NewUserHandler(r *rules.Rules) memoriav1connect.UserServiceHandler { return &userHandler{r} }

func roleArg(field string, r v1.Role) (store.Role, error) {
	if r == v1.Role_ROLE_UNSPECIFIED {
		return "", nil
	}
	s, ok := roleFromProto[r]
	if !ok {
		return "", invalid("%s must be ROLE_ADMIN or ROLE_USER", field)
	}
	return s, nil
}

func (h *userHandler) CreateUser(ctx context.Context, req *connect.Request[v1.CreateUserRequest]) (*connect.Response[v1.User], error) {
	u := req.Msg.GetUser()
	if u == nil {
		return nil, invalid("user is required")
	}
	role, err := roleArg("user.role", u.GetRole())
	if err != nil {
		return nil, err
	}
	out, err := h.r.CreateUser(ctx, rules.NewUser{Username: u.GetUsername(), DisplayName: u.GetDisplayName(), Password: u.GetPassword(), Role: role})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(userToProto(out)), nil
}

func (h *userHandler) ListUsers(ctx context.Context, req *connect.Request[v1.ListUsersRequest]) (*connect.Response[v1.ListUsersResponse], error) {
	after, err := rules.DecodeIDPageToken("u", req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	us, more, err := h.r.ListUsers(ctx, req.Msg.GetPageSize(), after)
	if err != nil {
		return nil, err
	}
	resp := &v1.ListUsersResponse{}
	for _, u := range us {
		resp.Users = append(resp.Users, userToProto(u))
	}
	if more {
		resp.NextPageToken = rules.EncodeIDPageToken("u", us[len(us)-1].ID)
	}
	return connect.NewResponse(resp), nil
}

func (h *userHandler) GetUser(ctx context.Context, req *connect.Request[v1.GetUserRequest]) (*connect.Response[v1.User], error) {
	id, err := nameID("name", req.Msg.GetName(), "users")
	if err != nil {
		return nil, err
	}
	u, err := h.r.GetUser(ctx, id)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(userToProto(u)), nil
}

func (h *userHandler) UpdateUser(ctx context.Context, req *connect.Request[v1.UpdateUserRequest]) (*connect.Response[v1.User], error) {
	u := req.Msg.GetUser()
	id, err := nameID("user.name", u.GetName(), "users")
	if err != nil {
		return nil, err
	}
	paths, err := maskPaths(req.Msg.GetUpdateMask(), "username", "display_name", "role", "password")
	if err != nil {
		return nil, err
	}
	p := rules.UserPatch{CurrentPassword: req.Msg.GetCurrentPassword()}
	if paths["username"] {
		p.Username = &u.Username
	}
	if paths["display_name"] {
		p.DisplayName = &u.DisplayName
	}
	if paths["password"] {
		p.Password = &u.Password
	}
	if paths["role"] {
		role, err := roleArg("user.role", u.GetRole())
		if err != nil {
			return nil, err
		}
		if role == "" {
			return nil, invalid("user.role must be ROLE_ADMIN or ROLE_USER")
		}
		p.Role = &role
	}
	out, err := h.r.UpdateUser(ctx, id, p)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(userToProto(out)), nil
}

func (h *userHandler) DeleteUser(ctx context.Context, req *connect.Request[v1.DeleteUserRequest]) (*connect.Response[v1.DeleteUserResponse], error) {
	id, err := nameID("name", req.Msg.GetName(), "users")
	if err != nil {
		return nil, err
	}
	if err := h.r.DeleteUser(ctx, id); err != nil {
		return nil, err
	}
	return connect.NewResponse(&v1.DeleteUserResponse{}), nil
}

func (h *userHandler) CreateAccessToken(ctx context.Context, req *connect.Request[v1.CreateAccessTokenRequest]) (*connect.Response[v1.CreateAccessTokenResponse], error) {
	var exp time.Time
	if e := req.Msg.GetExpireTime(); e != nil {
		if err := e.CheckValid(); err != nil {
			return nil, invalid("expire_time is not a valid timestamp")
		}
		exp = e.AsTime()
	}
	t, secret, err := h.r.CreateAccessToken(ctx, req.Msg.GetDescription(), exp)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&v1.CreateAccessTokenResponse{AccessToken: tokenToProto(t), Token: secret}), nil
}

func (h *userHandler) ListAccessTokens(ctx context.Context, _ *connect.Request[v1.ListAccessTokensRequest]) (*connect.Response[v1.ListAccessTokensResponse], error) {
	ts, err := h.r.ListAccessTokens(ctx)
	if err != nil {
		return nil, err
	}
	resp := &v1.ListAccessTokensResponse{}
	for _, t := range ts {
		resp.AccessTokens = append(resp.AccessTokens, tokenToProto(t))
	}
	return connect.NewResponse(resp), nil
}

func (h *userHandler) DeleteAccessToken(ctx context.Context, req *connect.Request[v1.DeleteAccessTokenRequest]) (*connect.Response[v1.DeleteAccessTokenResponse], error) {
	id, err := nameID("name", req.Msg.GetName(), "accessTokens")
	if err != nil {
		return nil, err
	}
	if err := h.r.DeleteAccessToken(ctx, id); err != nil {
		return nil, err
	}
	return connect.NewResponse(&v1.DeleteAccessTokenResponse{}), nil
}
