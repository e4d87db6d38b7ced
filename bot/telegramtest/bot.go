package telegramtest

import (
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Bot is one bot on the fake server: its update queue, chats, files,
// recorded calls and faults. All its methods are safe for concurrent use.
type Bot struct {
	srv *Server

	mu    sync.Mutex
	token string
	user  User

	// Updates not yet confirmed, in update_id order.
	queue        []queuedUpdate
	nextUpdateID int64
	confirmed    int64 // highest offset a getUpdates confirmed
	maxBatch     int
	poll         *pendingPoll // the getUpdates now waiting, if any
	conflicts    int          // 409s answered to a getUpdates a newer one terminated
	webhookURL   string
	hook         *webhook   // set by setWebhook; nil with SetWebhook (webhook.go)
	deliveries   []Delivery // webhook delivery attempts

	chats      map[int64]Chat  // chats the bot may write to
	groupUsers map[int64]bool  // users seen only in groups
	lastMsgID  map[int64]int64 // per chat
	files      map[string]*storedFile
	filePaths  map[string]*storedFile
	fileSeq    int
	callbackID int64
	commands   map[string][]botCommand // by scope type

	// messages are every message in the bot's chats (updates and the
	// bot's own), for replies, edits and button presses.
	messages map[msgKey]*Message
	// callbacks are the callback queries delivered, and their answers.
	callbacks map[string]*CallbackAnswer
	privacy   bool

	calls  []Call
	faults faultState

	// changed is closed and replaced whenever something tests may wait for
	// happens: an update is enqueued or confirmed, a call is recorded.
	changed chan struct{}
}

type queuedUpdate struct {
	id   int64
	body []byte
}

// firstUpdateID is where update ids start. Telegram's are large numbers;
// starting far from 0 catches clients that treat offset 0 as special in the
// wrong place.
const firstUpdateID = 100_000_001

func newBot(s *Server, token string, id int64, username string) *Bot {
	name := username
	if name == "" {
		name = "Test Bot"
	}
	return &Bot{
		srv:          s,
		token:        token,
		user:         User{ID: id, IsBot: true, FirstName: name, Username: username},
		nextUpdateID: firstUpdateID,
		maxBatch:     100,
		chats:        map[int64]Chat{},
		groupUsers:   map[int64]bool{},
		lastMsgID:    map[int64]int64{},
		files:        map[string]*storedFile{},
		filePaths:    map[string]*storedFile{},
		commands:     map[string][]botCommand{},
		messages:     map[msgKey]*Message{},
		callbacks:    map[string]*CallbackAnswer{},
		privacy:      true,
		faults:       faultState{rng: rand.New(rand.NewPCG(1, 1))},
		changed:      make(chan struct{}),
	}
}

// ID is the bot's Telegram user id, the numeric prefix of its token.
func (b *Bot) ID() int64 { return b.user.ID }

// Token is the bot's current token.
func (b *Bot) Token() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.token
}

// User is the bot as getMe describes it.
func (b *Bot) User() User {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.user
}

// SetMaxBatch caps how many updates one getUpdates returns, below the
// client's limit, so that tests can make an album span batches. n < 1
// means 1.
func (b *Bot) SetMaxBatch(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.maxBatch = max(n, 1)
}

// SetWebhook makes the bot behave as if another program had set a webhook
// at url: getUpdates fails with 409 until deleteWebhook is called. Nothing
// is delivered (the setWebhook method delivers).
func (b *Bot) SetWebhook(url string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.hook != nil {
		close(b.hook.stop)
		b.hook = nil
	}
	b.webhookURL = url
	b.broadcast()
}

// AddChat lets the bot write to a chat it has not seen in an update.
func (b *Bot) AddChat(c Chat) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.chats[c.ID] = c
}

// broadcast wakes everyone waiting for a change. b.mu must be held.
func (b *Bot) broadcast() {
	close(b.changed)
	b.changed = make(chan struct{})
}

// serve answers one request for this bot: it parses the parameters,
// records the call, applies a fault if one is due, and runs the method.
func (b *Bot) serve(w http.ResponseWriter, r *http.Request, rt route) {
	name := rt.method
	m, known := methods[strings.ToLower(name)]
	if known {
		name = m.name
	}
	if rt.filePath != "" {
		name, known = Download, true
	}
	req, err := parseRequest(r)
	call := Call{Method: name, Params: req.params, Files: req.files, ContentType: req.contentType, HTTPMethod: r.Method, Time: time.Now()}
	if rt.filePath != "" {
		call.Params = map[string]string{"file_path": rt.filePath}
	}
	fault, faulty := b.nextFault(name)
	if faulty {
		call.Fault = fault.Kind
	}
	b.record(call)
	if faulty && b.applyFault(w, r, fault) {
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "Bad Request: "+err.Error(), nil)
		return
	}
	if !known {
		writeError(w, http.StatusNotFound, "Not Found", nil)
		return
	}
	handle := func(w http.ResponseWriter) { m.handle(b, w, r, req) }
	if rt.filePath != "" {
		handle = func(w http.ResponseWriter) { b.download(w, rt.filePath) }
	}
	if faulty && fault.Kind == FaultDropResponse {
		dropAfter(w, r, handle)
		return
	}
	handle(w)
}
