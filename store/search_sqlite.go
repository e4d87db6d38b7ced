package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	sqlite3 "github.com/mattn/go-sqlite3"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
)

// SQLite's full-text index: an FTS4 table memo_search (docid = memo id)
// with one column, body (searchBody: folded words, CJK bigrams and each
// CJK run's last character), tokenized by FTS's "simple" tokenizer, which
// here only splits at the spaces Go put in — all folding happened in Go, so
// the index, the query and the rules' line matcher agree on what a word
// is. Triggers on memos keep it in the transaction of every write, from
// whichever code path (create, update, Telegram ingest, a user's memos
// deleted by cascade). Ranking is a Go function over matchinfo.
//
// FTS4 rather than FTS5: mattn/go-sqlite3 compiles FTS5 only under the
// build tag sqlite_fts5, and `go build -o memoria .` must work as is (see
// docs/search.md for the measurements behind this choice).

// sqliteDriverName is go-sqlite3 registered with the search functions on
// every connection.
const sqliteDriverName = "sqlite3_memoria"

var registerDriver sync.Once

// sqliteDriver registers sqliteDriverName (once) and returns it. Every
// connection to a Memoria database must use it: the search index's
// triggers and integrity check call the functions it registers.
func sqliteDriver() string {
	registerDriver.Do(func() {
		sql.Register(sqliteDriverName, &sqlite3.SQLiteDriver{ConnectHook: registerSearchFuncs})
	})
	return sqliteDriverName
}

// sqliteDialector is gorm's SQLite dialector over sqliteDriverName.
func sqliteDialector(dsn string) gorm.Dialector {
	return sqlite.New(sqlite.Config{DriverName: sqliteDriver(), DSN: dsn})
}

func registerSearchFuncs(c *sqlite3.SQLiteConn) error {
	for name, fn := range map[string]any{
		"memoria_search_body":    searchBody,
		"memoria_search_repeats": func(content string) string { return searchRepeats(searchBody(content)) },
		"memoria_search_rank":    matchinfoRank,
	} {
		if err := c.RegisterFunc(name, fn, true); err != nil {
			return fmt.Errorf("register %s: %w", name, err)
		}
	}
	return nil
}

// matchinfoRank scores one row from matchinfo(memo_search, 'pcy') and the
// number of the query's phrases that are its units (they come first; the
// others are conditions on the repeats column): the phrase count p, the
// column count c, then the hits of each phrase in each column of this row.
// A unit's term frequency is its hits in body, column 0.
func matchinfoRank(mi []byte, units int) float64 {
	n := len(mi) / 4
	at := func(i int) uint32 { return binary.LittleEndian.Uint32(mi[i*4:]) }
	if n < 2 {
		return 0
	}
	p, c := int(at(0)), int(at(1))
	if c < 1 || n < 2+p*c || units > p {
		return 0
	}
	var buf [16]uint32
	tfs := buf[:0]
	for i := 0; i < units; i++ {
		tfs = append(tfs, at(2+i*c))
	}
	return rankScore(tfs)
}

type sqliteFTS struct{}

