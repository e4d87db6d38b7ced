package app_test

import (
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
)

// wantHeaders fails unless h has each header, containing every fragment.
func wantHeaders(t *testing.T, h http.Header, want map[string][]string) {
	t.Helper()
	for name, fragments := range want {
		got := h.Get(name)
		if got == "" {
			t.Errorf("no %s header", name)
			continue
		}
		for _, f := range fragments {
			if !strings.Contains(got, f) {
				t.Errorf("%s = %q, want it to contain %q", name, got, f)
			}
		}
	}
}

// TestSecurityHeaders: the UI (every path it answers) and /file (files and
// errors alike) carry a Content-Security-Policy, nosniff and a
// Referrer-Policy.
func TestSecurityHeaders(t *testing.T) {
	s := startServer(t)
	_, tok := s.signUp("admin")
	memo := s.createMemo(tok, "with files", v1.Visibility_VISIBILITY_PUBLIC)
	png := s.createResource(tok, "pic.png", "image/png", pngBytes(1), memo.GetName())
	html := s.createResource(tok, "page.html", "text/html", []byte("<script>alert(1)</script>"), memo.GetName())

	ui := map[string][]string{
		"Content-Security-Policy": {"script-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"},
		"X-Content-Type-Options":  {"nosniff"},
		"Referrer-Policy":         {"same-origin"},
		"X-Frame-Options":         {"DENY"},
	}
	file := map[string][]string{
		"Content-Security-Policy": {"default-src 'none'", "sandbox", "frame-ancestors 'none'"},
		"X-Content-Type-Options":  {"nosniff"},
		"Referrer-Policy":         {"no-referrer"},
	}
	for name, tt := range map[string]struct {
		url    string
		status int
		want   map[string][]string
	}{
		"UI root":                {s.URL + "/", http.StatusOK, ui},
		"UI client-side route":   {s.URL + "/memos/1", http.StatusOK, ui},
		"UI missing asset":       {s.URL + "/assets/gone-123.js", 0, ui},
		"image file":             {fileURL(s, png), http.StatusOK, file},
		"active content file":    {fileURL(s, html), http.StatusOK, file},
		"file with a wrong name": {s.URL + "/file/" + png.GetName() + "/other.png", http.StatusNotFound, file},
		"unknown file path":      {s.URL + "/file/nothing", http.StatusNotFound, file},
	} {
		t.Run(name, func(t *testing.T) {
			status, h, _ := getFile(t, tt.url, nil)
			if tt.status != 0 && status != tt.status {
				t.Fatalf("status %d, want %d", status, tt.status)
			}
			wantHeaders(t, h, tt.want)
		})
	}
	if _, h, _ := getFile(t, fileURL(s, html), nil); h.Get("Content-Disposition") != "attachment" {
		t.Errorf("HTML file served inline (Content-Disposition %q)", h.Get("Content-Disposition"))
	}
}

// TestCrossSiteCookieCallsRefused: a call authenticated by the session
// cookie that a browser sent from another site's page is refused with
// permission_denied before its handler runs (nothing is stored); same-origin
// browser calls and bearer-token calls (scripts) are unaffected.
func TestCrossSiteCookieCallsRefused(t *testing.T) {
	s := startServer(t)
	_, tok := s.signUp("admin")
	cookie := sessionCookieFor(t, s, "admin")
	self := "http://" + s.Addr
	otherPort := "http://127.0.0.1:1"
	for name, tt := range map[string]struct {
		credential string // "cookie" or "bearer"
		headers    map[string]string
		want       connect.Code
	}{
		"cookie, no browser headers (a script)":      {"cookie", nil, codeOK},
		"cookie, same Origin":                        {"cookie", map[string]string{"Origin": self}, codeOK},
		"cookie, Sec-Fetch-Site same-origin":         {"cookie", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": self}, codeOK},
		"cookie, Origin of another site":             {"cookie", map[string]string{"Origin": "https://evil.example"}, connect.CodePermissionDenied},
		"cookie, Origin on another port":             {"cookie", map[string]string{"Origin": otherPort}, connect.CodePermissionDenied},
		"cookie, Sec-Fetch-Site cross-site":          {"cookie", map[string]string{"Sec-Fetch-Site": "cross-site"}, connect.CodePermissionDenied},
		"cookie, Sec-Fetch-Site same-site":           {"cookie", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "http://sub.localhost"}, connect.CodePermissionDenied},
		"cookie, both naming another site":           {"cookie", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, connect.CodePermissionDenied},
		"bearer, from another site's headers":        {"bearer", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, codeOK},
		"bearer, no browser headers (grpcurl, curl)": {"bearer", nil, codeOK},
	} {
		t.Run(name, func(t *testing.T) {
			var opts []connect.ClientOption
			if tt.credential == "cookie" {
				opts = append(opts, connect.WithInterceptors(withHeader("Cookie", cookie)))
			} else {
				opts = append(opts, connect.WithInterceptors(bearer(tok)))
			}
			for k, v := range tt.headers {
				opts = append(opts, connect.WithInterceptors(withHeader(k, v)))
			}
			for _, p := range []protocol{connectJSON, grpcWeb} {
				c := s.clientWith(p, opts...)
				content := "memo " + name + " " + p.name
				_, err := c.Memos.CreateMemo(ctxT(t), connect.NewRequest(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: content}}))
				if tt.want == connect.CodePermissionDenied {
					wantCode(t, err, tt.want, "cross-site request refused")
				} else {
					wantCode(t, err, tt.want)
				}
				_, err = c.Auth.GetCurrentUser(ctxT(t), connect.NewRequest(&v1.GetCurrentUserRequest{}))
				wantCode(t, err, tt.want)
				stored := memoStored(t, s, tok, content)
				if stored != (tt.want == codeOK) {
					t.Errorf("%s: memo stored = %v, want %v", p.name, stored, tt.want == codeOK)
				}
			}
		})
	}
	// The reproduction, by hand: HTTP 403 now, not 200.
	resp, body := postJSON(t, s.URL, memoriav1connect.MemoServiceCreateMemoProcedure,
		map[string]any{"memo": map[string]string{"content": "csrf"}}, http.Header{"Cookie": {cookie}, "Origin": {"https://evil.example"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site cookie CreateMemo: %s %s, want 403", resp.Status, body)
	}
	// Another site's page cannot sign its visitor in either (login CSRF).
	resp, _ = postJSON(t, s.URL, memoriav1connect.AuthServiceSignInProcedure,
		map[string]string{"username": "admin", "password": testPassword}, http.Header{"Sec-Fetch-Site": {"cross-site"}})
	if resp.StatusCode != http.StatusForbidden || len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("cross-site SignIn: %s, Set-Cookie %v; want 403 and no cookie", resp.Status, resp.Header.Values("Set-Cookie"))
	}
}

// memoStored reports whether the admin has a memo with exactly content.
func memoStored(t *testing.T, s *testServer, tok, content string) bool {
	t.Helper()
	resp, err := s.as(tok).Memos.ListMemos(ctxT(t), connect.NewRequest(&v1.ListMemosRequest{PageSize: 1000}))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range resp.Msg.GetMemos() {
		if m.GetContent() == content {
			return true
		}
	}
	return false
}
