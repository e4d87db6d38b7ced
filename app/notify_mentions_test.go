package app_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

func TestNotifyMentions(t *testing.T) {
	ns := startNotify(t)
	ann, annTG := ns.user("ann", 610001, true, "")
	_, bobTG := ns.user("bob", 610002, true, "")
	_, offTG := ns.user("off", 610003, false, "")
	bobChat := fmt.Sprint(bobTG.ID)

	// A private memo: bob may not read it, so he hears nothing.
	private := ns.memo(ann, "secret plan for @bob", v1.Visibility_VISIBILITY_PRIVATE)
	// Mentions of oneself and of someone with notifications off.
	ns.memo(ann, "reminder to @ann", v1.Visibility_VISIBILITY_PROTECTED)
	ns.memo(ann, "hello @off", v1.Visibility_VISIBILITY_PROTECTED)
	// A protected memo bob may read: one message with its first lines and link.
	shared := ns.memo(ann, "Lunch on Friday?\n@bob you pick the place", v1.Visibility_VISIBILITY_PROTECTED)
	got := ns.waitSent(bobTG.ID, shared.Name, "Lunch on Friday?", "@ann")
	if strings.Contains(got, private.Name) {
		t.Fatalf("the private memo was announced: %q", got)
	}
	// An edit that keeps the mention sends nothing new, nor does a pin.
	shared.Content = "Lunch on Saturday? @bob"
	ns.update(ann, shared, "content")
	shared.Pinned = true
	ns.update(ann, shared, "pinned")
	// A restart in between: the claims are durable.
	ns.restart()
	shared.Content = "Lunch on Sunday, @bob!"
	ns.update(ann, shared, "content")
	ns.check(ns.clock.Now())
	ns.quiet(bobTG)
	ns.quiet(annTG)
	ns.quiet(offTG)
	if n := len(containing(ns.sent(bobChat), shared.Name)); n != 1 {
		t.Fatalf("bob got %d messages about %s, want 1: %q", n, shared.Name, ns.sent(bobChat))
	}
	if n := len(containing(ns.sent(bobChat), "mentioned you")); n != 1 {
		t.Fatalf("bob got %d mention messages, want 1 (the private memo must not count): %q", n, ns.sent(bobChat))
	}
	if got := containing(ns.sent(fmt.Sprint(annTG.ID)), "mentioned you"); len(got) != 0 {
		t.Fatalf("ann was told of her own mention: %q", got)
	}
	if got := containing(ns.sent(fmt.Sprint(offTG.ID)), "mentioned you"); len(got) != 0 {
		t.Fatalf("a user with notifications off was told: %q", got)
	}
	// Made protected, the private memo is now readable by bob: he hears of it once.
	private.Visibility = v1.Visibility_VISIBILITY_PROTECTED
	ns.update(ann, private, "visibility")
	ns.waitSent(bobTG.ID, private.Name, "secret plan")
}

func TestNotifyMentionsWrittenWhileTheBotIsDown(t *testing.T) {
	ns := startNotify(t)
	ann, _ := ns.user("ann", 611001, true, "")
	_, bobTG := ns.user("bob", 611002, true, "")
	// Without a token no bot runs: the outbox keeps the change. (The
	// poller stops shortly after the setting is saved; a notification
	// claimed by it just before would go with it — at most once.)
	ns.s.setToken(ns.admin, "")
	eventually(t, 10*time.Second, "the bot stopped", func() bool {
		return botStatus(t, ns.s, ns.admin).State == v1.BotState_BOT_STATE_DISABLED
	})
	m := ns.memo(ann, "while you were away, @bob", v1.Visibility_VISIBILITY_PROTECTED)
	ns.check(ns.clock.Now())
	ns.s.setToken(ns.admin, ns.tg.URL()+"/bot"+notifyToken)
	ns.waitPolling()
	ns.check(ns.clock.Now()) // the running bot drains the outbox
	ns.waitSent(bobTG.ID, m.Name, "while you were away")
}
