package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"time"
)

// openBlobTestDB opens a store in dir (a new temporary one if empty).
func openBlobTestDB(t *testing.T, dir string) *DB {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	db, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func blobBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// blobRows counts file_blobs and file_chunks rows.
func blobRows(t *testing.T, db *DB) (blobs, chunks int64) {
	t.Helper()
	if err := db.read.Model(&fileBlobRow{}).Count(&blobs).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.read.Model(&fileChunkRow{}).Count(&chunks).Error; err != nil {
		t.Fatal(err)
	}
	return blobs, chunks
}

// TestBlobRoundTrip: files of every size around the chunk boundaries come
// back byte for byte, in ceil(size / BlobChunkSize) chunks.
func TestBlobRoundTrip(t *testing.T) {
	db := openBlobTestDB(t, "")
	ctx := context.Background()
	for _, n := range []int{0, 1, BlobChunkSize - 1, BlobChunkSize, BlobChunkSize + 1, 2*BlobChunkSize + BlobChunkSize/2} {
		_, before := blobRows(t, db)
		data := blobBytes(n, uint64(n))
		id, size, err := db.WriteBlob(ctx, bytes.NewReader(data), int64(n))
		if err != nil || size != int64(n) {
			t.Fatalf("WriteBlob(%d bytes) = %d, %d, %v", n, id, size, err)
		}
		_, after := blobRows(t, db)
		if want := int64((n + BlobChunkSize - 1) / BlobChunkSize); after-before != want {
			t.Errorf("%d bytes made %d chunks, want %d", n, after-before, want)
		}
		b, err := db.OpenBlob(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(b)
		if err != nil || !bytes.Equal(got, data) || b.Size() != int64(n) {
			t.Fatalf("read back %d bytes (size %d, err %v), want the %d written", len(got), b.Size(), err, n)
		}
		b.Close()
	}
}

// TestBlobReaderFetchesOnlyTheChunksARangeNeeds: seeking is free and a
// read fetches the one chunk that holds its offset.
func TestBlobReaderFetchesOnlyTheChunksARangeNeeds(t *testing.T) {
	db := openBlobTestDB(t, "")
	ctx := context.Background()
	data := blobBytes(3*BlobChunkSize+100, 9)
	id, _, err := db.WriteBlob(ctx, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		off, n      int64
		wantFetches int
	}{
		"inside the third chunk": {2*BlobChunkSize + 10, 100, 1},
		"the last bytes":         {int64(len(data)) - 5, 5, 1},
		"across a boundary":      {BlobChunkSize - 3, 6, 2},
		"the first byte":         {0, 1, 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			b, err := db.OpenBlob(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if end, err := b.Seek(0, io.SeekEnd); err != nil || end != int64(len(data)) {
				t.Fatalf("Seek(0, end) = %d, %v", end, err)
			}
			if _, err := b.Seek(tc.off, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, tc.n)
			if _, err := io.ReadFull(b, got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data[tc.off:tc.off+tc.n]) {
				t.Fatal("wrong bytes")
			}
			if b.fetches != tc.wantFetches {
				t.Errorf("fetched %d chunks, want %d", b.fetches, tc.wantFetches)
			}
		})
	}
}

// chunkedSource yields data; once after bytes have been read, each (if
// set) runs before every read, and its error fails the read.
type chunkedSource struct {
	data  []byte
	read  int
	after int
	each  func(read int) error
}

func (s *chunkedSource) Read(p []byte) (int, error) {
	if s.each != nil && s.read >= s.after {
		if err := s.each(s.read); err != nil {
			return 0, err
		}
	}
	if s.read == len(s.data) {
		return 0, io.EOF
	}
	n := copy(p, s.data[s.read:])
	s.read += n
	return n, nil
}

// TestWriteBlobLeavesNothingOnFailure: over the limit (in the first chunk
// or a later one), the source failing after some chunks, or the context
// ending mid-stream: WriteBlob fails and no row of the file is left.
func TestWriteBlobLeavesNothingOnFailure(t *testing.T) {
	errSource := errors.New("connection reset")
	size := 2*BlobChunkSize + 10
	fail := func(err error) func(context.CancelFunc) func(int) error {
		return func(context.CancelFunc) func(int) error { return func(int) error { return err } }
	}
	tests := map[string]struct {
		limit int64
		after int // bytes read before each runs
		each  func(cancel context.CancelFunc) func(int) error
		want  error
	}{
		"over the limit in the first chunk": {limit: 100, want: ErrBlobTooLarge},
		"over the limit in the last chunk":  {limit: int64(size) - 1, want: ErrBlobTooLarge},
		"source fails after two chunks":     {limit: int64(size), after: 2 * BlobChunkSize, each: fail(errSource), want: errSource},
		// net/http's error for a body shorter than its Content-Length:
		// not the end of the file.
		"source cut short mid-chunk": {limit: int64(size), after: BlobChunkSize + 1000, each: fail(io.ErrUnexpectedEOF), want: io.ErrUnexpectedEOF},
		"context cancelled after a chunk": {limit: int64(size), after: BlobChunkSize + 1, want: context.Canceled,
			each: func(cancel context.CancelFunc) func(int) error {
				return func(int) error { cancel(); return nil }
			}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			db := openBlobTestDB(t, "")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			src := &chunkedSource{data: blobBytes(size, 3), after: tc.after}
			if tc.each != nil {
				src.each = tc.each(cancel)
			}
			_, _, err := db.WriteBlob(ctx, src, tc.limit)
			if !errors.Is(err, tc.want) {
				t.Fatalf("WriteBlob error = %v, want %v", err, tc.want)
			}
			if blobs, chunks := blobRows(t, db); blobs != 0 || chunks != 0 {
				t.Fatalf("%d blobs and %d chunks left behind", blobs, chunks)
			}
		})
	}
}

// TestWriteBlobStreams: the chunks reach the database as the source is
// read — never more than a chunk (and a small read-ahead) read but not
// yet stored — and one chunk buffer serves the whole file.
func TestWriteBlobStreams(t *testing.T) {
	db := openBlobTestDB(t, "")
	const size = 20 << 20
	maxAhead := int64(0)
	src := &chunkedSource{data: blobBytes(size, 4), each: func(read int) error {
		var stored int64
		if err := db.read.Model(&fileChunkRow{}).Select("COALESCE(SUM(LENGTH(data)), 0)").Scan(&stored).Error; err != nil {
			return err
		}
		maxAhead = max(maxAhead, int64(read)-stored)
		return nil
	}}
	if _, _, err := db.WriteBlob(context.Background(), src, size); err != nil {
		t.Fatal(err)
	}
	if maxAhead > BlobChunkSize+4096 {
		t.Fatalf("up to %d bytes were read before being stored; the limit is one chunk", maxAhead)
	}
}

// blockingSource yields its data, then blocks until release is closed
// and fails as a body cut short does.
type blockingSource struct {
	data    []byte
	reached chan struct{}
	release chan struct{}
}

func (s *blockingSource) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		close(s.reached)
		<-s.release
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, s.data)
	s.data = s.data[n:]
	return n, nil
}

