package bot

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

// backoff grows a delay exponentially with full jitter between min and max.
type backoff struct {
	min, max time.Duration
	n        int
}

func (b *backoff) next() time.Duration {
	d := b.min << min(b.n, 20)
	if d <= 0 || d > b.max {
		d = b.max
	}
	b.n++
	// Equal jitter: half fixed, half random, so retries of many clients
	// spread out but never collapse to zero.
	half := d / 2
	return half + rand.N(half+1)
}

func (b *backoff) reset() { b.n = 0 }

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// failure classifies a Bot API error.
type failure int

const (
	failTransient   failure = iota // network, timeout, 5xx, garbage body: retry with backoff
	failRateLimited                // 429: wait exactly retry_after
	failRejected                   // 401/404: the token is wrong
	failConflict                   // 409: another poller or a webhook
	failPermanent                  // 400/403 and the like: retrying will not help
)

// classify returns the kind of failure and, for 429, how long to wait.
func classify(err error) (failure, time.Duration) {
	var te *gotgbot.TelegramError
	if !errors.As(err, &te) {
		return failTransient, 0
	}
	switch {
	case te.Code == http.StatusTooManyRequests:
		wait := time.Second
		if te.ResponseParams != nil && te.ResponseParams.RetryAfter > 0 {
			wait = time.Duration(te.ResponseParams.RetryAfter) * time.Second
		}
		return failRateLimited, wait
	case te.Code == http.StatusUnauthorized || te.Code == http.StatusNotFound:
		return failRejected, 0
	case te.Code == http.StatusConflict:
		return failConflict, 0
	case te.Code >= 500 || te.Code == 0:
		return failTransient, 0
	}
	return failPermanent, 0
}

// describe renders a Bot API error for the status and logs; it never
// includes the token (gotgbot already scrubs it from transport errors).
func describe(err error) string {
	var te *gotgbot.TelegramError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s: %d %s", te.Method, te.Code, te.Description)
	}
	// Transport errors quote the request URL, which holds the token: keep
	// only the cause ("connection refused", "i/o timeout", …).
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return "the request timed out"
		}
		return ue.Err.Error()
	}
	return err.Error()
}
