package telegramtest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

// Download is the Method of a recorded file download, and the name to
// target downloads with in Fault.Methods. No Bot API method has this name.
const Download = "file download"

// method is a Bot API method the fake implements.
type method struct {
	name   string // canonical spelling
	handle func(b *Bot, w http.ResponseWriter, r *http.Request, req request)
}

// methods maps lower-cased names to methods: Telegram's method names are
// case-insensitive. It is read-only.
var methods = byLowerName([]method{
	{"getMe", (*Bot).getMe},
	{"getUpdates", (*Bot).getUpdates},
	{"getFile", (*Bot).getFile},
	{"sendMessage", (*Bot).sendMessage},
	{"sendPhoto", (*Bot).sendPhoto},
	{"setMessageReaction", (*Bot).setMessageReaction},
	{"sendChatAction", (*Bot).sendChatAction},
	{"setWebhook", (*Bot).setWebhook},
	{"deleteWebhook", (*Bot).deleteWebhook},
	{"getWebhookInfo", (*Bot).getWebhookInfo},
	{"setMyCommands", (*Bot).setMyCommands},
	{"getMyCommands", (*Bot).getMyCommands},
	{"deleteMyCommands", (*Bot).deleteMyCommands},
	{"answerCallbackQuery", (*Bot).answerCallbackQuery},
	{"editMessageText", (*Bot).editMessageText},
	{"editMessageReplyMarkup", (*Bot).editMessageReplyMarkup},
})

func byLowerName(ms []method) map[string]method {
	out := map[string]method{}
	for _, m := range ms {
		out[strings.ToLower(m.name)] = m
	}
	return out
}

func setOf(items ...string) map[string]bool {
	out := map[string]bool{}
	for _, s := range items {
		out[s] = true
	}
	return out
}

// badRequest answers 400 with Telegram's "Bad Request: " prefix.
func badRequest(w http.ResponseWriter, what string) {
	writeError(w, http.StatusBadRequest, "Bad Request: "+what, nil)
}

// https://core.telegram.org/bots/api#getme
func (b *Bot) getMe(w http.ResponseWriter, _ *http.Request, _ request) {
	u := b.User()
	writeResult(w, map[string]any{
		"id": u.ID, "is_bot": true, "first_name": u.FirstName, "username": u.Username,
		"can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false,
		"can_connect_to_business": false, "has_main_web_app": false,
	})
}

