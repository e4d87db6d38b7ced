package bot

import (
	"cmp"
	"context"
	"strings"

	"github.com/memoria-app/memoria/rules"
)

// notify runs /notify [on|off] for the linked sender (the actor in ctx):
// it sets telegramNotifications, or tells its state and how to change it.
// set reports whether the setting was written.
func (h *batchHandler) notify(ctx context.Context, args string) (text string, set bool) {
	var on bool
	switch strings.ToLower(strings.TrimSpace(args)) {
	case "on":
		on = true
	case "off":
	case "":
		s, err := h.p.sup.rules.GetUserSettings(ctx)
		if err != nil {
			return chatError(h.p.log, "notify", err), false
		}
		if s.TelegramNotifications {
			return "🔔 Notifications are on (time zone " + cmp.Or(s.Timezone, rules.DefaultTimezone) + "): I tell you when a memo you may read mentions you (@" +
				rules.ActorFrom(ctx).User.Username + "), and send \"On this day\" at 09:00 when you wrote memos on this date in earlier years. /notify off turns them off.", false
		}
		return "🔕 Notifications are off. /notify on turns them on: I then tell you when a memo mentions you, and send \"On this day\" at 09:00 (set your time zone in Settings → Preferences).", false
	default:
		return "Use /notify on or /notify off (/notify alone tells whether they are on).", false
	}
	s, err := h.p.sup.rules.UpdateUserSettings(ctx, rules.UserSettingsPatch{TelegramNotifications: &on})
	if err != nil {
		return chatError(h.p.log, "notify", err), false
	}
	if on {
		return "🔔 Notifications on: I'll tell you when a memo mentions you, and send \"On this day\" at 09:00 (" + cmp.Or(s.Timezone, rules.DefaultTimezone) + "). /notify off turns them off.", true
	}
	return "🔕 Notifications off: I won't message you on my own any more. /notify on turns them back on.", true
}
