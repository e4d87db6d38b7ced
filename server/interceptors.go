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

// setsSession lists procedures that open a browser session: a page of
// another site must not sign its visitor in (login CSRF), cookie or not.
var setsSession = map[string]bool{
	memoriav1connect.AuthServiceSignUpProcedure: true,
	memoriav1connect.AuthServiceSignInProcedure: true,
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

// authenticateHeader resolves the request's credential; nil actor = anonymous.
func authenticateHeader(ctx context.Context, r *rules.Rules, h http.Header) (*rules.Actor, error) {
	secret, source := credential(h)
	if secret == "" {
		return nil, nil
	}
	return r.Authenticate(ctx, secret, source)
}

// httpAuthFailure is the plain-HTTP answer (status, body) to a credential
// authenticateHeader could not resolve: 401 with the reason for a bad
// one; 500, logged and not shown, when checking it failed.
func httpAuthFailure(ctx context.Context, log *slog.Logger, err error) (int, string) {
	if rules.ErrorCode(err) == rules.CodeUnauthenticated {
		return http.StatusUnauthorized, err.Error()
	}
	log.ErrorContext(ctx, "authenticate", "err", err)
	return http.StatusInternalServerError, "internal error"
}

// crossSite rejects non-same-origin browser requests (Sec-Fetch-Site, or
// Origin against Host for browsers without it); see checkCookieOrigin.
var crossSite = http.NewCrossOriginProtection()

// errCrossSite refuses a cookie-authenticated call sent by another site's
// page: the session cookie rides along on such requests, so honouring it
// would let any site act as the signed-in user (CSRF).
var errCrossSite = rules.Errorf(rules.CodePermissionDenied,
	"cross-site request refused: a browser session may be used only by this server's own pages (scripts should send Authorization: Bearer <token>)")

// checkCookieOrigin refuses a call authenticated by the session cookie
// that a browser sent from another site's page: Sec-Fetch-Site other than
// same-origin/none, or (older browsers) an Origin whose host is not the
// request's Host. Calls without these headers are not from a browser page
// and pass. Every procedure counts as unsafe here, whatever its HTTP method.
func checkCookieOrigin(ctx context.Context, h http.Header) error {
	req := &http.Request{Method: http.MethodPost, Header: h, Host: requestHost(ctx)}
	if crossSite.Check(req) != nil {
		return errCrossSite
	}
	return nil
}

// authorize resolves the caller of a procedure, unary or streaming alike:
// a presented credential must be valid (and a session cookie, or a
// sign-in that sets one, must come from our own pages), and without one
// only the allowlisted procedures run. Anything unlisted needs a user
// (fail closed). peerAddr, the direct peer's address, goes into the
// context for the sign-in throttle.
func authorize(ctx context.Context, r *rules.Rules, proc string, h http.Header, peerAddr string) (context.Context, error) {
	// The throttle counts by the TCP peer, never X-Forwarded-For: that
	// header is whatever the client wrote unless a trusted proxy sets it,
	// so an attacker would pick a fresh "address" for every guess. Behind
	// a reverse proxy every caller shares the proxy's address: the
	// per-account limit still holds, the per-address one then covers all.
	ctx = rules.WithClientAddr(ctx, peerAddr)
	var actor *rules.Actor
	if setsSession[proc] {
		if err := checkCookieOrigin(ctx, h); err != nil {
			return nil, err
		}
	}
	if !credentialsIgnored[proc] {
		secret, source := credential(h)
		if source == store.SourceWeb {
			if err := checkCookieOrigin(ctx, h); err != nil {
				return nil, err
			}
		}
		if secret != "" {
			a, err := r.Authenticate(ctx, secret, source)
			if err != nil {
				return nil, err
			}
			actor = a
		}
	}
	if actor == nil && !anonymousProcedures[proc] {
		return nil, rules.ErrUnauthenticated
	}
	return rules.WithActor(ctx, actor), nil
}

// interceptor is one step of the API's handler chain, applied to unary and
// streaming procedures alike (connect's UnaryInterceptorFunc would let a
// streaming procedure through untouched). Client-side streams are not ours
// to intercept.
type interceptor struct {
	unary  func(connect.UnaryFunc) connect.UnaryFunc
	stream func(connect.StreamingHandlerFunc) connect.StreamingHandlerFunc
}

func (i interceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc { return i.unary(next) }

func (i interceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (i interceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return i.stream(next)
}

func authInterceptor(r *rules.Rules) connect.Interceptor {
	return interceptor{
		unary: func(next connect.UnaryFunc) connect.UnaryFunc {
			return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
				ctx, err := authorize(ctx, r, req.Spec().Procedure, req.Header(), req.Peer().Addr)
				if err != nil {
					return nil, err
				}
				return next(ctx, req)
			}
		},
		stream: func(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
			return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
				ctx, err := authorize(ctx, r, conn.Spec().Procedure, conn.RequestHeader(), conn.Peer().Addr)
				if err != nil {
					return err
				}
				return next(ctx, conn)
			}
		},
	}
}

// errorInterceptor maps errors once for the API edge.
func errorInterceptor(log *slog.Logger) connect.Interceptor {
	return interceptor{
		unary: func(next connect.UnaryFunc) connect.UnaryFunc {
			return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
				resp, err := next(ctx, req)
				if err != nil {
					return nil, toConnectError(ctx, log, req.Spec().Procedure, err)
				}
				return resp, nil
			}
		},
		stream: func(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
			return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
				if err := next(ctx, conn); err != nil {
					return toConnectError(ctx, log, conn.Spec().Procedure, err)
				}
				return nil
			}
		},
	}
}

// logInterceptor logs each call's procedure, code and duration (for a
// stream, its whole life).
func logInterceptor(log *slog.Logger) connect.Interceptor {
	logCall := func(ctx context.Context, proc, protocol string, start time.Time, err error) {
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
				slog.String("procedure", proc),
				slog.String("protocol", protocol),
				slog.String("code", code),
				slog.Duration("duration", time.Since(start)))
		}
	}
	return interceptor{
		unary: func(next connect.UnaryFunc) connect.UnaryFunc {
			return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
				start := time.Now()
				resp, err := next(ctx, req)
				logCall(ctx, req.Spec().Procedure, req.Peer().Protocol, start, err)
				return resp, err
			}
		},
		stream: func(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
			return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
				start := time.Now()
				err := next(ctx, conn)
				logCall(ctx, conn.Spec().Procedure, conn.Peer().Protocol, start, err)
				return err
			}
		},
	}
}
