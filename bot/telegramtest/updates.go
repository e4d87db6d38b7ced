package telegramtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

// Enqueue adds an update for the bot's next getUpdates and returns it as
// delivered. The fake sets UpdateID (ids increase by one per bot) and fills
// in the messages it carries: a zero MessageID becomes the chat's next
// message id, a zero Date now, and a zero Chat the private chat with From.
// Chats seen in updates are the chats the bot may write to.
//
// With privacy mode on (the default, see SetPrivacyMode), a group message
// that is not a command, does not mention the bot and does not reply to
// one of its messages is not delivered: it is returned with UpdateID 0,
// and the fake still knows it (a later reply to it carries it).
func (b *Bot) Enqueue(u Update) Update {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range []*Message{u.Message, u.EditedMessage, u.ChannelPost} {
		if m != nil {
			b.fillMessage(m)
		}
	}
	if m := u.Message; m != nil {
		b.storeMessage(*m)
		if !b.delivered(m) {
			u.Raw, _ = json.Marshal(u)
			return u
		}
	}
	if m := u.EditedMessage; m != nil {
		if stored := b.messages[msgKey{m.Chat.ID, m.MessageID}]; stored != nil {
			if !b.delivered(stored) {
				return u // Telegram does not show the bot edits of messages it never got
			}
		}
		b.storeMessage(*m)
	}
	if q := u.CallbackQuery; q != nil {
		if q.ID == "" {
			b.callbackID++
			q.ID = fmt.Sprintf("%d%012d", b.user.ID%1_000_000, b.callbackID)
		}
		if q.ChatInstance == "" {
			q.ChatInstance = fmt.Sprint(-q.From.ID * 7919)
		}
		b.callbacks[q.ID] = &CallbackAnswer{QueryID: q.ID}
	}
	u.UpdateID = b.nextUpdateID
	body, err := json.Marshal(u)
	if err != nil {
		panic(err) // the types marshal
	}
	b.push(body)
	u.Raw = body
	return u
}

// EnqueueRaw adds an update given as JSON, for update kinds the builders do
// not cover ({"message_reaction": {...}}, {"some_future_kind": {...}}). Its
// update_id is set by the fake, like every update's. The fake registers the
// chat of a "message" it finds, but does not otherwise look inside.
func (b *Bot) EnqueueRaw(update json.RawMessage) (Update, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(update, &fields); err != nil || fields == nil {
		return Update{}, errors.New("telegramtest: a raw update must be a JSON object")
	}
	var u Update
	json.Unmarshal(update, &u) // best effort: for the chats and the return value
	b.mu.Lock()
	defer b.mu.Unlock()
	if u.Message != nil {
		b.registerChat(u.Message)
	}
	u.UpdateID = b.nextUpdateID
	fields["update_id"] = json.RawMessage(fmt.Sprint(u.UpdateID))
	body, err := json.Marshal(fields)
	if err != nil {
		return Update{}, err
	}
	b.push(body)
	u.Raw = body
	return u, nil
}

// push appends an update with the next id. b.mu must be held.
func (b *Bot) push(body []byte) {
	b.queue = append(b.queue, queuedUpdate{id: b.nextUpdateID, body: body})
	b.nextUpdateID++
	b.broadcast()
}

// fillMessage completes a message about to be enqueued. b.mu must be held.
func (b *Bot) fillMessage(m *Message) {
	if m.Chat.ID == 0 && m.From != nil {
		m.Chat = PrivateChat(*m.From)
	}
	if m.MessageID == 0 {
		m.MessageID = b.nextMessageID(m.Chat.ID)
	} else {
		b.lastMsgID[m.Chat.ID] = max(b.lastMsgID[m.Chat.ID], m.MessageID)
	}
	if m.Date == 0 {
		m.Date = time.Now().Unix()
	}
	addCommandEntity(m)
	if r := m.ReplyToMessage; r != nil {
		// Telegram carries the replied-to message one level deep.
		inner := *r
		inner.ReplyToMessage = nil
		m.ReplyToMessage = &inner
	}
	b.registerChat(m)
}

