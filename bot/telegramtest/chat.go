package telegramtest

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode/utf16"
)

// The chat side of the fake: the messages of each chat (so that replies,
// edits and button presses refer to real messages), inline keyboards,
// callback queries and their answers, edits of the bot's messages, and
// privacy mode in groups.

type msgKey struct{ chat, id int64 }

// CallbackAnswer is what the bot answered to a callback query.
type CallbackAnswer struct {
	QueryID   string
	Answered  bool
	Text      string
	ShowAlert bool
	Time      time.Time
}

// storeMessage remembers a message as it now is. b.mu must be held.
func (b *Bot) storeMessage(m Message) {
	b.messages[msgKey{m.Chat.ID, m.MessageID}] = &m
}

// storedMessage returns a copy of a known message without its own
// reply_to_message, or nil. b.mu must be held.
func (b *Bot) storedMessage(chat, id int64) *Message {
	m, ok := b.messages[msgKey{chat, id}]
	if !ok {
		return nil
	}
	c := *m
	c.ReplyToMessage = nil
	return &c
}

// Message returns a message of a chat as it now is (a bot message after
// its edits), or nil.
func (b *Bot) Message(chatID, messageID int64) *Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	m, ok := b.messages[msgKey{chatID, messageID}]
	if !ok {
		return nil
	}
	c := *m
	return &c
}

// SetPrivacyMode switches the bot's group privacy mode (on by default, as
// BotFather creates bots). With it on, the bot gets from groups only
// commands, messages that mention it and replies to its messages
// (https://core.telegram.org/bots/features#privacy-mode).
func (b *Bot) SetPrivacyMode(on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.privacy = on
}

// delivered applies privacy mode to a message. b.mu must be held.
func (b *Bot) delivered(m *Message) bool {
	if !b.privacy || m.Chat.Type == "private" || m.Chat.Type == "channel" {
		return true
	}
	text := m.Text
	if text == "" {
		text = m.Caption
	}
	if strings.HasPrefix(text, "/") {
		return true
	}
	if b.user.Username != "" && strings.Contains(strings.ToLower(text), "@"+strings.ToLower(b.user.Username)) {
		return true
	}
	if r := m.ReplyToMessage; r != nil && r.From != nil && r.From.ID == b.user.ID {
		return true
	}
	return false
}

// Callback returns the answer state of a callback query.
func (b *Bot) Callback(queryID string) (CallbackAnswer, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a, ok := b.callbacks[queryID]
	if !ok {
		return CallbackAnswer{}, false
	}
	return *a, true
}

// parseMarkup reads a reply_markup parameter. Only inline keyboards are
// kept; their buttons are checked as Telegram does.
func parseMarkup(raw string) (*InlineKeyboardMarkup, error) {
	if raw == "" {
		return nil, nil
	}
	var k struct {
		InlineKeyboard *[][]InlineKeyboardButton `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(raw), &k); err != nil {
		return nil, errors.New("can't parse reply keyboard markup JSON object")
	}
	if k.InlineKeyboard == nil || len(*k.InlineKeyboard) == 0 {
		return nil, nil // no inline keyboard (removed), or a reply keyboard: not modelled
	}
	for _, row := range *k.InlineKeyboard {
		for _, btn := range row {
			switch {
			case btn.Text == "":
				return nil, errors.New("text buttons are unallowed in the inline keyboard")
			case btn.CallbackData == "" && btn.URL == "":
				return nil, errors.New("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
			case len(btn.CallbackData) > 64:
				return nil, errors.New("BUTTON_DATA_INVALID")
			}
		}
	}
	return &InlineKeyboardMarkup{InlineKeyboard: *k.InlineKeyboard}, nil
}

// https://core.telegram.org/bots/api#answercallbackquery
func (b *Bot) answerCallbackQuery(w http.ResponseWriter, _ *http.Request, req request) {
	id := req.params["callback_query_id"]
	text := req.params["text"]
	if len(utf16.Encode([]rune(text))) > 200 {
		badRequest(w, "MESSAGE_TOO_LONG")
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	a, ok := b.callbacks[id]
	if !ok || a.Answered {
		badRequest(w, "query is too old and response timeout expired or query ID is invalid")
		return
	}
	a.Answered, a.Text, a.ShowAlert, a.Time = true, text, req.boolParam("show_alert"), time.Now()
	b.broadcast()
	writeResult(w, true)
}

// editTarget finds the bot message an edit method names. It returns with
// b.mu held when ok.
func (b *Bot) editTarget(w http.ResponseWriter, req request) (*Message, bool) {
	if req.params["inline_message_id"] != "" {
		badRequest(w, "MESSAGE_ID_INVALID")
		return nil, false
	}
	chat, ok := b.chat(w, req)
	if !ok {
		return nil, false
	}
	id, ok, err := req.intParam("message_id")
	if err != nil || !ok {
		badRequest(w, "message_id is empty")
		return nil, false
	}
	b.mu.Lock()
	m, found := b.messages[msgKey{chat.ID, id}]
	switch {
	case !found:
		b.mu.Unlock()
		badRequest(w, "message to edit not found")
		return nil, false
	case m.From == nil || m.From.ID != b.user.ID:
		b.mu.Unlock()
		badRequest(w, "message can't be edited")
		return nil, false
	}
	return m, true
}

const notModified = "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"

func sameMarkup(a, b *InlineKeyboardMarkup) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// https://core.telegram.org/bots/api#editmessagetext
func (b *Bot) editMessageText(w http.ResponseWriter, _ *http.Request, req request) {
	text := req.params["text"]
	if strings.TrimSpace(text) == "" {
		badRequest(w, "message text is empty")
		return
	}
	if len(utf16.Encode([]rune(text))) > 4096 {
		badRequest(w, "MESSAGE_TOO_LONG")
		return
	}
	markup, err := parseMarkup(req.params["reply_markup"])
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	m, ok := b.editTarget(w, req)
	if !ok {
		return
	}
	defer b.mu.Unlock()
	if m.Text == text && sameMarkup(m.ReplyMarkup, markup) {
		badRequest(w, notModified)
		return
	}
	m.Text, m.ReplyMarkup, m.EditDate = text, markup, time.Now().Unix()
	m.Entities = nil
	writeResult(w, *m)
}

// https://core.telegram.org/bots/api#editmessagereplymarkup
func (b *Bot) editMessageReplyMarkup(w http.ResponseWriter, _ *http.Request, req request) {
	markup, err := parseMarkup(req.params["reply_markup"])
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	m, ok := b.editTarget(w, req)
	if !ok {
		return
	}
	defer b.mu.Unlock()
	if sameMarkup(m.ReplyMarkup, markup) {
		badRequest(w, notModified)
		return
	}
	m.ReplyMarkup, m.EditDate = markup, time.Now().Unix()
	writeResult(w, *m)
}

// Commands returns the commands set for a scope type ("default",
// "all_private_chats", "all_group_chats", …).
func (b *Bot) Commands(scope string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, c := range b.commands[scope] {
		out = append(out, c.Command)
	}
	return out
}

// Replies returns the bot's messages in a chat that reply to message
// replyTo, oldest first, as they now are.
func (b *Bot) Replies(chatID, replyTo int64) []Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Message
	for k, m := range b.messages {
		if k.chat == chatID && m.From != nil && m.From.ID == b.user.ID && m.ReplyToMessage != nil && m.ReplyToMessage.MessageID == replyTo {
			out = append(out, *m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].MessageID < out[j].MessageID })
	return out
}