// The FTS table has external content: a view that derives body from
// memos.content, so the text is not stored twice. FTS4 reads the view
// when it removes a row (to know which tokens to drop), hence the BEFORE
// triggers for deletes and updates; and any change to searchBody (or what
// it calls) needs a migration that rebuilds the index.
//
// Additions go through a queue: FTS4 writes its pending terms out as a
// new segment at every savepoint and at the start of every statement
// that runs a trigger, so a trigger inserting into FTS made one segment
// (and, every 16 segments, a merge) per memo. The triggers only record
// the memo's id in memo_search_queue, in the write's own transaction, and
// the writer later moves the queued memos into FTS in one batch (fold,
// search_fold.go): FTS costs several times less per memo in batches of
// hundreds than in a commit group's handful. So the index is FTS and the
// queue together, kept in the same transaction as every memo write: a
// memo's current content is in exactly one of them, and a search matches
// both (the queue's memos in Go, search_pending.go). Removals stay
// immediate (FTS must read the old text through the view before it
// changes); a memo still in the queue is not in FTS yet, so it is only
// dropped from the queue (removing it from FTS would tokenize its text
// for nothing).
var sqliteSearchSchema = []string{
	`CREATE VIEW memo_search_source AS
  SELECT id AS rowid, memoria_search_body(content) AS body, memoria_search_repeats(content) AS repeats FROM memos`,
	`CREATE VIRTUAL TABLE memo_search USING fts4(content="memo_search_source", body, repeats, tokenize=simple, order=DESC, matchinfo=fts3)`,
	`CREATE TABLE memo_search_queue (docid INTEGER PRIMARY KEY)`,
	`CREATE TRIGGER memo_search_insert AFTER INSERT ON memos BEGIN
  INSERT INTO memo_search_queue(docid) VALUES (new.id);
END`,
	`CREATE TRIGGER memo_search_unindex BEFORE UPDATE OF content ON memos
  WHEN old.content IS NOT new.content AND NOT EXISTS (SELECT 1 FROM memo_search_queue WHERE docid = old.id) BEGIN
  DELETE FROM memo_search WHERE docid = old.id;
END`,
	`CREATE TRIGGER memo_search_reindex AFTER UPDATE OF content ON memos WHEN old.content IS NOT new.content BEGIN
  INSERT OR IGNORE INTO memo_search_queue(docid) VALUES (new.id);
END`,
	`CREATE TRIGGER memo_search_delete BEFORE DELETE ON memos BEGIN
  DELETE FROM memo_search WHERE docid = old.id AND NOT EXISTS (SELECT 1 FROM memo_search_queue WHERE docid = old.id);
  DELETE FROM memo_search_queue WHERE docid = old.id;
END`,
}

// sqliteSearchPendingView is migration 13's content view: memos in the
// queue are left out, so that FTS's content is exactly what FTS indexes
// and its integrity check (the store's, and the one PRAGMA integrity_check
// and quick_check run on every FTS table) holds while memos wait in the
// queue. What FTS reads through the view — the old text of a memo being
// updated or deleted, a rebuild — is only ever asked of memos not queued.
var sqliteSearchPendingView = []string{
	`DROP VIEW memo_search_source`,
	`CREATE VIEW memo_search_source AS
  SELECT id AS rowid, memoria_search_body(content) AS body, memoria_search_repeats(content) AS repeats FROM memos
  WHERE NOT EXISTS (SELECT 1 FROM memo_search_queue q WHERE q.docid = memos.id)`,
}

// migrateSearchPendingView is migration 13 (SQLite only; PostgreSQL's
// index has no queue).
func migrateSearchPendingView(tx *gorm.DB) error {
	if tx.Dialector.Name() == postgresName {
		return nil
	}
	for _, stmt := range sqliteSearchPendingView {
		if err := tx.Exec(stmt).Error; err != nil {
			return err
		}
	}
	return nil
}

// sqliteSearchOldObjects are what migrations 3 and 7 made, dropped by
// migration 11 before it creates the index anew (it indexes every memo,
// so the queue's are not lost).
var sqliteSearchOldObjects = []string{
	"DROP TRIGGER IF EXISTS memo_search_insert", "DROP TRIGGER IF EXISTS memo_search_unindex",
	"DROP TRIGGER IF EXISTS memo_search_reindex", "DROP TRIGGER IF EXISTS memo_search_delete",
	"DROP TABLE IF EXISTS memo_search", "DROP VIEW IF EXISTS memo_search_source",
	"DROP TABLE IF EXISTS memo_search_queue",
}

func (sqliteFTS) create(ctx context.Context, tx *gorm.DB, log *slog.Logger) error {
	for _, stmt := range append(slices.Clone(sqliteSearchOldObjects), sqliteSearchSchema...) {
		if err := tx.Exec(stmt).Error; err != nil {
			return err
		}
	}
	return sqliteFTS{}.indexAll(ctx, tx, log)
}

