package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	serveCtx, stop := context.WithCancel(ctx)
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(serveCtx, []string{"--addr", "127.0.0.1:0", "--quiet", "--bot", "123:abc=memo_bot"}, w)
		w.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("no startup line: %v", err)
	}
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "faketelegram listening on ")
	if !ok {
		t.Fatalf("startup line %q", line)
	}
	go io.Copy(io.Discard, out)
	resp, err := http.Get(base + "/somepath/bot123:abc/getMe")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"username":"memo_bot"`) {
		t.Errorf("getMe = %d %s", resp.StatusCode, body)
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("run did not stop")
	}
}

func TestRunRejectsBadBot(t *testing.T) {
	err := run(context.Background(), []string{"--addr", "127.0.0.1:0", "--bot", "http://x/bot1:hunter2=x"}, io.Discard)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("run = %v, want an error that does not show the token", err)
	}
}
