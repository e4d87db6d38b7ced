package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"connectrpc.com/connect"

	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
)

// anonymousProcedures is the single allowlist of procedures that may run
// without a user. Everything else is refused with Unauthenticated before
// its handler runs.
var anonymousProcedures = map[string]bool{
	memoriav1connect.AuthServiceSignUpProcedure:          true,
	memoriav1connect.AuthServiceSignInProcedure:          true,
	memoriav1connect.AuthServiceGetInstanceInfoProcedure: true,
	memoriav1connect.MemoServiceGetMemoProcedure:         true,
	memoriav1connect.MemoServiceListMemosProcedure:       true,
	memoriav1connect.ResourceServiceGetResourceProcedure: true,
}

// credentialsIgnored lists procedures where a stale credential must not get
// in the way (signing in again with an expired cookie).
var credentialsIgnored = map[string]bool{
	memoriav1connect.AuthServiceSignUpProcedure:          true,
	memoriav1connect.AuthServiceSignInProcedure:          true,
	memoriav1connect.AuthServiceGetInstanceInfoProcedure: true,
}

// credential extracts the presented secret: a bearer token (API) or the
// session cookie (browser).
func credential(h http.Header) (string, store.Source) {
	if auth := h.Get("Authorization"); auth != "" {
		if tok, ok := strings.CutPrefix(auth, "Bearer "); ok {
			return strings.TrimSpace(tok), store.SourceAPI
		}
		return auth, store.SourceAPI // malformed: Authenticate rejects it
	}
	r := http.Request{Header: http.Header{"Cookie": h.Values("Cookie")}}
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		return c.Value, store.SourceWeb
	}
	return "", ""
}

// authenticate resolves the request's credential; nil actor = anonymous.
func authenticateHeader(ctx context.Context, r *rules.Rules, h http.Header) (*rules.Actor, error) {
	secret, source := credential(h)
	if secret == "" {
		return nil, nil
	}
	return r.Authenticate(ctx, secret, source)
}

func authInterceptor(r *rules.Rules) connect.UnaryInterceptorFunc {
	return func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			proc := req.Spec().Procedure
			var actor *rules.Actor
			if !credentialsIgnored[proc] {
				a, err := authenticateHeader(ctx, r, req.Header())
				if err != nil {
					return nil, err
				}
				actor = a
			}
			if actor == nil && !anonymousProcedures[proc] {
				return nil, rules.ErrUnauthenticated
			}
			return next(rules.WithActor(ctx, actor), req)
		}
	}
}

// errorInterceptor maps errors once for the API edge.
func errorInterceptor(log *slog.Logger) connect.UnaryInterceptorFunc {
	return func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			resp, err := next(ctx, req)
			if err != nil {
				return nil, toConnectError(ctx, log, req.Spec().Procedure, err)
			}
			return resp, nil
		}
	}
}

// logInterceptor logs each call's procedure, code and duration.
func logInterceptor(log *slog.Logger) connect.UnaryInterceptorFunc {
	return func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			start := time.Now()
			resp, err := next(ctx, req)
			code := "ok"
			level := slog.LevelInfo
			if err != nil {
				code = connect.CodeOf(err).String()
				var ce *connect.Error
				if errors.As(err, &ce) && ce.Code() == connect.CodeInternal {
					level = slog.LevelError
				}
			}
			if log.Enabled(ctx, level) {
				log.LogAttrs(ctx, level, "rpc",
					slog.String("procedure", req.Spec().Procedure),
					slog.String("protocol", req.Peer().Protocol),
					slog.String("code", code),
					slog.Duration("duration", time.Since(start)))
			}
			return resp, err
		}
	}
}
