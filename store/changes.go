package store

import (
	"encoding/json"

	"gorm.io/gorm"
)

// Changes other processes must hear of. On SQLite one process owns the
// database and every change is published in-process after its commit. On
// PostgreSQL a change is also a row of change_log, written in the
// change's own transaction together with a NOTIFY (delivered at commit),
// and every process's listener reads the rows it has not seen
// (feed_postgres.go). The kinds:
const (
	changeMemo       changeKind = "memo"       // payload: the write's []MemoEvent, JSON
	changeSettings   changeKind = "settings"   // listeners re-read the system settings
	changeInvalidate changeKind = "invalidate" // payload: an Invalidation, JSON
	changeInbox      changeKind = "inbox"      // the webhook inbox got an update
	changeBotStatus  changeKind = "bot_status" // a leader wrote a bot status
)

// changeKind says what a change_log row is about.
type changeKind string

// changeChannel is the NOTIFY channel that wakes the listeners; the
// notification carries nothing, the rows carry the changes.
const changeChannel = "memoria_changes"

// changeLogRow is one change (migration 9). Rows are pruned after a few
// minutes: a listener that was away longer starts afresh (see
// pgFeedOptions.LostAfter).
type changeLogRow struct {
	ID        int64  `gorm:"primaryKey"`
	Kind      string `gorm:"not null;size:16"`
	Payload   []byte
	CreatedAt int64 `gorm:"not null;index;autoCreateTime:false"` // µs, the database's clock
}

func (changeLogRow) TableName() string { return "change_log" }

// logChange records a change in tx for the other processes. It does
// nothing on SQLite.
//
// The CTE makes the transaction take its id (pg_current_xact_id) before
// the row takes its sequence number, which the listener's gap tracking
// relies on (see pgChanges.read).
func logChange(tx *gorm.DB, kind changeKind, payload []byte) error {
	if tx.Dialector.Name() != "postgres" {
		return nil
	}
	return tx.Exec(`WITH x AS MATERIALIZED (SELECT pg_current_xact_id() AS xid, pg_notify('`+changeChannel+`', '') AS n)
INSERT INTO change_log (kind, payload, created_at)
SELECT ?, ?, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint FROM x`, string(kind), payload).Error
}

// InvalidationKind says which cached facts changed.
type InvalidationKind int

// Invalidation kinds.
const (
	// InvalidateAll: changes may have been missed (a listener was cut off
	// for longer than the change log keeps them): drop every cache.
	InvalidateAll InvalidationKind = iota + 1
	// InvalidateUser: the user's account or their tokens changed
	// (UserID), or the user was deleted.
	InvalidateUser
	// InvalidateToken: one token was revoked (TokenHash).
	InvalidateToken
	// InvalidateUserSettings: the user's settings changed (UserID).
	InvalidateUserSettings
)

// Invalidation tells a process's caches that another process changed
// what they hold (see DB.OnInvalidate).
type Invalidation struct {
	Kind      InvalidationKind
	UserID    int64  `json:",omitempty"`
	TokenHash []byte `json:",omitempty"`
}

// invalidate records in tx that caches of inv must be dropped; nothing on
// SQLite, where the process that changed the data is the only one.
func invalidate(tx *gorm.DB, inv Invalidation) error {
	if tx.Dialector.Name() != "postgres" {
		return nil
	}
	b, err := json.Marshal(inv)
	if err != nil {
		return err
	}
	return logChange(tx, changeInvalidate, b)
}

// OnInvalidate registers fn to hear of every invalidation committed by
// any process, for caches over the database (the rules' auth and settings
// caches). fn runs on the change listener: it must be quick and must not
// call back into the store. On SQLite it is never called: a cache there
// is kept right by the process that changes the data.
func (db *DB) OnInvalidate(fn func(Invalidation)) {
	if pc := db.pgChanges(); pc != nil {
		pc.onInvalidate(fn)
	}
}

// pgChanges is the PostgreSQL change listener, or nil (SQLite).
func (db *DB) pgChanges() *pgChanges {
	pc, _ := db.memoEvents.(*pgChanges)
	return pc
}

// MultiProcess reports whether other processes may share this database
// (PostgreSQL), so that what a process keeps in memory about it — sign-in
// counters, say — belongs in the database instead.
func (db *DB) MultiProcess() bool { return db.pgChanges() != nil }
