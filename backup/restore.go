package backup

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/memoria-app/memoria/store"
)

// stagingDir is where Restore extracts before moving into place; one left
// behind by an interrupted restore makes the target non-empty.
const stagingDir = ".restore-tmp"

// maxManifestBytes bounds the manifest read into memory.
const maxManifestBytes = 64 << 20

// ErrNotEmpty is returned when the restore target — the data directory,
// or the PostgreSQL database or schema — holds anything.
var ErrNotEmpty = store.ErrNotEmpty

// Verify reads the whole archive and checks it: only expected entries,
// each once, sizes and SHA-256 sums as the manifest says, the manifest
// last, a known format, and a schema version this binary can open.
func Verify(ctx context.Context, file string) (Manifest, error) {
	return scan(ctx, file, nil)
}

// Restore verifies the archive, then restores it into the instance: into
// its data directory, which must be empty or not exist, or, when to.DB is
// set, into that PostgreSQL database (see restorePostgres). Into the
// directory, every file is synced before the database is moved into
// place, last.
func Restore(ctx context.Context, file string, to Instance) (Summary, error) {
	if to.DB != "" {
		return restorePostgres(ctx, file, to)
	}
	dataDir := to.DataDir
	var sum Summary
	if err := requireEmpty(dataDir); err != nil {
		return sum, err
	}
	m, err := Verify(ctx, file)
	if err != nil {
		return sum, err
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return sum, err
	}
	stage := filepath.Join(dataDir, stagingDir)
	if err := os.Mkdir(stage, 0o750); err != nil {
		return sum, err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(stage)
		}
	}()
	dirs := map[string]bool{stage: true}
	_, err = scan(ctx, file, func(name string, r io.Reader) error {
		dst := filepath.Join(stage, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			return err
		}
		for d := filepath.Dir(dst); d != stage && !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
		}
		return writeSynced(dst, r)
	})
	if err != nil {
		return sum, fmt.Errorf("extract: %w", err)
	}
	// The extracted database must open, pass its integrity check and
	// refer only to files the archive holds: on disk as entries, in the
	// database as complete blobs (InspectSnapshot checks those).
	info, err := store.InspectSnapshot(ctx, filepath.Join(stage, databaseName))
	if err != nil {
		return sum, fmt.Errorf("the archived database: %w", err)
	}
	if sum.Bytes, err = archiveHolds(m, info); err != nil {
		return sum, err
	}
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return sum, err
		}
	}
	if _, err := os.Stat(filepath.Join(stage, "files")); err == nil {
		if err := os.Rename(filepath.Join(stage, "files"), filepath.Join(dataDir, "files")); err != nil {
			return sum, err
		}
	}
	if err := os.Rename(filepath.Join(stage, databaseName), filepath.Join(dataDir, databaseName)); err != nil {
		return sum, err
	}
	ok = true
	if err := os.Remove(stage); err != nil {
		return sum, err
	}
	if err := syncDir(dataDir); err != nil {
		return sum, err
	}
	sum.SchemaVersion, sum.Files = m.SchemaVersion, len(info.StoragePaths)+len(info.BlobIDs)
	return sum, nil
}

// requireEmpty accepts a directory that does not exist or holds nothing.
func requireEmpty(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		names := make([]string, 0, 3)
		for _, e := range entries[:min(3, len(entries))] {
			names = append(names, e.Name())
		}
		hint := ""
		if slices.Contains(names, stagingDir) {
			hint = " (" + stagingDir + " is left from an interrupted restore)"
		}
		return fmt.Errorf("%w: %s holds %s%s; restore only into an empty or new directory, so that nothing is overwritten",
			ErrNotEmpty, dir, strings.Join(names, ", "), hint)
	}
	return nil
}

