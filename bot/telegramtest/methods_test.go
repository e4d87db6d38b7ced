package telegramtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

func TestSendMessage(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	u := tg.SendText(ann, "hi")
	m1, err := b.SendMessage(ann.ID, "one", nil)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := b.SendMessage(ann.ID, "two", &gotgbot.SendMessageOpts{Entities: []gotgbot.MessageEntity{{Type: "bold", Offset: 0, Length: 3}}})
	if err != nil {
		t.Fatal(err)
	}
	if m1.MessageId != u.Message.MessageID+1 || m2.MessageId != m1.MessageId+1 {
		t.Errorf("message ids %d, %d after %d: want them to go on from the chat's", m1.MessageId, m2.MessageId, u.Message.MessageID)
	}
	if m1.From.Id != tg.ID() || !m1.From.IsBot || m1.Chat.Id != ann.ID || m1.Text != "one" || m1.Date == 0 {
		t.Errorf("sent message = %+v", m1)
	}
	if len(m2.Entities) != 1 || m2.Entities[0].Type != "bold" {
		t.Errorf("entities = %+v", m2.Entities)
	}
}

func TestSendMessageErrors(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	bob := User{ID: 7, FirstName: "Bob"}
	group := GroupChat(55, "G")
	u := tg.SendText(ann, "hi")
	tg.SendTextIn(group, bob, "hello group")
	tests := map[string]struct {
		chatID int64
		text   string
		opts   *gotgbot.SendMessageOpts
		code   int
		want   string
	}{
		"unknown chat":         {chatID: 999, text: "x", code: 400, want: "Bad Request: chat not found"},
		"user seen in a group": {chatID: bob.ID, text: "x", code: 403, want: "Forbidden: bot can't initiate conversation with a user"},
		"empty text":           {chatID: ann.ID, text: " ", code: 400, want: "Bad Request: message text is empty"},
		"too long":             {chatID: ann.ID, text: strings.Repeat("😀", 2049), code: 400, want: "Bad Request: message is too long"},
		"bad parse mode":       {chatID: ann.ID, text: "x", opts: &gotgbot.SendMessageOpts{ParseMode: "BBCode"}, code: 400, want: "Bad Request: unsupported parse_mode"},
		"reply to update id":   {chatID: ann.ID, text: "x", opts: &gotgbot.SendMessageOpts{ReplyParameters: &gotgbot.ReplyParameters{MessageId: u.UpdateID}}, code: 400, want: "Bad Request: message to be replied not found"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := b.SendMessage(tt.chatID, tt.text, tt.opts)
			if tgErr := telegramError(t, err); tgErr.Code != tt.code || tgErr.Description != tt.want {
				t.Errorf("= %d %q, want %d %q", tgErr.Code, tgErr.Description, tt.code, tt.want)
			}
		})
	}
	okCases := map[string]struct {
		chatID int64
		text   string
		opts   *gotgbot.SendMessageOpts
	}{
		"group":                 {chatID: group.ID, text: "to the group"},
		"4096 characters":       {chatID: ann.ID, text: strings.Repeat("a", 4096)},
		"MarkdownV2":            {chatID: ann.ID, text: "*x*", opts: &gotgbot.SendMessageOpts{ParseMode: "MarkdownV2"}},
		"reply to a message":    {chatID: ann.ID, text: "x", opts: &gotgbot.SendMessageOpts{ReplyParameters: &gotgbot.ReplyParameters{MessageId: u.Message.MessageID}}},
		"reply allowed if gone": {chatID: ann.ID, text: "x", opts: &gotgbot.SendMessageOpts{ReplyParameters: &gotgbot.ReplyParameters{MessageId: 10_000, AllowSendingWithoutReply: true}}},
	}
	for name, tt := range okCases {
		t.Run(name, func(t *testing.T) {
			if _, err := b.SendMessage(tt.chatID, tt.text, tt.opts); err != nil {
				t.Error(err)
			}
		})
	}
	tg.AddChat(PrivateChat(User{ID: 31337, FirstName: "Eve"}))
	if _, err := b.SendMessage(31337, "hello", nil); err != nil {
		t.Errorf("a chat added with AddChat: %v", err)
	}
}

