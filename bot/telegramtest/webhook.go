package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"time"
)

// Webhooks, as https://core.telegram.org/bots/api#setwebhook describes
// them: while a webhook is set, getUpdates answers 409 and every update is
// POSTed to the URL as JSON, with the secret_token (if any) in the header
// X-Telegram-Bot-Api-Secret-Token. An answer other than 2xx, a dropped
// connection or no answer within the client's timeout is a failed
// delivery: the same update is delivered again after a growing delay, and
// getWebhookInfo reports the last error. The fake delivers one update at a
// time, in update_id order (as Telegram does with max_connections 1); a
// delivered update is confirmed as a getUpdates offset would confirm it.
//
// Differences from Telegram: any port is accepted (Telegram allows 443,
// 80, 88 and 8443), the host is not resolved when the webhook is set, the
// fake never gives up on an update, and allowed_updates is recorded but
// does not filter.

// SecretHeader is the header that carries a webhook's secret_token.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// webhookOptions are the server's delivery settings.
type webhookOptions struct {
	mu                   sync.Mutex
	client               *http.Client
	minBackoff, maxDelay time.Duration
}

func (o *webhookOptions) get() (*http.Client, time.Duration, time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	c := o.client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	lo, hi := o.minBackoff, o.maxDelay
	if lo <= 0 {
		lo = 50 * time.Millisecond
	}
	if hi < lo {
		hi = max(lo, 2*time.Second)
	}
	return c, lo, hi
}

// SetWebhookClient sets the HTTP client that delivers webhook updates (for
// instance an httptest TLS server's Client(), which trusts its
// certificate). Its Timeout is how long the fake waits for an answer. The
// default has a 10 s timeout and the system's roots.
func (s *Server) SetWebhookClient(c *http.Client) {
	s.webhooks.mu.Lock()
	defer s.webhooks.mu.Unlock()
	s.webhooks.client = c
}

// SetWebhookRetry sets the delay after a failed delivery: it starts at
// first and doubles up to limit (defaults 50 ms and 2 s).
func (s *Server) SetWebhookRetry(first, limit time.Duration) {
	s.webhooks.mu.Lock()
	defer s.webhooks.mu.Unlock()
	s.webhooks.minBackoff, s.webhooks.maxDelay = first, limit
}

// webhook is a bot's webhook as setWebhook set it.
type webhook struct {
	secret         string
	maxConnections int64
	allowedUpdates []string // nil: not given
	lastErrorDate  int64
	lastErrorMsg   string
	// stop ends the delivery loop of this webhook.
	stop chan struct{}
}

// Delivery is one attempt to deliver an update to a webhook.
type Delivery struct {
	UpdateID int64
	URL      string
	// Status is the HTTP status of the answer, 0 when there was none.
	Status int
	// Err says why there was no answer ("" when there was one).
	Err  string
	Time time.Time
}

// OK reports whether the delivery succeeded (a 2xx answer).
func (d Delivery) OK() bool { return d.Status >= 200 && d.Status < 300 }

var secretTokenChars = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// https://core.telegram.org/bots/api#setwebhook
func (b *Bot) setWebhook(w http.ResponseWriter, _ *http.Request, req request) {
	raw := req.params["url"]
	if raw == "" {
		b.removeWebhook(req.boolParam("drop_pending_updates"))
		writeResultDescription(w, true, "Webhook was deleted")
		return
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		badRequest(w, "bad webhook: An HTTPS URL must be provided for webhook")
		return
	}
	secret, hasSecret := req.params["secret_token"]
	if hasSecret && !secretTokenChars.MatchString(secret) {
		badRequest(w, "secret token contains unallowed characters")
		return
	}
	maxConn, given, err := req.intParam("max_connections")
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	if !given {
		maxConn = 40
	}
	maxConn = min(max(maxConn, 1), 100)
	var allowed []string
	if a, ok := req.params["allowed_updates"]; ok {
		if err := json.Unmarshal([]byte(a), &allowed); err != nil {
			badRequest(w, "can't parse allowed updates JSON array")
			return
		}
		if allowed == nil {
			allowed = []string{}
		}
	}
	b.mu.Lock()
	if b.hook != nil {
		close(b.hook.stop)
		if allowed == nil { // "If not specified, the previous setting will be used."
			allowed = b.hook.allowedUpdates
		}
	}
	if req.boolParam("drop_pending_updates") {
		b.queue = nil
	}
	if b.poll != nil {
		close(b.poll.conflict) // a waiting getUpdates ends with 409
		b.poll = nil
	}
	h := &webhook{secret: secret, maxConnections: maxConn, allowedUpdates: allowed, stop: make(chan struct{})}
	b.hook, b.webhookURL = h, raw
	b.broadcast()
	b.mu.Unlock()
	go b.deliver(raw, h)
	writeResultDescription(w, true, "Webhook was set")
}

