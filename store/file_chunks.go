package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Stored files may live in the database, so that processes sharing it
// share nothing on disk: a file_blobs row per file (its size, once
// complete) and its bytes in file_chunks rows of BlobChunkSize bytes (the
// last one shorter). WriteBlob writes the chunks as they stream in, each
// in a write of its own, so a file is never whole in memory and a long
// upload never holds the write transaction; the header is marked complete
// with the last chunk. A blob no resource refers to — an upload cut short
// by a crash, or finished just before one — is found by WalkBlobs and
// removed by the caller's orphan sweep after a grace period measured from
// TouchedAt, which every chunk advances.

// BlobChunkSize is the length of every chunk of a blob but the last.
const BlobChunkSize = 1 << 20

// blobRefPrefix starts the storage path of a database-held file.
const blobRefPrefix = "db:"

// ErrBlobTooLarge is returned by WriteBlob for a source longer than its
// limit; nothing of it is kept.
var ErrBlobTooLarge = errors.New("file too large")

// BlobRef is the storage path (Resource.StoragePath) of the blob id: it
// names the database as the file's home, so that an instance can hold
// files on disk and in the database side by side.
func BlobRef(id int64) string { return blobRefPrefix + strconv.FormatInt(id, 10) }

// ParseBlobRef returns the blob id of a storage path made by BlobRef, and
// false for any other path (a file on disk).
func ParseBlobRef(ref string) (int64, bool) {
	s, ok := strings.CutPrefix(ref, blobRefPrefix)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != s {
		return 0, false
	}
	return id, true
}

// FilesInDBByDefault reports whether new files belong in the database
// unless configured otherwise: on PostgreSQL, where processes sharing the
// database must share their files and need nothing of each other's disk;
// not on SQLite, whose single process keeps them beside the database
// file.
func (db *DB) FilesInDBByDefault() bool { return db.write.Dialector.Name() == "postgres" }

type fileBlobRow struct {
	ID int64 `gorm:"primaryKey"`
	// Size is the file's length once Complete (0 before).
	Size      int64 `gorm:"not null"`
	ChunkSize int64 `gorm:"not null"`
	Complete  bool  `gorm:"not null"`
	CreatedAt int64 `gorm:"not null;autoCreateTime:false"`
	// TouchedAt is when the last chunk was written (micros): the orphan
	// sweep's clock.
	TouchedAt int64 `gorm:"not null;index"`
}

func (fileBlobRow) TableName() string { return "file_blobs" }

type fileChunkRow struct {
	BlobID int64        `gorm:"primaryKey;autoIncrement:false"`
	Blob   *fileBlobRow `gorm:"foreignKey:BlobID;constraint:OnDelete:CASCADE"`
	Seq    int64        `gorm:"primaryKey;autoIncrement:false"`
	Data   []byte       `gorm:"not null"`
}

func (fileChunkRow) TableName() string { return "file_chunks" }

// migrateFileChunks is migration 10: the tables of database-held files.
func migrateFileChunks(tx *gorm.DB) error {
	if err := tx.Migrator().CreateTable(&fileBlobRow{}, &fileChunkRow{}); err != nil {
		return err
	}
	if tx.Dialector.Name() == "postgres" {
		// Chunks are mostly photos and videos, already compressed: keep
		// them out of line without trying to compress them again.
		return tx.Exec("ALTER TABLE file_chunks ALTER COLUMN data SET STORAGE EXTERNAL").Error
	}
	return nil
}

