package server

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/memoria-app/memoria/rules"
)

// fileHandler serves GET /file/resources/{id}/{filename} with the access
// rules of the resource's memo, its MIME type and Range support.
func fileHandler(r *rules.Rules, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := time.Now()
		status := http.StatusOK
		defer func() {
			log.LogAttrs(req.Context(), slog.LevelInfo, "file",
				slog.String("path", req.URL.Path), slog.Int("status", status), slog.Duration("duration", time.Since(start)))
		}()
		fail := func(code int, msg string) {
			status = code
			http.Error(w, msg, code)
		}
		id, err := rules.ParseName("resources/"+req.PathValue("id"), "resources")
		if err != nil {
			fail(http.StatusNotFound, "not found")
			return
		}
		ctx := req.Context()
		actor, err := authenticateHeader(ctx, r, req.Header)
		if err != nil {
			fail(http.StatusUnauthorized, err.Error())
			return
		}
		res, f, err := r.OpenResource(rules.WithActor(ctx, actor), id)
		if err != nil {
			switch rules.ErrorCode(err) {
			case rules.CodeUnauthenticated:
				fail(http.StatusUnauthorized, "sign in to see this file")
			case rules.CodePermissionDenied:
				fail(http.StatusForbidden, "you may not see this file")
			case rules.CodeNotFound:
				fail(http.StatusNotFound, "not found")
			default:
				log.ErrorContext(ctx, "serve file", "resource", id, "err", err)
				fail(http.StatusInternalServerError, "internal error")
			}
			return
		}
		defer f.Close()
		if req.PathValue("filename") != res.Filename {
			fail(http.StatusNotFound, "not found")
			return
		}
		h := w.Header()
		h.Set("Content-Type", res.Type)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "private, no-cache")
		if !inlineSafe(res.Type) {
			// Active content (HTML, SVG, scripts) is never rendered on our
			// origin: download it instead.
			h.Set("Content-Disposition", "attachment")
			h.Set("Content-Security-Policy", "sandbox")
		}
		http.ServeContent(w, req, res.Filename, res.CreatedAt, f)
	})
}

func inlineSafe(typ string) bool {
	t, _, _ := strings.Cut(strings.ToLower(typ), ";")
	t = strings.TrimSpace(t)
	switch {
	case t == "image/svg+xml":
		return false
	case strings.HasPrefix(t, "image/"), strings.HasPrefix(t, "video/"), strings.HasPrefix(t, "audio/"),
		t == "application/pdf", t == "text/plain":
		return true
	}
	return false
}
