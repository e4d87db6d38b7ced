package app_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"connectrpc.com/connect"

	"github.com/memoria-app/memoria/app"
	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/store/storetest"
)

// TestFilesInTheDatabase: with FilesInDB the server keeps uploads in the
// database (nothing under <data>/files) and serves them whole and by
// range; restarted with the default (on SQLite: disk; on PostgreSQL: the
// database) it still serves them, puts new uploads where the default
// says, and deletes either kind.
func TestFilesInTheDatabase(t *testing.T) {
	data := newStorage(t)
	dir := data.Dir
	inDB := true
	s := startServer(t, data.use, func(c *app.Config) { c.FilesInDB = &inDB })
	_, tok := s.signUp("admin")
	auth := http.Header{"Authorization": {"Bearer " + tok}}
	big := randomBytes(2*store.BlobChunkSize+500, 21)
	memo := s.createMemo(tok, "with a video", v1.Visibility_VISIBILITY_PRIVATE)
	r := s.createResource(tok, "video.mp4", "", big, memo.GetName())
	small := s.createResource(tok, "note.txt", "", []byte("hello"), "")
	if n := storedFiles(t, dir); n != 0 {
		t.Fatalf("%d files under <data>/files; with FilesInDB they belong in the database", n)
	}
	check := func(s *testServer) {
		t.Helper()
		if st, _, body := getFile(t, fileURL(s, r), auth); st != http.StatusOK || !bytes.Equal(body, big) {
			t.Fatalf("GET = %d, %d bytes; want 200 and the %d uploaded", st, len(body), len(big))
		}
		from, to := store.BlobChunkSize-5, store.BlobChunkSize+4
		h := http.Header{"Authorization": auth["Authorization"], "Range": {fmt.Sprintf("bytes=%d-%d", from, to)}}
		if st, hdr, body := getFile(t, fileURL(s, r), h); st != http.StatusPartialContent || !bytes.Equal(body, big[from:to+1]) {
			t.Fatalf("GET %s = %d (%s), %d bytes; want 206 and bytes %d-%d", h.Get("Range"), st, hdr.Get("Content-Range"), len(body), from, to)
		}
	}
	check(s)
	// The export carries the database-held file's bytes.
	resp, raw := getExport(t, s.URL, auth)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("export = %d", resp.StatusCode)
	}
	if _, files := parseExport(t, raw); len(files) != 1 || !bytes.Equal(files[firstKey(files)], big) {
		t.Fatalf("the export holds %d files; want the video's %d bytes", len(files), len(big))
	}
	s.Stop()

	s = startServer(t, data.use)
	check(s)
	s.createResource(tok, "later.txt", "", []byte("on disk"), "")
	want, why := 1, "on SQLite new uploads go to disk by default"
	if storetest.OnPostgres(t) {
		want, why = 0, "on PostgreSQL new uploads go to the database by default"
	}
	if n := storedFiles(t, dir); n != want {
		t.Fatalf("%d files under <data>/files; %s", n, why)
	}
	for _, res := range []*v1.Resource{r, small} {
		_, err := s.as(tok).Resources.DeleteResource(ctxT(t), connect.NewRequest(&v1.DeleteResourceRequest{Name: res.GetName()}))
		wantCode(t, err, codeOK)
		if st, _, _ := getFile(t, fileURL(s, res), auth); st != http.StatusNotFound {
			t.Fatalf("GET of a deleted resource = %d, want 404", st)
		}
	}
}

// firstKey is one key of m (for maps of one entry).
func firstKey(m map[string][]byte) string {
	for k := range m {
		return k
	}
	return ""
}
