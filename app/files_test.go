package app_test

import (
	"bytes"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"testing"

	"connectrpc.com/connect"

	"github.com/memoria-app/memoria/app"
	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

// getFile GETs url with the headers and returns status, headers and body.
func getFile(t *testing.T, url string, h http.Header) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctxT(t), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, body
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func fileURL(s *testServer, r *v1.Resource) string {
	return s.URL + "/file/" + r.GetName() + "/" + url.PathEscape(r.GetFilename())
}

// storedFiles counts the files under <data>/files, temporary ones included.
func storedFiles(t *testing.T, dataDir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(dataDir, "files"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestUploadDownloadRoundTrip(t *testing.T) {
	s := startServer(t)
	_, adminTok := s.signUp("admin")
	_, tok := s.createUser(adminTok, "user")
	png := append([]byte("\x89PNG\r\n\x1a\n"), randomBytes(4000, 1)...)
	tests := map[string]struct {
		filename, typ string
		content       []byte
		proto         protocol
		wantType      string
		attachment    bool // served as a download, not inline
	}{
		"png by extension":      {"photo.png", "", png, connectJSON, "image/png", false},
		"explicit jpeg":         {"camera.JPG", "image/jpeg", randomBytes(3000, 2), connectProto, "image/jpeg", false},
		"text by extension":     {"notes.txt", "", []byte("hello\nworld\n"), grpcH2C, "text/plain; charset=utf-8", false},
		"sniffed without ext":   {"README", "", []byte("plain words here"), grpcWeb, "text/plain; charset=utf-8", false},
		"binary 300 KiB":        {"blob.bin", "", randomBytes(300<<10, 3), grpcH2C, "application/octet-stream", true},
		"html is downloaded":    {"page.html", "", []byte("<script>alert(1)</script>"), connectJSON, "text/html; charset=utf-8", true},
		"svg is downloaded":     {"logo.svg", "image/svg+xml", []byte("<svg xmlns='http://www.w3.org/2000/svg'/>"), connectJSON, "image/svg+xml", true},
		"unicode and spaces":    {"my phötö 1.jpg", "", randomBytes(100, 4), connectJSON, "image/jpeg", false},
		"empty file":            {"empty.txt", "", nil, connectJSON, "text/plain; charset=utf-8", false},
		"percent in filename":   {"100%.txt", "", []byte("x"), connectJSON, "text/plain; charset=utf-8", false},
		"pdf inline":            {"doc.pdf", "", []byte("%PDF-1.4\n"), connectJSON, "application/pdf", false},
		"mime type with params": {"data.csv", "text/csv; charset=utf-8", []byte("a,b\n"), connectJSON, "text/csv; charset=utf-8", true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			api := s.client(tt.proto, tok)
			out, err := api.Resources.CreateResource(ctxT(t), connect.NewRequest(&v1.CreateResourceRequest{
				Resource: &v1.Resource{Filename: tt.filename, Type: tt.typ, Content: tt.content},
			}))
			wantCode(t, err, codeOK)
			r := out.Msg
			if r.GetFilename() != tt.filename || r.GetSize() != int64(len(tt.content)) || r.GetType() != tt.wantType || r.GetMemo() != "" {
				t.Fatalf("CreateResource = %v; want filename %q, size %d, type %q", r, tt.filename, len(tt.content), tt.wantType)
			}
			if len(r.GetContent()) != 0 {
				t.Fatal("CreateResource echoed the content")
			}
			st, h, body := getFile(t, fileURL(s, r), http.Header{"Authorization": {"Bearer " + tok}})
			if st != http.StatusOK {
				t.Fatalf("GET = %d %s", st, body)
			}
			if !bytes.Equal(body, tt.content) {
				t.Fatalf("downloaded %d bytes that differ from the %d uploaded", len(body), len(tt.content))
			}
			if got := h.Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
			if got := h.Get("Content-Length"); got != strconv.Itoa(len(tt.content)) {
				t.Errorf("Content-Length = %q, want %d", got, len(tt.content))
			}
			if h.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no X-Content-Type-Options: nosniff")
			}
			if got := h.Get("Content-Disposition") == "attachment"; got != tt.attachment {
				t.Errorf("Content-Disposition = %q, want attachment: %v", h.Get("Content-Disposition"), tt.attachment)
			}
			got, err := api.Resources.GetResource(ctxT(t), connect.NewRequest(&v1.GetResourceRequest{Name: r.GetName()}))
			wantCode(t, err, codeOK)
			if got.Msg.GetSize() != r.GetSize() || got.Msg.GetType() != r.GetType() {
				t.Errorf("GetResource = %v, want %v", got.Msg, r)
			}
		})
	}
}

func TestFileRanges(t *testing.T) {
	s := startServer(t)
	_, tok := s.signUp("admin")
	data := randomBytes(1000, 7)
	r := s.createResource(tok, "data.bin", "", data, "")
	auth := "Bearer " + tok
	tests := map[string]struct {
		rng          string
		status       int
		contentRange string
		body         []byte
	}{
		"middle":          {"bytes=10-19", http.StatusPartialContent, "bytes 10-19/1000", data[10:20]},
		"first byte":      {"bytes=0-0", http.StatusPartialContent, "bytes 0-0/1000", data[:1]},
		"open ended":      {"bytes=990-", http.StatusPartialContent, "bytes 990-999/1000", data[990:]},
		"suffix":          {"bytes=-5", http.StatusPartialContent, "bytes 995-999/1000", data[995:]},
		"suffix too long": {"bytes=-5000", http.StatusPartialContent, "bytes 0-999/1000", data},
		"end past size":   {"bytes=900-5000", http.StatusPartialContent, "bytes 900-999/1000", data[900:]},
		"start past end":  {"bytes=1000-", http.StatusRequestedRangeNotSatisfiable, "bytes */1000", nil},
		"far past end":    {"bytes=5000-6000", http.StatusRequestedRangeNotSatisfiable, "bytes */1000", nil},
		// net/http answers a malformed range with a bare 416 (no
		// Content-Range), and an unknown unit with 416 too.
		"inverted":   {"bytes=20-10", http.StatusRequestedRangeNotSatisfiable, "", nil},
		"garbage":    {"bytes=abc", http.StatusRequestedRangeNotSatisfiable, "", nil},
		"other unit": {"pages=1-2", http.StatusRequestedRangeNotSatisfiable, "", nil},
		"no range":   {"", http.StatusOK, "", data},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			h := http.Header{"Authorization": {auth}}
			if tt.rng != "" {
				h.Set("Range", tt.rng)
			}
			st, hdr, body := getFile(t, fileURL(s, r), h)
			if st != tt.status {
				t.Fatalf("status = %d, want %d (%s)", st, tt.status, body)
			}
			if got := hdr.Get("Content-Range"); got != tt.contentRange {
				t.Errorf("Content-Range = %q, want %q", got, tt.contentRange)
			}
			if tt.body != nil && !bytes.Equal(body, tt.body) {
				t.Errorf("body = %d bytes, want the %d requested", len(body), len(tt.body))
			}
			if tt.status == http.StatusOK && hdr.Get("Accept-Ranges") != "bytes" {
				t.Errorf("Accept-Ranges = %q, want bytes", hdr.Get("Accept-Ranges"))
			}
		})
	}
	t.Run("multiple ranges", func(t *testing.T) {
		st, hdr, _ := getFile(t, fileURL(s, r), http.Header{"Authorization": {auth}, "Range": {"bytes=0-1,10-11"}})
		if st != http.StatusPartialContent {
			t.Fatalf("status = %d, want 206", st)
		}
		if ct := hdr.Get("Content-Type"); len(ct) < 20 || ct[:20] != "multipart/byteranges" {
			t.Errorf("Content-Type = %q, want multipart/byteranges", ct)
		}
	})
}

