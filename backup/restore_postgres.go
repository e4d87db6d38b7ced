package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/memoria-app/memoria/store"
)

// restorePostgres restores the archive into the PostgreSQL database
// to.DB, which must hold no memoria data: the whole archive is read once,
// verified and its database extracted into a scratch directory under
// to.DataDir; then store.RestoreSnapshot copies that database's rows in
// one transaction while a second read of the archive streams the files
// it holds on disk into the database (a damaged entry, checked again,
// rolls everything back). Nothing is left in to.DataDir.
func restorePostgres(ctx context.Context, file string, to Instance) (Summary, error) {
	var sum Summary
	if err := store.CheckRestoreTarget(ctx, to.DB); err != nil {
		return sum, err
	}
	// The whole archive checked first, as a restore into a directory does:
	// a damaged one is refused with the same message, before anything.
	if _, err := Verify(ctx, file); err != nil {
		return sum, err
	}
	if _, err := os.Stat(to.DataDir); errors.Is(err, fs.ErrNotExist) {
		// Made only for the scratch copy: gone again afterwards.
		defer os.Remove(to.DataDir)
	}
	if err := os.MkdirAll(to.DataDir, 0o750); err != nil {
		return sum, err
	}
	stage, err := os.MkdirTemp(to.DataDir, ".restore-db-*")
	if err != nil {
		return sum, err
	}
	defer os.RemoveAll(stage)
	snap := filepath.Join(stage, databaseName)
	m, err := scan(ctx, file, func(name string, r io.Reader) error {
		if name != databaseName {
			return nil
		}
		return writeSynced(snap, r)
	})
	if err != nil {
		return sum, err
	}
	info, err := store.InspectSnapshot(ctx, snap)
	if err != nil {
		return sum, fmt.Errorf("the archived database: %w", err)
	}
	if sum.Bytes, err = archiveHolds(m, info); err != nil {
		return sum, err
	}
	rs, err := store.RestoreSnapshot(ctx, snap, to.DB, func(ctx context.Context, fn func(string, io.Reader) error) error {
		_, err := scan(ctx, file, func(name string, r io.Reader) error {
			p, ok := strings.CutPrefix(name, filesPrefix)
			if !ok {
				return nil
			}
			return fn(p, r)
		})
		return err
	})
	if err != nil {
		return sum, err
	}
	sum.SchemaVersion, sum.Files = m.SchemaVersion, rs.Files+rs.Blobs
	return sum, nil
}
