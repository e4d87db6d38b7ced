package store

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"
)

// Memos written by other programs. On SQLite the triggers queue every
// write in memo_search_queue, which only the store's writer folds, so a
// memo a sqlite3 shell wrote is indexed when the store next opens
// (indexQueuedMemos). On PostgreSQL the store's own writes are recorded in
// a per-session temporary table and indexed just before their COMMIT
// (search_postgres.go); a write from psql or a script went through the
// same trigger, into a temporary table nobody flushed, and was never
// indexed. So every store connection carries the marker
// memoria.store=on (postgresConfig), and the trigger records a write made
// without it in memo_search_outside, a real table, which the store
// indexes at its start and, while it runs, within outsideWritesEvery
// (an older version of memoria still running during a rolling deploy
// writes without the marker too). Other programs write rarely, so the
// shared table costs the store's own (serializable) writes no conflicts.

// pgStoreMarker is the session setting that tells the triggers a
// connection is the store's.
const pgStoreMarker = "memoria.store"

// migrateOutsideWrites is migration 12: nothing on SQLite.
func migrateOutsideWrites(tx *gorm.DB) error {
	if tx.Dialector.Name() != "postgres" {
		return nil
	}
	for _, stmt := range []string{
		`CREATE TABLE memo_search_outside (docid BIGINT PRIMARY KEY REFERENCES memos(id) ON DELETE CASCADE)`,
		// The store's branch repeats migration 11's function on purpose:
		// a migration is a snapshot, not shared code that a later edit
		// could change under it.
		`CREATE OR REPLACE FUNCTION memo_search_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('` + pgStoreMarker + `', true) IS DISTINCT FROM 'on' THEN
    -- Another program wrote: the store indexes the memo at its next start.
    -- (A deleted memo's index row goes by ON DELETE CASCADE.)
    IF TG_OP <> 'DELETE' THEN
      INSERT INTO memo_search_outside (docid) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
  END IF;
  IF to_regclass('pg_temp.memo_search_pending') IS NULL THEN
    CREATE TEMPORARY TABLE memo_search_pending (docid BIGINT PRIMARY KEY, content TEXT) ON COMMIT DELETE ROWS;
  END IF;
  IF TG_OP = 'DELETE' THEN
    DELETE FROM pg_temp.memo_search_pending WHERE docid = OLD.id;
    RETURN NULL;
  END IF;
  INSERT INTO pg_temp.memo_search_pending (docid, content) VALUES (NEW.id, NEW.content)
    ON CONFLICT (docid) DO UPDATE SET content = excluded.content;
  RETURN NULL;
END $$`,
		// Memos other programs inserted before this migration have no
		// index row.
		`INSERT INTO memo_search_outside (docid)
  SELECT id FROM memos m WHERE NOT EXISTS (SELECT 1 FROM memo_search s WHERE s.docid = m.id)`,
	} {
		if err := tx.Exec(stmt).Error; err != nil {
			return err
		}
	}
	return nil
}

// outsideWritesEvery is how often a running store looks for memos other
// programs wrote.
const outsideWritesEvery = 5 * time.Second

// indexOutsideWritesEvery runs indexOutsideWrites every interval until
// stop is closed (PostgreSQL only; Open starts it).
func (db *DB) indexOutsideWritesEvery(interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() { // Close does not wait for a slow database
			select {
			case <-stop:
			case <-ctx.Done():
			}
			cancel()
		}()
		var waiting bool
		err := db.write.WithContext(ctx).Raw("SELECT EXISTS (SELECT 1 FROM memo_search_outside)").Scan(&waiting).Error
		if err == nil && waiting {
			err = indexOutsideWrites(db.write.WithContext(ctx))
		}
		cancel()
		if err != nil && !db.closed.Load() {
			slog.Warn("indexing memos written by other programs", "err", err)
		}
	}
}

// indexOutsideWrites indexes the memos of memo_search_outside, a chunk per
// transaction. Each chunk's ids leave the table first (DELETE …
// RETURNING), and only then is their content read, with the memos locked
// (FOR UPDATE) until the index rows are written: a program that changes
// one of them meanwhile waits on the deleted row and records it again
// once this commits, and a store write to one of them commits its own
// index row after this one, so no change is lost and no index row goes
// stale.
func indexOutsideWrites(db *gorm.DB) error {
	if !db.Migrator().HasTable("memo_search_outside") {
		return nil
	}
	for {
		var n int
		err := db.Transaction(func(tx *gorm.DB) error {
			var ids []int64
			if err := tx.Raw(`DELETE FROM memo_search_outside WHERE docid IN
  (SELECT docid FROM memo_search_outside ORDER BY docid LIMIT ?) RETURNING docid`, backfillChunk).Scan(&ids).Error; err != nil {
				return err
			}
			if n = len(ids); n == 0 {
				return nil
			}
			var memos []struct {
				ID      int64
				Content string
			}
			if err := tx.Raw("SELECT id, content FROM memos WHERE id IN ? FOR UPDATE", ids).Scan(&memos).Error; err != nil {
				return err
			}
			rows := make([]pgSearchRow, len(memos))
			for i, m := range memos {
				rows[i] = newPGSearchRow(m.ID, searchDocument(m.Content))
			}
			return pgWriteSearchRows(tx, rows)
		})
		if err != nil {
			return fmt.Errorf("index memos written by other programs: %w", err)
		}
		if n < backfillChunk {
			return nil
		}
	}
}
