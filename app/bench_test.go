package app_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"connectrpc.com/connect"

	"github.com/memoria-app/memoria/app"
	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
)

// Benchmarks of the whole stack in one process (client, HTTP, Connect,
// rules, store, SQLite), for profiling:
//
//	go test ./app -run '^$' -bench CreateMemo -cpuprofile cpu.out
//	go tool pprof -top -focus 'memoria/(server|store)' app.test cpu.out
//
// bench/ measures the real binary over loopback instead.

// quietServer starts a server that logs only warnings, like --log-level warn.
func quietServer(b *testing.B) *testServer {
	return startServer(b, func(c *app.Config) {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	})
}

// benchProtocols are the wire protocols benchmarked, each with a client
// that keeps enough connections open for 16 callers.
func benchProtocols() []protocol {
	return []protocol{
		{"connect+json", &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}, []connect.ClientOption{connect.WithProtoJSON()}},
		{"grpc", h2cClient(), []connect.ClientOption{connect.WithGRPC()}},
	}
}

func BenchmarkCreateMemo(b *testing.B) {
	for _, stored := range []int{0, 20000} {
		for _, p := range benchProtocols() {
			for _, c := range []int{1, 16} {
				b.Run(fmt.Sprintf("stored=%d/%s/c=%d", stored, p.name, c), func(b *testing.B) {
					s := quietServer(b)
					_, tok := s.signUp("admin")
					if stored > 0 {
						seedMemos(b, s, tok, stored, func(i int) string { return fmt.Sprintf("seed %d #tag%d", i, i%50) })
					}
					memos := memoriav1connect.NewMemoServiceClient(p.http, s.URL, append([]connect.ClientOption{connect.WithInterceptors(bearer(tok))}, p.opts...)...)
					var n atomic.Int64
					before := s.App.WriteStats()
					b.ResetTimer()
					runParallel(b, c, func() {
						i := n.Add(1)
						_, err := memos.CreateMemo(b.Context(), req(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: fmt.Sprintf("bench memo %d #bench #tag%d", i, i%50)}}))
						if err != nil {
							b.Error(err)
						}
					})
					b.StopTimer()
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "memos/s")
					reportWriteStats(b, s, before)
				})
			}
		}
	}
}

func BenchmarkListMemos(b *testing.B) {
	s := quietServer(b)
	_, tok := s.signUp("admin")
	seedMemos(b, s, tok, 20000, func(i int) string { return fmt.Sprintf("seed %d #tag%d", i, i%50) })
	for _, p := range benchProtocols() {
		for _, c := range []int{1, 16} {
			for _, filter := range []string{"", `tag == "tag7"`} {
				name := "all"
				if filter != "" {
					name = "tag"
				}
				b.Run(fmt.Sprintf("%s/c=%d/%s", p.name, c, name), func(b *testing.B) {
					memos := memoriav1connect.NewMemoServiceClient(p.http, s.URL, append([]connect.ClientOption{connect.WithInterceptors(bearer(tok))}, p.opts...)...)
					b.ResetTimer()
					runParallel(b, c, func() {
						resp, err := memos.ListMemos(b.Context(), req(&v1.ListMemosRequest{PageSize: 50, Filter: filter}))
						if err != nil || len(resp.Msg.GetMemos()) != 50 {
							b.Errorf("ListMemos: %v", err)
						}
					})
				})
			}
		}
	}
}

// runParallel calls fn b.N times from c goroutines.
func runParallel(b *testing.B, c int, fn func()) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				fn()
			}
		}()
	}
	wg.Wait()
}
