package store

import (
	"context"
	"database/sql"
	"log/slog"

	"gorm.io/gorm"
)

// The search index as migration 3 built it, frozen (migrations are
// append-only): an FTS4 table over a view of memos.content, kept by
// triggers that wrote to FTS from every memo statement. Migration 7
// replaces it (search_sqlite.go).
var sqliteSearchSchemaV3 = []string{
	`CREATE VIEW memo_search_source AS
  SELECT id AS rowid, memoria_search_body(content) AS body FROM memos`,
	`CREATE VIRTUAL TABLE memo_search USING fts4(content="memo_search_source", body, tokenize=simple)`,
	`CREATE TRIGGER memo_search_insert AFTER INSERT ON memos BEGIN
  INSERT INTO memo_search(docid, body) VALUES (new.id, memoria_search_body(new.content));
END`,
	`CREATE TRIGGER memo_search_unindex BEFORE UPDATE OF content ON memos WHEN old.content IS NOT new.content BEGIN
  DELETE FROM memo_search WHERE docid = old.id;
END`,
	`CREATE TRIGGER memo_search_reindex AFTER UPDATE OF content ON memos WHEN old.content IS NOT new.content BEGIN
  INSERT INTO memo_search(docid, body) VALUES (new.id, memoria_search_body(new.content));
END`,
	`CREATE TRIGGER memo_search_delete BEFORE DELETE ON memos BEGIN
  DELETE FROM memo_search WHERE docid = old.id;
END`,
}

// createSearchV3 is migration 3. Its backfill uses the view, so it
// depends on memoria_search_body as migration 3 shipped it only in that
// migration 7 rebuilds everything right after.
func createSearchV3(ctx context.Context, tx *gorm.DB, log *slog.Logger) error {
	for _, stmt := range sqliteSearchSchemaV3 {
		if err := tx.Exec(stmt).Error; err != nil {
			return err
		}
	}
	var n sql.NullInt64
	if err := tx.Raw("SELECT COUNT(*) FROM memos").Scan(&n).Error; err != nil || n.Int64 == 0 {
		return err
	}
	// Migration 7 drops this index and builds its own; indexing the memos
	// here too would only be thrown away.
	log.InfoContext(ctx, "search index v3 left empty; migration 7 builds the index", "memos", n.Int64)
	return nil
}
