package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed all:dist
var dist embed.FS

// Handler serves the built UI from the embedded web/dist:
//
//   - files under /assets/ (content-hashed by Vite) with a one-year immutable
//     cache; a missing asset is a plain 404;
//   - other existing files (favicon, …) with revalidation;
//   - any other GET path gets index.html (no-cache), so client-side routes
//     survive a reload;
//   - when the binary was built without the UI (dist holds only .keep), a
//     small page that says how to build it.
func Handler() http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // "dist" is a literal that go:embed guarantees exists
	}
	return newHandler(sub)
}

const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cacheNone      = "no-cache"
)

// contentSecurityPolicy is the policy of the UI. The built UI (see
// index.html and Vite's output) has no inline script or style: scripts,
// styles, fonts and API calls come from this origin only. Images may also
// come from https: (memos embed pictures by URL, fetched without a
// referrer), data: and blob: (previews of files being attached); media
// from this origin and blob:. No plugins, no <base>, forms post here
// only, and no other page may frame the UI (clickjacking).
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' https: data: blob:; media-src 'self' blob:; connect-src 'self'; font-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// notBuiltCSP is the policy of the "UI not built" page, whose styles are
// inline.
const notBuiltCSP = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; " +
	"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// setSecurityHeaders sets the headers every UI response carries.
func setSecurityHeaders(h http.Header, csp string) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY") // frame-ancestors for browsers without CSP 2
	// Memo URLs stay on this site; other sites get no referrer at all.
	h.Set("Referrer-Policy", "same-origin")
}

type spaHandler struct {
	files fs.FS
	index []byte // nil when the UI is not built
	etag  string // of index
}

func newHandler(files fs.FS) *spaHandler {
	h := &spaHandler{files: files}
	if b, err := fs.ReadFile(files, "index.html"); err == nil {
		sum := sha256.Sum256(b)
		h.index = b
		h.etag = `"` + hex.EncodeToString(sum[:8]) + `"`
	}
	return h
}

func (h *spaHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.index == nil {
		setSecurityHeaders(w.Header(), notBuiltCSP)
	} else {
		setSecurityHeaders(w.Header(), contentSecurityPolicy)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if h.index == nil {
		h.serveNotBuilt(w)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" || name == "index.html" {
		h.serveIndex(w, r)
		return
	}
	if h.serveFile(w, r, name) {
		return
	}
	if name == "assets" || strings.HasPrefix(name, "assets/") {
		// A stale hashed asset must not turn into index.html (wrong MIME type,
		// and the browser would cache the mistake).
		http.NotFound(w, r)
		return
	}
	h.serveIndex(w, r)
}

// serveFile serves a regular file from the UI and reports whether it existed.
func (h *spaHandler) serveFile(w http.ResponseWriter, r *http.Request, name string) bool {
	f, err := h.files.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		return false
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(f)
		if err != nil {
			return false
		}
		rs = bytes.NewReader(b)
	}
	if strings.HasPrefix(name, "assets/") {
		w.Header().Set("Cache-Control", cacheImmutable)
	} else {
		w.Header().Set("Cache-Control", cacheNone)
	}
	http.ServeContent(w, r, name, st.ModTime(), rs)
	return true
}

func (h *spaHandler) serveIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", cacheNone)
	w.Header().Set("ETag", h.etag)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(h.index))
}

const notBuiltPage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Memoria — web UI not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5">
<h1>Memoria is running, but its web UI was not built into this binary</h1>
<p>The API is available on this port. To get the web UI, build it and then rebuild the server:</p>
<pre style="background: #f3f3f3; padding: 1rem; overflow-x: auto">cd web
npm ci
npm run build
cd ..
go build -o memoria .</pre>
</body>
</html>
`

func (h *spaHandler) serveNotBuilt(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", cacheNone)
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, notBuiltPage)
}