func TestSetMessageReaction(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	u := tg.SendText(ann, "hi")
	react := func(id int64, emoji string) error {
		_, err := b.SetMessageReaction(ann.ID, id, &gotgbot.SetMessageReactionOpts{
			Reaction: []gotgbot.ReactionType{gotgbot.ReactionTypeEmoji{Emoji: emoji}},
		})
		return err
	}
	if err := react(u.Message.MessageID, "👍"); err != nil {
		t.Errorf("👍: %v", err)
	}
	if err := react(u.Message.MessageID, "❤️"); err != nil {
		t.Errorf("❤️ with a variation selector: %v", err)
	}
	if tgErr := telegramError(t, react(u.Message.MessageID, "✅")); tgErr.Description != "Bad Request: REACTION_INVALID" {
		t.Errorf("✅ = %q", tgErr.Description)
	}
	if tgErr := telegramError(t, react(u.UpdateID, "👍")); tgErr.Description != "Bad Request: MESSAGE_ID_INVALID" {
		t.Errorf("reacting to an update id = %q", tgErr.Description)
	}
	sent := tg.SentMethod("setMessageReaction")
	if len(sent) != 4 || sent[0].Param("message_id") != "1" || !strings.Contains(sent[0].Param("reaction"), `"emoji":"👍"`) {
		t.Errorf("recorded reactions = %+v", sent)
	}
}

func TestChatActionWebhookAndCommands(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	tg.SendText(ann, "hi")
	if _, err := b.SendChatAction(ann.ID, "typing", nil); err != nil {
		t.Errorf("typing: %v", err)
	}
	if _, err := b.SendChatAction(ann.ID, "dancing", nil); telegramError(t, err).Description != "Bad Request: wrong parameter action in request" {
		t.Errorf("dancing: %v", err)
	}
	commands := []gotgbot.BotCommand{{Command: "start", Description: "Start"}, {Command: "help", Description: "Help"}}
	if _, err := b.SetMyCommands(commands, nil); err != nil {
		t.Fatal(err)
	}
	got, err := b.GetMyCommands(nil)
	if err != nil || len(got) != 2 || got[1].Command != "help" {
		t.Errorf("getMyCommands = %+v, %v", got, err)
	}
	if _, err := b.SetMyCommands([]gotgbot.BotCommand{{Command: "Bad-Name", Description: "x"}}, nil); telegramError(t, err).Description != "Bad Request: BOT_COMMAND_INVALID" {
		t.Errorf("bad command: %v", err)
	}
	if _, err := b.DeleteMyCommands(nil); err != nil {
		t.Error(err)
	}
	if got, _ := b.GetMyCommands(nil); len(got) != 0 {
		t.Errorf("commands after delete = %+v", got)
	}
	if _, err := b.GetWebhookInfo(nil); err != nil {
		t.Error(err)
	}
	var methods []string
	for _, c := range tg.Sent() {
		methods = append(methods, c.Method)
	}
	want := "sendChatAction sendChatAction setMyCommands getMyCommands setMyCommands deleteMyCommands getMyCommands getWebhookInfo"
	if strings.Join(methods, " ") != want {
		t.Errorf("Sent = %v, want %s (no getMe, getUpdates)", methods, want)
	}
}

func TestWaitSent(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	tg.SendText(ann, "hi")
	ctx := testContext(t)
	go func() {
		for _, text := range []string{"a", "b"} {
			b.SendMessageWithContext(ctx, ann.ID, text, nil)
		}
	}()
	sent, err := tg.WaitSent(ctx, 2)
	if err != nil || len(sent) < 2 || sent[0].Param("text") != "a" || sent[1].Param("text") != "b" {
		t.Fatalf("WaitSent = %+v, %v", sent, err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := tg.WaitSent(short, 3); err == nil {
		t.Error("WaitSent(3) returned without a third call")
	}
	calls, err := tg.WaitCalls(ctx, func(cs []Call) bool { return len(cs) >= 3 })
	if err != nil || calls[0].Method != "getMe" {
		t.Errorf("WaitCalls = %+v, %v", calls, err)
	}
}
