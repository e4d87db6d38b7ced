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

// ErrCommitUnknown is returned by a write on PostgreSQL whose connection
// was lost while its COMMIT ran: it may or may not be stored, and the
// store does not run it again (that could apply it twice). Reading tells;
// a write that is idempotent (an ingest with its key) may be repeated.
var ErrCommitUnknown = errors.New("store: the connection to PostgreSQL was lost during COMMIT; the write may or may not be stored")