// WriteBlob streams src (at most limit bytes; more is ErrBlobTooLarge)
// into a new blob and returns its id and size. It holds one chunk in
// memory. On any error — src failing, the limit, ctx ending, the database
// — it deletes what it wrote; if that fails too (the database is gone),
// the incomplete blob is left for the orphan sweep.
func (db *DB) WriteBlob(ctx context.Context, src io.Reader, limit int64) (id, size int64, err error) {
	w := &blobWriter{db: db, src: bufio.NewReaderSize(src, 512), buf: make([]byte, BlobChunkSize)}
	defer func() {
		if err != nil && w.id != 0 {
			if derr := db.DeleteBlobs(context.WithoutCancel(ctx), w.id); derr != nil {
				err = fmt.Errorf("%w (and the partial file is left for the sweep: %v)", err, derr)
			}
		}
	}()
	for seq := int64(0); ; seq++ {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		n, last, err := w.next()
		if err != nil {
			return 0, 0, err
		}
		if size+int64(n) > limit {
			return 0, 0, ErrBlobTooLarge
		}
		size += int64(n)
		if err := w.put(ctx, seq, n, last, size); err != nil {
			return 0, 0, err
		}
		if last {
			return w.id, size, nil
		}
	}
}

// blobWriter is the state of one WriteBlob.
type blobWriter struct {
	db  *DB
	src *bufio.Reader
	buf []byte // one chunk, reused
	id  int64  // 0 until the header is written
}

// next reads the next chunk into buf and reports whether it is the last.
// Only io.EOF ends the file: any other error, io.ErrUnexpectedEOF (a body
// cut short) included, fails it.
func (w *blobWriter) next() (n int, last bool, err error) {
	for n < len(w.buf) {
		m, err := w.src.Read(w.buf[n:])
		n += m
		if errors.Is(err, io.EOF) {
			return n, true, nil
		}
		if err != nil {
			return 0, false, err
		}
	}
	if _, err := w.src.Peek(1); errors.Is(err, io.EOF) {
		return n, true, nil
	} else if err != nil {
		return 0, false, err
	}
	return n, false, nil
}

// put writes chunk seq (buf[:n]; none for an empty file) in one write: the
// first with the header, every one advancing TouchedAt, the last marking
// the blob complete with its size.
func (w *blobWriter) put(ctx context.Context, seq int64, n int, last bool, size int64) error {
	data := w.buf[:n]
	return w.db.tx(ctx, func(tx *gorm.DB) error {
		now := micros(time.Now())
		if seq == 0 {
			hdr := fileBlobRow{ChunkSize: BlobChunkSize, CreatedAt: now, TouchedAt: now}
			if last {
				hdr.Size, hdr.Complete = size, true
			}
			if err := tx.Create(&hdr).Error; err != nil {
				return err
			}
			w.id = hdr.ID
		} else {
			upd := map[string]any{"touched_at": now}
			if last {
				upd["size"], upd["complete"] = size, true
			}
			res := tx.Model(&fileBlobRow{}).Where("id = ? AND NOT complete", w.id).Updates(upd)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return fmt.Errorf("write file: its partial blob %d was removed meanwhile: %w", w.id, ErrNotFound)
			}
		}
		if n == 0 && seq == 0 {
			return nil // an empty file has no chunk
		}
		return tx.Create(&fileChunkRow{BlobID: w.id, Seq: seq, Data: data}).Error
	})
}

// DeleteBlobs deletes blobs and their chunks, each in a write of its own;
// ones already gone are skipped.
func (db *DB) DeleteBlobs(ctx context.Context, ids ...int64) error {
	for _, id := range ids {
		err := db.tx(ctx, func(tx *gorm.DB) error {
			if err := tx.Where("blob_id = ?", id).Delete(&fileChunkRow{}).Error; err != nil {
				return err
			}
			return tx.Where("id = ?", id).Delete(&fileBlobRow{}).Error
		})
		if err != nil {
			return fmt.Errorf("delete blob %d: %w", id, err)
		}
	}
	return nil
}

// walkPage is how many blobs WalkBlobs reads per query.
const walkPage = 500

