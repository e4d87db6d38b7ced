package telegramtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
	"github.com/memoria-app/memoria/tgtoken"
)

// controlHandler serves the control API under /_fake/, for tests that run
// the fake in another process (see the package documentation).
func (s *Server) controlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /_fake/bots", s.controlAddBot)
	mux.HandleFunc("GET /_fake/bots", s.controlListBots)
	mux.HandleFunc("GET /_fake/bots/{id}", s.withBot(controlBotStatus))
	mux.HandleFunc("POST /_fake/bots/{id}/updates", s.withBot(controlEnqueue))
	mux.HandleFunc("GET /_fake/bots/{id}/sent", s.withBot(controlSent))
	mux.HandleFunc("GET /_fake/bots/{id}/calls", s.withBot(controlCalls))
	mux.HandleFunc("POST /_fake/bots/{id}/faults", s.withBot(controlFaults))
	mux.HandleFunc("DELETE /_fake/bots/{id}/faults", s.withBot(controlClearFaults))
	mux.HandleFunc("POST /_fake/bots/{id}/files", s.withBot(controlAddFile))
	return mux
}

type controlError struct {
	Error string `json:"error"`
}

func controlFail(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, controlError{Error: fmt.Sprintf(format, args...)})
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		controlFail(w, http.StatusBadRequest, "bad JSON body: %v", err)
		return false
	}
	return true
}

func (s *Server) withBot(h func(*Bot, http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			controlFail(w, http.StatusBadRequest, "bot id must be a number")
			return
		}
		b := s.Bot(id)
		if b == nil {
			controlFail(w, http.StatusNotFound, "no bot %d: POST /_fake/bots first", id)
			return
		}
		h(b, w, r)
	}
}

// botStatus is a bot as the control API shows it.
type botStatus struct {
	ID             int64  `json:"id"`
	Username       string `json:"username"`
	PendingUpdates int    `json:"pending_updates"`
	Confirmed      int64  `json:"confirmed_offset"`
	NextUpdateID   int64  `json:"next_update_id"`
	Polling        bool   `json:"polling"`
	Calls          int    `json:"calls"`
}

func (b *Bot) status() botStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	return botStatus{
		ID: b.user.ID, Username: b.user.Username, PendingUpdates: len(b.queue), Confirmed: b.confirmed,
		NextUpdateID: b.nextUpdateID, Polling: b.poll != nil, Calls: len(b.calls),
	}
}

