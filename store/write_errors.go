package store

import "errors"

// ErrClosed is returned by a store call made after Close.
var ErrClosed = errors.New("store: closed")

// ErrSyncFailed is returned to the writes whose commit could not be synced
// to stable storage: they are committed in SQLite's log but may or may not
// survive a power loss. The store then halts writes (ErrWritesHalted).
var ErrSyncFailed = errors.New("store: syncing the database to disk failed; the write may not survive a power loss")

// ErrWritesHalted is returned by every write after a storage failure that
// leaves the on-disk state unknown (a failed sync, a transaction that
// could not be rolled back). Reads keep working; writes resume only when
// the process restarts and SQLite recovers the database from disk.
var ErrWritesHalted = errors.New("store: writes halted after a storage failure; restart the server")