// indexAll indexes every memo, a chunk at a time, into the empty index.
func (sqliteFTS) indexAll(ctx context.Context, tx *gorm.DB, log *slog.Logger) error {
	err := backfillIndex(ctx, tx, log, func(last int64) (int64, int64, error) {
		var hi sql.NullInt64
		err := tx.Raw("SELECT MAX(id) FROM (SELECT id FROM memos WHERE id > ? ORDER BY id LIMIT ?)", last, backfillChunk).Scan(&hi).Error
		if err != nil || !hi.Valid {
			return 0, 0, err
		}
		res := tx.Exec(`INSERT INTO memo_search(docid, body, repeats)
			SELECT rowid, body, repeats FROM memo_search_source WHERE rowid > ? AND rowid <= ?`, last, hi.Int64)
		return res.RowsAffected, hi.Int64, res.Error
	})
	if err != nil {
		return err
	}
	// One segment per term after a bulk load: faster queries.
	return tx.Exec("INSERT INTO memo_search(memo_search) VALUES ('optimize')").Error
}

// flush: nothing to complete before COMMIT; the queue is part of the
// index (see sqliteSearchSchema).
func (sqliteFTS) flush(*gorm.DB, func(string) searchDoc) error { return nil }

// fold moves every queued memo into FTS and returns how many it moved.
//
// It inserts them with one statement per foldChunk memos: an INSERT of
// several rows opens a statement savepoint, and FTS4 writes its pending
// terms out as a segment at every savepoint, so each such statement after
// the first in a transaction ends a segment. A fold in statements of 64
// rows made eight segments of 64 memos where one of 512 would do, and
// eight times the segments meant more and deeper merges
// (TestFoldWritesOneSegment).
func (sqliteFTS) fold(tx *gorm.DB, document func(content string) searchDoc) (int, error) {
	ctx := context.Background()
	pool := tx.Statement.ConnPool
	rows, err := pool.QueryContext(ctx, "SELECT q.docid, m.content FROM memo_search_queue q CROSS JOIN memos m ON m.id = q.docid")
	if err != nil {
		return 0, err
	}
	var args []any
	for rows.Next() {
		var id int64
		var content string
		if err := rows.Scan(&id, &content); err != nil {
			rows.Close()
			return 0, err
		}
		d := document(content)
		args = append(args, id, d.body, d.repeats)
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	moved := len(args) / 3
	for len(args) > 0 {
		n := min(len(args)/3, foldChunk)
		stmt, slots := sqliteIndexInsert(n)
		chunk := args[:3*n]
		if slots > n {
			// The statement's other rows are NULL and skipped.
			chunk = append(chunk[:3*n:3*n], make([]any, 3*(slots-n))...)
		}
		if _, err := pool.ExecContext(ctx, stmt, chunk...); err != nil {
			return 0, err
		}
		args = args[3*n:]
	}
	if moved == 0 {
		return 0, nil
	}
	// A queue row whose memo is gone cannot exist (the delete trigger
	// drops it), so the join read them all.
	if _, err := pool.ExecContext(ctx, "DELETE FROM memo_search_queue"); err != nil {
		return 0, err
	}
	return moved, nil
}

// foldChunk is the most memos one fold statement inserts: a fold under
// sustained writes moves searchFoldBatch and a commit group or so.
const foldChunk = 2 * searchFoldBatch

// queued counts the memos waiting in the queue.
func (sqliteFTS) queued(tx *gorm.DB) (int, error) {
	var n int
	err := tx.Statement.ConnPool.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM memo_search_queue").Scan(&n)
	return n, err
}

// pending: the memos in the queue. CROSS JOIN makes the queue drive the
// join: with "memos.id IN (SELECT …)" SQLite preferred an index on the
// query's filters (the creator's), a scan of all their memos (7 ms for
// 100,000).
func (sqliteFTS) pending(tx *gorm.DB) *gorm.DB {
	return tx.Table("memo_search_queue AS q CROSS JOIN memos ON memos.id = q.docid")
}

var sqliteIndexInserts sync.Map // slots → string

// sqliteIndexInsert is the INSERT of n rows (at most foldChunk) into
// memo_search, and its number of row slots: 8, or n rounded up to a
// multiple of 64, so that a few prepared statements serve every size; the
// slots beyond n are bound to NULL and skipped.
func sqliteIndexInsert(n int) (string, int) {
	slots := 8
	if n > slots {
		slots = (n + 63) / 64 * 64
	}
	if s, ok := sqliteIndexInserts.Load(slots); ok {
		return s.(string), slots
	}
	s := "INSERT INTO memo_search(docid, body, repeats) SELECT column1, column2, column3 FROM (VALUES " +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?),", slots), ",") + ") WHERE column1 IS NOT NULL"
	sqliteIndexInserts.Store(slots, s)
	return s, slots
}

