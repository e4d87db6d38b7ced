package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"

	"github.com/memoria-app/memoria/rules"
)

// permanentError is a download failure that retrying will not fix; its
// reason is shown to the user.
type permanentError struct{ reason string }

func (e *permanentError) Error() string { return e.reason }

// outageError is a file that kept failing to download for transient
// reasons (Telegram's file server or the network down): the update is tried
// again later — never saved without its file, which would lose it.
type outageError struct{ err error }

func (e *outageError) Error() string { return "download keeps failing: " + e.err.Error() }
func (e *outageError) Unwrap() error { return e.err }

// stageError is a failure to store a downloaded file on this server (its
// disk is full, an I/O error, the database failing): not the file's fault, so the update is
// tried again later rather than saved without the file.
type stageError struct{ err error }

func (e *stageError) Error() string { return "store the downloaded file: " + e.err.Error() }
func (e *stageError) Unwrap() error { return e.err }

// retryLater reports whether a rules error means "not now" (an internal
// failure, a full disk) rather than a refusal of this message.
func retryLater(err error) bool {
	c := rules.ErrorCode(err)
	return c == rules.CodeInternal || c == rules.CodeResourceExhausted
}

// tooLarge is the reason given for a file over the upload limit.
func tooLarge(size, limit int64) *permanentError {
	return &permanentError{fmt.Sprintf("too large (%s; the limit is %s)", sizeText(size), sizeText(limit))}
}

func sizeText(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}

// fetch downloads a Telegram file straight into a staged file (getFile,
// then the body streamed into the file store: nothing is held in
// memory). A file over the upload limit is refused before anything is
// downloaded. Transient failures — the network, Telegram, a short body —
// are retried with backoff (429 waits retry_after) up to
// DownloadAttempts, then reported as an *outageError; a file this server
// cannot store now is a *stageError, not retried here. Both cut the
// batch: only a *permanentError makes the memo go without the file.
func (p *poller) fetch(ctx context.Context, f fileRef) (rules.StagedFile, error) {
	limit := p.sup.rules.MaxUploadBytes()
	if f.size > limit {
		p.sup.opts.Observer.DownloadFailed(DownloadPermanent)
		return rules.StagedFile{}, tooLarge(f.size, limit)
	}
	o := p.sup.opts
	bo := &backoff{min: o.TransientBackoff[0], max: o.TransientBackoff[1]}
	var last error
	for attempt := 0; attempt < o.DownloadAttempts; attempt++ {
		staged, err := p.fetchOnce(ctx, f, limit)
		p.observeDownload(ctx, staged, err)
		if err == nil {
			return staged, nil
		}
		if ctx.Err() != nil {
			return rules.StagedFile{}, ctx.Err()
		}
		var pe *permanentError
		var se *stageError
		if errors.As(err, &pe) || errors.As(err, &se) {
			return rules.StagedFile{}, err
		}
		last = err
		wait := bo.next()
		if kind, ra := classify(err); kind == failRateLimited {
			wait = ra
		}
		p.log.Warn("download failed; retrying", "file", f.name, "err", describe(err), "retry_in", wait.Round(time.Millisecond))
		if sleep(ctx, wait) != nil {
			return rules.StagedFile{}, ctx.Err()
		}
	}
	return rules.StagedFile{}, &outageError{fmt.Errorf("%d attempts: %w", o.DownloadAttempts, last)}
}

// fetchOnce is one attempt of fetch.
func (p *poller) fetchOnce(ctx context.Context, f fileRef, limit int64) (rules.StagedFile, error) {
	var none rules.StagedFile
	file, err := p.bot.GetFileWithContext(ctx, f.id, nil)
	if err != nil {
		var te *gotgbot.TelegramError
		if errors.As(err, &te) && te.Code == http.StatusBadRequest {
			// "file is too big" (over the Bot API's 20 MB) or an invalid id.
			return none, &permanentError{"Telegram refused to hand it out: " + te.Description}
		}
		return none, err
	}
	if file.FileSize > limit {
		return none, tooLarge(file.FileSize, limit)
	}
	if file.FilePath == "" {
		return none, &permanentError{"Telegram returned no download path"}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.ep.FileURLFor(file.FilePath), nil)
	if err != nil {
		return none, &permanentError{"bad download URL"}
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	resp, err := p.sup.opts.HTTPClient.Do(req.WithContext(cctx))
	if err != nil {
		return none, fmt.Errorf("download: %w", scrub(err, p.ep.Token))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusBadRequest:
		return none, &permanentError{fmt.Sprintf("download refused (%s)", resp.Status)}
	default:
		return none, fmt.Errorf("download: %s", resp.Status)
	}
	if resp.ContentLength > limit {
		return none, tooLarge(resp.ContentLength, limit)
	}
	want := resp.ContentLength
	if want < 0 && file.FileSize > 0 {
		want = file.FileSize
	}
	// The body goes straight into the file store (a file on disk, or
	// chunks in the database); the rules enforce the upload limit while it
	// streams.
	body := &bodyReader{r: resp.Body}
	staged, err := p.sup.rules.StageFile(cctx, rules.ResourceInput{Filename: f.name, Type: f.mime, Content: body})
	switch {
	case body.err != nil:
		// Reading from Telegram failed (the rules removed what they had
		// written): a transient download failure.
		if err == nil {
			p.sup.rules.DiscardStaged(staged)
		}
		return none, fmt.Errorf("download: %w", scrub(body.err, p.ep.Token))
	case err != nil && retryLater(err):
		return none, &stageError{err}
	case err != nil:
		// Refused by the rules, e.g. over the upload limit.
		return none, &permanentError{err.Error()}
	}
	if want >= 0 && staged.Size() != want {
		p.sup.rules.DiscardStaged(staged)
		return none, fmt.Errorf("download: got %d of %d bytes", staged.Size(), want)
	}
	return staged, nil
}

// bodyReader remembers the first read error of a download body, so that a
// failure to read from Telegram can be told apart from a failure to write
// the file here.
type bodyReader struct {
	r   io.Reader
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

// scrub keeps the token out of transport errors (they quote the URL).
func scrub(err error, token string) error {
	if err == nil || token == "" {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), token, "<token>"))
}
