package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func get(t *testing.T, h http.Handler, method, target string, header http.Header) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHandlerWithoutBuiltUI(t *testing.T) {
	h := newHandler(fstest.MapFS{".keep": {}})
	for _, target := range []string{"/", "/index.html", "/settings", "/assets/index-abc.js"} {
		t.Run(target, func(t *testing.T) {
			res := get(t, h, http.MethodGet, target, nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", res.StatusCode)
			}
			if got := body(t, res); !strings.Contains(got, "npm run build") {
				t.Fatalf("fallback page does not say how to build the UI:\n%s", got)
			}
		})
	}
}

// The embedded dist must at least hold .keep, so Handler works in a plain
// `go build` checkout without a built UI.
func TestHandlerEmbeddedCompiles(t *testing.T) {
	res := get(t, Handler(), http.MethodGet, "/", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", res.StatusCode)
	}
}

func builtFS() fstest.MapFS {
	return fstest.MapFS{
		".keep":                 {},
		"index.html":            {Data: []byte(`<!doctype html><div id="root"></div>`)},
		"favicon.svg":           {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
		"assets/index-ab12.js":  {Data: []byte(`console.log(1)`)},
		"assets/index-ab12.css": {Data: []byte(`body{}`)},
	}
}

func TestHandlerSPA(t *testing.T) {
	h := newHandler(builtFS())
	tests := []struct {
		name, target string
		status       int
		bodyHas      string
		cache        string
		contentType  string
	}{
		{"root is index", "/", 200, `id="root"`, cacheNone, "text/html"},
		{"index.html", "/index.html", 200, `id="root"`, cacheNone, "text/html"},
		{"client route falls back to index", "/settings/preferences", 200, `id="root"`, cacheNone, "text/html"},
		{"query string ignored", "/?tag=work", 200, `id="root"`, cacheNone, "text/html"},
		{"hashed js is immutable", "/assets/index-ab12.js", 200, "console.log", cacheImmutable, "javascript"},
		{"hashed css is immutable", "/assets/index-ab12.css", 200, "body{}", cacheImmutable, "text/css"},
		{"other static file revalidates", "/favicon.svg", 200, "<svg", cacheNone, "image/svg+xml"},
		{"missing asset is 404", "/assets/index-old.js", 404, "", "", ""},
		{"assets dir is not listed", "/assets/", 404, "", "", ""},
		{"dot-dot stays inside", "/../../etc/passwd", 200, `id="root"`, cacheNone, "text/html"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := get(t, h, http.MethodGet, tt.target, nil)
			if res.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.status)
			}
			b := body(t, res)
			if tt.bodyHas != "" && !strings.Contains(b, tt.bodyHas) {
				t.Errorf("body %q does not contain %q", b, tt.bodyHas)
			}
			if got := res.Header.Get("Cache-Control"); tt.cache != "" && got != tt.cache {
				t.Errorf("Cache-Control = %q, want %q", got, tt.cache)
			}
			if got := res.Header.Get("Content-Type"); !strings.Contains(got, tt.contentType) {
				t.Errorf("Content-Type = %q, want it to contain %q", got, tt.contentType)
			}
		})
	}
}

func TestHandlerIndexETag(t *testing.T) {
	h := newHandler(builtFS())
	res := get(t, h, http.MethodGet, "/", nil)
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("index.html has no ETag")
	}
	res = get(t, h, http.MethodGet, "/some/route", http.Header{"If-None-Match": {etag}})
	if res.StatusCode != http.StatusNotModified {
		t.Fatalf("status = %d, want 304", res.StatusCode)
	}
}

func TestHandlerRejectsWrites(t *testing.T) {
	h := newHandler(builtFS())
	res := get(t, h, http.MethodPost, "/", nil)
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("status = %d, want 405", res.StatusCode)
	}
	if res.Header.Get("Allow") == "" {
		t.Error("405 without Allow header")
	}
}

func TestHandlerHead(t *testing.T) {
	h := newHandler(builtFS())
	res := get(t, h, http.MethodHead, "/assets/index-ab12.js", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", res.StatusCode)
	}
	if b := body(t, res); b != "" {
		t.Fatalf("HEAD returned a body: %q", b)
	}
}
