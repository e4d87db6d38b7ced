package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
	"github.com/memoria-app/memoria/rules"
)

// watchWebhook asks Telegram every WebhookCheck whether it can deliver
// (getWebhookInfo): updates waiting while its last delivery error is recent
// mean the public URL does not reach this server — a fault only Telegram
// can see, since nothing arrives here. The status says so, with Telegram's
// reason, until the updates flow again.
func (p *poller) watchWebhook(ctx context.Context, username string) {
	every := p.sup.opts.WebhookCheck
	tick := time.NewTicker(every)
	defer tick.Stop()
	reported := "" // the status text this watcher set, "" when none
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		info, err := p.bot.GetWebhookInfoWithContext(ctx, &gotgbot.GetWebhookInfoOpts{
			RequestOpts: &gotgbot.RequestOpts{Timeout: p.sup.opts.RequestTimeout, APIURL: p.ep.APIURL},
		})
		if err != nil {
			if ctx.Err() == nil {
				p.log.Debug("getWebhookInfo failed", "err", describe(err))
			}
			continue // the next look decides
		}
		if msg := undeliverable(info, time.Now(), every); msg != "" {
			if msg != reported {
				p.log.Warn("Telegram cannot deliver to the webhook", "url", p.webhookURL, "reason", info.LastErrorMessage, "pending", info.PendingUpdateCount)
			}
			p.sup.status.set(rules.BotError, username, msg)
			reported = msg
			continue
		}
		if reported != "" {
			p.log.Info("Telegram delivers to the webhook again", "url", p.webhookURL)
			p.sup.status.clearIf(reported, username)
			reported = ""
		}
	}
}

// undeliverable is the status text for a webhook Telegram cannot deliver
// to, or "": updates are waiting and its last delivery error is at most
// two checks (or two seconds, Telegram's dates being in seconds) old.
func undeliverable(info *gotgbot.WebhookInfo, now time.Time, every time.Duration) string {
	if info.PendingUpdateCount == 0 || info.LastErrorDate == 0 {
		return ""
	}
	window := max(2*every, 2*time.Second)
	if now.Sub(time.Unix(info.LastErrorDate, 0)) > window {
		return ""
	}
	return fmt.Sprintf("Telegram cannot deliver messages to %s (%s); %d waiting at Telegram. Check that the instance URL reaches this server over https.",
		info.Url, info.LastErrorMessage, info.PendingUpdateCount)
}
