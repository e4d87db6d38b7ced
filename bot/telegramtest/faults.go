package telegramtest

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"time"
)

// FaultKind is a way a request to Telegram can fail.
type FaultKind int

const (
	FaultNone FaultKind = iota
	// FaultTooManyRequests answers 429 with parameters.retry_after, as
	// Telegram does when a bot sends too fast.
	FaultTooManyRequests
	// FaultInternalError answers 500 with an HTML page, as a proxy in
	// front of the API does, which is not JSON.
	FaultInternalError
	// FaultBadGateway answers 502 with an HTML page.
	FaultBadGateway
	// FaultDropConnection closes the connection without handling the
	// request or answering.
	FaultDropConnection
	// FaultDropResponse handles the request, then closes the connection
	// without answering: the call took effect (a getUpdates confirmed its
	// offset, a message was sent) but the client cannot know.
	FaultDropResponse
	// FaultDelay holds the answer back for Fault.Delay, then handles the
	// request normally.
	FaultDelay
	// FaultUnauthorized answers 401 Unauthorized, as for a revoked token.
	FaultUnauthorized
)

var faultNames = map[FaultKind]string{
	FaultNone: "none", FaultTooManyRequests: "429", FaultInternalError: "500", FaultBadGateway: "502",
	FaultDropConnection: "drop", FaultDropResponse: "drop_response", FaultDelay: "delay", FaultUnauthorized: "401",
}

// String is the kind's name in the control API: "429", "500", "502",
// "drop", "drop_response", "delay", "401".
func (k FaultKind) String() string {
	if s, ok := faultNames[k]; ok {
		return s
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// ParseFaultKind is String's inverse.
func ParseFaultKind(s string) (FaultKind, error) {
	for k, name := range faultNames {
		if name == s && k != FaultNone {
			return k, nil
		}
	}
	return FaultNone, fmt.Errorf("unknown fault %q (want 429, 500, 502, drop, drop_response, delay or 401)", s)
}

// Fault is a failure to inject into requests.
type Fault struct {
	Kind FaultKind
	// RetryAfter is the retry_after of FaultTooManyRequests, in seconds
	// (default 1).
	RetryAfter int
	// Delay is how long FaultDelay holds the answer (default 1s).
	Delay time.Duration
	// Methods limits the fault to these methods (any case; Download for
	// file downloads). Empty means every request.
	Methods []string
}

// matches reports whether the fault applies to method. "download" is
// accepted for Download.
func (f Fault) matches(method string) bool {
	return len(f.Methods) == 0 || slices.ContainsFunc(f.Methods, func(m string) bool {
		return strings.EqualFold(m, method) || method == Download && strings.EqualFold(m, "download")
	})
}

// faultState is a bot's pending faults. It is guarded by the bot's mutex.
type faultState struct {
	next  []pendingFault
	rate  float64
	kinds []Fault
	rng   *rand.Rand
}

type pendingFault struct {
	Fault
	left int
}

// FailNext makes the next n requests that f matches fail with f. Calls
// queue up: FailNext(1, a) then FailNext(1, b) fails one request with a,
// then one with b (for requests both match).
func (b *Bot) FailNext(n int, f Fault) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.faults.next = append(b.faults.next, pendingFault{Fault: f, left: n})
}

// SetFaultRate makes each request fail with probability p, with one of
// kinds (chosen uniformly among those that match the method). The choice
// is random but reproducible: see SetFaultSeed. p = 0 turns it off.
func (b *Bot) SetFaultRate(p float64, kinds ...Fault) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.faults.rate = p
	b.faults.kinds = slices.Clone(kinds)
}

// SetFaultSeed reseeds the randomness of SetFaultRate (the default seed is
// 1), so that a failing run can be replayed.
func (b *Bot) SetFaultSeed(seed uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.faults.rng = rand.New(rand.NewPCG(seed, seed))
}

// ClearFaults cancels FailNext and SetFaultRate.
func (b *Bot) ClearFaults() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.faults.next, b.faults.rate, b.faults.kinds = nil, 0, nil
}

// nextFault returns the fault due for a request to method, if any.
func (b *Bot) nextFault(method string) (Fault, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fs := &b.faults
	for i := range fs.next {
		if fs.next[i].matches(method) {
			f := fs.next[i].Fault
			if fs.next[i].left--; fs.next[i].left == 0 {
				fs.next = slices.Delete(fs.next, i, i+1)
			}
			return f, true
		}
	}
	if fs.rate <= 0 {
		return Fault{}, false
	}
	var candidates []Fault
	for _, f := range fs.kinds {
		if f.matches(method) {
			candidates = append(candidates, f)
		}
	}
	if len(candidates) == 0 || fs.rng.Float64() >= fs.rate {
		return Fault{}, false
	}
	return candidates[fs.rng.IntN(len(candidates))], true
}

// applyFault injects f into the answer. It reports true when the request
// is done with; false when it should still be handled (after a delay, or to
// be dropped after handling).
func (b *Bot) applyFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	switch f.Kind {
	case FaultTooManyRequests:
		after := f.RetryAfter
		if after <= 0 {
			after = 1
		}
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("Too Many Requests: retry after %d", after),
			&responseParameters{RetryAfter: after})
	case FaultInternalError:
		writeHTMLError(w, http.StatusInternalServerError, "500 Internal Server Error")
	case FaultBadGateway:
		writeHTMLError(w, http.StatusBadGateway, "502 Bad Gateway")
	case FaultUnauthorized:
		writeError(w, http.StatusUnauthorized, "Unauthorized", nil)
	case FaultDropConnection:
		dropConnection(w)
	case FaultDelay:
		d := f.Delay
		if d <= 0 {
			d = time.Second
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true
		case <-b.srv.done:
		}
		return false
	default:
		return false
	}
	return true
}

func writeHTMLError(w http.ResponseWriter, status int, title string) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n", title, title)
}

// dropConnection closes the client's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2, or a wrapper that cannot hijack: abort the stream.
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// dropAfter handles the request into a buffer, then drops the connection,
// so that the request takes effect but its answer is lost.
func dropAfter(w http.ResponseWriter, _ *http.Request, handle func(http.ResponseWriter)) {
	rec := httptest.NewRecorder()
	handle(rec)
	dropConnection(w)
}
