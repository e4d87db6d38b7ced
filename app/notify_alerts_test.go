package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/memoria-app/memoria/bot/telegramtest"
	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

func TestNotifyAdminAlertDiskFull(t *testing.T) {
	ns := startNotify(t)
	adminTG := ns.link(ns.admin, "admin", 630001, false, "") // alerts whatever telegramNotifications
	_, userTG := ns.user("user", 630002, true, "")
	chat := fmt.Sprint(adminTG.ID)
	t0 := time.Now()

	ns.setDisk(0.95) // not over 95 %
	ns.check(t0)
	ns.setDisk(0.97)
	ns.check(t0.Add(time.Minute))
	ns.waitSent(adminTG.ID, "97%", "disk")
	ns.check(t0.Add(59 * time.Minute)) // within the hour: not again
	ns.quiet(adminTG)
	if n := len(containing(ns.sent(chat), "disk")); n != 1 {
		t.Fatalf("%d disk alerts within an hour, want 1", n)
	}
	ns.check(t0.Add(61 * time.Minute))
	eventually(t, 10*time.Second, "the second disk alert, an hour on", func() bool {
		return len(containing(ns.sent(chat), "disk")) == 2
	})
	ns.quiet(userTG)
	if got := containing(ns.sent(fmt.Sprint(userTG.ID)), "disk"); len(got) != 0 {
		t.Fatalf("a non-admin got an alert: %q", got)
	}
}

func TestNotifyAdminAlertBotError(t *testing.T) {
	ns := startNotify(t)
	adminTG := ns.link(ns.admin, "admin", 631001, false, "")
	chat := fmt.Sprint(adminTG.ID)
	// getUpdates fails (Telegram's side), sending still works.
	ns.bot.SetFaultRate(1, telegramtest.Fault{Kind: telegramtest.FaultBadGateway, Methods: []string{"getUpdates"}})
	ns.bot.SendText(adminTG, "ends the long poll in flight")
	eventually(t, 10*time.Second, "the bot in ERROR", func() bool {
		st, err := ns.s.as(ns.admin).Bot.GetBotStatus(context.Background(), connect.NewRequest(&v1.GetBotStatusRequest{}))
		return err == nil && st.Msg.State == v1.BotState_BOT_STATE_ERROR
	})
	t0 := time.Now()
	ns.check(t0)
	ns.check(t0.Add(9 * time.Minute))
	// The disk alert is a marker: queued after anything the checks before queued.
	ns.setDisk(0.99)
	ns.check(t0.Add(9*time.Minute + 30*time.Second))
	ns.setDisk(0)
	ns.waitSent(adminTG.ID, "99%")
	if got := containing(ns.sent(chat), "failing"); len(got) != 0 {
		t.Fatalf("bot alert before 10 minutes: %q", got)
	}
	ns.check(t0.Add(10 * time.Minute))
	ns.waitSent(adminTG.ID, "failing for 10 minutes")
	ns.check(t0.Add(50 * time.Minute))
	ns.check(t0.Add(71 * time.Minute))
	eventually(t, 10*time.Second, "the second bot alert, an hour on", func() bool {
		return len(containing(ns.sent(chat), "failing")) == 2
	})
	// Recovered: no more alerts.
	ns.bot.ClearFaults()
	ns.bot.SendText(adminTG, "a message answered once getUpdates works again")
	eventually(t, 10*time.Second, "the bot running", func() bool {
		st, err := ns.s.as(ns.admin).Bot.GetBotStatus(context.Background(), connect.NewRequest(&v1.GetBotStatusRequest{}))
		return err == nil && st.Msg.State == v1.BotState_BOT_STATE_RUNNING
	})
	ns.check(t0.Add(72 * time.Minute))
	ns.quiet(adminTG)
	if n := len(containing(ns.sent(chat), "failing")); n != 2 {
		t.Fatalf("%d bot alerts, want 2", n)
	}
}