// scan reads the archive through once, checking it as Verify describes;
// when extract is set, each file entry's bytes are passed to it as they
// are read (its error, or a checksum mismatch, stops the scan).
func scan(ctx context.Context, file string, extract func(name string, r io.Reader) error) (Manifest, error) {
	var m Manifest
	f, err := os.Open(file)
	if err != nil {
		return m, err
	}
	defer f.Close()
	tr := tar.NewReader(bufio.NewReaderSize(f, 1<<20))
	seen := map[string]Entry{}
	var order []string
	var manifest []byte
	for {
		if err := ctx.Err(); err != nil {
			return m, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return m, damaged("reading entry %d: %v", len(order)+1, err)
		}
		if manifest != nil {
			return m, damaged("entry %q follows the manifest, which must be last", hdr.Name)
		}
		if hdr.Typeflag != tar.TypeReg {
			return m, damaged("entry %q is not a regular file", hdr.Name)
		}
		if hdr.Name == manifestName {
			if hdr.Size > maxManifestBytes {
				return m, damaged("the manifest is %d bytes, more than a backup's can be", hdr.Size)
			}
			if manifest, err = io.ReadAll(tr); err != nil {
				return m, damaged("reading the manifest: %v", err)
			}
			continue
		}
		if err := checkEntryName(hdr.Name); err != nil {
			return m, damaged("%v", err)
		}
		if _, dup := seen[hdr.Name]; dup {
			return m, damaged("entry %q appears twice", hdr.Name)
		}
		h := sha256.New()
		var src io.Reader = io.TeeReader(tr, h)
		if extract != nil {
			if err := extract(hdr.Name, src); err != nil {
				return m, err
			}
		}
		if _, err := io.Copy(io.Discard, src); err != nil { // whatever extract left unread
			return m, damaged("reading %q: %v", hdr.Name, err)
		}
		seen[hdr.Name] = Entry{Name: hdr.Name, Size: hdr.Size, SHA256: hex.EncodeToString(h.Sum(nil))}
		order = append(order, hdr.Name)
	}
	if manifest == nil {
		return m, damaged("it has no manifest (the last entry): the file is truncated or not a memoria backup")
	}
	if err := json.Unmarshal(manifest, &m); err != nil {
		return m, damaged("the manifest is not valid JSON: %v", err)
	}
	if m.Format != Format {
		return m, damaged("the manifest's format is %q, not %q", m.Format, Format)
	}
	if m.FormatVersion < 1 || m.FormatVersion > FormatVersion {
		return m, fmt.Errorf("the backup has format version %d; this memoria reads version %d: use a newer memoria", m.FormatVersion, FormatVersion)
	}
	if latest := store.LatestSchemaVersion(); m.SchemaVersion > latest {
		return m, fmt.Errorf("the backup's database schema is version %d, newer than this memoria's %d: restore it with a newer memoria", m.SchemaVersion, latest)
	}
	if m.SchemaVersion < 1 {
		return m, damaged("the manifest's schema version %d is not valid", m.SchemaVersion)
	}
	listed := map[string]bool{}
	for _, e := range m.Entries {
		if listed[e.Name] {
			return m, damaged("the manifest lists %q twice", e.Name)
		}
		listed[e.Name] = true
		got, ok := seen[e.Name]
		switch {
		case !ok:
			return m, damaged("%q is in the manifest but not in the archive", e.Name)
		case got.Size != e.Size:
			return m, damaged("%q is %d bytes, the manifest says %d", e.Name, got.Size, e.Size)
		case got.SHA256 != strings.ToLower(e.SHA256):
			return m, damaged("%q has SHA-256 %s, the manifest says %s", e.Name, got.SHA256, e.SHA256)
		}
	}
	for _, name := range order {
		if !listed[name] {
			return m, damaged("%q is in the archive but not in the manifest", name)
		}
	}
	if _, ok := seen[databaseName]; !ok {
		return m, damaged("it holds no %s", databaseName)
	}
	return m, nil
}

// damaged builds the error for an archive that fails verification.
func damaged(format string, args ...any) error {
	return fmt.Errorf("the backup is damaged or incomplete, nothing was restored: "+format, args...)
}

// writeSynced writes r to a new file at dst and syncs it.
func writeSynced(dst string, r io.Reader) error {
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// archiveHolds checks that the archive (its manifest m) holds every file
// on disk that its database (info) refers to, and returns the entries'
// total size.
func archiveHolds(m Manifest, info store.SnapshotInfo) (int64, error) {
	have := map[string]bool{}
	var bytes int64
	for _, e := range m.Entries {
		have[e.Name] = true
		bytes += e.Size
	}
	for _, p := range info.StoragePaths {
		if !have[filesPrefix+p] {
			return bytes, fmt.Errorf("the archive lacks %s%s, which its database refers to", filesPrefix, p)
		}
	}
	return bytes, nil
}
