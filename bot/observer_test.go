package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"

	"github.com/memoria-app/memoria/rules"
)

// recorder is an Observer that counts what it hears, by method and label.
type recorder struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *recorder) add(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n = map[string]int{}
	}
	r.n[key]++
}

func (r *recorder) count(key string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[key]
}

func (r *recorder) UpdateHandled(kind string, _ time.Time) { r.add("update:" + kind) }
func (r *recorder) GetUpdatesFailed(kind string)           { r.add("getUpdates:" + kind) }
func (r *recorder) DownloadFailed(kind string)             { r.add("download:" + kind) }
func (r *recorder) Downloaded(int64)                       { r.add("downloaded") }
func (r *recorder) ReplyQueued()                           { r.add("queued") }
func (r *recorder) ReplySent()                             { r.add("sent") }
func (r *recorder) ReplyDropped(reason string)             { r.add("dropped:" + reason) }

// TestSenderReportsQueueOverflow: a chat's queue over maxQueuedPerChat
// drops its oldest reply, and says so.
func TestSenderReportsQueueOverflow(t *testing.T) {
	rec := &recorder{}
	s := newSender(&poller{sup: &Supervisor{opts: Options{Observer: rec}}})
	for i := range maxQueuedPerChat + 3 {
		s.enqueue(outMessage{chatID: 1, replyTo: int64(i), text: "reply"})
	}
	if got := rec.count("queued"); got != maxQueuedPerChat+3 {
		t.Errorf("queued = %d, want %d", got, maxQueuedPerChat+3)
	}
	if got := rec.count("dropped:" + DropQueueFull); got != 3 {
		t.Errorf("dropped(queue_full) = %d, want 3", got)
	}
	if len(s.q[1]) != maxQueuedPerChat {
		t.Errorf("queue holds %d, want %d", len(s.q[1]), maxQueuedPerChat)
	}
}

func TestFailureKind(t *testing.T) {
	tgErr := func(code int) error { return &gotgbot.TelegramError{Method: "getUpdates", Code: code} }
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"429", tgErr(429), FailRateLimited},
		{"401", tgErr(401), FailRejected},
		{"404", tgErr(404), FailRejected},
		{"409", tgErr(409), FailConflict},
		{"502", tgErr(502), FailTransient},
		{"400", tgErr(400), FailRefused},
		{"network", errors.New("connection refused"), FailTransient},
		{"wrapped", fmt.Errorf("call: %w", tgErr(409)), FailConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := failureKind(tt.err); got != tt.want {
				t.Fatalf("failureKind(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

// TestObserveDownloadKinds: each way a download attempt ends is reported
// as its kind; a cancelled one is no failure.
func TestObserveDownloadKinds(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want string // the recorder key; "" for nothing
	}{
		{"success", context.Background(), nil, "downloaded"},
		{"permanent", context.Background(), tooLarge(10, 5), "download:" + DownloadPermanent},
		{"storage", context.Background(), &stageError{errors.New("disk full")}, "download:" + DownloadStorage},
		{"rate limited", context.Background(), &gotgbot.TelegramError{Code: 429}, "download:" + FailRateLimited},
		{"transient", context.Background(), errors.New("download: 502 Bad Gateway"), "download:" + FailTransient},
		{"cancelled", cancelled, context.Canceled, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			p := &poller{sup: &Supervisor{opts: Options{Observer: rec}}}
			p.observeDownload(tt.ctx, rules.StagedFile{}, tt.err)
			total := 0
			for _, n := range rec.n {
				total += n
			}
			switch {
			case tt.want == "" && total != 0:
				t.Fatalf("reported %v, want nothing", rec.n)
			case tt.want != "" && (rec.count(tt.want) != 1 || total != 1):
				t.Fatalf("reported %v, want one %s", rec.n, tt.want)
			}
		})
	}
}

// TestSenderBoundsTheWholeQueue: replies to many chats (a flood of
// unlinked senders) stop queueing at maxQueued, each one counted as
// dropped; a sent reply makes room again.
func TestSenderBoundsTheWholeQueue(t *testing.T) {
	rec := &recorder{}
	s := newSender(&poller{sup: &Supervisor{opts: Options{Observer: rec}}})
	for i := range maxQueued + 5 {
		s.enqueue(outMessage{chatID: int64(i + 1), text: "your id is …"})
	}
	if s.queued != maxQueued {
		t.Fatalf("queued = %d, want %d", s.queued, maxQueued)
	}
	if got := rec.count("dropped:" + DropQueueFull); got != 5 {
		t.Errorf("dropped(queue_full) = %d, want 5", got)
	}
	if _, ok := s.q[int64(maxQueued+1)]; ok {
		t.Error("a reply over the bound was queued")
	}
	if _, ok := s.pop(1); !ok {
		t.Fatal("pop found nothing")
	}
	s.enqueue(outMessage{chatID: int64(maxQueued + 1), text: "now it fits"})
	if len(s.q[int64(maxQueued+1)]) != 1 || s.queued != maxQueued {
		t.Errorf("after a pop: chat queue %d, total %d; want 1 and %d", len(s.q[int64(maxQueued+1)]), s.queued, maxQueued)
	}
}