// registerChat remembers a message's chat, so that the bot may write to
// it. A user seen only in groups has not started the bot: writing to them
// is forbidden. b.mu must be held.
func (b *Bot) registerChat(m *Message) {
	b.chats[m.Chat.ID] = m.Chat
	if m.Chat.Type == "private" {
		delete(b.groupUsers, m.Chat.ID)
	} else if m.From != nil {
		if _, ok := b.chats[m.From.ID]; !ok {
			b.groupUsers[m.From.ID] = true
		}
	}
}

// SendText enqueues a text message from a user in their private chat with
// the bot.
func (b *Bot) SendText(from User, text string, entities ...gotgbot.MessageEntity) Update {
	return b.SendTextIn(Chat{}, from, text, entities...)
}

// SendTextIn enqueues a text message from a user in a chat (a group, say;
// the zero Chat is the private chat).
func (b *Bot) SendTextIn(chat Chat, from User, text string, entities ...gotgbot.MessageEntity) Update {
	return b.Enqueue(Update{Message: &Message{From: &from, Chat: chat, Text: text, Entities: entities}})
}

// Forward enqueues a text message that from forwarded to the bot.
func (b *Bot) Forward(from User, origin MessageOrigin, text string, entities ...gotgbot.MessageEntity) Update {
	return b.Enqueue(Update{Message: &Message{From: &from, ForwardOrigin: &origin, Text: text, Entities: entities}})
}

// EditText enqueues an edited_message: the message of original with new
// text and an edit date.
func (b *Bot) EditText(original Update, text string, entities ...gotgbot.MessageEntity) Update {
	if original.Message == nil {
		panic("telegramtest: EditText needs an update with a message")
	}
	m := *original.Message
	m.Text, m.Entities, m.EditDate = text, entities, time.Now().Unix()
	return b.Enqueue(Update{EditedMessage: &m})
}

// SendCallbackQuery enqueues a press on an inline button with data, on
// message (which may be nil). A message the fake knows is sent as it is
// now (edited text and keyboard included).
func (b *Bot) SendCallbackQuery(from User, data string, message *Message) Update {
	if message != nil {
		if now := b.Message(message.Chat.ID, message.MessageID); now != nil {
			message = now
		}
	}
	return b.Enqueue(Update{CallbackQuery: &CallbackQuery{From: from, Message: message, Data: data}})
}

// Press enqueues from's press on the button of message's keyboard whose
// label contains label. It panics when there is no such button.
func (b *Bot) Press(from User, message *Message, label string) Update {
	if now := b.Message(message.Chat.ID, message.MessageID); now != nil {
		message = now
	}
	btn, ok := message.ReplyMarkup.Button(label)
	if !ok {
		panic(fmt.Sprintf("telegramtest: no button %q on message %d", label, message.MessageID))
	}
	return b.SendCallbackQuery(from, btn.CallbackData, message)
}

// Reply enqueues a text message from a user that replies to message (in
// message's chat).
func (b *Bot) Reply(from User, to *Message, text string, entities ...gotgbot.MessageEntity) Update {
	return b.Enqueue(Update{Message: &Message{From: &from, Chat: to.Chat, ReplyToMessage: to, Text: text, Entities: entities}})
}

// EditCaption enqueues an edited_message: the message of original (a
// photo, document…) with a new caption.
func (b *Bot) EditCaption(original Update, caption string, entities ...gotgbot.MessageEntity) Update {
	if original.Message == nil {
		panic("telegramtest: EditCaption needs an update with a message")
	}
	m := *original.Message
	m.Caption, m.CaptionEntities, m.EditDate = caption, entities, time.Now().Unix()
	return b.Enqueue(Update{EditedMessage: &m})
}

// addCommandEntity marks a leading /command as Telegram does, with a
// bot_command entity, unless the test gave one.
func addCommandEntity(m *Message) {
	if !strings.HasPrefix(m.Text, "/") || len(m.Text) < 2 {
		return
	}
	for _, e := range m.Entities {
		if e.Offset == 0 {
			return
		}
	}
	end := strings.IndexAny(m.Text, " \n\t")
	if end < 0 {
		end = len(m.Text)
	}
	n := len(utf16.Encode([]rune(m.Text[:end])))
	m.Entities = append([]gotgbot.MessageEntity{{Type: "bot_command", Offset: 0, Length: int64(n)}}, m.Entities...)
}