// TestFileAccess: /file follows the memo's visibility; unattached files are
// their owner's (and admins').
func TestFileAccess(t *testing.T) {
	s := startServer(t)
	_, adminTok := s.signUp("admin")
	_, userTok := s.createUser(adminTok, "user")
	_, otherTok := s.createUser(adminTok, "other")
	cookie := sessionCookieFor(t, s, "user")
	content := []byte("secret bytes")
	res := map[string]*v1.Resource{}
	for vis, v := range map[string]v1.Visibility{"private": v1.Visibility_VISIBILITY_PRIVATE, "protected": v1.Visibility_VISIBILITY_PROTECTED, "public": v1.Visibility_VISIBILITY_PUBLIC} {
		m := s.createMemo(userTok, vis+" memo", v)
		res[vis] = s.createResource(userTok, vis+".txt", "", content, m.GetName())
	}
	res["unattached"] = s.createResource(userTok, "loose.txt", "", content, "")

	callers := map[string]http.Header{
		"anonymous":     {},
		"owner bearer":  {"Authorization": {"Bearer " + userTok}},
		"owner cookie":  {"Cookie": {cookie}},
		"other user":    {"Authorization": {"Bearer " + otherTok}},
		"admin":         {"Authorization": {"Bearer " + adminTok}},
		"bad token":     {"Authorization": {"Bearer mem_nope"}},
		"revoked-style": {"Cookie": {"memoria_session=mem_nope"}},
	}
	want := map[string]map[string]int{
		"public":     {"anonymous": 200, "owner bearer": 200, "owner cookie": 200, "other user": 200, "admin": 200, "bad token": 401, "revoked-style": 401},
		"protected":  {"anonymous": 401, "owner bearer": 200, "owner cookie": 200, "other user": 200, "admin": 200, "bad token": 401, "revoked-style": 401},
		"private":    {"anonymous": 401, "owner bearer": 200, "owner cookie": 200, "other user": 403, "admin": 403, "bad token": 401, "revoked-style": 401},
		"unattached": {"anonymous": 401, "owner bearer": 200, "owner cookie": 200, "other user": 403, "admin": 200, "bad token": 401, "revoked-style": 401},
	}
	for kind, byCaller := range want {
		for caller, status := range byCaller {
			t.Run(kind+"/"+caller, func(t *testing.T) {
				st, _, body := getFile(t, fileURL(s, res[kind]), callers[caller])
				if st != status {
					t.Fatalf("status = %d, want %d", st, status)
				}
				if status == 200 && !bytes.Equal(body, content) {
					t.Fatal("wrong bytes")
				}
				if status != 200 && bytes.Contains(body, content) {
					t.Fatal("refusal leaked the bytes")
				}
			})
		}
	}
	owner := http.Header{"Authorization": {"Bearer " + userTok}}
	notFound := map[string]string{
		"wrong filename":    s.URL + "/file/" + res["public"].GetName() + "/other.txt",
		"filename of other": s.URL + "/file/" + res["public"].GetName() + "/private.txt",
		"no filename":       s.URL + "/file/" + res["public"].GetName() + "/",
		"unknown id":        s.URL + "/file/resources/999999/public.txt",
		"id not a number":   s.URL + "/file/resources/abc/public.txt",
		"id zero":           s.URL + "/file/resources/0/public.txt",
		"leading zero id":   s.URL + "/file/resources/0" + res["public"].GetName()[len("resources/"):] + "/public.txt",
		"other collection":  s.URL + "/file/memos/1/public.txt",
		"traversal":         s.URL + "/file/resources/1/..%2f..%2fmemoria.db",
	}
	for name, u := range notFound {
		t.Run("404/"+name, func(t *testing.T) {
			if st, h, body := getFile(t, u, owner); st != http.StatusNotFound {
				t.Fatalf("GET %s = %d (%s, %d bytes), want 404", u, st, h.Get("Content-Type"), len(body))
			}
		})
	}
	t.Run("POST is not allowed", func(t *testing.T) {
		resp, err := http.Post(fileURL(s, res["public"]), "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("POST = %d, want 405", resp.StatusCode)
		}
	})
	t.Run("deleted memo takes its files", func(t *testing.T) {
		m := s.createMemo(userTok, "short-lived", v1.Visibility_VISIBILITY_PUBLIC)
		r := s.createResource(userTok, "gone.txt", "", content, m.GetName())
		if st, _, _ := getFile(t, fileURL(s, r), nil); st != 200 {
			t.Fatalf("before delete: %d", st)
		}
		_, err := s.as(userTok).Memos.DeleteMemo(ctxT(t), connect.NewRequest(&v1.DeleteMemoRequest{Name: m.GetName()}))
		wantCode(t, err, codeOK)
		if st, _, _ := getFile(t, fileURL(s, r), nil); st != http.StatusNotFound {
			t.Fatalf("after delete: %d, want 404", st)
		}
		_, err = s.as(userTok).Resources.GetResource(ctxT(t), connect.NewRequest(&v1.GetResourceRequest{Name: r.GetName()}))
		wantCode(t, err, connect.CodeNotFound)
	})
}

