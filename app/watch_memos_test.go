package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/memoria-app/memoria/app"
	"github.com/memoria-app/memoria/bot/telegramtest"
	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

// watchStream is an open WatchMemos stream read by a goroutine.
type watchStream struct {
	tb     testing.TB
	events chan *v1.WatchMemosResponse
	done   chan struct{}
	err    error // set before done closes
	cancel context.CancelFunc
}

// watch opens WatchMemos over p as the holder of token and waits for the
// opening keep-alive, after which every change is delivered.
func (s *testServer) watch(p protocol, token string) *watchStream {
	s.tb.Helper()
	w := s.openWatch(p, token)
	select {
	case e, ok := <-w.events:
		if !ok {
			s.tb.Fatalf("WatchMemos over %s ended before its first message: %v", p.name, w.err)
		}
		if e.Type != v1.MemoEventType_MEMO_EVENT_TYPE_UNSPECIFIED || e.Memo != nil {
			s.tb.Fatalf("first message = %v, want the opening keep-alive", e)
		}
	case <-time.After(10 * time.Second):
		s.tb.Fatalf("no opening keep-alive over %s", p.name)
	}
	return w
}

func (s *testServer) openWatch(p protocol, token string) *watchStream {
	ctx, cancel := context.WithCancel(context.Background())
	w := &watchStream{tb: s.tb, events: make(chan *v1.WatchMemosResponse, 100), done: make(chan struct{}), cancel: cancel}
	s.tb.Cleanup(cancel)
	req := connect.NewRequest(&v1.WatchMemosRequest{})
	if token != "" {
		req.Header().Set("Authorization", "Bearer "+token)
	}
	go func() {
		defer close(w.done)
		defer close(w.events)
		stream, err := s.client(p, "").Memos.WatchMemos(ctx, req)
		if err != nil {
			w.err = err
			return
		}
		defer stream.Close()
		for stream.Receive() {
			w.events <- stream.Msg()
		}
		w.err = stream.Err()
	}()
	return w
}

// watchFirstMessage opens WatchMemos with token (the clients' bearer
// interceptor covers unary calls only), returns its first message and
// closes it.
func watchFirstMessage(ctx context.Context, c *api, token string) (*v1.WatchMemosResponse, error) {
	req := connect.NewRequest(&v1.WatchMemosRequest{})
	if token != "" {
		req.Header().Set("Authorization", "Bearer "+token)
	}
	stream, err := c.Memos.WatchMemos(ctx, req)
	if err != nil {
		return nil, err
	}
	defer stream.Close()
	if !stream.Receive() {
		return nil, stream.Err()
	}
	return stream.Msg(), nil
}

// next returns the next event that is not a keep-alive.
func (w *watchStream) next() *v1.WatchMemosResponse {
	w.tb.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e, ok := <-w.events:
			if !ok {
				w.tb.Fatalf("the stream ended: %v", w.err)
			}
			if e.Type != v1.MemoEventType_MEMO_EVENT_TYPE_UNSPECIFIED {
				return e
			}
		case <-timeout:
			w.tb.Fatal("no event within 10 s")
		}
	}
}

// end waits for the stream to end and returns its error.
func (w *watchStream) end() error {
	w.tb.Helper()
	select {
	case <-w.done:
		return w.err
	case <-time.After(15 * time.Second):
		w.tb.Fatal("the stream did not end")
		return nil
	}
}

func eventSummary(e *v1.WatchMemosResponse) string {
	m := e.GetMemo()
	return fmt.Sprintf("%s %s %q res=%d", strings.TrimPrefix(e.Type.String(), "MEMO_EVENT_TYPE_"), m.GetName(), m.GetContent(), len(m.GetResources()))
}

func TestWatchMemosStreamsTheCallersChangesInOrder(t *testing.T) {
	s := startServer(t)
	_, admin := s.signUp("admin")
	_, other := s.createUser(admin, "other")
	for _, p := range allProtocols {
		t.Run(p.name, func(t *testing.T) {
			w := s.watch(p, admin)
			s.createMemo(other, "someone else's #public memo", v1.Visibility_VISIBILITY_PUBLIC)
			m := s.createMemo(admin, "first draft", v1.Visibility_VISIBILITY_PRIVATE)
			_, err := s.as(admin).Memos.UpdateMemo(ctxT(t), connect.NewRequest(&v1.UpdateMemoRequest{
				Memo: &v1.Memo{Name: m.Name, Content: "second draft #go", Visibility: v1.Visibility_VISIBILITY_PUBLIC}, UpdateMask: mask("content", "visibility"),
			}))
			if err != nil {
				t.Fatal(err)
			}
			s.createResource(admin, "notes.txt", "text/plain", []byte("hi"), m.Name)
			s.createMemo(other, "another of theirs", v1.Visibility_VISIBILITY_PROTECTED)
			if _, err := s.as(admin).Memos.DeleteMemo(ctxT(t), connect.NewRequest(&v1.DeleteMemoRequest{Name: m.Name})); err != nil {
				t.Fatal(err)
			}
			var got []string
			for len(got) < 4 {
				got = append(got, eventSummary(w.next()))
			}
			want := []string{
				fmt.Sprintf(`CREATED %s "first draft" res=0`, m.Name),
				fmt.Sprintf(`UPDATED %s "second draft #go" res=0`, m.Name),
				fmt.Sprintf(`UPDATED %s "second draft #go" res=1`, m.Name),
				fmt.Sprintf(`DELETED %s "" res=0`, m.Name),
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("events\n got %q\nwant %q", got, want)
			}
			// Nothing of the other user's slipped in after the delete either:
			// a memo of the caller's made now is the very next event.
			marker := s.createMemo(admin, "marker", v1.Visibility_VISIBILITY_PRIVATE)
			if e := w.next(); e.GetMemo().GetName() != marker.Name {
				t.Fatalf("next event = %s, want the marker", eventSummary(e))
			}
		})
	}
}

