package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"connectrpc.com/connect"
	"golang.org/x/crypto/bcrypt"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/rules"
)

// testStreamProcedure is a server-streaming procedure that exists only in
// this test: it is on no allowlist, like every streaming procedure to come.
const testStreamProcedure = "/memoria.v1.TestService/WatchMe"

// TestStreamingProcedureAuth mounts a server-stream handler behind the
// real interceptor chain and request wrapper: without credentials (or with
// a bad token) it is refused before it runs; with a valid token it runs as
// that user; a session cookie sent from another site's page is refused.
func TestStreamingProcedureAuth(t *testing.T) {
	ctx := context.Background()
	rl, _ := newTestRules(t, rules.Config{BcryptCost: bcrypt.MinCost})
	_, token, err := rl.SignUp(ctx, "alice", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}

	var ran atomic.Int32
	d := Deps{Rules: rl, Log: discardLog()}
	mux := http.NewServeMux()
	mux.Handle(testStreamProcedure, connect.NewServerStreamHandler(testStreamProcedure,
		func(ctx context.Context, _ *connect.Request[v1.GetCurrentUserRequest], s *connect.ServerStream[v1.User]) error {
			ran.Add(1)
			a := rules.ActorFrom(ctx)
			if a == nil {
				return s.Send(&v1.User{Username: "<anonymous>"})
			}
			for range 2 {
				if err := s.Send(&v1.User{Username: a.User.Username}); err != nil {
					return err
				}
			}
			return nil
		}, handlerOptions(d, defaultBodyLimit)...))
	srv := httptest.NewServer(limitRequests(nil, mux))
	t.Cleanup(srv.Close)
	self := srv.URL

	for name, tt := range map[string]struct {
		headers map[string]string
		want    connect.Code // 0: runs as alice
	}{
		"no credentials":                    {nil, connect.CodeUnauthenticated},
		"unknown token":                     {map[string]string{"Authorization": "Bearer mem_nope"}, connect.CodeUnauthenticated},
		"malformed authorization":           {map[string]string{"Authorization": "Basic eDp5"}, connect.CodeUnauthenticated},
		"valid token":                       {map[string]string{"Authorization": "Bearer " + token}, 0},
		"valid token, cross-site headers":   {map[string]string{"Authorization": "Bearer " + token, "Sec-Fetch-Site": "cross-site"}, 0},
		"session cookie, same origin":       {map[string]string{"Cookie": SessionCookie + "=" + token, "Origin": self}, 0},
		"session cookie, another site":      {map[string]string{"Cookie": SessionCookie + "=" + token, "Origin": "https://evil.example"}, connect.CodePermissionDenied},
		"session cookie, cross-site fetch":  {map[string]string{"Cookie": SessionCookie + "=" + token, "Sec-Fetch-Site": "cross-site"}, connect.CodePermissionDenied},
		"revoked-looking cookie, no origin": {map[string]string{"Cookie": SessionCookie + "=mem_gone"}, connect.CodeUnauthenticated},
	} {
		t.Run(name, func(t *testing.T) {
			for _, p := range []struct {
				name string
				opt  []connect.ClientOption
			}{{"connect", nil}, {"grpc-web", []connect.ClientOption{connect.WithGRPCWeb()}}} {
				before := ran.Load()
				client := connect.NewClient[v1.GetCurrentUserRequest, v1.User](srv.Client(), srv.URL+testStreamProcedure, p.opt...)
				req := connect.NewRequest(&v1.GetCurrentUserRequest{})
				for k, v := range tt.headers {
					req.Header().Set(k, v)
				}
				stream, err := client.CallServerStream(ctx, req)
				if err != nil {
					t.Fatalf("%s: open stream: %v", p.name, err)
				}
				var got []string
				for stream.Receive() {
					got = append(got, stream.Msg().GetUsername())
				}
				err = stream.Err()
				stream.Close()
				if tt.want != 0 {
					if connect.CodeOf(err) != tt.want {
						t.Fatalf("%s: err = %v, want %v", p.name, err, tt.want)
					}
					if ran.Load() != before || len(got) != 0 {
						t.Fatalf("%s: the handler ran (%v) for a refused stream", p.name, got)
					}
					continue
				}
				if err != nil || len(got) != 2 || got[0] != "alice" || got[1] != "alice" {
					t.Fatalf("%s: got %v, %v; want two messages as alice", p.name, got, err)
				}
			}
		})
	}
}
