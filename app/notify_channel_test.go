package app_test

import (
	"bytes"
	"testing"

	"connectrpc.com/connect"

	"github.com/memoria-app/memoria/bot/telegramtest"
	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

func TestNotifyPublicChannel(t *testing.T) {
	ns := startNotify(t)
	img := pngBytes(7)
	ns.bot.AddChat(telegramtest.Chat{ID: -1001234567890, Type: "channel", Title: "Memoria news", Username: "memoria_news"})
	setChannel := func(v string) error {
		_, err := ns.s.as(ns.admin).System.UpdateSystemSetting(ctxT(t), connect.NewRequest(&v1.UpdateSystemSettingRequest{
			Setting: &v1.SystemSetting{TelegramPublicChannel: v}, UpdateMask: mask("telegram_public_channel")}))
		return err
	}
	wantCode(t, setChannel("not a channel"), codeInvalid, "telegram_public_channel")
	if err := setChannel("@memoria_news"); err != nil {
		t.Fatal(err)
	}
	ann, _ := ns.user("ann", 640001, false, "")
	const channel = "@memoria_news"

	// Private, then made public: posted once, as text.
	toggled := ns.memo(ann, "Going public with this one", v1.Visibility_VISIBILITY_PRIVATE)
	toggled.Visibility = v1.Visibility_VISIBILITY_PUBLIC
	ns.update(ann, toggled, "visibility")
	ns.waitSentTo(channel, toggled.Name, "Going public")
	// public → private → public, an edit, a restart: not posted again.
	for _, v := range []v1.Visibility{v1.Visibility_VISIBILITY_PRIVATE, v1.Visibility_VISIBILITY_PUBLIC} {
		toggled.Visibility = v
		ns.update(ann, toggled, "visibility")
	}
	toggled.Content = "Going public with this one, edited"
	ns.update(ann, toggled, "content")
	ns.restart()
	// Created public with an image: posted with the photo, streamed from the file store.
	res := ns.s.createResource(ann, "sky.png", "image/png", img, "")
	resp, err := ns.s.as(ann).Memos.CreateMemo(ctxT(t), connect.NewRequest(&v1.CreateMemoRequest{
		Memo: &v1.Memo{Content: "Sky today", Visibility: v1.Visibility_VISIBILITY_PUBLIC}, ResourceNames: []string{res.Name}}))
	if err != nil {
		t.Fatal(err)
	}
	photo := resp.Msg
	ns.waitSentTo(channel, photo.Name, "Sky today")
	// The channel's messages go out in order: the photo's post came after
	// anything queued for the toggled memo.
	if n := len(containing(ns.sent(channel), toggled.Name)); n != 1 {
		t.Fatalf("the toggled memo was posted %d times, want 1: %q", n, ns.sent(channel))
	}
	var photoCalls []telegramtest.Call
	for _, c := range ns.bot.SentMethod("sendPhoto") {
		if c.Param("chat_id") == channel {
			photoCalls = append(photoCalls, c)
		}
	}
	if len(photoCalls) != 1 || !bytes.Equal(photoCalls[0].Files["photo"].Data, img) {
		t.Fatalf("sendPhoto calls to the channel: %+v", photoCalls)
	}
	// Private and protected memos are never posted; nor anything once the
	// channel is off.
	ns.memo(ann, "just for me", v1.Visibility_VISIBILITY_PRIVATE)
	ns.memo(ann, "for members", v1.Visibility_VISIBILITY_PROTECTED)
	if err := setChannel(""); err != nil {
		t.Fatal(err)
	}
	ns.memo(ann, "public, channel off", v1.Visibility_VISIBILITY_PUBLIC)
	// The notifier decides when it reads the outbox: let it read this
	// memo before the channel is on again.
	ns.drained()
	if err := setChannel("-1001234567890"); err != nil {
		t.Fatal(err)
	}
	last := ns.memo(ann, "public, channel by id", v1.Visibility_VISIBILITY_PUBLIC)
	ns.waitSentTo("-1001234567890", last.Name)
	for _, s := range append(ns.sent(channel), ns.sent("-1001234567890")...) {
		for _, bad := range []string{"just for me", "for members", "channel off"} {
			if bytes.Contains([]byte(s), []byte(bad)) {
				t.Fatalf("posted %q", s)
			}
		}
	}
}

// TestNotifyWhenTheBotStarts: a public memo created while no bot runs (no
// token yet) is posted to the channel as soon as the bot starts, not at
// the next periodic check (none comes in this test). The same holds
// after a restart, and for a process on PostgreSQL that waits for the
// bot's lease.
func TestNotifyWhenTheBotStarts(t *testing.T) {
	ns := startNotifyWithoutBot(t)
	ns.bot.AddChat(telegramtest.Chat{ID: -1001234567891, Type: "channel", Title: "Memoria news", Username: "memoria_news"})
	_, err := ns.s.as(ns.admin).System.UpdateSystemSetting(ctxT(t), connect.NewRequest(&v1.UpdateSystemSettingRequest{
		Setting: &v1.SystemSetting{TelegramPublicChannel: "@memoria_news"}, UpdateMask: mask("telegram_public_channel")}))
	if err != nil {
		t.Fatal(err)
	}
	before := ns.memo(ns.admin, "Written before the bot ran", v1.Visibility_VISIBILITY_PUBLIC)
	ns.startBot()
	ns.waitSentTo("@memoria_news", before.Name, "Written before the bot ran")
	ns.s.Stop()
	ns.start()
	during := ns.memo(ns.admin, "Written while the bot restarted", v1.Visibility_VISIBILITY_PUBLIC)
	ns.waitSentTo("@memoria_news", during.Name, "Written while the bot restarted")
}