// sessionCookieFor signs username in over HTTP and returns its cookie
// ("name=value").
func sessionCookieFor(t *testing.T, s *testServer, username string) string {
	t.Helper()
	resp, body := postJSON(t, s.URL, "/memoria.v1.AuthService/SignIn", map[string]string{"username": username, "password": testPassword}, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("SignIn: %s %s", resp.Status, body)
	}
	c := sessionCookieOf(t, resp)
	return c.Name + "=" + c.Value
}

// TestUploadLimit: a resource over the configured limit is refused with
// invalid_argument naming the limit, and nothing is stored.
func TestUploadLimit(t *testing.T) {
	data := newStorage(t)
	s := startServer(t, data.use, func(c *app.Config) { c.MaxUploadBytes = 1 << 20 })
	_, tok := s.signUp("admin")
	api := s.client(grpcH2C, tok)
	create := func(n int) (*v1.Resource, error) {
		out, err := api.Resources.CreateResource(ctxT(t), connect.NewRequest(&v1.CreateResourceRequest{
			Resource: &v1.Resource{Filename: "big.bin", Content: randomBytes(n, uint64(n))},
		}))
		if err != nil {
			return nil, err
		}
		return out.Msg, nil
	}
	r, err := create(1 << 20)
	wantCode(t, err, codeOK)
	if r.GetSize() != 1<<20 {
		t.Fatalf("size = %d", r.GetSize())
	}
	files := data.storedFiles(t)
	// Just over the limit reaches the rules, which name the limit; far over
	// it, the body is cut off while it is read (CreateResource accepts the
	// limit ×4/3 plus slack).
	for name, tt := range map[string]struct {
		n    int
		code connect.Code
		msg  []string
	}{"one byte over": {1<<20 + 1, connect.CodeInvalidArgument, []string{"limit is 1 MiB"}}, "twice the limit": {2 << 20, connect.CodeResourceExhausted, nil}} {
		t.Run(name, func(t *testing.T) {
			_, err := create(tt.n)
			wantCode(t, err, tt.code, tt.msg...)
			if got := data.storedFiles(t); got != files {
				t.Errorf("%d files stored after a refused upload, want %d", got, files)
			}
		})
	}
	// JSON carries bytes as base64 (4/3 larger): the limit still names itself.
	_, err = s.client(connectJSON, tok).Resources.CreateResource(ctxT(t), connect.NewRequest(&v1.CreateResourceRequest{
		Resource: &v1.Resource{Filename: "big.bin", Content: make([]byte, 1<<20+10)},
	}))
	wantCode(t, err, connect.CodeInvalidArgument, "limit is 1 MiB")
	list, err := api.Resources.ListResources(ctxT(t), connect.NewRequest(&v1.ListResourcesRequest{}))
	wantCode(t, err, codeOK)
	if n := len(list.Msg.GetResources()); n != 1 {
		t.Fatalf("%d resources listed, want 1", n)
	}
}

