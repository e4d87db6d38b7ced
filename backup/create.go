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
	"time"

	"github.com/memoria-app/memoria/store"
)

// maxAttempts bounds how often Create starts over because a file the
// snapshot refers to was deleted before it could be copied.
const maxAttempts = 5

// Summary says what an archive holds.
type Summary struct {
	SchemaVersion int
	Files         int   // stored files (resources' bytes), on disk or in the database
	Bytes         int64 // database and files, uncompressed
	Attempts      int   // snapshots taken (Create only)
}

// afterSnapshot, when set (by tests), runs between the snapshot and the
// copying of files: the window in which a deletion makes Create start over.
var afterSnapshot func()

// errFileGone marks a referenced file deleted after the snapshot.
var errFileGone = errors.New("a file the snapshot refers to was deleted meanwhile")

// Instance names where an instance keeps its data: the data directory
// and, when DB is set, the PostgreSQL database (a postgres:// URL, as
// --db takes it) instead of the SQLite file in DataDir.
type Instance struct {
	DataDir string
	DB      string
}

// snapshot writes a consistent copy of the instance's database to dest,
// a SQLite file either way.
func (in Instance) snapshot(ctx context.Context, dest string) error {
	if in.DB != "" {
		return store.SnapshotPostgres(ctx, in.DB, dest)
	}
	return store.Snapshot(ctx, in.DataDir, dest)
}

// Create writes a backup of the instance to file, replacing it atomically
// (a temporary file in the same directory, synced, renamed, the directory
// synced). The instance may be running and writing, in any number of
// processes on PostgreSQL.
func Create(ctx context.Context, from Instance, file string) (Summary, error) {
	dir := filepath.Dir(file)
	var sum Summary
	for attempt := 1; ; attempt++ {
		sum.Attempts = attempt
		tmp, s, err := writeArchive(ctx, from, dir, filepath.Base(file))
		if errors.Is(err, errFileGone) && attempt < maxAttempts {
			continue
		}
		if err != nil {
			return sum, err
		}
		if err := os.Rename(tmp, file); err != nil {
			os.Remove(tmp)
			return sum, err
		}
		if err := syncDir(dir); err != nil {
			return sum, err
		}
		s.Attempts = attempt
		return s, nil
	}
}

// writeArchive writes one complete archive to a synced temporary file in
// dir and returns its name.
func writeArchive(ctx context.Context, from Instance, dir, base string) (_ string, sum Summary, err error) {
	work, err := os.MkdirTemp(dir, ".memoria-backup-*")
	if err != nil {
		return "", sum, err
	}
	defer os.RemoveAll(work)
	snap := filepath.Join(work, databaseName)
	if err := from.snapshot(ctx, snap); err != nil {
		return "", sum, err
	}
	info, err := store.InspectSnapshot(ctx, snap)
	if err != nil {
		return "", sum, fmt.Errorf("inspect snapshot: %w", err)
	}
	if afterSnapshot != nil {
		afterSnapshot()
	}
	out, err := os.CreateTemp(dir, base+".tmp-*")
	if err != nil {
		return "", sum, err
	}
	defer func() {
		if err != nil {
			out.Close()
			os.Remove(out.Name())
		}
	}()
	bw := bufio.NewWriterSize(out, 1<<20)
	tw := tar.NewWriter(bw)
	m := Manifest{Format: Format, FormatVersion: FormatVersion, SchemaVersion: info.SchemaVersion, CreatedAt: time.Now().UTC()}
	add := func(name, src string) error {
		e, err := addFile(tw, name, src)
		if err != nil {
			return err
		}
		m.Entries = append(m.Entries, e)
		sum.Bytes += e.Size
		return nil
	}
	if err := add(databaseName, snap); err != nil {
		return "", sum, err
	}
	filesRoot := filepath.Join(from.DataDir, "files")
	for _, p := range info.StoragePaths {
		if err := ctx.Err(); err != nil {
			return "", sum, err
		}
		if err := add(filesPrefix+p, filepath.Join(filesRoot, filepath.FromSlash(p))); err != nil {
			return "", sum, err
		}
		sum.Files++
	}
	// Files held in the database travel inside the snapshot, checked
	// complete by InspectSnapshot.
	sum.Files += len(info.BlobIDs)
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", sum, err
	}
	hdr := &tar.Header{Name: manifestName, Mode: 0o600, Size: int64(len(body)), ModTime: m.CreatedAt, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return "", sum, err
	}
	if _, err := tw.Write(body); err != nil {
		return "", sum, err
	}
	if err := tw.Close(); err != nil {
		return "", sum, err
	}
	if err := bw.Flush(); err != nil {
		return "", sum, err
	}
	if err := out.Sync(); err != nil {
		return "", sum, err
	}
	if err := out.Close(); err != nil {
		return "", sum, err
	}
	sum.SchemaVersion = info.SchemaVersion
	return out.Name(), sum, nil
}

// addFile copies src into the archive as name and returns its entry. A
// missing src is errFileGone (stored files are never rewritten, only
// deleted, so a file that opens is the one the snapshot refers to).
func addFile(tw *tar.Writer, name, src string) (Entry, error) {
	f, err := os.Open(src)
	if errors.Is(err, os.ErrNotExist) {
		return Entry{}, fmt.Errorf("%w: %s", errFileGone, name)
	}
	if err != nil {
		return Entry{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Entry{}, err
	}
	hdr := &tar.Header{Name: name, Mode: 0o600, Size: st.Size(), ModTime: st.ModTime(), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return Entry{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tw, h), f)
	if err != nil {
		return Entry{}, fmt.Errorf("copy %s: %w", name, err)
	}
	if n != st.Size() {
		return Entry{}, fmt.Errorf("copy %s: size changed while copying", name)
	}
	return Entry{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// syncDir makes a rename or file creation in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