// TestWriteBlobCutByACrash: the process dies (the database closes under
// the writer) after two chunks: the write fails, the incomplete blob stays
// (nobody could delete it), cannot be opened, and is walked — with the
// time of its last chunk — for the orphan sweep to remove after restart.
func TestWriteBlobCutByACrash(t *testing.T) {
	dir := t.TempDir()
	db := openBlobTestDB(t, dir)
	src := &blockingSource{data: blobBytes(2*BlobChunkSize+100, 5), reached: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, _, err := db.WriteBlob(context.Background(), src, 10*BlobChunkSize)
		done <- err
	}()
	<-src.reached
	db.Close()
	close(src.release)
	if err := <-done; !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("WriteBlob error = %v, want the source's", err)
	}
	db = openBlobTestDB(t, dir)
	if blobs, chunks := blobRows(t, db); blobs != 1 || chunks != 2 {
		t.Fatalf("after the crash: %d blobs, %d chunks; want the incomplete 1 and 2", blobs, chunks)
	}
	var ids []int64
	err := db.WalkBlobs(context.Background(), func(id int64, touched time.Time) error {
		if touched.Before(start.Add(-time.Second)) || touched.After(time.Now()) {
			t.Errorf("blob %d touched at %v, not during the write", id, touched)
		}
		ids = append(ids, id)
		return nil
	})
	if err != nil || len(ids) != 1 {
		t.Fatalf("WalkBlobs = %v, %v", ids, err)
	}
	if _, err := db.OpenBlob(context.Background(), ids[0]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("OpenBlob of an incomplete blob = %v, want ErrNotFound", err)
	}
	if err := db.DeleteBlobs(context.Background(), ids...); err != nil {
		t.Fatal(err)
	}
	if blobs, chunks := blobRows(t, db); blobs != 0 || chunks != 0 {
		t.Fatalf("after DeleteBlobs: %d blobs, %d chunks", blobs, chunks)
	}
}