// TestMemoResources: resources attach to memos in order, follow them, and
// cannot be stolen.
func TestMemoResources(t *testing.T) {
	s := startServer(t)
	ctx := ctxT(t)
	_, adminTok := s.signUp("admin")
	_, userTok := s.createUser(adminTok, "user")
	_, otherTok := s.createUser(adminTok, "other")
	user := s.as(userTok)
	a := s.createResource(userTok, "a.txt", "", []byte("a"), "")
	b := s.createResource(userTok, "b.txt", "", []byte("b"), "")
	c := s.createResource(userTok, "c.txt", "", []byte("c"), "")
	m, err := user.Memos.CreateMemo(ctx, connect.NewRequest(&v1.CreateMemoRequest{
		Memo: &v1.Memo{Content: "", Visibility: v1.Visibility_VISIBILITY_PUBLIC}, ResourceNames: []string{c.GetName(), a.GetName()},
	}))
	wantCode(t, err, codeOK) // content may be empty when files are attached
	names := func(rs []*v1.Resource) (out []string) {
		for _, r := range rs {
			out = append(out, r.GetName())
		}
		return out
	}
	if got := names(m.Msg.GetResources()); len(got) != 2 || got[0] != c.GetName() || got[1] != a.GetName() {
		t.Fatalf("resources = %v, want [c a]", got)
	}
	// Attached elsewhere already → failed_precondition; another's → permission_denied.
	_, err = user.Memos.CreateMemo(ctx, connect.NewRequest(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: "x"}, ResourceNames: []string{a.GetName()}}))
	wantCode(t, err, connect.CodeFailedPrecondition, a.GetName(), "already attached")
	_, err = s.as(otherTok).Memos.CreateMemo(ctx, connect.NewRequest(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: "x"}, ResourceNames: []string{b.GetName()}}))
	wantCode(t, err, connect.CodePermissionDenied, b.GetName(), "not yours")
	_, err = user.Memos.CreateMemo(ctx, connect.NewRequest(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: "x"}, ResourceNames: []string{b.GetName(), b.GetName()}}))
	wantCode(t, err, connect.CodeInvalidArgument, "listed twice")
	// Uploading straight into a memo appends.
	d := s.createResource(userTok, "d.txt", "", []byte("d"), m.Msg.GetName())
	got, err := s.anon().Memos.GetMemo(ctx, connect.NewRequest(&v1.GetMemoRequest{Name: m.Msg.GetName()}))
	wantCode(t, err, codeOK)
	if n := names(got.Msg.GetResources()); len(n) != 3 || n[2] != d.GetName() {
		t.Fatalf("after upload into the memo: %v, want [c a d]", n)
	}
	// Reorder and detach with an update.
	up, err := user.Memos.UpdateMemo(ctx, connect.NewRequest(&v1.UpdateMemoRequest{
		Memo:       &v1.Memo{Name: m.Msg.GetName(), Resources: []*v1.Resource{{Name: d.GetName()}, {Name: b.GetName()}}},
		UpdateMask: mask("resources"),
	}))
	wantCode(t, err, codeOK)
	if n := names(up.Msg.GetResources()); len(n) != 2 || n[0] != d.GetName() || n[1] != b.GetName() {
		t.Fatalf("after reorder: %v, want [d b]", n)
	}
	detached, err := user.Resources.GetResource(ctx, connect.NewRequest(&v1.GetResourceRequest{Name: c.GetName()}))
	wantCode(t, err, codeOK)
	if detached.Msg.GetMemo() != "" {
		t.Fatalf("c still attached to %s", detached.Msg.GetMemo())
	}
	// ListResources of a memo.
	lr, err := s.as(otherTok).Resources.ListResources(ctx, connect.NewRequest(&v1.ListResourcesRequest{Memo: m.Msg.GetName()}))
	wantCode(t, err, codeOK)
	if n := len(lr.Msg.GetResources()); n != 2 {
		t.Fatalf("ListResources(memo) = %d resources, want 2", n)
	}
	// Another user cannot upload into the memo.
	_, err = s.as(otherTok).Resources.CreateResource(ctx, connect.NewRequest(&v1.CreateResourceRequest{Resource: &v1.Resource{Filename: "x.txt", Content: []byte("x"), Memo: m.Msg.GetName()}}))
	wantCode(t, err, connect.CodePermissionDenied, m.Msg.GetName())
}
