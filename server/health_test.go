package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/memoria-app/memoria/rules"
)

// TestHealthAndReadiness: /healthz answers 200 whatever the database does;
// /readyz answers 200 while the database answers and 503 once it is
// unreachable (the store closed under the running server).
func TestHealthAndReadiness(t *testing.T) {
	rl, db := newTestRules(t, rules.Config{})
	srv := httptest.NewServer(NewHandler(Deps{Rules: rl, Log: discardLog()}))
	defer srv.Close()
	get := func(path string) int {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	steps := []struct {
		name           string
		fault          func()
		healthz, ready int
	}{
		{"database up", func() {}, 200, 200},
		{"database closed", func() { db.Close() }, 200, 503},
	}
	for _, s := range steps {
		s.fault()
		if got := get("/healthz"); got != s.healthz {
			t.Errorf("%s: /healthz = %d, want %d", s.name, got, s.healthz)
		}
		if got := get("/readyz"); got != s.ready {
			t.Errorf("%s: /readyz = %d, want %d", s.name, got, s.ready)
		}
	}
	resp, err := http.Post(srv.URL+"/readyz", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /readyz = %d, want 405", resp.StatusCode)
	}
}
