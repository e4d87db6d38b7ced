// Package store persists Memoria's data with gorm. It knows nothing of
// users' rights, Telegram or Connect: callers enforce the rules, the store
// keeps the data consistent and reports typed errors (ErrNotFound,
// ErrConflict).
//
// Data flow: every write goes through one writer goroutine (writer.go) that
// owns the only write connection and commits the writes waiting at that
// moment as one group, each in a savepoint of its own; reads use a separate
// pool of read-only connections. Committed changes flow back out through
// feeds (settings.go: the settings feed the bot supervisor follows).
// Migrations (migrations.go) are versioned and append-only; the gorm models
// (models.go) are private and callers see the domain types of types.go.
package store
