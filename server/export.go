package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/memoria-app/memoria/export"
	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
)

// exportHandler serves GET /export/memos.zip: the caller's memos as a zip
// of Markdown files with their resources (see package export), streamed as
// it is written. The caller is authenticated as for the API (bearer token
// or session cookie); anonymous callers get 401.
func exportHandler(r *rules.Rules, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx := req.Context()
		actor, err := authenticateHeader(ctx, r, req.Header)
		if err != nil {
			code, msg := httpAuthFailure(ctx, log, err)
			http.Error(w, msg, code)
			return
		}
		if actor == nil {
			http.Error(w, rules.ErrUnauthenticated.Error(), http.StatusUnauthorized)
			return
		}
		ctx = rules.WithActor(ctx, actor)
		h := w.Header()
		h.Set("Content-Type", "application/zip")
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="memoria-%s-%s.zip"`, actor.User.Username, time.Now().UTC().Format("2006-01-02")))
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		cw := &countingWriter{w: w}
		z := export.NewZip(cw)
		memos := 0
		err = r.ExportMemos(ctx, func(m store.Memo, open rules.OpenFunc) error {
			memos++
			return z.Add(m, open)
		})
		if err == nil {
			err = z.Close()
		}
		if err != nil {
			log.ErrorContext(ctx, "export memos", "user", actor.User.ID, "memos", memos, "err", err)
			if cw.n == 0 {
				h.Del("Content-Disposition")
				http.Error(w, "internal error", http.StatusInternalServerError)
				return
			}
			// The zip is cut short; abort the response so the client sees
			// a failed download rather than a complete-looking archive.
			panic(http.ErrAbortHandler)
		}
		log.InfoContext(ctx, "export memos", "user", actor.User.ID, "memos", memos, "bytes", cw.n)
	})
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