// WalkBlobs calls fn with every blob, complete or not, and when it was
// last written to, in id order, a page at a time; fn's error stops it.
func (db *DB) WalkBlobs(ctx context.Context, fn func(id int64, touched time.Time) error) error {
	after := int64(0)
	for {
		var rows []fileBlobRow
		err := db.r(ctx).Select("id", "touched_at").Where("id > ?", after).Order("id").Limit(walkPage).Find(&rows).Error
		if err != nil {
			return translate(err)
		}
		for _, r := range rows {
			if err := fn(r.ID, fromMicros(r.TouchedAt)); err != nil {
				return err
			}
			after = r.ID
		}
		if len(rows) < walkPage {
			return nil
		}
	}
}

// OpenBlob opens a complete blob for reading (ErrNotFound if there is none
// with id, or it is still being written). The reader fetches one chunk at
// a time, when a read reaches it, with ctx; its Seek costs nothing, so a
// Range request reads only the chunks it covers.
func (db *DB) OpenBlob(ctx context.Context, id int64) (*BlobReader, error) {
	var hdr fileBlobRow
	err := db.r(ctx).Take(&hdr, "id = ? AND complete", id).Error
	if err != nil {
		return nil, fmt.Errorf("open blob %d: %w", id, translate(err))
	}
	if hdr.ChunkSize <= 0 {
		return nil, fmt.Errorf("open blob %d: its chunk size is %d", id, hdr.ChunkSize)
	}
	return &BlobReader{db: db, ctx: ctx, id: id, size: hdr.Size, chunkSize: hdr.ChunkSize, seq: -1}, nil
}

// BlobReader reads a blob: an io.ReadSeekCloser that http.ServeContent can
// serve. It keeps the context OpenBlob was given, for the chunks it
// fetches later (as an http.Request's body does). Not safe for concurrent
// use.
type BlobReader struct {
	db        *DB
	ctx       context.Context
	id        int64
	size      int64
	chunkSize int64
	off       int64
	seq       int64  // the chunk in cur; -1: none
	cur       []byte // chunk seq's bytes
	fetches   int    // chunks read from the database (tests count them)
}

// Size is the blob's length in bytes.
func (b *BlobReader) Size() int64 { return b.size }

// Read reads from the current offset, fetching the chunk that holds it
// if it is not the one last fetched.
func (b *BlobReader) Read(p []byte) (int, error) {
	if b.off >= b.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	seq := b.off / b.chunkSize
	if seq != b.seq {
		if err := b.fetch(seq); err != nil {
			return 0, err
		}
	}
	n := copy(p, b.cur[b.off-seq*b.chunkSize:])
	b.off += int64(n)
	return n, nil
}

// fetch reads chunk seq and checks its length against the header's.
func (b *BlobReader) fetch(seq int64) error {
	b.seq, b.cur = -1, nil
	var row fileChunkRow
	err := b.db.r(b.ctx).Select("data").Take(&row, "blob_id = ? AND seq = ?", b.id, seq).Error
	if err = translate(err); errors.Is(err, ErrNotFound) {
		return fmt.Errorf("read blob %d: chunk %d is missing (the file was deleted meanwhile?): %w", b.id, seq, io.ErrUnexpectedEOF)
	} else if err != nil {
		return fmt.Errorf("read blob %d, chunk %d: %w", b.id, seq, err)
	}
	data := row.Data
	if want := min(b.chunkSize, b.size-seq*b.chunkSize); int64(len(data)) != want {
		return fmt.Errorf("read blob %d: chunk %d holds %d bytes, not %d", b.id, seq, len(data), want)
	}
	b.fetches++
	b.seq, b.cur = seq, data
	return nil
}

// Seek sets the offset for the next Read (no database access).
func (b *BlobReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += b.off
	case io.SeekEnd:
		offset += b.size
	default:
		return 0, errors.New("seek: invalid whence")
	}
	if offset < 0 {
		return 0, errors.New("seek: negative position")
	}
	b.off = offset
	return offset, nil
}

// Close drops the chunk held; the reader is unusable afterwards.
func (b *BlobReader) Close() error {
	b.cur, b.seq, b.size = nil, -1, 0
	return nil
}
