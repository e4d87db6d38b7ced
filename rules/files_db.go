package rules

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/memoria-app/memoria/store"
)

// removeTimeout bounds DBFiles.Remove, which runs after its caller's
// context may have ended.
const removeTimeout = time.Minute

// DBFiles keeps files in the database (store.WriteBlob: 1 MiB chunks,
// written as they stream in), so that processes sharing a PostgreSQL
// database share their files too. References are store.BlobRef's.
type DBFiles struct {
	db *store.DB
}

var _ Files = (*DBFiles)(nil)

// NewDBFiles keeps files in db.
func NewDBFiles(db *store.DB) *DBFiles { return &DBFiles{db: db} }

// Write streams src into a new blob. Each chunk is committed (and synced)
// as it arrives; on any error the blob is deleted, or left incomplete for
// the sweep if the database is gone.
func (f *DBFiles) Write(ctx context.Context, src io.Reader, limit int64) (string, int64, error) {
	id, size, err := f.db.WriteBlob(ctx, src, limit)
	if errors.Is(err, store.ErrBlobTooLarge) {
		return "", 0, errTooLarge
	}
	if err != nil {
		return "", 0, err
	}
	return store.BlobRef(id), size, nil
}

// Open opens a blob; its chunks are read as reads reach them.
func (f *DBFiles) Open(ctx context.Context, ref string) (File, error) {
	id, ok := store.ParseBlobRef(ref)
	if !ok {
		return nil, fmt.Errorf("%q is not a database file: %w", ref, fs.ErrNotExist)
	}
	b, err := f.db.OpenBlob(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %w", fs.ErrNotExist, err)
	}
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Remove deletes blobs. A failure (the database closing) leaves them to
// the orphan sweep.
func (f *DBFiles) Remove(refs ...string) {
	ids := make([]int64, 0, len(refs))
	for _, ref := range refs {
		if id, ok := store.ParseBlobRef(ref); ok {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
	defer cancel()
	_ = f.db.DeleteBlobs(ctx, ids...) // what is left is swept
}

// Walk calls fn with every blob and when its last chunk was written.
func (f *DBFiles) Walk(ctx context.Context, fn func(ref string, mod time.Time) error) error {
	return f.db.WalkBlobs(ctx, func(id int64, touched time.Time) error {
		return fn(store.BlobRef(id), touched)
	})
}
