// Package store persists Memoria's data with gorm, on SQLite or
// PostgreSQL. It knows nothing of users' rights, Telegram or Connect:
// callers enforce the rules, the store keeps the data consistent and
// reports typed errors (ErrNotFound, ErrConflict).
//
// Data flow: Open chooses the database (Options.URL) and with it two
// small seams (dialect.go): the dialect, for the few statements that
// differ, and the write path, for how a write commits. On SQLite every
// write goes through one writer goroutine (writer.go) that owns the only
// write connection and commits the writes waiting at that moment as one
// group, each in a savepoint of its own, and a syncer (sync.go) makes the
// group durable before answering; on PostgreSQL each write is a
// serializable transaction of its own on a pool, retried when the server
// cannot serialise it (tx_postgres.go). Reads use a separate pool.
// Committed changes flow back out through feeds (settings.go: the
// settings feed the bot supervisor follows; memo_events.go). Migrations
// (migrations.go) are versioned, append-only and shared by both
// databases; the gorm models (models.go) are private and callers see the
// domain types of types.go. Backups snapshot either database into a
// SQLite file (backup.go, backup_postgres.go), and a restore into
// PostgreSQL copies such a file's rows (restore_postgres.go): both move
// rows between the two databases with copy.go. Tests open stores through
// storetest, on the database MEMORIA_TEST_DB names.
package store
