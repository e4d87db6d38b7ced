package rules

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/memoria-app/memoria/store"
)

// fileStoreKinds names the two file stores, for tests that run on both.
var fileStoreKinds = map[string]bool{"disk": false, "database": true}

// openFilesRules opens the store in dir and rules on it keeping new files
// in the database (inDB) or on disk. The store closes at the end of the
// test (closing it sooner is fine).
func openFilesRules(t *testing.T, dir string, inDB bool, limit int64) (*Rules, *store.DB) {
	t.Helper()
	db, err := store.Open(context.Background(), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r, err := NewRules(db, dir, Config{BcryptCost: bcrypt.MinCost, FilesInDB: inDB, MaxUploadBytes: limit})
	if err != nil {
		t.Fatal(err)
	}
	return r, db
}

// actingUser signs up a user and returns the context acting as them.
func actingUser(t *testing.T, r *Rules, name string) context.Context {
	t.Helper()
	u, _ := signUpT(t, r, name)
	return WithActor(context.Background(), &Actor{User: u, Source: store.SourceAPI})
}

// storedRefs lists every stored file of r, in both stores, with the
// leftovers of interrupted uploads on disk.
func storedRefs(t *testing.T, r *Rules) []string {
	t.Helper()
	var refs []string
	err := r.files.Walk(context.Background(), func(ref string, _ time.Time) error {
		refs = append(refs, ref)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tmp := range filesUnder(t, r.files.disk.root+"/tmp") {
		refs = append(refs, "tmp/"+tmp)
	}
	return refs
}

func randomContent(n int, seed uint64) []byte {
	rnd := rand.New(rand.NewPCG(seed, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rnd.Uint32())
	}
	return b
}

// readResource reads a resource's bytes through OpenResource.
func readResource(t *testing.T, r *Rules, ctx context.Context, id int64) []byte {
	t.Helper()
	_, f, err := r.OpenResource(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if f.Size() != int64(len(b)) {
		t.Fatalf("Size() = %d, read %d bytes", f.Size(), len(b))
	}
	return b
}

// TestFilesRoundTripInEitherStore: a resource's bytes come back from the
// store chosen, and its reference names that store.
func TestFilesRoundTripInEitherStore(t *testing.T) {
	for kind, inDB := range fileStoreKinds {
		t.Run(kind, func(t *testing.T) {
			r, _ := openFilesRules(t, t.TempDir(), inDB, 0)
			ctx := actingUser(t, r, "alice")
			for _, n := range []int{0, 700, store.BlobChunkSize*2 + 77} {
				data := randomContent(n, uint64(n))
				res, err := r.CreateResource(ctx, ResourceInput{Filename: "f.bin", Content: bytes.NewReader(data)})
				if err != nil {
					t.Fatal(err)
				}
				if _, isBlob := store.ParseBlobRef(res.StoragePath); isBlob != inDB || res.Size != int64(n) {
					t.Fatalf("stored %d bytes as %q (size %d); want in the database: %v", n, res.StoragePath, res.Size, inDB)
				}
				if got := readResource(t, r, ctx, res.ID); !bytes.Equal(got, data) {
					t.Fatalf("read back %d bytes that differ from the %d written", len(got), n)
				}
			}
		})
	}
}

// TestFilesOfBothStoresServedSideBySide: an instance that switched store
// (or restored files of the other kind) serves, sweeps and deletes files
// of both kinds.
func TestFilesOfBothStoresServedSideBySide(t *testing.T) {
	dir := t.TempDir()
	r, db := openFilesRules(t, dir, false, 0)
	ctx := actingUser(t, r, "alice")
	onDisk, err := r.CreateResource(ctx, ResourceInput{Filename: "disk.txt", Content: strings.NewReader("on disk")})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	r, _ = openFilesRules(t, dir, true, 0)
	inDB, err := r.CreateResource(ctx, ResourceInput{Filename: "db.txt", Content: strings.NewReader("in the database")})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := store.ParseBlobRef(inDB.StoragePath); !ok {
		t.Fatalf("after the switch a file went to %q, not the database", inDB.StoragePath)
	}
	if got := string(readResource(t, r, ctx, onDisk.ID)); got != "on disk" {
		t.Fatalf("the disk file reads %q", got)
	}
	if got := string(readResource(t, r, ctx, inDB.ID)); got != "in the database" {
		t.Fatalf("the database file reads %q", got)
	}
	if n, err := r.SweepOrphanFiles(context.Background(), 0); err != nil || n != 0 {
		t.Fatalf("sweep of referenced files removed %d, %v", n, err)
	}
	for _, res := range []store.Resource{onDisk, inDB} {
		if err := r.DeleteResource(ctx, res.ID); err != nil {
			t.Fatal(err)
		}
	}
	if left := storedRefs(t, r); len(left) != 0 {
		t.Fatalf("files left after deleting both resources: %v", left)
	}
}

// TestSweepRemovesUnreferencedFiles: a file written whose resource was
// never committed (a crash in between) stays while it is younger than the
// grace period and is removed after it, in either store; referenced files
// stay.
func TestSweepRemovesUnreferencedFiles(t *testing.T) {
	for kind, inDB := range fileStoreKinds {
		t.Run(kind, func(t *testing.T) {
			r, _ := openFilesRules(t, t.TempDir(), inDB, 0)
			ctx := actingUser(t, r, "alice")
			kept, err := r.CreateResource(ctx, ResourceInput{Filename: "kept.txt", Content: strings.NewReader("kept")})
			if err != nil {
				t.Fatal(err)
			}
			orphan, _, err := r.files.Write(ctx, strings.NewReader("never committed"), 100)
			if err != nil {
				t.Fatal(err)
			}
			if n, err := r.SweepOrphanFiles(context.Background(), time.Hour); err != nil || n != 0 {
				t.Fatalf("sweep within the grace period removed %d, %v", n, err)
			}
			if n, err := r.SweepOrphanFiles(context.Background(), 0); err != nil || n != 1 {
				t.Fatalf("sweep after the grace period removed %d, %v; want the orphan", n, err)
			}
			if left := storedRefs(t, r); len(left) != 1 || left[0] != kept.StoragePath {
				t.Fatalf("left %v, want only %s (the orphan was %s)", left, kept.StoragePath, orphan)
			}
		})
	}
}

// stallingReader yields data, then blocks until release is closed and
// fails.
type stallingReader struct {
	data    []byte
	reached chan struct{}
	release chan struct{}
}

func (s *stallingReader) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		close(s.reached)
		<-s.release
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, s.data)
	s.data = s.data[n:]
	return n, nil
}

// TestSweepRemovesUploadCutByACrash: the process dies after some chunks
// of an upload into the database (simulated by closing the store under
// it, so that its own cleanup cannot run); after restart the incomplete
// blob is left alone within the grace period, then swept.
func TestSweepRemovesUploadCutByACrash(t *testing.T) {
	dir := t.TempDir()
	r, db := openFilesRules(t, dir, true, 0)
	ctx := actingUser(t, r, "alice")
	src := &stallingReader{data: randomContent(2*store.BlobChunkSize+10, 1), reached: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := r.CreateResource(ctx, ResourceInput{Filename: "big.bin", Content: src})
		done <- err
	}()
	<-src.reached
	db.Close()
	close(src.release)
	if err := <-done; err == nil {
		t.Fatal("the upload cut by the crash succeeded")
	}
	r, _ = openFilesRules(t, dir, true, 0)
	if left := storedRefs(t, r); len(left) != 1 {
		t.Fatalf("after the crash: %v; want the one incomplete blob", left)
	}
	if n, err := r.SweepOrphanFiles(context.Background(), time.Hour); err != nil || n != 0 {
		t.Fatalf("sweep within the grace period removed %d, %v", n, err)
	}
	if n, err := r.SweepOrphanFiles(context.Background(), 0); err != nil || n != 1 {
		t.Fatalf("sweep removed %d, %v; want the incomplete blob", n, err)
	}
	if left := storedRefs(t, r); len(left) != 0 {
		t.Fatalf("left after the sweep: %v", left)
	}
}

// cancellingReader yields data and cancels the upload's context after
// half of it.
type cancellingReader struct {
	data   []byte
	read   int
	cancel context.CancelFunc
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	if c.read >= len(c.data)/2 {
		c.cancel()
	}
	if c.read == len(c.data) {
		return 0, io.EOF
	}
	n := copy(p, c.data[c.read:min(len(c.data), c.read+64<<10)])
	c.read += n
	return n, nil
}

// TestUploadRefusedLeavesNothing: an upload over the limit, or whose
// context is cancelled while it streams, fails in either store and leaves
// neither a resource nor a stored file.
func TestUploadRefusedLeavesNothing(t *testing.T) {
	const limit = 2*store.BlobChunkSize + 100
	for kind, inDB := range fileStoreKinds {
		t.Run(kind, func(t *testing.T) {
			tests := map[string]struct {
				content func(cancel context.CancelFunc) io.Reader
				code    Code
				err     error
			}{
				"over the limit in the first chunk": {
					content: func(context.CancelFunc) io.Reader { return bytes.NewReader(make([]byte, limit+store.BlobChunkSize)) }, code: CodeInvalidArgument},
				"one byte over the limit": {
					content: func(context.CancelFunc) io.Reader { return bytes.NewReader(make([]byte, limit+1)) }, code: CodeInvalidArgument},
				"cancelled mid-stream": {
					content: func(cancel context.CancelFunc) io.Reader {
						return &cancellingReader{data: make([]byte, limit), cancel: cancel}
					}, code: CodeInternal, err: context.Canceled},
			}
			for name, tc := range tests {
				t.Run(name, func(t *testing.T) {
					r, _ := openFilesRules(t, t.TempDir(), inDB, limit)
					ctx, cancel := context.WithCancel(actingUser(t, r, "alice"))
					defer cancel()
					_, err := r.CreateResource(ctx, ResourceInput{Filename: "f.bin", Content: tc.content(cancel)})
					if ErrorCode(err) != tc.code || tc.err != nil && !errors.Is(err, tc.err) {
						t.Fatalf("CreateResource error = %v (code %v), want code %v / %v", err, ErrorCode(err), tc.code, tc.err)
					}
					if left := storedRefs(t, r); len(left) != 0 {
						t.Fatalf("files left behind: %v", left)
					}
					rs, _, err := r.ListResources(WithActor(context.Background(), ActorFrom(ctx)), 0, 10, "")
					if err != nil || len(rs) != 0 {
						t.Fatalf("resources after the refusal: %v, %v", rs, err)
					}
				})
			}
		})
	}
}

// zeroReader yields n zero bytes without allocating them.
type zeroReader struct{ left int64 }

func (z *zeroReader) Read(p []byte) (int, error) {
	if z.left == 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), z.left)
	clear(p[:n])
	z.left -= n
	return int(n), nil
}

// TestLargeUploadMemory: a 20 MiB upload allocates a few MiB (one chunk
// buffer on the database's side, a copy buffer on disk), never the file.
func TestLargeUploadMemory(t *testing.T) {
	const size = 20 << 20
	for kind, inDB := range fileStoreKinds {
		t.Run(kind, func(t *testing.T) {
			r, _ := openFilesRules(t, t.TempDir(), inDB, 32<<20)
			ctx := actingUser(t, r, "alice")
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			res, err := r.CreateResource(ctx, ResourceInput{Filename: "big.bin", Type: "application/octet-stream", Content: &zeroReader{left: size}})
			runtime.ReadMemStats(&after)
			if err != nil || res.Size != size {
				t.Fatalf("CreateResource = %+v, %v", res, err)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%s: a %d MiB upload allocated %.1f MiB", kind, size>>20, float64(alloc)/(1<<20))
			if alloc > 6<<20 {
				t.Fatalf("a %d MiB upload allocated %d bytes: the file is held in memory", size>>20, alloc)
			}
		})
	}
}