func (sqliteFTS) match(tx *gorm.DB, units []searchUnit, repeated bool) *gorm.DB {
	expr := ftsMatch(units)
	if repeated {
		expr += " AND (" + ftsRepeats(units) + ")"
	}
	// LIMIT -1 keeps SQLite from flattening the subquery, so each row is
	// ranked once; CROSS JOIN makes the index drive the join.
	return tx.Table(`(SELECT docid, memoria_search_rank(matchinfo(memo_search, 'pcy'), ?) AS score
		FROM memo_search WHERE memo_search MATCH ? LIMIT -1) AS s CROSS JOIN memos ON memos.id = s.docid`, len(units), expr)
}

func (sqliteFTS) repeats(tx *gorm.DB, units []searchUnit) (bool, error) {
	var ids []int64
	err := tx.Raw("SELECT docid FROM memo_search WHERE memo_search MATCH ? LIMIT 1", ftsRepeats(units)).Scan(&ids).Error
	return len(ids) > 0, err
}

// matchOnce: FTS4 walks a full-text match in docid order and hands rows
// to the join as it goes, so with the ORDER BY on s.docid and a LIMIT it
// stops after a page — no sorting, no scoring. The table is order=DESC:
// FTS4 reads doclists incrementally only in the order they are stored,
// and DESC is the order searches want (in the other order it loaded a
// common word's whole list first: 0.9 ms for 10,000 matches).
func (sqliteFTS) matchOnce(tx *gorm.DB, units []searchUnit) *gorm.DB {
	expr := "(" + ftsMatch(units) + ") NOT (" + ftsRepeats(units) + ")"
	return tx.Table("memo_search AS s CROSS JOIN memos ON memos.id = s.docid").Where("s.memo_search MATCH ?", expr)
}

// check folds the queue, then runs FTS4's integrity-check, which
// re-derives every memo's tokens through memo_search_source and compares
// them with FTS: a memo in neither FTS nor the queue, or in both, fails
// it.
func (f sqliteFTS) check(tx *gorm.DB) error {
	if _, err := f.fold(tx, searchDocument); err != nil {
		return fmt.Errorf("fold the queue: %w", err)
	}
	return tx.Exec("INSERT INTO memo_search(memo_search) VALUES ('integrity-check')").Error
}

// ftsMatch writes units as an FTS4 query (enhanced syntax, which
// go-sqlite3 compiles in) on the body column: each unit a double-quoted
// phrase or a prefix term, ANDed. Tokens hold only letters and digits, so
// nothing a user typed can be an FTS operator or break the quoting.
func ftsMatch(units []searchUnit) string {
	var b strings.Builder
	for i, u := range units {
		if i > 0 {
			b.WriteString(" AND ")
		}
		if u.prefix {
			b.WriteString("body:" + u.tokens[0] + "*") // one CJK letter: never an operator
			continue
		}
		// A quoted phrase cannot name a column in FTS4; none of its
		// tokens ends with repeatMark, so it only matches in body.
		b.WriteString(`"` + strings.Join(u.tokens, " ") + `"`)
	}
	return b.String()
}

// ftsRepeats writes the repeats-column terms of every distinct token of
// units, ORed. They are not quoted (FTS4 takes a column name only before
// a bare term): a token is lower-case letters and digits, and FTS's
// operators are upper-case.
func ftsRepeats(units []searchUnit) string {
	var b strings.Builder
	for i, t := range unitTokens(units) {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString("repeats:" + t + repeatMark)
	}
	return b.String()
}
