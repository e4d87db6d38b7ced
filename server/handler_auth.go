package server

import (
	"context"
	"net/http"
	"time"

	"connectrpc.com/connect"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
	"github.com/memoria-app/memoria/rules"
)

// SessionCookie is the HttpOnly cookie that carries a browser's session.
const SessionCookie = "memoria_session"

type authHandler struct{ r *rules.Rules }

// NewAuthHandler serves AuthService.
func NewAuthHandler(r *rules.Rules) memoriav1connect.AuthServiceHandler { return &authHandler{r} }

func sessionCookie(secret string, maxAge int, secure bool) string {
	c := &http.Cookie{
		Name: SessionCookie, Value: secret, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: maxAge, Secure: secure,
	}
	return c.String()
}

func isTLS(h http.Header) bool { return h.Get("X-Forwarded-Proto") == "https" }

func (h *authHandler) SignUp(ctx context.Context, req *connect.Request[v1.SignUpRequest]) (*connect.Response[v1.SignUpResponse], error) {
	u, secret, err := h.r.SignUp(ctx, req.Msg.GetUsername(), req.Msg.GetPassword())
	if err != nil {
		return nil, err
	}
	resp := connect.NewResponse(&v1.SignUpResponse{User: userToProto(u), AccessToken: secret})
	resp.Header().Add("Set-Cookie", sessionCookie(secret, int(rules.SessionLifetime/time.Second), isTLS(req.Header())))
	return resp, nil
}

func (h *authHandler) SignIn(ctx context.Context, req *connect.Request[v1.SignInRequest]) (*connect.Response[v1.SignInResponse], error) {
	u, secret, err := h.r.SignIn(ctx, req.Msg.GetUsername(), req.Msg.GetPassword())
	if err != nil {
		return nil, err
	}
	resp := connect.NewResponse(&v1.SignInResponse{User: userToProto(u), AccessToken: secret})
	resp.Header().Add("Set-Cookie", sessionCookie(secret, int(rules.SessionLifetime/time.Second), isTLS(req.Header())))
	return resp, nil
}

func (h *authHandler) SignOut(ctx context.Context, req *connect.Request[v1.SignOutRequest]) (*connect.Response[v1.SignOutResponse], error) {
	if err := h.r.SignOut(ctx); err != nil {
		return nil, err
	}
	resp := connect.NewResponse(&v1.SignOutResponse{})
	resp.Header().Add("Set-Cookie", sessionCookie("", -1, isTLS(req.Header())))
	return resp, nil
}

func (h *authHandler) GetCurrentUser(ctx context.Context, _ *connect.Request[v1.GetCurrentUserRequest]) (*connect.Response[v1.GetCurrentUserResponse], error) {
	u, err := h.r.CurrentUser(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&v1.GetCurrentUserResponse{User: userToProto(u)}), nil
}

func (h *authHandler) GetInstanceInfo(ctx context.Context, _ *connect.Request[v1.GetInstanceInfoRequest]) (*connect.Response[v1.GetInstanceInfoResponse], error) {
	info, err := h.r.InstanceInfo(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&v1.GetInstanceInfoResponse{
		FirstSignUp: info.FirstSignUp, AllowSignUp: info.AllowSignUp,
		DisallowPublicVisibility: info.DisallowPublicVisibility, MaxUploadBytes: info.MaxUploadBytes,
	}), nil
}
