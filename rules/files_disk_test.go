package rules

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// filesUnder lists the regular files under dir, relative to it.
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			out = append(out, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// failingReader yields some bytes, then an error.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestFileStoreSyncsDirectories: after the rename, Write syncs the file's
// directory — and, when it had to create the month (and year) directory,
// the directories that gained an entry — before it returns.
func TestFileStoreSyncsDirectories(t *testing.T) {
	month := time.Now().UTC().Format("2006/01")
	year := filepath.Dir(month)
	tests := map[string]struct {
		existing string   // directory under files/ made beforehand
		want     []string // synced, relative to files/
	}{
		"new year":                {"", []string{month, year, "."}},
		"new month":               {year, []string{month, year}},
		"month directory present": {month, []string{month}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			fs, err := NewDiskFiles(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if tc.existing != "" {
				if err := os.MkdirAll(filepath.Join(fs.root, tc.existing), 0o750); err != nil {
					t.Fatal(err)
				}
			}
			var synced []string
			var seenAtSync []string
			fs.syncDir = func(dir string) error {
				rel, _ := filepath.Rel(fs.root, dir)
				synced = append(synced, rel)
				seenAtSync = append(seenAtSync, strings.Join(filesUnder(t, dir), ","))
				return syncDir(dir)
			}
			rel, size, err := fs.Write(context.Background(), strings.NewReader("hello"), 100)
			if err != nil || size != 5 {
				t.Fatalf("Write = %q, %d, %v", rel, size, err)
			}
			if strings.Join(synced, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("synced %q, want %q", synced, tc.want)
			}
			if !strings.Contains(seenAtSync[0], filepath.Base(rel)) {
				t.Fatalf("the directory was synced before the file was renamed into it (it held %q)", seenAtSync[0])
			}
		})
	}
}

// TestFileStoreLeavesNothingOnFailure: whatever fails — the source, the
// size limit, the disk, the directory sync — Write returns the error and
// leaves no file, neither in place nor in tmp.
func TestFileStoreLeavesNothingOnFailure(t *testing.T) {
	enospc := &os.PathError{Op: "write", Path: "upload", Err: syscall.ENOSPC}
	tests := map[string]struct {
		src      io.Reader
		syncErr  error
		want     error
		diskFull bool
	}{
		"source fails mid-stream": {src: &failingReader{data: bytes.Repeat([]byte("x"), 50), err: io.ErrUnexpectedEOF}, want: io.ErrUnexpectedEOF},
		"over the limit":          {src: bytes.NewReader(make([]byte, 101)), want: errTooLarge},
		"disk full while writing": {src: &failingReader{data: []byte("partial"), err: enospc}, want: syscall.ENOSPC, diskFull: true},
		"directory sync fails":    {src: strings.NewReader("hello"), syncErr: syscall.EIO, want: syscall.EIO},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			fs, err := NewDiskFiles(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if tc.syncErr != nil {
				fs.syncDir = func(string) error { return tc.syncErr }
			}
			_, _, err = fs.Write(context.Background(), tc.src, 100)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Write error = %v, want %v", err, tc.want)
			}
			if IsDiskFull(err) != tc.diskFull {
				t.Fatalf("IsDiskFull(%v) = %v, want %v", err, !tc.diskFull, tc.diskFull)
			}
			if left := filesUnder(t, fs.root); len(left) != 0 {
				t.Fatalf("files left behind: %v", left)
			}
		})
	}
}
