package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
)

// TestFileRangesFromEitherStore: /file answers Range requests the same
// whether the bytes are on disk or in database chunks — ranges inside a
// chunk, across chunk boundaries, suffix and open-ended ones, several at
// once — and 416 for one past the end.
func TestFileRangesFromEitherStore(t *testing.T) {
	size := 2*store.BlobChunkSize + 1000
	data := make([]byte, size)
	rnd := rand.New(rand.NewPCG(11, 12))
	for i := range data {
		data[i] = byte(rnd.Uint32())
	}
	c := int64(store.BlobChunkSize)
	n := int64(size)
	span := func(from, to int64) string { return fmt.Sprintf("bytes %d-%d/%d", from, to, n) }
	tests := map[string]struct {
		rng          string
		status       int
		contentRange string
		from, to     int64 // the bytes expected, inclusive
	}{
		"no range":                 {"", http.StatusOK, "", 0, n - 1},
		"inside the first chunk":   {"bytes=10-19", http.StatusPartialContent, span(10, 19), 10, 19},
		"inside the second chunk":  {fmt.Sprintf("bytes=%d-%d", c+5, c+500), http.StatusPartialContent, span(c+5, c+500), c + 5, c + 500},
		"across a chunk boundary":  {fmt.Sprintf("bytes=%d-%d", c-10, c+9), http.StatusPartialContent, span(c-10, c+9), c - 10, c + 9},
		"across two boundaries":    {fmt.Sprintf("bytes=%d-%d", c-1, 2*c), http.StatusPartialContent, span(c-1, 2*c), c - 1, 2 * c},
		"suffix":                   {"bytes=-1500", http.StatusPartialContent, span(n-1500, n-1), n - 1500, n - 1},
		"suffix longer than file":  {fmt.Sprintf("bytes=-%d", 10*n), http.StatusPartialContent, span(0, n-1), 0, n - 1},
		"open ended":               {fmt.Sprintf("bytes=%d-", 2*c), http.StatusPartialContent, span(2*c, n-1), 2 * c, n - 1},
		"end past the size":        {fmt.Sprintf("bytes=%d-%d", n-3, n+100), http.StatusPartialContent, span(n-3, n-1), n - 3, n - 1},
		"last byte":                {fmt.Sprintf("bytes=%d-%d", n-1, n-1), http.StatusPartialContent, span(n-1, n-1), n - 1, n - 1},
		"start at the end":         {fmt.Sprintf("bytes=%d-", n), http.StatusRequestedRangeNotSatisfiable, fmt.Sprintf("bytes */%d", n), 0, -1},
		"start beyond the end":     {fmt.Sprintf("bytes=%d-%d", n+10, n+20), http.StatusRequestedRangeNotSatisfiable, fmt.Sprintf("bytes */%d", n), 0, -1},
		"inverted range, no bytes": {"bytes=20-10", http.StatusRequestedRangeNotSatisfiable, "", 0, -1},
	}
	for kind, inDB := range map[string]bool{"disk": false, "database": true} {
		t.Run(kind, func(t *testing.T) {
			rl, _ := newTestRules(t, rules.Config{BcryptCost: bcrypt.MinCost, FilesInDB: inDB})
			ctx := context.Background()
			u, token, err := rl.SignUp(ctx, "alice", "correct horse battery")
			if err != nil {
				t.Fatal(err)
			}
			res, err := rl.CreateResource(rules.WithActor(ctx, &rules.Actor{User: u, Source: store.SourceAPI}),
				rules.ResourceInput{Filename: "video.mp4", Content: bytes.NewReader(data)})
			if err != nil {
				t.Fatal(err)
			}
			if _, isBlob := store.ParseBlobRef(res.StoragePath); isBlob != inDB {
				t.Fatalf("stored at %q; want in the database: %v", res.StoragePath, inDB)
			}
			srv := httptest.NewServer(NewHandler(Deps{Rules: rl, Log: discardLog()}))
			defer srv.Close()
			url := fmt.Sprintf("%s/file/resources/%d/video.mp4", srv.URL, res.ID)
			get := func(t *testing.T, rng string) (*http.Response, []byte) {
				t.Helper()
				req, err := http.NewRequest(http.MethodGet, url, nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+token)
				if rng != "" {
					req.Header.Set("Range", rng)
				}
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				body, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				return resp, body
			}
			for name, tc := range tests {
				t.Run(name, func(t *testing.T) {
					resp, body := get(t, tc.rng)
					if resp.StatusCode != tc.status {
						t.Fatalf("status = %d, want %d (%.100s)", resp.StatusCode, tc.status, body)
					}
					if got := resp.Header.Get("Content-Range"); got != tc.contentRange {
						t.Errorf("Content-Range = %q, want %q", got, tc.contentRange)
					}
					if tc.to < tc.from {
						return
					}
					if want := data[tc.from : tc.to+1]; !bytes.Equal(body, want) {
						t.Fatalf("body is %d bytes that differ from the %d requested", len(body), len(want))
					}
					if got := resp.Header.Get("Content-Length"); got != strconv.FormatInt(tc.to-tc.from+1, 10) {
						t.Errorf("Content-Length = %q, want %d", got, tc.to-tc.from+1)
					}
					if resp.Header.Get("Accept-Ranges") != "bytes" {
						t.Errorf("Accept-Ranges = %q, want bytes", resp.Header.Get("Accept-Ranges"))
					}
				})
			}
			t.Run("two ranges in different chunks", func(t *testing.T) {
				resp, body := get(t, fmt.Sprintf("bytes=0-9,%d-%d", 2*c, 2*c+9))
				if resp.StatusCode != http.StatusPartialContent {
					t.Fatalf("status = %d, want 206", resp.StatusCode)
				}
				mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
				if err != nil || mt != "multipart/byteranges" {
					t.Fatalf("Content-Type = %q", resp.Header.Get("Content-Type"))
				}
				mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
				for _, want := range [][]byte{data[:10], data[2*c : 2*c+10]} {
					p, err := mr.NextPart()
					if err != nil {
						t.Fatal(err)
					}
					got, err := io.ReadAll(p)
					if err != nil || !bytes.Equal(got, want) {
						t.Fatalf("part = %x, %v; want %x", got, err, want)
					}
				}
			})
		})
	}
}
