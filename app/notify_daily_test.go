package app_test

import (
	"fmt"
	"testing"
	"time"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

// TestNotifyOnThisDay drives "📅 On this day" with the notifier's clock: a
// memo written now is a memo from last year once the clock is a year on.
// Auckland is 12 or 13 hours ahead of UTC, so its 09:00 falls on the
// previous UTC date.
func TestNotifyOnThisDay(t *testing.T) {
	const zone = "Pacific/Auckland"
	ns := startNotify(t)
	kiwi, kiwiTG := ns.user("kiwi", 620001, true, zone)
	_, quietTG := ns.user("quiet", 620002, true, "") // no memos: no message
	m := ns.memo(kiwi, "planted the lemon tree", v1.Visibility_VISIBILITY_PRIVATE)
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	local := m.CreateTime.AsTime().In(loc)
	nine := time.Date(local.Year()+1, local.Month(), local.Day(), 9, 0, 0, 0, loc)
	if nine.Day() != local.Day() {
		t.Skip("written on 29 February: next year has no such day")
	}
	if nine.UTC().Day() == nine.Day() {
		t.Fatalf("09:00 in %s should be on another UTC date: %v", zone, nine.UTC())
	}
	chat := fmt.Sprint(kiwiTG.ID)

	ns.check(nine.Add(-time.Minute)) // 08:59: not yet
	ns.quiet(kiwiTG)
	if got := containing(ns.sent(chat), "📅 On this day"); len(got) != 0 {
		t.Fatalf("sent before 09:00: %q", got)
	}
	ns.check(nine)
	got := ns.waitSent(kiwiTG.ID, "📅 On this day", m.Name, "planted the lemon tree", fmt.Sprint(local.Year()))
	t.Logf("message: %q", got)

	// Later that day, and after a restart: not again.
	ns.check(nine.Add(2 * time.Hour))
	ns.restart()
	ns.check(nine.Add(3 * time.Hour))
	ns.quiet(kiwiTG)
	ns.quiet(quietTG)
	if n := len(containing(ns.sent(chat), "📅 On this day")); n != 1 {
		t.Fatalf("%d On this day messages, want 1: %q", n, ns.sent(chat))
	}
	if got := containing(ns.sent(fmt.Sprint(quietTG.ID)), "📅 On this day"); len(got) != 0 {
		t.Fatalf("a user without memos from this date got %q", got)
	}
	// The next day has no memos from its date: nothing.
	ns.check(nine.AddDate(0, 0, 1))
	ns.quiet(kiwiTG)
	if n := len(containing(ns.sent(chat), "📅 On this day")); n != 1 {
		t.Fatalf("%d On this day messages after the next day, want 1", n)
	}
	// Two years on, it comes again.
	ns.check(nine.AddDate(1, 0, 0))
	eventually(t, 10*time.Second, "the next year's message", func() bool {
		return len(containing(ns.sent(chat), "📅 On this day", m.Name)) == 2
	})
}
