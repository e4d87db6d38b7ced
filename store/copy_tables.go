package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// The tables a copy between databases moves (copy.go), and the ones it
// leaves behind. Every table a migration makes is in exactly one of the
// two lists: a copy refuses a database holding a table in neither (a
// newer migration this list does not know of), rather than leave its
// rows behind without a word, and a test checks both lists against a
// freshly migrated database of each kind.

// copiedTable is a table a copy moves, with the rows it keeps.
type copiedTable struct {
	name string
	// where, if set, is the condition (SQL that both databases read
	// alike) a source row must meet to be copied.
	where string
}

// referencedBlob keeps a database-held file only while a resource refers
// to it: an orphan (an upload cut short, or a resource deleted since) is
// garbage the target's sweep would remove anyway.
func referencedBlob(idColumn string) string {
	return "EXISTS (SELECT 1 FROM resources r WHERE r.storage_path = '" + blobRefPrefix + "' || CAST(" + idColumn + " AS TEXT))"
}

// copiedTables are the tables a copy moves, parents before children
// (foreign keys are checked row by row).
var copiedTables = []copiedTable{
	{name: "users"},
	{name: "tokens"},
	{name: "user_settings"},
	{name: "link_codes"},
	{name: "memos"},
	{name: "memo_tags"},
	{name: "file_blobs", where: referencedBlob("file_blobs.id")},
	{name: "file_chunks", where: referencedBlob("file_chunks.blob_id")},
	{name: "resources"},
	{name: "system_settings"},
	{name: "idempotency_keys"},
	{name: "memo_groups"},
	{name: "cursors"},
	{name: "external_messages"},
	{name: "external_contents"},
	{name: "import_map"},
	{name: "notify_outbox"},
	{name: "notify_claims"},
	{name: "notify_marks"},
	{name: "telegram_inbox"},
	{name: "telegram_webhook"},
}

// skippedTables are the tables a copy leaves behind, with the reason.
var skippedTables = map[string]string{
	"schema_migrations":   "the target has its own, from its migrations",
	"memo_search":         "derived: the target's index is rebuilt from the memos",
	"memo_search_queue":   "derived: the memos not folded into memo_search yet; the target's index is rebuilt from the memos",
	"memo_search_outside": "derived: memos other programs wrote, not indexed yet; the target's index is rebuilt from the memos",
	"change_log":          "transient: changes for the processes running on the source",
	"bot_status":          "transient: the status the source's bot leader last wrote",
	"signin_failures":     "transient: the sign-in throttle's counts",
	"signin_known":        "transient: the sign-in throttle's known addresses",
	// SQLite's own and the FTS4 index's shadow tables.
	"sqlite_sequence":      "SQLite's AUTOINCREMENT marks: carried over as sequences",
	"sqlite_stat1":         "SQLite's planner statistics",
	"sqlite_stat4":         "SQLite's planner statistics",
	"memo_search_segments": "derived: the FTS4 index's storage",
	"memo_search_segdir":   "derived: the FTS4 index's storage",
	"memo_search_stat":     "derived: the FTS4 index's storage",
	"memo_search_docsize":  "derived: the FTS4 index's storage",
}

// isCopied reports whether a copy moves the table.
func isCopied(name string) bool {
	return slices.ContainsFunc(copiedTables, func(t copiedTable) bool { return t.name == name })
}

// knownTable reports whether the table is one of memoria's.
func knownTable(name string) bool {
	_, skipped := skippedTables[name]
	return skipped || isCopied(name)
}

// listTables returns the names of the tables of g's database: on
// PostgreSQL those of the current schema (the first of search_path that
// exists), on SQLite every table, virtual ones and SQLite's own included.
func listTables(ctx context.Context, g *gorm.DB) ([]string, error) {
	q := "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
	if isPostgres(g) {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
	}
	var names []string
	if err := g.WithContext(ctx).Raw(q).Scan(&names).Error; err != nil {
		return nil, fmt.Errorf("list tables: %w", translate(err))
	}
	return names, nil
}

// checkKnownTables refuses a database holding a table that is not
// memoria's: a newer migration's (whose rows a copy would leave behind),
// or another application's.
func checkKnownTables(ctx context.Context, g *gorm.DB, what string) error {
	names, err := listTables(ctx, g)
	if err != nil {
		return err
	}
	var unknown []string
	for _, n := range names {
		if !knownTable(n) {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("%s holds tables that are not this memoria's (%s): a newer memoria's, or another application's", what, strings.Join(unknown, ", "))
	}
	return nil
}
