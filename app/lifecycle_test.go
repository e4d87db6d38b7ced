package app_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
)

// TestTokenNeverLogged: a run that stores Telegram bot tokens (a proxy URL
// and a bare token), refuses a malformed one and serves authenticated
// calls leaves none of the secrets in its log.
func TestTokenNeverLogged(t *testing.T) {
	// A fake Bot API that refuses every token, so a running bot fails fast
	// and has something to log.
	var botCalls atomic.Int64
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		botCalls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
	}))
	defer fake.Close()

	const (
		proxySecret = "AAFD39kkdpWt3ywyRZergyOLMaJhac60qc"
		bareSecret  = "AAHbareSECRETwxyz_0123456789-abcd"
		badSecret   = "AAGmalformedSECRET0123456789"
	)
	proxyToken := fake.URL + "/somepath/bot4839574812:" + proxySecret
	bareToken := "5839574812:" + bareSecret
	s := startServer(t)
	_, adminTok := s.signUp("admin")
	_, userTok := s.createUser(adminTok, "user")
	admin := s.as(adminTok)
	ctx := ctxT(t)

	waitForBot := func(what string) {
		t.Helper()
		st, err := admin.Bot.GetBotStatus(ctx, req(&v1.GetBotStatusRequest{}))
		wantCode(t, err, codeOK)
		if st.Msg.GetState() == v1.BotState_BOT_STATE_DISABLED {
			t.Logf("%s: the bot reports DISABLED; nothing to wait for", what)
			return
		}
		eventually(t, 15*time.Second, what, func() bool {
			st, err := admin.Bot.GetBotStatus(ctx, req(&v1.GetBotStatusRequest{}))
			return err == nil && st.Msg.GetState() != v1.BotState_BOT_STATE_STARTING
		})
	}

	set := func(token string) error {
		_, err := admin.System.UpdateSystemSetting(ctx, req(&v1.UpdateSystemSettingRequest{
			Setting: &v1.SystemSetting{TelegramBotToken: token}, UpdateMask: mask("telegram_bot_token"),
		}))
		return err
	}
	wantCode(t, set(proxyToken), codeOK)
	got, err := admin.System.GetSystemSetting(ctx, req(&v1.GetSystemSettingRequest{}))
	wantCode(t, err, codeOK)
	if got.Msg.GetTelegramBotToken() != proxyToken {
		t.Fatalf("admin reads %q, want the token as stored", got.Msg.GetTelegramBotToken())
	}
	// Non-admins cannot read it, and the refusal does not carry it.
	_, err = s.as(userTok).System.GetSystemSetting(ctx, req(&v1.GetSystemSettingRequest{}))
	wantCode(t, err, connect.CodePermissionDenied)
	if strings.Contains(err.Error(), proxySecret) {
		t.Fatal("the refusal carries the token")
	}
	waitForBot("the bot to try the proxy token")

	err = set("5839574812:" + badSecret + "!")
	wantCode(t, err, connect.CodeInvalidArgument, "telegram_bot_token")
	if strings.Contains(err.Error(), badSecret) {
		t.Fatalf("the validation error echoes the token: %v", err)
	}
	wantCode(t, set(bareToken), codeOK)
	waitForBot("the bot to try the bare token")
	wantCode(t, set(""), codeOK)

	s.Stop() // flush everything the run logs, shutdown included
	logs := s.Logs.String()
	if !strings.Contains(logs, "UpdateSystemSetting") {
		t.Fatalf("the log capture saw no calls; log:\n%s", logs)
	}
	for name, secret := range map[string]string{
		"proxy token secret": proxySecret, "bare token secret": bareSecret, "malformed token": badSecret,
		"proxy URL": proxyToken, "bare token": bareToken, "admin session": adminTok, "user session": userTok,
	} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains the %s %q:\n%s", name, secret, logs)
		}
	}
	t.Logf("bot API calls seen by the fake: %d", botCalls.Load())
}

