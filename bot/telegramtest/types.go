package telegramtest

import (
	"encoding/json"
	"strings"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

// The types below are the parts of the Bot API's objects that the fake
// produces, with the field names of the spec
// (https://core.telegram.org/bots/api#available-types). They are the fake's
// own, not gotgbot's, so that the fake checks a client's decoding instead of
// sharing it. Entities are gotgbot.MessageEntity, whose fields are plain data.

// User is a Telegram user or bot (https://core.telegram.org/bots/api#user).
type User struct {
	ID           int64  `json:"id"`
	IsBot        bool   `json:"is_bot"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name,omitempty"`
	Username     string `json:"username,omitempty"`
	LanguageCode string `json:"language_code,omitempty"`
}

// Chat is a chat (https://core.telegram.org/bots/api#chat).
type Chat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"` // "private", "group", "supergroup" or "channel"
	Title     string `json:"title,omitempty"`
	Username  string `json:"username,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
}

// PrivateChat is the private chat between the bot and u. Its id is u's id.
func PrivateChat(u User) Chat {
	return Chat{ID: u.ID, Type: "private", Username: u.Username, FirstName: u.FirstName, LastName: u.LastName}
}

// GroupChat is a basic group; Telegram gives groups negative ids.
func GroupChat(id int64, title string) Chat {
	return Chat{ID: -abs(id), Type: "group", Title: title}
}

// SupergroupChat is a supergroup, whose id Telegram writes as -100…
func SupergroupChat(id int64, title string) Chat {
	return Chat{ID: -1_000_000_000_000 - abs(id), Type: "supergroup", Title: title}
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// Message is a message (https://core.telegram.org/bots/api#message).
type Message struct {
	MessageID       int64                   `json:"message_id"`
	From            *User                   `json:"from,omitempty"`
	SenderChat      *Chat                   `json:"sender_chat,omitempty"`
	Date            int64                   `json:"date"`
	Chat            Chat                    `json:"chat"`
	ForwardOrigin   *MessageOrigin          `json:"forward_origin,omitempty"`
	ReplyToMessage  *Message                `json:"reply_to_message,omitempty"`
	EditDate        int64                   `json:"edit_date,omitempty"`
	MediaGroupID    string                  `json:"media_group_id,omitempty"`
	Text            string                  `json:"text,omitempty"`
	Entities        []gotgbot.MessageEntity `json:"entities,omitempty"`
	Animation       *Animation              `json:"animation,omitempty"`
	Audio           *Audio                  `json:"audio,omitempty"`
	Document        *Document               `json:"document,omitempty"`
	Photo           []PhotoSize             `json:"photo,omitempty"`
	Sticker         *Sticker                `json:"sticker,omitempty"`
	Video           *Video                  `json:"video,omitempty"`
	VideoNote       *VideoNote              `json:"video_note,omitempty"`
	Voice           *Voice                  `json:"voice,omitempty"`
	Caption         string                  `json:"caption,omitempty"`
	CaptionEntities []gotgbot.MessageEntity `json:"caption_entities,omitempty"`
	ReplyMarkup     *InlineKeyboardMarkup   `json:"reply_markup,omitempty"`
}

// InlineKeyboardMarkup is an inline keyboard under a message
// (https://core.telegram.org/bots/api#inlinekeyboardmarkup).
type InlineKeyboardMarkup struct {
	InlineKeyboard [][]InlineKeyboardButton `json:"inline_keyboard"`
}

// InlineKeyboardButton is one button of an inline keyboard
// (https://core.telegram.org/bots/api#inlinekeyboardbutton).
type InlineKeyboardButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data,omitempty"`
	URL          string `json:"url,omitempty"`
}

// Button returns the first button whose text contains label, or false.
func (k *InlineKeyboardMarkup) Button(label string) (InlineKeyboardButton, bool) {
	if k == nil {
		return InlineKeyboardButton{}, false
	}
	for _, row := range k.InlineKeyboard {
		for _, b := range row {
			if strings.Contains(b.Text, label) {
				return b, true
			}
		}
	}
	return InlineKeyboardButton{}, false
}

// MessageOrigin says where a forwarded message came from
// (https://core.telegram.org/bots/api#messageorigin). Type is "user",
// "hidden_user", "chat" or "channel"; the other fields depend on it.
type MessageOrigin struct {
	Type            string `json:"type"`
	Date            int64  `json:"date"`
	SenderUser      *User  `json:"sender_user,omitempty"`
	SenderUserName  string `json:"sender_user_name,omitempty"`
	SenderChat      *Chat  `json:"sender_chat,omitempty"`
	Chat            *Chat  `json:"chat,omitempty"`
	MessageID       int64  `json:"message_id,omitempty"`
	AuthorSignature string `json:"author_signature,omitempty"`
}

// OriginUser is the origin of a message forwarded from u.
func OriginUser(u User, date int64) MessageOrigin {
	return MessageOrigin{Type: "user", Date: date, SenderUser: &u}
}

