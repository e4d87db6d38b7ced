package server

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/memoria-app/memoria/rules"
)

// fileCSP is the policy of every /file response: the document may show
// the file itself (an image, a video, text) and nothing else — no
// script, no plugin, no fetch, no framing — and runs
// sandboxed (an opaque origin), so even a file a browser misjudged as
// HTML cannot act on this origin. style-src 'unsafe-inline' lets the
// browser's own image and media viewers lay the file out.
const fileCSP = "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox"

// pdfCSP is fileCSP without the sandbox, which would stop browsers'
// built-in PDF viewers; PDFs are shown by the viewer, never as a page of
// this origin, and may not script it.
const pdfCSP = "default-src 'none'; object-src 'self'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// setFileSecurityHeaders sets the security headers of /file responses
// (errors included).
func setFileSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", fileCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

// fileHandler serves GET /file/resources/{id}/{filename} with the access
// rules of the resource's memo, its MIME type and Range support, from
// whichever store holds the file (rules.Files): a file in the database is
// read chunk by chunk as the ranges asked for reach them.
func fileHandler(r *rules.Rules, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := time.Now()
		status := http.StatusOK
		defer func() {
			log.LogAttrs(req.Context(), slog.LevelInfo, "file",
				slog.String("path", req.URL.Path), slog.Int("status", status), slog.Duration("duration", time.Since(start)))
		}()
		setFileSecurityHeaders(w.Header())
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
			fail(httpAuthFailure(ctx, log, err))
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
		h.Set("Cache-Control", "private, no-cache")
		if !inlineSafe(res.Type) {
			// Active content (HTML, SVG, scripts) is never rendered on our
			// origin: download it instead.
			h.Set("Content-Disposition", "attachment")
		} else if mediaType(res.Type) == "application/pdf" {
			h.Set("Content-Security-Policy", pdfCSP)
		}
		http.ServeContent(w, req, res.Filename, res.CreatedAt, f)
	})
}

// mediaType is typ's lower-cased type/subtype, without parameters.
func mediaType(typ string) string {
	t, _, _ := strings.Cut(strings.ToLower(typ), ";")
	return strings.TrimSpace(t)
}

func inlineSafe(typ string) bool {
	t := mediaType(typ)
	switch {
	case t == "image/svg+xml":
		return false
	case strings.HasPrefix(t, "image/"), strings.HasPrefix(t, "video/"), strings.HasPrefix(t, "audio/"),
		t == "application/pdf", t == "text/plain":
		return true
	}
	return false
}
