package rules

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// DiskFiles keeps resource bytes under <data>/files. Files are written to a
// temporary name, synced, renamed into place and their directory synced
// (and the parent of a directory just created), so that once Write returns
// the file survives a crash under its name; a crash before that never
// leaves a half-written file under a name the database points to.
type DiskFiles struct {
	root string // <data>/files
	// syncDir makes a directory's entries durable; tests replace it to
	// observe or fail it.
	syncDir func(dir string) error
}

var _ Files = (*DiskFiles)(nil)

// NewDiskFiles creates <dataDir>/files if needed.
func NewDiskFiles(dataDir string) (*DiskFiles, error) {
	root := filepath.Join(dataDir, "files")
	if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o750); err != nil {
		return nil, fmt.Errorf("create file store: %w", err)
	}
	return &DiskFiles{root: root, syncDir: syncDir}, nil
}

// syncDir fsyncs a directory, so that entries created or renamed in it
// survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Write streams the bytes read from src (at most limit bytes; more is an
// error) into the store and returns the path relative to the store and the
// size. On any error nothing is left behind, neither under files/ nor in
// files/tmp. A cancelled upload shows as src failing (its body ends);
// ctx is checked once more before the file is put in place.
func (fs *DiskFiles) Write(ctx context.Context, src io.Reader, limit int64) (rel string, size int64, err error) {
	var rnd [12]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", 0, err
	}
	rel = filepath.Join(time.Now().UTC().Format("2006/01"), hex.EncodeToString(rnd[:]))
	dst := filepath.Join(fs.root, rel)
	created, err := fs.mkdirs(filepath.Dir(dst))
	if err != nil {
		return "", 0, err
	}
	tmp, err := os.CreateTemp(filepath.Join(fs.root, "tmp"), "upload-*")
	if err != nil {
		return "", 0, err
	}
	renamed := false
	defer func() {
		if err == nil {
			return
		}
		tmp.Close()
		if renamed {
			os.Remove(dst)
		} else {
			os.Remove(tmp.Name())
		}
	}()
	size, err = io.Copy(tmp, io.LimitReader(src, limit+1))
	if err != nil {
		return "", 0, err
	}
	if size > limit {
		return "", 0, errTooLarge
	}
	if err = ctx.Err(); err != nil {
		return "", 0, err
	}
	if err = tmp.Sync(); err != nil {
		return "", 0, err
	}
	if err = tmp.Close(); err != nil {
		return "", 0, err
	}
	if err = os.Rename(tmp.Name(), dst); err != nil {
		return "", 0, err
	}
	renamed = true
	// The new name, then the directories created for it, innermost first.
	for _, dir := range append([]string{filepath.Dir(dst)}, created...) {
		if err = fs.syncDir(dir); err != nil {
			return "", 0, fmt.Errorf("sync directory %s: %w", dir, err)
		}
	}
	return rel, size, nil
}

// mkdirs creates dir and any missing parents below the store's root, and
// returns the directories whose entries changed because of it (the parent
// of each directory created), innermost first.
func (fs *DiskFiles) mkdirs(dir string) ([]string, error) {
	if _, err := os.Stat(dir); err == nil {
		return nil, nil
	}
	var parents []string
	for d := dir; d != fs.root && len(d) > len(fs.root); d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		parents = append(parents, filepath.Dir(d))
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	return parents, nil
}

// Open opens a stored file.
func (fs *DiskFiles) Open(_ context.Context, rel string) (File, error) {
	f, err := os.Open(filepath.Join(fs.root, filepath.Clean("/"+rel)))
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return diskFile{File: f, size: st.Size()}, nil
}

// diskFile is an open file of DiskFiles.
type diskFile struct {
	*os.File
	size int64
}

// Size is the file's length when it was opened (stored files never change).
func (f diskFile) Size() int64 { return f.size }

// Remove deletes stored files, ignoring ones already gone.
func (fs *DiskFiles) Remove(rels ...string) {
	for _, rel := range rels {
		if rel != "" {
			os.Remove(filepath.Join(fs.root, filepath.Clean("/"+rel)))
		}
	}
}

// Walk calls fn with the relative path of every stored file (not the
// temporary ones) and its modification time.
func (fs *DiskFiles) Walk(ctx context.Context, fn func(rel string, mod time.Time) error) error {
	return filepath.WalkDir(fs.root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(fs.root, path)
		if d.IsDir() {
			if rel == "tmp" {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		return fn(rel, info.ModTime())
	})
}

// clearTmp removes leftovers of uploads interrupted by a crash.
func (fs *DiskFiles) clearTmp(olderThan time.Time) {
	entries, _ := os.ReadDir(filepath.Join(fs.root, "tmp"))
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.ModTime().Before(olderThan) {
			os.Remove(filepath.Join(fs.root, "tmp", e.Name()))
		}
	}
}
