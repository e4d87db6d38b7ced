package rules

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/memoria-app/memoria/store"
)

// Files keeps resources' bytes. Each stored file has a reference, the
// resource's StoragePath, which also names the store that holds it: a
// path under <data>/files (DiskFiles) or store.BlobRef's "db:<id>"
// (DBFiles). Write makes a file durable before it returns its reference,
// so the commit that records it never points to bytes a crash can lose;
// a file written but never referenced (a crash in between) is removed by
// SweepOrphanFiles once it is older than the sweep's grace period.
type Files interface {
	// Write streams src into a new file, at most limit bytes (more is
	// errTooLarge), and returns its reference and size. On any error,
	// a cancelled ctx included, nothing is left under a reference.
	Write(ctx context.Context, src io.Reader, limit int64) (ref string, size int64, err error)
	// Open opens a stored file; reads use ctx. A reference this store
	// does not hold is an error matching fs.ErrNotExist.
	Open(ctx context.Context, ref string) (File, error)
	// Remove deletes stored files, ignoring ones already gone. It is
	// cleanup after a commit (or instead of one), so it runs whatever the
	// caller's context does; what it fails to remove is swept later.
	Remove(refs ...string)
	// Walk calls fn with the reference of every stored file, finished
	// or not, and when it was last written to; fn's error stops it.
	Walk(ctx context.Context, fn func(ref string, mod time.Time) error) error
}

// File is an open stored file: http.ServeContent serves it (with the
// resource's CreatedAt as its modification time), Range requests included.
type File interface {
	io.ReadSeekCloser
	// Size is the file's length in bytes.
	Size() int64
}

// errTooLarge is Files.Write's error for a source over its limit.
var errTooLarge = errors.New("file too large")

// fileStores is the Files of the rules: new files go to the chosen store,
// and every reference is served by the store it names, so an instance
// holds files of both kinds side by side (after switching stores, or a
// restore) and serves either.
type fileStores struct {
	disk  *DiskFiles
	db    *DBFiles
	write Files // disk or db
}

var _ Files = (*fileStores)(nil)

// newFileStores opens both stores; new files go to the database's when
// inDB is set.
func newFileStores(db *store.DB, dataDir string, inDB bool) (*fileStores, error) {
	disk, err := NewDiskFiles(dataDir)
	if err != nil {
		return nil, err
	}
	s := &fileStores{disk: disk, db: NewDBFiles(db), write: disk}
	if inDB {
		s.write = s.db
	}
	return s, nil
}

// of is the store that holds ref.
func (s *fileStores) of(ref string) Files {
	if _, ok := store.ParseBlobRef(ref); ok {
		return s.db
	}
	return s.disk
}

// Write writes to the chosen store.
func (s *fileStores) Write(ctx context.Context, src io.Reader, limit int64) (string, int64, error) {
	return s.write.Write(ctx, src, limit)
}

// Open opens ref from the store that holds it.
func (s *fileStores) Open(ctx context.Context, ref string) (File, error) {
	return s.of(ref).Open(ctx, ref)
}

// Remove removes each file from the store that holds it.
func (s *fileStores) Remove(refs ...string) {
	var disk, db []string
	for _, ref := range refs {
		if s.of(ref) == s.db {
			db = append(db, ref)
		} else {
			disk = append(disk, ref)
		}
	}
	if len(disk) > 0 {
		s.disk.Remove(disk...)
	}
	if len(db) > 0 {
		s.db.Remove(db...)
	}
}

// Walk walks the files on disk, then those in the database.
func (s *fileStores) Walk(ctx context.Context, fn func(ref string, mod time.Time) error) error {
	if err := s.disk.Walk(ctx, fn); err != nil {
		return err
	}
	return s.db.Walk(ctx, fn)
}