// TestGracefulShutdown: cancelling Run's context while an upload is in
// flight stops accepting connections, lets the upload finish and commit,
// and Run returns nil.
func TestGracefulShutdown(t *testing.T) {
	data := newStorage(t)
	s := startServer(t, data.use)
	_, tok := s.signUp("admin")

	content := randomBytes(4<<20, 99)
	body, err := proto.Marshal(&v1.CreateResourceRequest{Resource: &v1.Resource{Filename: "big.bin", Content: content}})
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	httpReq, err := http.NewRequest(http.MethodPost, s.URL+memoriav1connect.ResourceServiceCreateResourceProcedure, pr)
	if err != nil {
		t.Fatal(err)
	}
	httpReq.ContentLength = int64(len(body))
	httpReq.Header.Set("Content-Type", "application/proto")
	httpReq.Header.Set("Authorization", "Bearer "+tok)
	// With "Expect: 100-continue" the client sends no body byte before the
	// server's handler starts reading it: once the first write below
	// returns, the call is in flight on the server, not in a socket buffer.
	httpReq.Header.Set("Expect", "100-continue")
	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}
	type result struct {
		resp *http.Response
		body []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := client.Do(httpReq)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- result{resp, b, err}
	}()
	half := len(body) / 2
	if _, err := pw.Write(body[:half]); err != nil {
		t.Fatal(err)
	}

	// Cancel Run; wait until the listener is closed.
	s.stop()
	eventually(t, 5*time.Second, "the listener to close", func() bool {
		c, err := net.DialTimeout("tcp", s.Addr, 100*time.Millisecond)
		if err != nil {
			return true
		}
		c.Close()
		return false
	})
	select {
	case err := <-s.done:
		t.Fatalf("Run returned %v while an upload was in flight", err)
	case r := <-done:
		t.Fatalf("the upload ended before its body was sent: %+v", r)
	default:
	}

	if _, err := pw.Write(body[half:]); err != nil {
		t.Fatalf("finishing the upload: %v", err)
	}
	pw.Close()
	var r result
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the in-flight upload did not complete")
	}
	if r.err != nil || r.resp.StatusCode != http.StatusOK {
		t.Fatalf("in-flight upload: %v %v %s", r.err, r.resp, r.body)
	}
	var res v1.Resource
	if err := proto.Unmarshal(r.body, &res); err != nil || res.GetSize() != int64(len(content)) {
		t.Fatalf("upload response %v (%v)", &res, err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("Run returned %v, want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after the upload finished")
	}
	s.stopped.Store(true)

	// The upload was committed: a new server on the same data has it.
	s2 := startServer(t, data.use)
	st, _, got := getFile(t, s2.URL+"/file/"+res.GetName()+"/big.bin", http.Header{"Authorization": {"Bearer " + tok}})
	if st != http.StatusOK || !bytes.Equal(got, content) {
		t.Fatalf("after restart: status %d, %d bytes (want %d identical)", st, len(got), len(content))
	}
}

// TestConcurrentWriters: 64 clients on their own connections create memos
// at once; every call succeeds ("database is locked" never happens).
func TestConcurrentWriters(t *testing.T) {
	s := startServer(t)
	_, adminTok := s.signUp("admin")
	const (
		users     = 16
		perUser   = 4 // clients per user
		perClient = 15
	)
	toks := make([]string, users)
	for i := range toks {
		_, toks[i] = s.createUser(adminTok, fmt.Sprintf("writer%d", i))
	}
	var (
		wg     sync.WaitGroup
		failed atomic.Int64
		mu     sync.Mutex
		errs   []string
	)
	start := make(chan struct{})
	for c := range users * perUser {
		wg.Add(1)
		go func() {
			defer wg.Done()
			httpc := &http.Client{Transport: &http.Transport{}}
			defer httpc.CloseIdleConnections()
			opts := []connect.ClientOption{connect.WithInterceptors(bearer(toks[c%users])), connect.WithProtoJSON()}
			memos := memoriav1connect.NewMemoServiceClient(httpc, s.URL, opts...)
			settings := memoriav1connect.NewUserSettingServiceClient(httpc, s.URL, opts...)
			<-start
			for i := range perClient {
				ctx := ctxT(t)
				_, err := memos.CreateMemo(ctx, req(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: fmt.Sprintf("client %d memo %d #load", c, i)}}))
				if err == nil && i%5 == 0 {
					_, err = memos.ListMemos(ctx, req(&v1.ListMemosRequest{PageSize: 10}))
				}
				if err == nil && i%7 == 0 {
					_, err = settings.UpdateUserSetting(ctx, req(&v1.UpdateUserSettingRequest{Setting: &v1.UserSetting{Locale: "en"}, UpdateMask: mask("locale")}))
				}
				if err != nil {
					failed.Add(1)
					mu.Lock()
					errs = append(errs, err.Error())
					mu.Unlock()
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d calls failed, e.g. %v", n, errs[:min(len(errs), 5)])
	}
	total := 0
	for _, tok := range toks {
		total += len(listAll(t, s.as(tok), `tag == "load"`, 1000, nil))
	}
	if want := users * perUser * perClient; total != want {
		t.Fatalf("%d memos stored, want %d", total, want)
	}
	if logs := s.Logs.String(); strings.Contains(logs, "locked") || strings.Contains(logs, "internal error") {
		t.Fatalf("the log shows lock or internal errors:\n%s", logs)
	}
}
