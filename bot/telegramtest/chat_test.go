package telegramtest

import (
	"strings"
	"testing"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

func keyboard(data ...string) gotgbot.InlineKeyboardMarkup {
	var row []gotgbot.InlineKeyboardButton
	for _, d := range data {
		row = append(row, gotgbot.InlineKeyboardButton{Text: "b " + d, CallbackData: d})
	}
	return gotgbot.InlineKeyboardMarkup{InlineKeyboard: [][]gotgbot.InlineKeyboardButton{row}}
}

func TestInlineKeyboardPressAndAnswer(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	u := tg.SendText(ann, "hi")
	sent, err := b.SendMessage(ann.ID, "saved", &gotgbot.SendMessageOpts{
		ReplyParameters: &gotgbot.ReplyParameters{MessageId: u.Message.MessageID},
		ReplyMarkup:     keyboard("a", "b"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if sent.ReplyToMessage == nil || sent.ReplyToMessage.MessageId != u.Message.MessageID {
		t.Errorf("reply_to_message = %+v", sent.ReplyToMessage)
	}
	m := tg.Message(ann.ID, sent.MessageId)
	if m == nil || m.ReplyMarkup == nil || len(m.ReplyMarkup.InlineKeyboard[0]) != 2 {
		t.Fatalf("stored bot message = %+v", m)
	}
	press := tg.Press(ann, m, "b b")
	if press.CallbackQuery.Data != "b" || press.CallbackQuery.Message.MessageID != sent.MessageId {
		t.Fatalf("press = %+v", press.CallbackQuery)
	}
	updates, err := poll(testContext(t), b, 0, 0)
	if err != nil || len(updates) != 2 || updates[1].CallbackQuery == nil {
		t.Fatalf("updates = %+v, %v", updates, err)
	}
	q := updates[1].CallbackQuery
	if q.Data != "b" || q.Message == nil || q.From.Id != ann.ID {
		t.Fatalf("callback query = %+v", q)
	}
	if _, err := b.AnswerCallbackQuery(q.Id, &gotgbot.AnswerCallbackQueryOpts{Text: "done"}); err != nil {
		t.Fatal(err)
	}
	if a, _ := tg.Callback(q.Id); !a.Answered || a.Text != "done" {
		t.Errorf("answer = %+v", a)
	}
	_, err = b.AnswerCallbackQuery(q.Id, nil)
	if e := telegramError(t, err); e.Code != 400 || !strings.Contains(e.Description, "query ID is invalid") {
		t.Errorf("second answer = %v", err)
	}
	_, err = b.AnswerCallbackQuery("nope", nil)
	if e := telegramError(t, err); e.Code != 400 {
		t.Errorf("unknown query answer = %v", err)
	}
	_, err = b.AnswerCallbackQuery(tg.SendCallbackQuery(ann, "x", nil).CallbackQuery.ID, &gotgbot.AnswerCallbackQueryOpts{Text: strings.Repeat("x", 201)})
	if e := telegramError(t, err); e.Description != "Bad Request: MESSAGE_TOO_LONG" {
		t.Errorf("long answer = %v", err)
	}
}

func TestCallbackDataOver64BytesIsRefused(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	tg.SendText(ann, "hi")
	_, err := b.SendMessage(ann.ID, "x", &gotgbot.SendMessageOpts{ReplyMarkup: keyboard(strings.Repeat("d", 65))})
	if e := telegramError(t, err); e.Description != "Bad Request: BUTTON_DATA_INVALID" {
		t.Errorf("= %v", err)
	}
	if _, err := b.SendMessage(ann.ID, "x", &gotgbot.SendMessageOpts{ReplyMarkup: keyboard(strings.Repeat("d", 64))}); err != nil {
		t.Errorf("64 bytes: %v", err)
	}
}

func TestEditMessage(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	u := tg.SendText(ann, "hi")
	sent, err := b.SendMessage(ann.ID, "v1", &gotgbot.SendMessageOpts{ReplyMarkup: keyboard("a")})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.EditMessageText(&gotgbot.EditMessageTextOpts{Text: "v2", ChatId: ann.ID, MessageId: sent.MessageId, ReplyMarkup: keyboard("c")}); err != nil {
		t.Fatal(err)
	}
	if m := tg.Message(ann.ID, sent.MessageId); m.Text != "v2" || m.ReplyMarkup.InlineKeyboard[0][0].CallbackData != "c" || m.EditDate == 0 {
		t.Errorf("after edit = %+v", m)
	}
	if _, _, err := b.EditMessageReplyMarkup(&gotgbot.EditMessageReplyMarkupOpts{ChatId: ann.ID, MessageId: sent.MessageId}); err != nil {
		t.Fatal(err)
	}
	if m := tg.Message(ann.ID, sent.MessageId); m.ReplyMarkup != nil {
		t.Errorf("keyboard not removed: %+v", m.ReplyMarkup)
	}
	tests := map[string]struct {
		id   int64
		text string
		want string
	}{
		"unchanged":          {sent.MessageId, "v2", "Bad Request: " + notModified},
		"unknown message":    {sent.MessageId + 10, "x", "Bad Request: message to edit not found"},
		"the user's message": {u.Message.MessageID, "x", "Bad Request: message can't be edited"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := b.EditMessageText(&gotgbot.EditMessageTextOpts{Text: tt.text, ChatId: ann.ID, MessageId: tt.id})
			if e := telegramError(t, err); e.Description != tt.want {
				t.Errorf("= %q, want %q", e.Description, tt.want)
			}
		})
	}
}

func TestPrivacyModeInGroups(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	group := SupergroupChat(9, "G")
	quiet := tg.SendTextIn(group, ann, "just chatting")
	if quiet.UpdateID != 0 {
		t.Fatalf("a plain group message was delivered with privacy mode on")
	}
	mention := tg.SendTextIn(group, ann, "note this @memoria_bot")
	command := tg.SendTextIn(group, ann, "/save")
	sent, err := b.SendMessage(group.ID, "bot says", nil)
	if err != nil {
		t.Fatal(err)
	}
	reply := tg.Reply(ann, tg.Message(group.ID, sent.MessageId), "answer to the bot")
	replyToUser := tg.Reply(ann, quiet.Message, "answer to a person")
	if replyToUser.UpdateID != 0 {
		t.Error("a reply to a person was delivered")
	}
	saveReply := tg.Reply(ann, quiet.Message, "/save")
	updates, err := poll(testContext(t), b, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, u := range updates {
		got = append(got, u.UpdateId)
	}
	want := []int64{mention.UpdateID, command.UpdateID, reply.UpdateID, saveReply.UpdateID}
	if len(got) != len(want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
	r := updates[3].Message.ReplyToMessage
	if r == nil || r.Text != "just chatting" || r.ReplyToMessage != nil {
		t.Errorf("the /save reply carries %+v, want the undelivered message one level deep", r)
	}
	tg.SetPrivacyMode(false)
	if tg.SendTextIn(group, ann, "now seen").UpdateID == 0 {
		t.Error("privacy mode off: a plain group message was not delivered")
	}
}

func TestEditedCaptionAndCommandsScopes(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	u := tg.SendDocument(ann, Media{Data: []byte("x"), FileName: "a.txt", Caption: "old"})
	e := tg.EditCaption(u, "new")
	if e.EditedMessage.Caption != "new" || e.EditedMessage.MessageID != u.Message.MessageID || e.EditedMessage.Document == nil {
		t.Fatalf("edited = %+v", e.EditedMessage)
	}
	if _, err := b.SetMyCommands([]gotgbot.BotCommand{{Command: "save", Description: "Save"}}, &gotgbot.SetMyCommandsOpts{Scope: gotgbot.BotCommandScopeAllGroupChats{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SetMyCommands([]gotgbot.BotCommand{{Command: "help", Description: "Help"}}, nil); err != nil {
		t.Fatal(err)
	}
	if g, d := tg.Commands("all_group_chats"), tg.Commands("default"); len(g) != 1 || g[0] != "save" || len(d) != 1 || d[0] != "help" {
		t.Errorf("commands: groups %v, default %v", g, d)
	}
}
