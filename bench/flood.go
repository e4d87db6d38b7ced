package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
)

const (
	floodGuesses = 400
	floodCallers = 8
)

// floodPhase measures another user's ListMemos latency while wrong
// passwords pour in: first at rest, then during 400 guesses at one account
// from one address (the throttle refuses most of them unhashed), then
// during 400 guesses spread over 40 loopback addresses and 40 accounts,
// ten each (every one stays under the throttle, so every one is
// bcrypt-checked: the bounded password pool is what protects the rest).
func (b *bench) floodPhase() error {
	group := "sign-in flood"
	s, admin, err := b.phaseServer("")
	if err != nil {
		return err
	}
	fmt.Printf("%s (server pid %d)\n", group, s.cmd.Process.Pid)
	ctx := context.Background()
	jsonOpts := []connect.ClientOption{connect.WithProtoJSON()}
	users := memoriav1connect.NewUserServiceClient(http.DefaultClient, s.url, append(jsonOpts, connect.WithInterceptors(bearer(admin)))...)
	for _, name := range []string{"victim", "reader"} {
		if _, err := users.CreateUser(ctx, connect.NewRequest(&v1.CreateUserRequest{User: &v1.User{Username: name, Password: "the right password"}})); err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
	}
	auth := memoriav1connect.NewAuthServiceClient(http.DefaultClient, s.url, jsonOpts...)
	resp, err := auth.SignIn(ctx, connect.NewRequest(&v1.SignInRequest{Username: "reader", Password: "the right password"}))
	if err != nil {
		return fmt.Errorf("sign in reader: %w", err)
	}
	p := protocols()[0]
	memos := p.memos(s.url, resp.Msg.GetAccessToken())
	if _, errs := drive(4, 50, 0, func(i int) error {
		_, err := memos.CreateMemo(ctx, connect.NewRequest(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: memoContent(i)}}))
		return err
	}); errs > 0 {
		return fmt.Errorf("seeding the reader's memos: %d failed", errs)
	}
	list := func(int) error {
		resp, err := memos.ListMemos(ctx, connect.NewRequest(&v1.ListMemosRequest{PageSize: 50}))
		if err == nil && len(resp.Msg.GetMemos()) != 50 {
			err = fmt.Errorf("%d memos on the page", len(resp.Msg.GetMemos()))
		}
		return err
	}
	drive(1, 0, b.cfg.warmup, list)

	lat, errs := drive(1, 0, b.cfg.duration, list)
	if errs > 0 {
		return fmt.Errorf("ListMemos at rest: %d calls failed", errs)
	}
	b.add(result{group: group, name: "reader's ListMemos p99, no flood", value: ms(percentile(lat, 99)), unit: "ms"})

	floods := []struct {
		name  string
		guess func(i int) (addr, username string)
	}{
		{"one account, one address", func(int) (string, string) { return "127.0.0.1", "victim" }},
		{"40 addresses × 40 accounts, 10 each", func(i int) (string, string) {
			return fmt.Sprintf("127.0.1.%d", 1+i%40), fmt.Sprintf("guessed%d", i%40)
		}},
	}
	for _, f := range floods {
		clients := map[string]memoriav1connect.AuthServiceClient{}
		for i := range floodGuesses {
			addr, _ := f.guess(i)
			if clients[addr] == nil {
				clients[addr] = memoriav1connect.NewAuthServiceClient(clientFrom(addr), s.url, jsonOpts...)
			}
		}
		var checked, throttled, other atomic.Int64
		done := make(chan struct{})
		var during []time.Duration
		var listErrs int
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			during, listErrs = driveUntil(done, list)
		}()
		t0 := time.Now()
		drive(floodCallers, floodGuesses, 0, func(i int) error {
			addr, username := f.guess(i - 1)
			_, err := clients[addr].SignIn(ctx, connect.NewRequest(&v1.SignInRequest{Username: username, Password: fmt.Sprintf("guess %d", i)}))
			switch connect.CodeOf(err) {
			case connect.CodeUnauthenticated:
				checked.Add(1)
			case connect.CodeResourceExhausted:
				throttled.Add(1)
			default:
				other.Add(1)
			}
			return nil
		})
		el := time.Since(t0)
		close(done)
		wg.Wait()
		if other.Load() > 0 || listErrs > 0 {
			return fmt.Errorf("flood %q: %d guesses answered unexpectedly, %d ListMemos failed", f.name, other.Load(), listErrs)
		}
		g := group + ", " + f.name
		b.add(result{group: g, name: "guesses password-checked", value: float64(checked.Load()), unit: "of 400"})
		b.add(result{group: g, name: "guesses throttled (resource_exhausted)", value: float64(throttled.Load()), unit: "of 400"})
		b.add(result{group: g, name: "flood duration", value: el.Seconds(), unit: "s"})
		b.add(result{group: g, name: "password checks per second", value: float64(checked.Load()) / el.Seconds(), unit: "/s"})
		b.add(result{group: g, name: fmt.Sprintf("reader's ListMemos during (%d calls) p50", len(during)), value: ms(percentile(during, 50)), unit: "ms"})
		p99 := ms(percentile(during, 99))
		b.add(result{group: g, name: "reader's ListMemos during, p99", value: p99, unit: "ms", target: "≤ 50 ms", met: ptr(p99 <= 50)})
	}
	return b.finishPhase(s, group)
}

// driveUntil calls call in a loop until done closes and returns the
// sorted latencies of the successful calls and the failure count.
func driveUntil(done <-chan struct{}, call func(int) error) ([]time.Duration, int) {
	var lat []time.Duration
	failed := 0
	for i := 0; ; i++ {
		select {
		case <-done:
			slices.Sort(lat)
			return lat, failed
		default:
		}
		t0 := time.Now()
		if err := call(i); err != nil {
			failed++
			continue
		}
		lat = append(lat, time.Since(t0))
	}
}

// clientFrom is an HTTP client whose connections come from the local
// address ip (any of 127.0.0.0/8 on Linux), so one bench is many callers.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: floodCallers}}
}
