package app_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

// TestTelegramChatCommands: each command answers, replying to the command,
// and none is stored as a memo.
func TestTelegramChatCommands(t *testing.T) {
	cs := startChat(t, "8200000004:commands", "https://memo.example.com")
	eventually(t, 5*time.Second, "commands registered", func() bool {
		return slices.Equal(cs.bot.Commands("default"), []string{"start", "help", "search", "recent", "tags", "undo", "unlink", "notify"}) &&
			slices.Contains(cs.bot.Commands("all_group_chats"), "save")
	})
	cs.createMemoFromWeb("from the web #go")
	for _, text := range []string{"first telegram #go #tg", "second one\nwith a needle inside", "third #tg"} {
		cs.bot.SendText(cs.from, text)
	}
	memos := cs.s.waitMemos(cs.user, 4)
	third, needle := memos[0], memos[1]

	tests := []struct {
		name, text string
		want       []string
		not        []string
	}{
		{"help", "/help", []string{"/search", "/recent", "/undo", "/save"}, nil},
		{"search", "/search needle", []string{"https://memo.example.com/" + needle.Name, "with a needle inside"}, []string{third.Name}},
		{"search with the bot's name", "/search@" + chatBotName + " needle", []string{needle.Name}, nil},
		{"search without a hit", "/search nothing-like-this", []string{"No memos match"}, nil},
		{"search without words", "/search", []string{"/search <words>"}, nil},
		{"search with huge words", "/search " + strings.Repeat("word ", 20000), []string{"at most 32 words"}, nil},
		{"recent", "/recent", []string{third.Name, "from the web"}, nil},
		{"recent 1", "/recent 1", []string{third.Name}, []string{needle.Name}},
		{"recent with garbage", "/recent lots", []string{"1 to 20"}, nil},
		{"recent over the limit", "/recent 99999999999999999999", []string{"1 to 20"}, nil},
		{"tags", "/tags", []string{"#go — 2", "#tg — 2"}, nil},
		{"notify", "/notify on", []string{"Notifications on"}, nil},
		{"save in private", "/save", []string{"just send me"}, nil},
		{"unknown", "/frobnicate now", []string{"don't know the command /frobnicate"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := cs.bot.SendText(cs.from, tt.text)
			r := cs.reply(cs.from.ID, u.Message.MessageID, tt.want...)
			for _, n := range tt.not {
				if strings.Contains(r.Text, n) {
					t.Errorf("reply %q contains %q", r.Text, n)
				}
			}
		})
	}
	if n := len(cs.s.waitMemos(cs.user, 4)); n != 4 {
		t.Fatalf("commands were stored: %d memos", n)
	}
	t.Run("long output is split under 4096", func(t *testing.T) {
		var b strings.Builder
		for i := 0; i < 60; i++ {
			fmt.Fprintf(&b, "#tag%03d_%s ", i, strings.Repeat("x", 90))
		}
		cs.bot.SendText(cs.from, b.String())
		cs.s.waitMemos(cs.user, 5)
		u := cs.bot.SendText(cs.from, "/tags")
		cs.reply(cs.from.ID, u.Message.MessageID, "Your tags")
		eventually(t, 5*time.Second, "several replies", func() bool { return len(cs.bot.Replies(cs.from.ID, u.Message.MessageID)) >= 2 })
		all := ""
		for _, r := range cs.bot.Replies(cs.from.ID, u.Message.MessageID) {
			if n := len(utf16.Encode([]rune(r.Text))); n > 4096 {
				t.Errorf("a reply of %d characters", n)
			}
			all += r.Text
		}
		if !strings.Contains(all, "#tag000_") || !strings.Contains(all, "#tag059_") {
			t.Error("tags missing from the split replies")
		}
	})
	t.Run("undo", func(t *testing.T) {
		before := cs.s.waitMemos(cs.user, 5)
		u := cs.bot.SendText(cs.from, "/undo")
		cs.reply(cs.from.ID, u.Message.MessageID, "Deleted", before[0].Name)
		after := cs.s.waitMemos(cs.user, 4)
		if after[0].Name != third.Name {
			t.Fatalf("newest memo after /undo = %s, want %s", after[0].Name, third.Name)
		}
		u = cs.bot.SendText(cs.from, "/undo")
		cs.reply(cs.from.ID, u.Message.MessageID, "Deleted", third.Name)
		cs.s.waitMemos(cs.user, 3)
	})
}

func (cs *chatStory) createMemoFromWeb(content string) *v1.Memo {
	return cs.s.createMemo(cs.user, content, v1.Visibility_VISIBILITY_PRIVATE)
}