// OriginHiddenUser is the origin of a message forwarded from a user who
// hides their account.
func OriginHiddenUser(name string, date int64) MessageOrigin {
	return MessageOrigin{Type: "hidden_user", Date: date, SenderUserName: name}
}

// OriginChannel is the origin of a post forwarded from a channel.
func OriginChannel(channel Chat, messageID, date int64) MessageOrigin {
	return MessageOrigin{Type: "channel", Date: date, Chat: &channel, MessageID: messageID}
}

// PhotoSize is one size of a photo or a thumbnail
// (https://core.telegram.org/bots/api#photosize).
type PhotoSize struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	FileSize     int64  `json:"file_size,omitempty"`
}

// Document is a general file (https://core.telegram.org/bots/api#document).
type Document struct {
	FileID       string     `json:"file_id"`
	FileUniqueID string     `json:"file_unique_id"`
	Thumbnail    *PhotoSize `json:"thumbnail,omitempty"`
	FileName     string     `json:"file_name,omitempty"`
	MimeType     string     `json:"mime_type,omitempty"`
	FileSize     int64      `json:"file_size,omitempty"`
}

// Video is a video file (https://core.telegram.org/bots/api#video).
type Video struct {
	FileID       string     `json:"file_id"`
	FileUniqueID string     `json:"file_unique_id"`
	Width        int        `json:"width"`
	Height       int        `json:"height"`
	Duration     int        `json:"duration"`
	Thumbnail    *PhotoSize `json:"thumbnail,omitempty"`
	FileName     string     `json:"file_name,omitempty"`
	MimeType     string     `json:"mime_type,omitempty"`
	FileSize     int64      `json:"file_size,omitempty"`
}

// Animation is a GIF or silent H.264 video
// (https://core.telegram.org/bots/api#animation).
type Animation struct {
	FileID       string     `json:"file_id"`
	FileUniqueID string     `json:"file_unique_id"`
	Width        int        `json:"width"`
	Height       int        `json:"height"`
	Duration     int        `json:"duration"`
	Thumbnail    *PhotoSize `json:"thumbnail,omitempty"`
	FileName     string     `json:"file_name,omitempty"`
	MimeType     string     `json:"mime_type,omitempty"`
	FileSize     int64      `json:"file_size,omitempty"`
}

// Audio is a music file (https://core.telegram.org/bots/api#audio).
type Audio struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Duration     int    `json:"duration"`
	Performer    string `json:"performer,omitempty"`
	Title        string `json:"title,omitempty"`
	FileName     string `json:"file_name,omitempty"`
	MimeType     string `json:"mime_type,omitempty"`
	FileSize     int64  `json:"file_size,omitempty"`
}

// Voice is a voice note (https://core.telegram.org/bots/api#voice). It has
// no file name.
type Voice struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Duration     int    `json:"duration"`
	MimeType     string `json:"mime_type,omitempty"`
	FileSize     int64  `json:"file_size,omitempty"`
}

// VideoNote is a round video message
// (https://core.telegram.org/bots/api#videonote). It has neither file name
// nor MIME type.
type VideoNote struct {
	FileID       string     `json:"file_id"`
	FileUniqueID string     `json:"file_unique_id"`
	Length       int        `json:"length"`
	Duration     int        `json:"duration"`
	Thumbnail    *PhotoSize `json:"thumbnail,omitempty"`
	FileSize     int64      `json:"file_size,omitempty"`
}

// Sticker is a sticker (https://core.telegram.org/bots/api#sticker).
type Sticker struct {
	FileID       string     `json:"file_id"`
	FileUniqueID string     `json:"file_unique_id"`
	Type         string     `json:"type"`
	Width        int        `json:"width"`
	Height       int        `json:"height"`
	IsAnimated   bool       `json:"is_animated"`
	IsVideo      bool       `json:"is_video"`
	Thumbnail    *PhotoSize `json:"thumbnail,omitempty"`
	Emoji        string     `json:"emoji,omitempty"`
	SetName      string     `json:"set_name,omitempty"`
	FileSize     int64      `json:"file_size,omitempty"`
}

// CallbackQuery is a press on an inline keyboard button
// (https://core.telegram.org/bots/api#callbackquery).
type CallbackQuery struct {
	ID           string   `json:"id"`
	From         User     `json:"from"`
	Message      *Message `json:"message,omitempty"`
	ChatInstance string   `json:"chat_instance"`
	Data         string   `json:"data,omitempty"`
}

// Update is an incoming update (https://core.telegram.org/bots/api#update).
// Exactly one of the optional fields is set, or, for updates enqueued with
// EnqueueRaw, none of them and Raw holds the update.
type Update struct {
	UpdateID      int64          `json:"update_id"`
	Message       *Message       `json:"message,omitempty"`
	EditedMessage *Message       `json:"edited_message,omitempty"`
	ChannelPost   *Message       `json:"channel_post,omitempty"`
	CallbackQuery *CallbackQuery `json:"callback_query,omitempty"`
	// Raw is the update as delivered, for every update.
	Raw json.RawMessage `json:"-"`
}
