package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"golang.org/x/crypto/bcrypt"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/memoria-app/memoria/app"
	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
)

// testServer is a real Memoria (app.New + Run) on a loopback port with a
// temporary data directory and a database of its own (SQLite in it, or a
// fresh PostgreSQL schema when MEMORIA_TEST_DB=postgres).
type testServer struct {
	tb   testing.TB
	App  *app.App
	Addr string
	URL  string // http://127.0.0.1:port
	Logs *logBuffer

	stop    context.CancelFunc
	done    chan error
	stopped atomic.Bool
}

// startServer starts the real server on a newStorage; options may change
// the config (storage.use to serve a given one). It is stopped (and Run
// must return nil) when the test ends.
func startServer(tb testing.TB, opts ...func(*app.Config)) *testServer {
	tb.Helper()
	logs := &logBuffer{}
	cfg := app.Config{
		Addr:       "127.0.0.1:0",
		BcryptCost: bcrypt.MinCost,
		Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	newStorage(tb).use(&cfg)
	for _, o := range opts {
		o(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg)
	if err != nil {
		cancel()
		tb.Fatalf("app.New: %v", err)
	}
	s := &testServer{tb: tb, App: a, Addr: a.Addr(), URL: "http://" + a.Addr(), Logs: logs, stop: cancel, done: make(chan error, 1)}
	go func() { s.done <- a.Run(ctx) }()
	tb.Cleanup(func() { s.Stop() })
	return s
}

// Stop cancels Run's context and waits (bounded) for Run to return nil.
func (s *testServer) Stop() {
	if s.stopped.Swap(true) {
		return
	}
	// Idle keep-alive connections would hold a graceful HTTP/2 shutdown
	// for its GOAWAY timeout (1 s): close them first.
	h2c.CloseIdleConnections()
	http.DefaultClient.CloseIdleConnections()
	s.stop()
	select {
	case err := <-s.done:
		if err != nil {
			s.tb.Errorf("Run returned %v, want nil", err)
		}
	case <-time.After(15 * time.Second):
		s.tb.Errorf("Run did not return within 15s of cancel")
	}
}

// logBuffer collects a server's slog output (safe for concurrent use).
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// protocol is a wire protocol the API is reached with.
type protocol struct {
	name string
	http *http.Client
	opts []connect.ClientOption
}

// h2cClient speaks cleartext HTTP/2 only (for gRPC without TLS).
func h2cClient() *http.Client {
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{Protocols: p}}
}

// h2c is the shared cleartext HTTP/2 client.
var h2c = h2cClient()

var (
	connectJSON  = protocol{"connect+json", http.DefaultClient, []connect.ClientOption{connect.WithProtoJSON()}}
	connectProto = protocol{"connect+proto", http.DefaultClient, nil}
	grpcH2C      = protocol{"grpc", h2c, []connect.ClientOption{connect.WithGRPC()}}
	grpcWeb      = protocol{"grpc-web", http.DefaultClient, []connect.ClientOption{connect.WithGRPCWeb()}}
	allProtocols = []protocol{connectJSON, grpcH2C, grpcWeb}
)

// api is one caller's set of clients.
type api struct {
	Auth         memoriav1connect.AuthServiceClient
	Users        memoriav1connect.UserServiceClient
	Memos        memoriav1connect.MemoServiceClient
	Resources    memoriav1connect.ResourceServiceClient
	System       memoriav1connect.SystemSettingServiceClient
	UserSettings memoriav1connect.UserSettingServiceClient
	Bot          memoriav1connect.BotServiceClient
}

// bearer adds "Authorization: Bearer <token>" to every call.
func bearer(token string) connect.UnaryInterceptorFunc {
	return func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			if token != "" {
				req.Header().Set("Authorization", "Bearer "+token)
			}
			return next(ctx, req)
		}
	}
}

// withHeader sets a request header on every call.
func withHeader(key, value string) connect.UnaryInterceptorFunc {
	return func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set(key, value)
			return next(ctx, req)
		}
	}
}

// client returns the API as seen by the holder of token ("" = anonymous)
// over p.
func (s *testServer) client(p protocol, token string) *api {
	return s.clientWith(p, connect.WithInterceptors(bearer(token)))
}