// TestWriteBlobRemovedMeanwhile: a blob deleted while it is being written
// (another process's sweep, after a stall longer than its grace) makes the
// write fail instead of completing a file with chunks missing.
func TestWriteBlobRemovedMeanwhile(t *testing.T) {
	db := openBlobTestDB(t, "")
	ctx := context.Background()
	deleted := false
	src := &chunkedSource{data: blobBytes(3*BlobChunkSize, 6), after: BlobChunkSize + 1, each: func(int) error {
		if !deleted {
			deleted = true
			return db.WalkBlobs(ctx, func(id int64, _ time.Time) error { return db.DeleteBlobs(ctx, id) })
		}
		return nil
	}}
	if _, _, err := db.WriteBlob(ctx, src, 1<<30); !errors.Is(err, ErrNotFound) {
		t.Fatalf("WriteBlob error = %v, want ErrNotFound", err)
	}
	if blobs, chunks := blobRows(t, db); blobs != 0 || chunks != 0 {
		t.Fatalf("%d blobs and %d chunks left behind", blobs, chunks)
	}
}

// TestBlobReadOfADeletedFile: a file deleted while it is read fails the
// next chunk's read instead of returning short or foreign bytes.
func TestBlobReadOfADeletedFile(t *testing.T) {
	db := openBlobTestDB(t, "")
	ctx := context.Background()
	id, _, err := db.WriteBlob(ctx, bytes.NewReader(blobBytes(2*BlobChunkSize, 7)), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.OpenBlob(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(b, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteBlobs(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(b); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("reading on after the delete: %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestParseBlobRef(t *testing.T) {
	tests := map[string]struct {
		id int64
		ok bool
	}{
		BlobRef(42):                        {42, true},
		"db:7":                             {7, true},
		"db:0":                             {0, false},
		"db:-1":                            {0, false},
		"db:007":                           {0, false},
		"db:":                              {0, false},
		"db:1x":                            {0, false},
		"2024/05/0123456789abcdef01234567": {0, false},
		"DB:7":                             {0, false},
	}
	for ref, want := range tests {
		id, ok := ParseBlobRef(ref)
		if id != want.id || ok != want.ok {
			t.Errorf("ParseBlobRef(%q) = %d, %v; want %d, %v", ref, id, ok, want.id, want.ok)
		}
	}
}

// TestFilesInDBByDefault: SQLite keeps files on disk unless told
// otherwise (PostgreSQL keeps them in the database).
func TestFilesInDBByDefault(t *testing.T) {
	if db := openBlobTestDB(t, ""); db.FilesInDBByDefault() {
		t.Fatal("FilesInDBByDefault on SQLite = true, want false")
	}
}