// POST /_fake/bots {"token": "123:abc", "username": "memoria_bot"}
func (s *Server) controlAddBot(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Token    string `json:"token"`
		Username string `json:"username"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if e, err := tgtoken.Parse(body.Token); err != nil || e.Token != body.Token {
		controlFail(w, http.StatusBadRequest, "token must be a bot token like 123456789:AAE...")
		return
	}
	b := s.AddBot(body.Token, body.Username)
	writeJSON(w, http.StatusCreated, b.status())
}

// GET /_fake/bots
func (s *Server) controlListBots(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	bots := make([]*Bot, 0, len(s.byID))
	for _, b := range s.byID {
		bots = append(bots, b)
	}
	s.mu.Unlock()
	out := []botStatus{}
	for _, b := range bots {
		out = append(out, b.status())
	}
	writeJSON(w, http.StatusOK, out)
}

// GET /_fake/bots/{id}
func controlBotStatus(b *Bot, w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, b.status())
}

// updateRequest is the body of POST /_fake/bots/{id}/updates.
type updateRequest struct {
	// Type is "text", "forward", "photo", "document", "video", "audio",
	// "voice", "video_note", "animation", "sticker", "reply", "edit",
	// "press" or "raw".
	Type            string                  `json:"type"`
	From            *User                   `json:"from"`
	Chat            *Chat                   `json:"chat"`
	Text            string                  `json:"text"`
	Entities        []gotgbot.MessageEntity `json:"entities"`
	Caption         string                  `json:"caption"`
	CaptionEntities []gotgbot.MessageEntity `json:"caption_entities"`
	// Data is the file, base64 (standard encoding) in JSON.
	Data         []byte          `json:"data"`
	FileName     string          `json:"file_name"`
	MimeType     string          `json:"mime_type"`
	MediaGroupID string          `json:"media_group_id"`
	Emoji        string          `json:"emoji"`
	Order        string          `json:"order"` // photo sizes: "ascending", "largest_first", "largest_in_middle"
	Origin       *MessageOrigin  `json:"origin"`
	Update       json.RawMessage `json:"update"` // for "raw"
	// Message names a message the fake knows (in Chat, default the
	// private chat with From): the one a "reply" answers, an "edit"
	// changes (its text) or a "press" presses a button of.
	MessageID int64 `json:"message_id"`
	// Label picks the pressed button by (part of) its label;
	// CallbackData sends that data instead (a stale or forged press).
	Label        string `json:"label"`
	CallbackData string `json:"callback_data"`
}

type updateResponse struct {
	UpdateID  int64           `json:"update_id"`
	MessageID int64           `json:"message_id,omitempty"`
	Update    json.RawMessage `json:"update"`
}

// POST /_fake/bots/{id}/updates
func controlEnqueue(b *Bot, w http.ResponseWriter, r *http.Request) {
	var req updateRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.Type == "raw" {
		u, err := b.EnqueueRaw(req.Update)
		if err != nil {
			controlFail(w, http.StatusBadRequest, "%v", err)
			return
		}
		writeJSON(w, http.StatusOK, updateResponse{UpdateID: u.UpdateID, Update: u.Raw})
		return
	}
	if req.From == nil || req.From.ID == 0 {
		controlFail(w, http.StatusBadRequest, `"from" with an "id" is required`)
		return
	}
	from := *req.From
	m := Media{Data: req.Data, FileName: req.FileName, MimeType: req.MimeType, Caption: req.Caption,
		CaptionEntities: req.CaptionEntities, MediaGroupID: req.MediaGroupID, Chat: req.Chat, Emoji: req.Emoji}
	var chat Chat
	if req.Chat != nil {
		chat = *req.Chat
	}
	var u Update
	known := func() (*Message, bool) {
		id := chat.ID
		if id == 0 {
			id = from.ID
		}
		m := b.Message(id, req.MessageID)
		if m == nil {
			controlFail(w, http.StatusNotFound, "no message %d in chat %d", req.MessageID, id)
		}
		return m, m != nil
	}
	switch req.Type {
	case "reply":
		to, ok := known()
		if !ok {
			return
		}
		u = b.Reply(from, to, req.Text, req.Entities...)
	case "edit":
		m, ok := known()
		if !ok {
			return
		}
		m.Text, m.Entities, m.EditDate = req.Text, req.Entities, time.Now().Unix()
		u = b.Enqueue(Update{EditedMessage: m})
	case "press":
		m, ok := known()
		if !ok {
			return
		}
		data := req.CallbackData
		if data == "" {
			btn, found := m.ReplyMarkup.Button(req.Label)
			if !found {
				controlFail(w, http.StatusBadRequest, "message %d has no button labelled %q", req.MessageID, req.Label)
				return
			}
			data = btn.CallbackData
		}
		u = b.SendCallbackQuery(from, data, m)
		writeJSON(w, http.StatusOK, updateResponse{UpdateID: u.UpdateID, Update: u.Raw})
		return
	case "text":
		u = b.SendTextIn(chat, from, req.Text, req.Entities...)
	case "forward":
		if req.Origin == nil {
			controlFail(w, http.StatusBadRequest, `"origin" is required for a forward`)
			return
		}
		u = b.Enqueue(Update{Message: &Message{From: &from, Chat: chat, ForwardOrigin: req.Origin, Text: req.Text, Entities: req.Entities}})
	case "photo":
		order, ok := map[string]SizeOrder{"": SizesAscending, "ascending": SizesAscending,
			"largest_first": SizesLargestFirst, "largest_in_middle": SizesLargestInMiddle}[req.Order]
		if !ok {
			controlFail(w, http.StatusBadRequest, "order must be ascending, largest_first or largest_in_middle")
			return
		}
		u = b.SendPhotoMedia(from, m, order)
	case "document":
		u = b.SendDocument(from, m)
	case "video":
		u = b.SendVideo(from, m)
	case "audio":
		u = b.SendAudio(from, m)
	case "voice":
		u = b.SendVoice(from, m)
	case "video_note":
		u = b.SendVideoNote(from, m)
	case "animation":
		u = b.SendAnimation(from, m)
	case "sticker":
		u = b.SendSticker(from, m)
	default:
		controlFail(w, http.StatusBadRequest, "unknown update type %q", req.Type)
		return
	}
	resp := updateResponse{UpdateID: u.UpdateID, Update: u.Raw}
	switch {
	case u.Message != nil:
		resp.MessageID = u.Message.MessageID
	case u.EditedMessage != nil:
		resp.MessageID = u.EditedMessage.MessageID
	}
	writeJSON(w, http.StatusOK, resp)
}

// callJSON is a recorded call as the control API shows it.
type callJSON struct {
	Method      string              `json:"method"`
	Params      map[string]string   `json:"params"`
	Files       map[string]fileJSON `json:"files,omitempty"`
	ContentType string              `json:"content_type,omitempty"`
	HTTPMethod  string              `json:"http_method"`
	Fault       string              `json:"fault,omitempty"`
	Time        time.Time           `json:"time"`
}

type fileJSON struct {
	Name string `json:"name"`
	Size int    `json:"size"`
}

func callsJSON(calls []Call, method string) []callJSON {
	out := []callJSON{}
	for _, c := range calls {
		if method != "" && c.Method != method {
			continue
		}
		j := callJSON{Method: c.Method, Params: c.Params, ContentType: c.ContentType, HTTPMethod: c.HTTPMethod, Time: c.Time}
		if c.Fault != FaultNone {
			j.Fault = c.Fault.String()
		}
		for k, f := range c.Files {
			if j.Files == nil {
				j.Files = map[string]fileJSON{}
			}
			j.Files[k] = fileJSON{Name: f.Name, Size: len(f.Data)}
		}
		out = append(out, j)
	}
	return out
}

// GET /_fake/bots/{id}/sent[?method=sendMessage][&min=N&timeout=5s]
//
// With min, waits (up to timeout, default 10s) until at least min calls
// match, then answers with what there is.
func controlSent(b *Bot, w http.ResponseWriter, r *http.Request) {
	method := r.URL.Query().Get("method")
	atLeast, timeout, ok := waitParams(w, r)
	if !ok {
		return
	}
	matching := func(calls []Call) []callJSON { return callsJSON(calls, method) }
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	b.waitFor(ctx, func() bool { return len(matching(cloneCalls(b.calls, Call.sent))) >= atLeast })
	writeJSON(w, http.StatusOK, matching(b.Sent()))
}

// GET /_fake/bots/{id}/calls[?method=getUpdates]: every request, faults
// included.
func controlCalls(b *Bot, w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, callsJSON(b.Calls(), r.URL.Query().Get("method")))
}

func waitParams(w http.ResponseWriter, r *http.Request) (int, time.Duration, bool) {
	q := r.URL.Query()
	atLeast, timeout := 0, 10*time.Second
	if s := q.Get("min"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			controlFail(w, http.StatusBadRequest, "min must be a number")
			return 0, 0, false
		}
		atLeast = n
	}
	if s := q.Get("timeout"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			controlFail(w, http.StatusBadRequest, "timeout must be a duration like 5s")
			return 0, 0, false
		}
		timeout = d
	}
	return atLeast, timeout, true
}

// faultJSON is a Fault in the control API.
type faultJSON struct {
	Kind       string   `json:"kind"`
	RetryAfter int      `json:"retry_after"`
	DelayMS    int      `json:"delay_ms"`
	Methods    []string `json:"methods"`
}

func (f faultJSON) fault() (Fault, error) {
	kind, err := ParseFaultKind(f.Kind)
	if err != nil {
		return Fault{}, err
	}
	return Fault{Kind: kind, RetryAfter: f.RetryAfter, Delay: time.Duration(f.DelayMS) * time.Millisecond, Methods: f.Methods}, nil
}

// POST /_fake/bots/{id}/faults
//
//	{"next": 2, "fault": {"kind": "429", "retry_after": 3, "methods": ["sendMessage"]}}
//	{"rate": 0.2, "seed": 7, "faults": [{"kind": "502"}, {"kind": "drop"}]}
func controlFaults(b *Bot, w http.ResponseWriter, r *http.Request) {
	var body struct {
		Next   int         `json:"next"`
		Fault  *faultJSON  `json:"fault"`
		Rate   float64     `json:"rate"`
		Seed   *uint64     `json:"seed"`
		Faults []faultJSON `json:"faults"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	switch {
	case body.Fault != nil:
		f, err := body.Fault.fault()
		if err != nil {
			controlFail(w, http.StatusBadRequest, "%v", err)
			return
		}
		b.FailNext(max(body.Next, 1), f)
	case len(body.Faults) > 0 || body.Rate == 0:
		var fs []Fault
		for _, fj := range body.Faults {
			f, err := fj.fault()
			if err != nil {
				controlFail(w, http.StatusBadRequest, "%v", err)
				return
			}
			fs = append(fs, f)
		}
		if body.Seed != nil {
			b.SetFaultSeed(*body.Seed)
		}
		b.SetFaultRate(body.Rate, fs...)
	default:
		controlFail(w, http.StatusBadRequest, `give "fault" (with "next"), or "rate" with "faults"`)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// DELETE /_fake/bots/{id}/faults
func controlClearFaults(b *Bot, w http.ResponseWriter, _ *http.Request) {
	b.ClearFaults()
	w.WriteHeader(http.StatusNoContent)
}

// POST /_fake/bots/{id}/files {"data": "<base64>", "name": "a.pdf"} → {"file_id": "..."}
func controlAddFile(b *Bot, w http.ResponseWriter, r *http.Request) {
	var body struct {
		Data []byte `json:"data"`
		Name string `json:"name"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"file_id": b.AddFile(body.Data, body.Name)})
}
