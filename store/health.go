package store

import "context"

// Ping reports whether the store can serve: writes are not halted after a
// storage failure (ErrWritesHalted), and the database answers a query that
// reads the database file on a read connection, bounded by ctx.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.haltErr(); err != nil {
		return err
	}
	var n int
	return translate(db.r(ctx).Raw("SELECT COUNT(*) FROM (SELECT 1 FROM schema_migrations LIMIT 1) AS m").Scan(&n).Error)
}
