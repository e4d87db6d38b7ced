package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/memoria-app/memoria/rules"
)

// TestNonAPIPathsNeverFallThroughToTheUI: a wrong method on the webhook or
// a file path is answered as such, not with the web UI's page.
func TestNonAPIPathsNeverFallThroughToTheUI(t *testing.T) {
	rl, _ := newTestRules(t, rules.Config{})
	ui := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "the UI") })
	srv := httptest.NewServer(NewHandler(Deps{Rules: rl, Log: discardLog(), Web: ui}))
	defer srv.Close()
	for _, tt := range []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, rules.TelegramWebhookPath, http.StatusMethodNotAllowed},
		{http.MethodPut, rules.TelegramWebhookPath, http.StatusMethodNotAllowed},
		{http.MethodPost, "/file/resources/1/x.jpg", http.StatusMethodNotAllowed},
		{http.MethodGet, "/file/nothing", http.StatusNotFound},
		{http.MethodGet, "/some/page", http.StatusOK}, // the UI's routes
	} {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
		}
		if tt.want != http.StatusOK && string(body) == "the UI" {
			t.Errorf("%s %s fell through to the UI", tt.method, tt.path)
		}
	}
}