// https://core.telegram.org/bots/api#deletewebhook
func (b *Bot) deleteWebhook(w http.ResponseWriter, _ *http.Request, req request) {
	b.mu.Lock()
	had := b.webhookURL != ""
	b.mu.Unlock()
	b.removeWebhook(req.boolParam("drop_pending_updates"))
	if had {
		writeResultDescription(w, true, "Webhook was deleted")
		return
	}
	writeResultDescription(w, true, "Webhook is already deleted")
}

// removeWebhook stops deliveries; pending updates stay for getUpdates
// unless drop.
func (b *Bot) removeWebhook(drop bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.hook != nil {
		close(b.hook.stop)
		b.hook = nil
	}
	b.webhookURL = ""
	if drop {
		b.queue = nil
	}
	b.broadcast()
}

// https://core.telegram.org/bots/api#getwebhookinfo
func (b *Bot) getWebhookInfo(w http.ResponseWriter, _ *http.Request, _ request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	info := map[string]any{"url": b.webhookURL, "has_custom_certificate": false, "pending_update_count": len(b.queue)}
	if h := b.hook; h != nil {
		info["max_connections"] = h.maxConnections
		if h.allowedUpdates != nil {
			info["allowed_updates"] = h.allowedUpdates
		}
		if h.lastErrorDate != 0 {
			info["last_error_date"] = h.lastErrorDate
			info["last_error_message"] = h.lastErrorMsg
		}
	}
	writeResult(w, info)
}

// deliver POSTs the queue, oldest first, until the webhook h is replaced
// or removed or the server closes.
func (b *Bot) deliver(target string, h *webhook) {
	backoff := time.Duration(0)
	for {
		b.mu.Lock()
		var next *queuedUpdate
		if len(b.queue) > 0 {
			q := b.queue[0]
			next = &q
		}
		changed := b.changed
		b.mu.Unlock()
		if next == nil {
			select {
			case <-changed:
				continue
			case <-h.stop:
				return
			case <-b.srv.done:
				return
			}
		}
		client, first, limit := b.srv.webhooks.get()
		d := b.post(client, target, h, *next)
		b.mu.Lock()
		if b.hook != h {
			b.mu.Unlock()
			return // replaced or removed while the request ran: not confirmed
		}
		b.deliveries = append(b.deliveries, d)
		if d.OK() {
			if len(b.queue) > 0 && b.queue[0].id == next.id {
				b.queue = b.queue[1:]
			}
			b.confirmed = max(b.confirmed, next.id+1)
		} else {
			h.lastErrorDate = d.Time.Unix()
			if d.Err != "" {
				h.lastErrorMsg = d.Err
			} else {
				h.lastErrorMsg = fmt.Sprintf("Wrong response from the webhook: %d %s", d.Status, http.StatusText(d.Status))
			}
		}
		b.broadcast()
		b.mu.Unlock()
		if d.OK() {
			backoff = 0
			continue
		}
		backoff = min(max(2*backoff, first), limit)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-h.stop:
			t.Stop()
			return
		case <-b.srv.done:
			t.Stop()
			return
		}
	}
}

// post makes one delivery attempt.
func (b *Bot) post(client *http.Client, target string, h *webhook, u queuedUpdate) Delivery {
	d := Delivery{UpdateID: u.id, URL: target, Time: time.Now()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-h.stop:
		case <-b.srv.done:
		case <-ctx.Done():
		}
		cancel()
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(u.body))
	if err != nil {
		d.Err = err.Error()
		return d
	}
	req.Header.Set("Content-Type", "application/json")
	if h.secret != "" {
		req.Header.Set(SecretHeader, h.secret)
	}
	resp, err := client.Do(req)
	if err != nil {
		d.Err = "Connection failed: " + err.Error()
		return d
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	d.Status = resp.StatusCode
	return d
}

// Webhook returns the URL and secret_token the bot's webhook was set with
// ("" when none is set).
func (b *Bot) Webhook() (url, secret string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.hook == nil {
		return b.webhookURL, ""
	}
	return b.webhookURL, b.hook.secret
}

// Deliveries returns every webhook delivery attempt so far, in order.
func (b *Bot) Deliveries() []Delivery {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Delivery(nil), b.deliveries...)
}

// WaitWebhook waits until a webhook is set (by setWebhook or SetWebhook),
// or returns ctx's error.
func (b *Bot) WaitWebhook(ctx context.Context) error {
	return b.waitFor(ctx, func() bool { return b.webhookURL != "" })
}

// WaitDeliveries waits until cond holds for the delivery attempts so far
// and returns them, or returns ctx's error.
func (b *Bot) WaitDeliveries(ctx context.Context, cond func([]Delivery) bool) ([]Delivery, error) {
	var out []Delivery
	err := b.waitFor(ctx, func() bool {
		out = append([]Delivery(nil), b.deliveries...)
		return cond(out)
	})
	return out, err
}

// writeResultDescription is writeResult with Telegram's description
// beside the result ("Webhook was set").
func writeResultDescription(w http.ResponseWriter, result any, description string) {
	writeJSON(w, http.StatusOK, apiResponse{OK: true, Result: result, Description: description})
}
