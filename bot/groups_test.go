package bot

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/memoria-app/memoria/bot/telegramtest"
)

// TestGroupCommands: every command the bot lists for groups is answered
// when a linked member sends it bare in a group, with a reply meant for a
// group (the private-chat text would tell them to use the command here).
func TestGroupCommands(t *testing.T) {
	e := newBatchEnv(t, "9100000004:group_commands", "group_bot")
	group := telegramtest.Chat{ID: -1004, Type: "supergroup", Title: "Team"}
	h := e.handler(e.rules)
	for _, c := range groupCommands {
		t.Run(c.Command, func(t *testing.T) {
			u := e.bot.SendTextIn(group, e.linked, "/"+c.Command)
			if _, err := h.handle(context.Background(), []json.RawMessage{u.Raw}); err != nil {
				t.Fatal(err)
			}
			h.p.sender.mu.Lock()
			q := h.p.sender.q[group.ID]
			delete(h.p.sender.q, group.ID)
			h.p.sender.mu.Unlock()
			if len(q) != 1 {
				t.Fatalf("/%s in a group: %d replies, want 1", c.Command, len(q))
			}
			if text := q[0].text; strings.Contains(text, "In a private chat") {
				t.Fatalf("/%s in a group answered with the private-chat text %q", c.Command, text)
			}
		})
	}
}
