package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/store/storetest"
)

// TestDBFlag: --db takes a postgres:// URL (checked before anything is
// opened) and refuses anything else; backup and restore on PostgreSQL
// connect to it (here: nothing listens, so they say it is unavailable).
func TestDBFlag(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--db", "mysql://u@h/db", "--data", dir},
		{"--db", "postgres://u@h:port/db", "--data", dir},
		{"backup", "--db", "sqlite:memoria.db", "--data", dir, filepath.Join(dir, "b.tar")},
	} {
		if err := run(args, io.Discard); err == nil || !strings.Contains(err.Error(), "--db") {
			t.Errorf("run %q = %v, want an error about --db", args, err)
		}
	}
	for _, cmd := range []string{"backup", "restore"} {
		err := run([]string{cmd, "--db", "postgres://u@127.0.0.1:1/db?connect_timeout=2", "--data", dir, filepath.Join(dir, "b.tar")}, io.Discard)
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s on an unreachable PostgreSQL: %v, want ErrUnavailable", cmd, err)
		}
	}
}

// TestMoveWithTheBinary moves an instance from SQLite to PostgreSQL and
// back with the real binary: "memoria backup" of a SQLite data directory,
// "memoria restore --db" into an empty schema, a server on it that signs
// the user in with her password and serves her memo, its search and its
// file; "memoria backup --db" while that server runs, "memoria restore"
// into a new data directory and a server there serving the same. A second
// restore into the used schema fails and says why.
func TestMoveWithTheBinary(t *testing.T) {
	url := storetest.PostgresURL(t)
	bin := filepath.Join(t.TempDir(), "memoria")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	liteData := filepath.Join(dir, "sqlite")
	photo := bytes.Repeat([]byte("JPEG bytes "), 50000) // half a MiB
	seedBinaryInstance(t, liteData, photo)

	archive := filepath.Join(dir, "sqlite.tar")
	runBinary(t, bin, "backup", "--data", liteData, archive)
	pgData := filepath.Join(dir, "pg")
	out := runBinary(t, bin, "restore", "--db", url, "--data", pgData, archive)
	if !strings.Contains(out, "1 files") {
		t.Errorf("restore said %q, want it to count the 1 file", out)
	}
	pg := startServer(t, bin, "--data", pgData, "--db", url)
	pg.check(t, photo)

	back := filepath.Join(dir, "pg.tar")
	runBinary(t, bin, "backup", "--db", url, "--data", pgData, back) // the server runs meanwhile
	again := filepath.Join(dir, "again")
	runBinary(t, bin, "restore", "--data", again, back)
	startServer(t, bin, "--data", again).check(t, photo)

	cmd := exec.Command(bin, "restore", "--db", url, "--data", filepath.Join(dir, "scratch"), archive)
	msg, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(msg), "already holds memoria data") {
		t.Errorf("a second restore into the used schema: %v, %s; want a failure saying it holds data", err, msg)
	}
	pg.check(t, photo) // and nothing changed
}

// seedBinaryInstance makes a SQLite instance in dir: alice (admin) with a
// public memo that has photo attached (on disk) and a private one.
func seedBinaryInstance(t *testing.T, dir string, photo []byte) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rl, err := rules.NewRules(db, dir, rules.Config{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := rl.SignUp(ctx, "alice", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	actx := rules.WithActor(ctx, &rules.Actor{User: u, Source: store.SourceWeb})
	res, err := rl.CreateResource(actx, rules.ResourceInput{Filename: "photo.jpg", Type: "image/jpeg", Content: bytes.NewReader(photo)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rl.CreateMemo(actx, rules.MemoInput{Content: "holiday photo #trip 海辺", Visibility: store.VisibilityPublic, ResourceIDs: []int64{res.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := rl.CreateMemo(actx, rules.MemoInput{Content: "a private note", Visibility: store.VisibilityPrivate}); err != nil {
		t.Fatal(err)
	}
}

// runBinary runs a sub-command to completion and returns its output.
func runBinary(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("memoria %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// server is a memoria process serving on url.
type server struct{ url string }

// startServer starts the binary with args on a free port, waits until it
// is ready and stops it (SIGTERM) when the test ends.
func startServer(t *testing.T, bin string, args ...string) server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var logs bytes.Buffer
	cmd := exec.Command(bin, append([]string{"--addr", addr, "--log-level", "warn"}, args...)...)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	s := server{url: "http://" + addr}
	for deadline := time.Now().Add(20 * time.Second); ; {
		resp, err := http.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("memoria %s did not become ready: %v\n%s", strings.Join(args, " "), err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// call makes a Connect JSON call and decodes the answer into out.
func (s server) call(t *testing.T, token, method string, in, out any) {
	t.Helper()
	body, _ := json.Marshal(in)
	req, _ := http.NewRequest(http.MethodPost, s.url+"/memoria.v1."+method, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %s %s", method, resp.Status, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s: %v in %s", method, err, b)
	}
}

// check signs alice in with her password and checks what the seeded
// instance serves: both memos, the search, and the photo's bytes.
func (s server) check(t *testing.T, photo []byte) {
	t.Helper()
	var signIn struct{ AccessToken string }
	s.call(t, "", "AuthService/SignIn", map[string]string{"username": "alice", "password": "correct horse battery"}, &signIn)
	type memos struct {
		Memos []struct {
			Name, Content string
			Resources     []struct{ Name, Filename string }
		}
	}
	var all, found memos
	s.call(t, signIn.AccessToken, "MemoService/ListMemos", map[string]any{"pageSize": 10}, &all)
	s.call(t, signIn.AccessToken, "MemoService/ListMemos", map[string]any{"pageSize": 10, "filter": `search("海辺")`}, &found)
	if len(all.Memos) != 2 || len(found.Memos) != 1 || len(found.Memos[0].Resources) != 1 {
		t.Fatalf("%s serves %+v, and finds %+v for 海辺; want both memos, the photo memo found", s.url, all, found)
	}
	r := found.Memos[0].Resources[0]
	resp, err := http.Get(fmt.Sprintf("%s/file/%s/%s", s.url, r.Name, r.Filename)) // a public memo's file
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(b, photo) {
		t.Errorf("%s/file/%s: %s, %d bytes; want the photo's %d", s.url, r.Name, resp.Status, len(b), len(photo))
	}
}
