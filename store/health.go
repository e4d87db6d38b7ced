package store

import "context"

// Ping reports whether the database answers: it runs a query that reads
// the database file on a read connection, bounded by ctx.
func (db *DB) Ping(ctx context.Context) error {
	var n int
	return translate(db.r(ctx).Raw("SELECT COUNT(*) FROM (SELECT 1 FROM schema_migrations LIMIT 1)").Scan(&n).Error)
}