func TestWatchMemosEventCarriesTheWholeMemo(t *testing.T) {
	s := startServer(t)
	_, admin := s.signUp("admin")
	w := s.watch(connectProto, admin)
	m := s.createMemo(admin, "pinned? no. #tag", v1.Visibility_VISIBILITY_PROTECTED)
	e := w.next()
	if e.Type != v1.MemoEventType_MEMO_EVENT_TYPE_CREATED || e.Memo.Creator != m.Creator || e.Memo.Visibility != v1.Visibility_VISIBILITY_PROTECTED ||
		len(e.Memo.Tags) != 1 || e.Memo.Tags[0] != "tag" || e.Memo.Source != v1.Source_SOURCE_API || !e.Memo.CreateTime.AsTime().Equal(m.CreateTime.AsTime()) {
		t.Fatalf("created event = %v, want the memo as CreateMemo returned it (%v)", e.Memo, m)
	}
}

func TestWatchMemosNeedsAUser(t *testing.T) {
	s := startServer(t)
	s.signUp("admin")
	cases := map[string]string{"anonymous": "", "bad token": "not-a-token"}
	for name, token := range cases {
		for _, p := range allProtocols {
			t.Run(name+"/"+p.name, func(t *testing.T) {
				w := s.openWatch(p, token)
				err := w.end()
				wantCode(t, err, connect.CodeUnauthenticated)
				if len(w.events) != 0 {
					t.Fatalf("%d events sent to an unauthenticated caller", len(w.events))
				}
			})
		}
	}
}

func TestWatchMemosSeesTelegramIngest(t *testing.T) {
	tg := telegramtest.NewServer()
	defer tg.Close()
	const token = "4839574812:AAFD39kkdpWt3ywyRZergyOLMaJhac60qc"
	tgBot := tg.AddBot(token, "memoria_watch_bot")
	s := startServer(t, fastBot)
	_, admin := s.signUp("admin")
	s.setToken(admin, tg.URL()+"/bot"+token)
	s.linkTelegram(admin, 555001)
	eventually(t, 5*time.Second, "bot running", func() bool {
		return botStatus(t, s, admin).State == v1.BotState_BOT_STATE_RUNNING
	})
	w := s.watch(grpcH2C, admin)
	carol := telegramtest.User{ID: 555001, FirstName: "Carol"}

	tgBot.SendText(carol, "from the phone #tg")
	e := w.next()
	if e.Type != v1.MemoEventType_MEMO_EVENT_TYPE_CREATED || e.Memo.Content != "from the phone #tg" || e.Memo.Source != v1.Source_SOURCE_TELEGRAM {
		t.Fatalf("event for a Telegram text = %s source %v", eventSummary(e), e.Memo.GetSource())
	}

	// An album whose items arrive in separate batches: created with the
	// first photo, then updated as each further photo joins the memo.
	tgBot.SetMaxBatch(1)
	defer tgBot.SetMaxBatch(0)
	tgBot.SendPhoto(carol, "album", nil, pngBytes(1), "album-w")
	tgBot.SendPhoto(carol, "", nil, pngBytes(2), "album-w")
	first, second := w.next(), w.next()
	if first.Type != v1.MemoEventType_MEMO_EVENT_TYPE_CREATED || len(first.Memo.Resources) != 1 ||
		second.Type != v1.MemoEventType_MEMO_EVENT_TYPE_UPDATED || second.Memo.Name != first.Memo.Name || len(second.Memo.Resources) != 2 {
		t.Fatalf("album events: %s, %s", eventSummary(first), eventSummary(second))
	}
}

func TestWatchMemosEndsOnShutdown(t *testing.T) {
	// A short graceful stop: a stream holding it up makes Run fail.
	s := startServer(t, func(c *app.Config) { c.ShutdownTimeout = 3 * time.Second })
	_, admin := s.signUp("admin")
	var streams []*watchStream
	for _, p := range allProtocols {
		streams = append(streams, s.watch(p, admin))
	}
	s.Stop() // reports an error unless Run returned nil
	for _, w := range streams {
		wantCode(t, w.end(), connect.CodeUnavailable, "shutting down")
	}
}

func TestListTags(t *testing.T) {
	s := startServer(t)
	_, admin := s.signUp("admin")
	_, other := s.createUser(admin, "other")
	for _, c := range []string{"#go and #db", "#go", "#web #go", "#ai"} {
		s.createMemo(admin, c, v1.Visibility_VISIBILITY_PRIVATE)
	}
	s.createMemo(other, "#theirs #go", v1.Visibility_VISIBILITY_PUBLIC)
	for _, p := range allProtocols {
		t.Run(p.name, func(t *testing.T) {
			resp, err := s.client(p, admin).Memos.ListTags(ctxT(t), connect.NewRequest(&v1.ListTagsRequest{}))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tag := range resp.Msg.Tags {
				got = append(got, fmt.Sprintf("%s=%d", tag.Name, tag.Count))
			}
			if want := "[go=3 ai=1 db=1 web=1]"; fmt.Sprint(got) != want {
				t.Fatalf("tags = %v, want %s", got, want)
			}
		})
	}
	_, err := s.anon().Memos.ListTags(ctxT(t), connect.NewRequest(&v1.ListTagsRequest{}))
	wantCode(t, err, connect.CodeUnauthenticated)
}
