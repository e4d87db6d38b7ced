package telegramtest

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

func TestFaultKinds(t *testing.T) {
	tests := map[string]struct {
		fault Fault
		check func(t *testing.T, err error)
	}{
		"429 with retry_after": {
			fault: Fault{Kind: FaultTooManyRequests, RetryAfter: 7},
			check: func(t *testing.T, err error) {
				tgErr := telegramError(t, err)
				if tgErr.Code != 429 || tgErr.Description != "Too Many Requests: retry after 7" ||
					tgErr.ResponseParams == nil || tgErr.ResponseParams.RetryAfter != 7 {
					t.Errorf("= %d %q %+v", tgErr.Code, tgErr.Description, tgErr.ResponseParams)
				}
			},
		},
		"401": {
			fault: Fault{Kind: FaultUnauthorized},
			check: func(t *testing.T, err error) {
				if tgErr := telegramError(t, err); tgErr.Code != 401 {
					t.Errorf("= %d", tgErr.Code)
				}
			},
		},
		"500 HTML": {
			fault: Fault{Kind: FaultInternalError},
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "decode") {
					t.Errorf("= %v, want a decoding error", err)
				}
			},
		},
		"502 HTML": {
			fault: Fault{Kind: FaultBadGateway},
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "decode") {
					t.Errorf("= %v, want a decoding error", err)
				}
			},
		},
		"dropped connection": {
			fault: Fault{Kind: FaultDropConnection},
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "failed to execute POST request") {
					t.Errorf("= %v, want a transport error", err)
				}
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv, tg := newTestServer(t)
			b := gotBot(t, srv.URL(), testToken)
			tg.SendText(ann, "hi")
			tg.FailNext(1, tt.fault)
			_, err := b.SendMessage(ann.ID, "x", nil)
			tt.check(t, err)
			if n := len(tg.SentMethod("sendMessage")); n != 0 {
				t.Errorf("a refused sendMessage counts as sent (%d)", n)
			}
			calls := tg.Calls()
			if last := calls[len(calls)-1]; last.Method != "sendMessage" || last.Fault != tt.fault.Kind {
				t.Errorf("last call = %s with fault %v", last.Method, last.Fault)
			}
			// One fault only: the next call goes through.
			if _, err := b.SendMessage(ann.ID, "y", nil); err != nil {
				t.Errorf("the call after the fault: %v", err)
			}
		})
	}
}