// chat reads chat_id and checks that the bot may write there, answering
// the error Telegram would give when it may not.
func (b *Bot) chat(w http.ResponseWriter, req request) (Chat, bool) {
	raw := req.params["chat_id"]
	if raw == "" {
		badRequest(w, "chat_id is empty")
		return Chat{}, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if strings.HasPrefix(raw, "@") {
		for _, c := range b.chats {
			if c.Username != "" && strings.EqualFold("@"+c.Username, raw) && c.Type != "private" {
				return c, true
			}
		}
		badRequest(w, "chat not found")
		return Chat{}, false
	}
	id, _, err := req.intParam("chat_id")
	if err != nil {
		badRequest(w, "chat not found")
		return Chat{}, false
	}
	if c, ok := b.chats[id]; ok {
		return c, true
	}
	if b.groupUsers[id] {
		writeError(w, http.StatusForbidden, "Forbidden: bot can't initiate conversation with a user", nil)
		return Chat{}, false
	}
	badRequest(w, "chat not found")
	return Chat{}, false
}

// knownMessage reports whether message id exists in the chat. b.mu must
// be held.
func (b *Bot) knownMessage(chatID, id int64) bool { return id > 0 && id <= b.lastMsgID[chatID] }

// https://core.telegram.org/bots/api#sendmessage
func (b *Bot) sendMessage(w http.ResponseWriter, _ *http.Request, req request) {
	chat, ok := b.chat(w, req)
	if !ok {
		return
	}
	text := req.params["text"]
	if strings.TrimSpace(text) == "" {
		badRequest(w, "message text is empty")
		return
	}
	if len(utf16.Encode([]rune(text))) > 4096 {
		badRequest(w, "message is too long")
		return
	}
	switch strings.ToLower(req.params["parse_mode"]) {
	case "", "html", "markdown", "markdownv2":
	default:
		badRequest(w, "unsupported parse_mode")
		return
	}
	var entities []gotgbot.MessageEntity
	if raw := req.params["entities"]; raw != "" {
		if err := json.Unmarshal([]byte(raw), &entities); err != nil {
			badRequest(w, "can't parse entities JSON object")
			return
		}
	}
	replyTo, ok, err := req.intParam("reply_to_message_id")
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	markup, err := parseMarkup(req.params["reply_markup"])
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	allowWithout := req.boolParam("allow_sending_without_reply")
	if raw := req.params["reply_parameters"]; raw != "" {
		var rp struct {
			MessageID                int64 `json:"message_id"`
			AllowSendingWithoutReply bool  `json:"allow_sending_without_reply"`
		}
		if err := json.Unmarshal([]byte(raw), &rp); err != nil {
			badRequest(w, "can't parse reply parameters JSON object")
			return
		}
		replyTo, ok, allowWithout = rp.MessageID, true, rp.AllowSendingWithoutReply
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if ok && !allowWithout && !b.knownMessage(chat.ID, replyTo) {
		badRequest(w, "message to be replied not found")
		return
	}
	from := b.user
	m := Message{
		MessageID:   b.nextMessageID(chat.ID),
		From:        &from,
		Date:        time.Now().Unix(),
		Chat:        chat,
		Text:        text,
		Entities:    entities,
		ReplyMarkup: markup,
	}
	if ok && b.knownMessage(chat.ID, replyTo) {
		m.ReplyToMessage = b.storedMessage(chat.ID, replyTo)
	}
	b.storeMessage(m)
	writeResult(w, m)
}

// nextMessageID returns the next message id in a chat. b.mu must be held.
func (b *Bot) nextMessageID(chatID int64) int64 {
	b.lastMsgID[chatID]++
	return b.lastMsgID[chatID]
}

// reactionEmoji are the emoji a bot may react with
// (https://core.telegram.org/bots/api#reactiontypeemoji), without
// variation selectors. A bot reacting with, say, "✅" gets REACTION_INVALID.
var reactionEmoji = setOf("❤", "👍", "👎", "🔥", "🥰", "👏", "😁", "🤔", "🤯", "😱", "🤬", "😢", "🎉", "🤩", "🤮", "💩", "🙏", "👌", "🕊", "🤡", "🥱", "🥴", "😍", "🐳", "❤‍🔥", "🌚", "🌭", "💯", "🤣", "⚡", "🍌", "🏆", "💔", "🤨", "😐", "🍓", "🍾", "💋", "🖕", "😈", "😴", "😭", "🤓", "👻", "👨‍💻", "👀", "🎃", "🙈", "😇", "😨", "🤝", "✍", "🤗", "🫡", "🎅", "🎄", "☃", "💅", "🤪", "🗿", "🆒", "💘", "🙉", "🦄", "😘", "💊", "🙊", "😎", "👾", "🤷‍♂", "🤷", "🤷‍♀", "😡")

// https://core.telegram.org/bots/api#setmessagereaction
func (b *Bot) setMessageReaction(w http.ResponseWriter, _ *http.Request, req request) {
	chat, ok := b.chat(w, req)
	if !ok {
		return
	}
	id, ok, err := req.intParam("message_id")
	if err != nil || !ok {
		badRequest(w, "message_id is empty")
		return
	}
	if raw := req.params["reaction"]; raw != "" {
		var reactions []struct {
			Type          string `json:"type"`
			Emoji         string `json:"emoji"`
			CustomEmojiID string `json:"custom_emoji_id"`
		}
		if err := json.Unmarshal([]byte(raw), &reactions); err != nil {
			badRequest(w, "can't parse reaction types JSON object")
			return
		}
		for _, rt := range reactions {
			valid := rt.Type == "emoji" && reactionEmoji[strings.ReplaceAll(rt.Emoji, "\ufe0f", "")] ||
				rt.Type == "custom_emoji" && rt.CustomEmojiID != "" || rt.Type == "paid"
			if !valid {
				badRequest(w, "REACTION_INVALID")
				return
			}
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.knownMessage(chat.ID, id) {
		badRequest(w, "MESSAGE_ID_INVALID")
		return
	}
	writeResult(w, true)
}

var chatActions = setOf("typing", "upload_photo", "record_video", "upload_video", "record_voice",
	"upload_voice", "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note")

// https://core.telegram.org/bots/api#sendchataction
func (b *Bot) sendChatAction(w http.ResponseWriter, _ *http.Request, req request) {
	if _, ok := b.chat(w, req); !ok {
		return
	}
	if !chatActions[req.params["action"]] {
		badRequest(w, "wrong parameter action in request")
		return
	}
	writeResult(w, true)
}

type botCommand struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

var commandName = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// https://core.telegram.org/bots/api#setmycommands
func (b *Bot) setMyCommands(w http.ResponseWriter, _ *http.Request, req request) {
	raw, ok := req.params["commands"]
	if !ok {
		badRequest(w, "parameter \"commands\" is required")
		return
	}
	var commands []botCommand
	if err := json.Unmarshal([]byte(raw), &commands); err != nil {
		badRequest(w, "can't parse commands JSON object")
		return
	}
	for _, c := range commands {
		if !commandName.MatchString(c.Command) {
			badRequest(w, "BOT_COMMAND_INVALID")
			return
		}
		if n := len([]rune(c.Description)); n < 1 || n > 256 {
			badRequest(w, "BOT_COMMAND_DESCRIPTION_INVALID")
			return
		}
	}
	if len(commands) > 100 {
		badRequest(w, "BOT_COMMANDS_TOO_MUCH")
		return
	}
	scope, ok := commandScope(w, req)
	if !ok {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.commands[scope] = commands
	writeResult(w, true)
}

// commandScope reads the scope parameter of the *MyCommands methods
// (https://core.telegram.org/bots/api#botcommandscope): its type, "default"
// when absent.
func commandScope(w http.ResponseWriter, req request) (string, bool) {
	raw := req.params["scope"]
	if raw == "" || raw == "null" {
		return "default", true
	}
	var sc struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal([]byte(raw), &sc); err != nil {
		badRequest(w, "can't parse BotCommandScope JSON object")
		return "", false
	}
	switch sc.Type {
	case "default", "all_private_chats", "all_group_chats", "all_chat_administrators":
		return sc.Type, true
	}
	badRequest(w, "wrong scope type specified")
	return "", false
}

// https://core.telegram.org/bots/api#getmycommands
func (b *Bot) getMyCommands(w http.ResponseWriter, _ *http.Request, req request) {
	scope, ok := commandScope(w, req)
	if !ok {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	writeResult(w, append([]botCommand{}, b.commands[scope]...))
}

// https://core.telegram.org/bots/api#deletemycommands
func (b *Bot) deleteMyCommands(w http.ResponseWriter, _ *http.Request, req request) {
	scope, ok := commandScope(w, req)
	if !ok {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.commands, scope)
	writeResult(w, true)
}
