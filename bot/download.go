package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

// maxDownloadBytes caps one download held in memory. The Bot API serves at
// most 20 MB; a self-hosted Bot API server allows more, up to the server's
// upload limit which the rules enforce anyway.
const maxDownloadBytes = 64 << 20

// permanentError is a download failure that retrying will not fix; its
// reason is shown to the user.
type permanentError struct{ reason string }

func (e *permanentError) Error() string { return e.reason }

// download fetches a Telegram file: getFile, then the bytes from the file
// URL. Transient failures are retried with backoff; 429 waits retry_after.
func (p *poller) download(ctx context.Context, f fileRef) ([]byte, error) {
	if f.size > maxDownloadBytes {
		return nil, &permanentError{fmt.Sprintf("too large (%d MB)", f.size>>20)}
	}
	o := p.sup.opts
	bo := &backoff{min: o.TransientBackoff[0], max: o.TransientBackoff[1]}
	var last error
	for attempt := 0; attempt < o.DownloadAttempts; attempt++ {
		data, err := p.downloadOnce(ctx, f)
		if err == nil {
			return data, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var pe *permanentError
		if errors.As(err, &pe) {
			return nil, err
		}
		last = err
		wait := bo.next()
		if kind, ra := classify(err); kind == failRateLimited {
			wait = ra
		}
		p.log.Warn("download failed; retrying", "file", f.name, "err", describe(err), "retry_in", wait.Round(time.Millisecond))
		if sleep(ctx, wait) != nil {
			return nil, ctx.Err()
		}
	}
	return nil, fmt.Errorf("gave up after %d attempts: %w", o.DownloadAttempts, last)
}

func (p *poller) downloadOnce(ctx context.Context, f fileRef) ([]byte, error) {
	file, err := p.bot.GetFileWithContext(ctx, f.id, nil)
	if err != nil {
		var te *gotgbot.TelegramError
		if errors.As(err, &te) && te.Code == http.StatusBadRequest {
			// "file is too big" (over the Bot API's 20 MB) or an invalid id.
			return nil, &permanentError{"Telegram refused to hand it out: " + te.Description}
		}
		return nil, err
	}
	if file.FilePath == "" {
		return nil, &permanentError{"Telegram returned no download path"}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.ep.FileURLFor(file.FilePath), nil)
	if err != nil {
		return nil, &permanentError{"bad download URL"}
	}
	client := p.sup.opts.HTTPClient
	cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	resp, err := client.Do(req.WithContext(cctx))
	if err != nil {
		return nil, fmt.Errorf("download: %w", scrub(err, p.ep.Token))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusBadRequest:
		return nil, &permanentError{fmt.Sprintf("download refused (%s)", resp.Status)}
	default:
		return nil, fmt.Errorf("download: %s", resp.Status)
	}
	var buf bytes.Buffer
	if f.size > 0 {
		buf.Grow(int(f.size))
	}
	n, err := io.Copy(&buf, io.LimitReader(resp.Body, maxDownloadBytes+1))
	if err != nil {
		return nil, fmt.Errorf("download: %w", scrub(err, p.ep.Token))
	}
	if n > maxDownloadBytes {
		return nil, &permanentError{"too large"}
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return nil, fmt.Errorf("download: got %d of %d bytes", n, resp.ContentLength)
	}
	return buf.Bytes(), nil
}

// scrub keeps the token out of transport errors (they quote the URL).
func scrub(err error, token string) error {
	if err == nil || token == "" {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), token, "<token>"))
}