func TestHTMLErrorBody(t *testing.T) {
	srv, tg := newTestServer(t)
	tg.FailNext(1, Fault{Kind: FaultBadGateway})
	resp, err := http.Get(srv.URL() + "/bot" + testToken + "/getMe")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 502 || resp.Header.Get("Content-Type") != "text/html" || !strings.Contains(string(body), "<h1>502 Bad Gateway</h1>") {
		t.Errorf("= %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

func TestFaultDelay(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	tg.FailNext(1, Fault{Kind: FaultDelay, Delay: 300 * time.Millisecond})
	start := time.Now()
	if _, err := b.GetMe(nil); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < 300*time.Millisecond {
		t.Errorf("answered after %v, before the delay", elapsed)
	}
	// A delay longer than the client's timeout times the client out.
	tg.FailNext(1, Fault{Kind: FaultDelay, Delay: time.Minute})
	if _, err := b.GetMe(&gotgbot.GetMeOpts{RequestOpts: &gotgbot.RequestOpts{Timeout: 100 * time.Millisecond}}); err == nil {
		t.Error("no timeout error")
	}
}

// TestFaultDropResponse: the call takes effect, its answer is lost.
func TestFaultDropResponse(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	u := tg.SendText(ann, "hi")
	tg.FailNext(1, Fault{Kind: FaultDropResponse, Methods: []string{"sendMessage"}})
	if _, err := b.SendMessage(ann.ID, "lost answer", nil); err == nil {
		t.Fatal("the client got an answer")
	}
	if sent := tg.SentMethod("sendMessage"); len(sent) != 1 || sent[0].Param("text") != "lost answer" {
		t.Errorf("the message was not sent: %+v", sent)
	}
	tg.FailNext(1, Fault{Kind: FaultDropResponse, Methods: []string{"getUpdates"}})
	if _, err := poll(testContext(t), b, u.UpdateID+1, 0); err == nil {
		t.Fatal("the client got an answer")
	}
	if tg.Confirmed() != u.UpdateID+1 || tg.Pending() != 0 {
		t.Errorf("the offset was not confirmed: Confirmed %d, Pending %d", tg.Confirmed(), tg.Pending())
	}
}

func TestFaultsTargetMethods(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	id := tg.AddFile([]byte("data"), "a.txt")
	tg.FailNext(2, Fault{Kind: FaultTooManyRequests, Methods: []string{"GETFILE"}})
	tg.FailNext(1, Fault{Kind: FaultBadGateway, Methods: []string{Download}})
	if _, err := b.GetMe(nil); err != nil {
		t.Errorf("getMe was hit by a getFile fault: %v", err)
	}
	for range 2 {
		if _, err := b.GetFile(id, nil); telegramError(t, err).Code != 429 {
			t.Errorf("getFile: %v", err)
		}
	}
	f, err := b.GetFile(id, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(f.URL(b, nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 502 {
		t.Errorf("download status %d, want the injected 502", resp.StatusCode)
	}
	if got := download(t, b, id); string(got) != "data" {
		t.Errorf("download after the fault = %q", got)
	}
}

func TestFaultOnGetUpdates(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	u := tg.SendText(ann, "hi")
	tg.FailNext(1, Fault{Kind: FaultInternalError, Methods: []string{"getUpdates"}})
	if _, err := poll(testContext(t), b, u.UpdateID+1, 0); err == nil {
		t.Fatal("no error")
	}
	if tg.Pending() != 1 {
		t.Error("a getUpdates refused by a fault confirmed its offset")
	}
}

// faultSequence makes n getMe calls under a fault rate and returns which
// of them failed.
func faultSequence(t *testing.T, seed uint64, n int) string {
	srv, tg := newTestServer(t)
	tg.SetFaultSeed(seed)
	tg.SetFaultRate(0.3, Fault{Kind: FaultTooManyRequests}, Fault{Kind: FaultUnauthorized})
	var seq strings.Builder
	for range n {
		status, _ := do(t, "GET", srv.URL()+"/bot"+testToken+"/getMe", "", "")
		seq.WriteString(map[int]string{200: ".", 429: "r", 401: "u"}[status])
	}
	return seq.String()
}

func TestFaultRateIsSeeded(t *testing.T) {
	a, b, c := faultSequence(t, 1, 200), faultSequence(t, 1, 200), faultSequence(t, 2, 200)
	if a != b {
		t.Errorf("same seed, different faults:\n%s\n%s", a, b)
	}
	if a == c {
		t.Error("different seeds, same faults")
	}
	failed := 200 - strings.Count(a, ".")
	if failed < 30 || failed > 90 || !strings.Contains(a, "r") || !strings.Contains(a, "u") {
		t.Errorf("rate 0.3 failed %d of 200 (%s)", failed, a)
	}
}

func TestClearFaults(t *testing.T) {
	srv, tg := newTestServer(t)
	tg.FailNext(5, Fault{Kind: FaultUnauthorized})
	tg.SetFaultRate(1, Fault{Kind: FaultUnauthorized})
	tg.ClearFaults()
	if status, _ := do(t, "GET", srv.URL()+"/bot"+testToken+"/getMe", "", ""); status != 200 {
		t.Errorf("status %d after ClearFaults", status)
	}
}

// TestFaultsConcurrently changes faults while requests run, for the race
// detector.
func TestFaultsConcurrently(t *testing.T) {
	srv, tg := newTestServer(t)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for range 20 {
				do(t, "GET", srv.URL()+"/bot"+testToken+"/getMe", "", "")
			}
		})
		wg.Go(func() {
			for j := range 20 {
				tg.FailNext(1, Fault{Kind: FaultTooManyRequests})
				tg.SetFaultRate(0.1*float64(j%3), Fault{Kind: FaultUnauthorized})
				tg.SetFaultSeed(uint64(i*j + 1))
				tg.Calls()
			}
		})
	}
	wg.Wait()
	if len(tg.Calls()) != 80 {
		t.Errorf("%d calls recorded, want 80", len(tg.Calls()))
	}
}

func TestParseFaultKind(t *testing.T) {
	for k := FaultTooManyRequests; k <= FaultUnauthorized; k++ {
		got, err := ParseFaultKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseFaultKind(%q) = %v, %v", k.String(), got, err)
		}
	}
	if _, err := ParseFaultKind("none"); err == nil {
		t.Error(`"none" parsed as a fault`)
	}
}
