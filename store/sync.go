package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// SQLite runs with synchronous=NORMAL: a COMMIT appends the transaction's
// frames to the write-ahead log (memoria.db-wal) but does not sync it.
// The syncer makes commits durable itself, off the writer's goroutine: it
// takes every group committed so far, fdatasyncs the WAL file (a sync is
// per inode, so our own descriptor flushes what SQLite wrote through its
// own), and only then answers those groups' callers. Meanwhile the writer
// commits the next group, whose callers wait for a sync that starts after
// that commit. One sync thus covers one or more commits; see
// docs/durability.md for why this is as durable as synchronous=FULL.

// syncer answers committed groups once they are on stable storage; it ends
// when the writer does.
func (db *DB) syncer() {
	defer close(db.done)
	batch := make([]groupOutcome, 0, 16)
	for g := range db.toSync {
		batch = append(batch[:0], g)
	more:
		for {
			select {
			case g, ok := <-db.toSync:
				if !ok {
					break more
				}
				batch = append(batch, g)
			default:
				break more
			}
		}
		db.syncing.Store(true)
		// Every group in the batch committed before this point, so a sync
		// that starts now covers all of them.
		var err error
		if slices.ContainsFunc(batch, func(g groupOutcome) bool { return g.seq > 0 }) {
			err = db.syncCommitted()
		}
		// Idle before answering: a caller's next write may then start a
		// group of its own at once (see runTx's lone-write case).
		db.syncing.Store(false)
		for _, g := range batch {
			for i, req := range g.reqs {
				res := g.results[i]
				if res == nil && g.seq > 0 && err != nil {
					res = err
				}
				req.done <- res
			}
		}
		select { // wake a writer holding its transaction open (nextWrite)
		case db.syncIdle <- struct{}{}:
		default:
		}
	}
}

// syncCommitted makes every commit so far durable. A failed sync halts
// writes: after a failed fsync the kernel may have dropped the dirty
// pages or marked them clean, so a later sync that succeeds proves
// nothing about them.
func (db *DB) syncCommitted() error {
	if p := db.syncErr.Load(); p != nil {
		return *p
	}
	start := time.Now()
	if err := db.wal.sync(); err != nil {
		err = fmt.Errorf("%w: %v", ErrSyncFailed, err)
		db.syncErr.Store(&err)
		db.halt(err)
		return err
	}
	db.synced(time.Since(start))
	return nil
}

// halt makes every later write fail with ErrWritesHalted (the first cause
// wins).
func (db *DB) halt(cause error) {
	err := fmt.Errorf("%w: %v", ErrWritesHalted, cause)
	db.halted.CompareAndSwap(nil, &err)
}

// haltErr is the error writes fail with once halted, nil before.
func (db *DB) haltErr() error {
	if p := db.halted.Load(); p != nil {
		return *p
	}
	return nil
}

// WriteStats counts the writer's work since Open.
type WriteStats struct {
	Writes  uint64 // writes that reached the writer
	Commits uint64 // transactions committed
	Syncs   uint64 // completed syncs of the log, each covering one or more commits
}

// WriteStats reports the writer's counters (for benchmarks and
// monitoring): Syncs/Commits is the syncs per commit.
func (db *DB) WriteStats() WriteStats {
	return WriteStats{Writes: db.writesRun.Load(), Commits: db.commits.Load(), Syncs: db.syncs.Load()}
}

// walFile syncs SQLite's write-ahead log through a descriptor of its own.
type walFile struct {
	path string   // memoria.db-wal
	dir  string   // the directory holding the database and its WAL
	dbf  *os.File // the database file, held open until Close (see below)
	f    *os.File // the WAL as last opened; nil when it did not exist
	st   fs.FileInfo
	// syncFile is fdatasync; tests wrap it to count syncs or inject faults.
	syncFile func(*os.File) error
}

// openWAL prepares syncing the WAL of the database at dbPath, and makes
// the directory entries of the data directory, the database and its WAL
// durable (they may have just been created).
//
// The database file stays open until Close: on POSIX, closing any
// descriptor of a file drops every fcntl lock the process holds on it,
// SQLite's included, so the store must never open and close it while
// SQLite uses it. The WAL carries no fcntl locks (WAL locking is on the
// -shm file), so it may be reopened.
func openWAL(dbPath string) (*walFile, error) {
	w := &walFile{path: dbPath + "-wal", dir: filepath.Dir(dbPath), syncFile: fdatasync}
	dbf, err := os.OpenFile(dbPath, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open database file for syncing: %w", err)
	}
	w.dbf = dbf
	if err := w.reopen(); err != nil {
		w.close()
		return nil, err
	}
	if err := syncDir(filepath.Dir(w.dir)); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

// sync makes what SQLite wrote to the WAL so far durable. The WAL keeps
// its inode while SQLite resets or truncates it; it is only deleted when
// the last connection closes (after a checkpoint that synced the database
// file), which the writer's connection prevents, but sync checks anyway:
// a missing WAL means the data is in the database file, and a new inode
// is reopened (and its directory entry synced) before syncing.
func (w *walFile) sync() error {
	st, err := os.Stat(w.path)
	if errors.Is(err, fs.ErrNotExist) {
		if w.f != nil {
			w.f.Close()
			w.f, w.st = nil, nil
		}
		return w.syncFile(w.dbf)
	}
	if err != nil {
		return err
	}
	if w.f == nil || !os.SameFile(st, w.st) {
		if err := w.reopen(); err != nil {
			return err
		}
	}
	return w.syncFile(w.f)
}

// reopen opens the WAL as it now is (if it exists) and syncs the
// directory so that its entry is durable.
func (w *walFile) reopen() error {
	if w.f != nil {
		w.f.Close()
		w.f, w.st = nil, nil
	}
	f, err := os.OpenFile(w.path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return syncDir(w.dir)
	}
	if err != nil {
		return fmt.Errorf("open WAL for syncing: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	w.f, w.st = f, st
	return syncDir(w.dir)
}

// close releases the descriptors; call it only after SQLite closed the
// database (see openWAL).
func (w *walFile) close() {
	if w.f != nil {
		w.f.Close()
	}
	if w.dbf != nil {
		w.dbf.Close()
	}
}

// syncDir makes a directory's entries durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
