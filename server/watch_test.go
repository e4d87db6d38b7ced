package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"golang.org/x/crypto/bcrypt"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
	"github.com/memoria-app/memoria/rules"
)

// TestWatchMemosKeepAliveOutlivesServerTimeouts: a silent stream gets a
// keep-alive every keepAlive, and lives on past the server's read and
// write timeouts (which bound ordinary calls), over HTTP/1.1 and h2c.
func TestWatchMemosKeepAliveOutlivesServerTimeouts(t *testing.T) {
	r, _ := newTestRules(t, rules.Config{BcryptCost: bcrypt.MinCost})
	_, token, err := r.SignUp(context.Background(), "admin", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	const timeout = 150 * time.Millisecond
	h := &memoHandler{r: r, keepAlive: 10 * time.Millisecond}
	mux := http.NewServeMux()
	mux.Handle(withWatchConn(memoriav1connect.NewMemoServiceHandler(h,
		connect.WithInterceptors(errorInterceptor(log), authInterceptor(r)))))
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{Handler: mux, Protocols: protocols, ReadTimeout: timeout, WriteTimeout: timeout}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()

	h2 := new(http.Protocols)
	h2.SetUnencryptedHTTP2(true)
	clients := map[string]struct {
		http *http.Client
		opts []connect.ClientOption
	}{
		"connect over HTTP/1.1": {&http.Client{Transport: &http.Transport{}}, nil},
		"gRPC over h2c":         {&http.Client{Transport: &http.Transport{Protocols: h2}}, []connect.ClientOption{connect.WithGRPC()}},
	}
	for name, c := range clients {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			client := memoriav1connect.NewMemoServiceClient(c.http, "http://"+ln.Addr().String(), c.opts...)
			req := connect.NewRequest(&v1.WatchMemosRequest{})
			req.Header().Set("Authorization", "Bearer "+token)
			stream, err := client.WatchMemos(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			defer stream.Close()
			start := time.Now()
			n := 0
			// Keep reading until well past both timeouts.
			for time.Since(start) < 3*timeout {
				if !stream.Receive() {
					t.Fatalf("stream ended after %v and %d keep-alives: %v", time.Since(start), n, stream.Err())
				}
				if e := stream.Msg(); e.Type != v1.MemoEventType_MEMO_EVENT_TYPE_UNSPECIFIED || e.Memo != nil {
					t.Fatalf("message %d = %v, want a keep-alive", n, e)
				}
				n++
			}
			if n < 2 {
				t.Fatalf("%d keep-alives: want the opening one and more", n)
			}
		})
	}
}