// clientWith builds the API clients over p with extra options.
func (s *testServer) clientWith(p protocol, extra ...connect.ClientOption) *api {
	opts := append(append([]connect.ClientOption(nil), extra...), p.opts...)
	return &api{
		Auth:         memoriav1connect.NewAuthServiceClient(p.http, s.URL, opts...),
		Users:        memoriav1connect.NewUserServiceClient(p.http, s.URL, opts...),
		Memos:        memoriav1connect.NewMemoServiceClient(p.http, s.URL, opts...),
		Resources:    memoriav1connect.NewResourceServiceClient(p.http, s.URL, opts...),
		System:       memoriav1connect.NewSystemSettingServiceClient(p.http, s.URL, opts...),
		UserSettings: memoriav1connect.NewUserSettingServiceClient(p.http, s.URL, opts...),
		Bot:          memoriav1connect.NewBotServiceClient(p.http, s.URL, opts...),
	}
}

// anon is the anonymous Connect JSON client.
func (s *testServer) anon() *api { return s.client(connectJSON, "") }

// as is the Connect JSON client of the holder of token.
func (s *testServer) as(token string) *api { return s.client(connectJSON, token) }

const testPassword = "correct horse battery"

// signUp creates an account through the API and returns it with its token.
func (s *testServer) signUp(username string) (*v1.User, string) {
	s.tb.Helper()
	resp, err := s.anon().Auth.SignUp(ctxT(s.tb), connect.NewRequest(&v1.SignUpRequest{Username: username, Password: testPassword}))
	if err != nil {
		s.tb.Fatalf("SignUp(%s): %v", username, err)
	}
	return resp.Msg.User, resp.Msg.AccessToken
}

// createUser has the admin create an account, then signs it in.
func (s *testServer) createUser(adminToken, username string) (*v1.User, string) {
	s.tb.Helper()
	ctx := ctxT(s.tb)
	if _, err := s.as(adminToken).Users.CreateUser(ctx, connect.NewRequest(&v1.CreateUserRequest{User: &v1.User{Username: username, Password: testPassword}})); err != nil {
		s.tb.Fatalf("CreateUser(%s): %v", username, err)
	}
	return s.signIn(username)
}

func (s *testServer) signIn(username string) (*v1.User, string) {
	s.tb.Helper()
	resp, err := s.anon().Auth.SignIn(ctxT(s.tb), connect.NewRequest(&v1.SignInRequest{Username: username, Password: testPassword}))
	if err != nil {
		s.tb.Fatalf("SignIn(%s): %v", username, err)
	}
	return resp.Msg.User, resp.Msg.AccessToken
}

// createMemo creates a memo through the API.
func (s *testServer) createMemo(token, content string, vis v1.Visibility) *v1.Memo {
	s.tb.Helper()
	resp, err := s.as(token).Memos.CreateMemo(ctxT(s.tb), connect.NewRequest(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: content, Visibility: vis}}))
	if err != nil {
		s.tb.Fatalf("CreateMemo: %v", err)
	}
	return resp.Msg
}

// createResource uploads a file through the API ("" memo: unattached).
func (s *testServer) createResource(token, filename, typ string, content []byte, memo string) *v1.Resource {
	s.tb.Helper()
	resp, err := s.as(token).Resources.CreateResource(ctxT(s.tb), connect.NewRequest(&v1.CreateResourceRequest{
		Resource: &v1.Resource{Filename: filename, Type: typ, Content: content, Memo: memo},
	}))
	if err != nil {
		s.tb.Fatalf("CreateResource(%s): %v", filename, err)
	}
	return resp.Msg
}

// ctxT is a per-call context bounded well inside the test timeout.
func ctxT(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

// codeOK stands for success in expectation tables.
const codeOK connect.Code = 0

func codeName(c connect.Code) string {
	if c == codeOK {
		return "ok"
	}
	return c.String()
}

// codeOf is connect.CodeOf with nil → codeOK.
func codeOf(err error) connect.Code {
	if err == nil {
		return codeOK
	}
	return connect.CodeOf(err)
}

// wantCode fails unless err has the code and (for errors) a message that
// contains every fragment.
func wantCode(tb testing.TB, err error, want connect.Code, fragments ...string) {
	tb.Helper()
	if got := codeOf(err); got != want {
		tb.Fatalf("code = %s (%v), want %s", codeName(got), err, codeName(want))
	}
	if err == nil {
		return
	}
	var ce *connect.Error
	if !errors.As(err, &ce) {
		tb.Fatalf("error %v is not a *connect.Error", err)
	}
	for _, f := range fragments {
		if !strings.Contains(ce.Message(), f) {
			tb.Errorf("message %q does not contain %q", ce.Message(), f)
		}
	}
}

// eventually polls cond until it holds or the deadline passes.
func eventually(tb testing.TB, within time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(wait)
	}
}

// mask builds an update mask.
func mask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }

var uniq atomic.Int64

// uniqueName returns a fresh username.
func uniqueName(prefix string) string { return fmt.Sprintf("%s%d", prefix, uniq.Add(1)) }
