package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/memoria-app/memoria/rules"
)

// TestPlainHTTPAuthFailures: the plain-HTTP endpoints that take a
// credential (/file, /export) answer a bad credential 401 with its
// reason, and a failure to check one (the database gone) 500 with no
// internal detail, never 401 carrying the raw error.
func TestPlainHTTPAuthFailures(t *testing.T) {
	rl, db := newTestRules(t, rules.Config{})
	srv := httptest.NewServer(NewHandler(Deps{Rules: rl, Log: discardLog()}))
	defer srv.Close()
	steps := []struct {
		name   string
		fault  func()
		status int
		body   string
	}{
		{"unknown token", func() {}, http.StatusUnauthorized, "not valid"},
		{"database closed", func() { db.Close() }, http.StatusInternalServerError, "internal error"},
	}
	for _, s := range steps {
		s.fault()
		for _, path := range []string{"/file/resources/1/a.txt", "/export/memos.zip"} {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
			req.Header.Set("Authorization", "Bearer mem_not-a-real-token")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != s.status || strings.TrimSpace(string(b)) == "" || !strings.Contains(string(b), s.body) {
				t.Errorf("%s: GET %s = %d %q, want %d with %q", s.name, path, resp.StatusCode, b, s.status, s.body)
			}
			if s.status == http.StatusInternalServerError && strings.Contains(strings.ToLower(string(b)), "closed") {
				t.Errorf("%s: GET %s shows the internal error: %q", s.name, path, b)
			}
		}
	}
}
