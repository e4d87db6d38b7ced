package app_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
	"github.com/memoria-app/memoria/store/storetest"
)

// TestAcknowledgedWritesAreSynced runs the built binary under strace and
// makes 200 CreateMemo calls one after another: each is acknowledged only
// after a sync of the WAL that began after its commit, so the server must
// have fdatasync'ed memoria.db-wal at least 200 times (before the durable
// group commit it made none).
func TestAcknowledgedWritesAreSynced(t *testing.T) {
	storetest.SQLiteOnly(t, "counts fdatasync calls on memoria.db-wal")
	straceBin, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace not installed: skipping the end-to-end sync check (apt-get install strace)")
	}
	if testing.Short() {
		t.Skip("builds and runs the binary under strace; skipped with -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "memoria")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = ".." // the module root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	trace := filepath.Join(dir, "trace.txt")
	data := filepath.Join(dir, "data")
	cmd := exec.Command(straceBin, "-f", "-qq", "-y", "--seccomp-bpf", "-e", "trace=fsync,fdatasync", "-o", trace,
		bin, "--addr", addr, "--data", data, "--log-level", "warn")
	stderr := &logBuffer{}
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// strace does not pass signals on: stop the server itself (strace's
	// child) and strace follows it out.
	stopServer := func() error {
		children, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid))
		if f := strings.Fields(string(children)); len(f) > 0 {
			if pid, err := strconv.Atoi(f[0]); err == nil {
				syscall.Kill(pid, syscall.SIGTERM)
				return <-exited
			}
		}
		cmd.Process.Kill()
		<-exited
		return fmt.Errorf("server process not found under strace")
	}
	stopped := false
	defer func() {
		if !stopped {
			stopServer()
		}
	}()

	url := "http://" + addr
	hc := &http.Client{Timeout: 10 * time.Second}
	auth := memoriav1connect.NewAuthServiceClient(hc, url, connect.WithProtoJSON())
	ctx := context.Background()
	var token string
	for deadline := time.Now().Add(60 * time.Second); ; {
		resp, err := auth.SignUp(ctx, connect.NewRequest(&v1.SignUpRequest{Username: "strace", Password: "strace password"}))
		if err == nil {
			token = resp.Msg.GetAccessToken()
			break
		}
		select {
		case werr := <-exited:
			stopped = true
			if strings.Contains(stderr.String(), "Operation not permitted") {
				t.Skipf("strace cannot trace here (ptrace not permitted): %s", stderr.String())
			}
			t.Fatalf("server under strace exited (%v): %s", werr, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not answer: %v; output: %s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	memos := memoriav1connect.NewMemoServiceClient(hc, url, connect.WithProtoJSON(), connect.WithInterceptors(bearer(token)))
	const calls = 200
	for i := range calls {
		if _, err := memos.CreateMemo(ctx, connect.NewRequest(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: fmt.Sprintf("memo %d", i)}})); err != nil {
			t.Fatalf("CreateMemo %d: %v", i, err)
		}
	}
	stopped = true
	if err := stopServer(); err != nil {
		t.Fatalf("server exit: %v: %s", err, stderr.String())
	}
	out, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	walSyncs := 0
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "fdatasync(") && strings.Contains(line, "memoria.db-wal>") && strings.HasSuffix(line, "= 0") {
			walSyncs++
		}
	}
	if walSyncs < calls {
		t.Errorf("%d successful fdatasync calls on memoria.db-wal for %d acknowledged CreateMemo calls, want at least %d", walSyncs, calls, calls)
	}
	t.Logf("%d WAL syncs for %d CreateMemo calls (plus sign-up)", walSyncs, calls)
}
