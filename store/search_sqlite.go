package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"log/slog"
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
		"memoria_search_body": searchBody,
		"memoria_search_rank": matchinfoRank,
	} {
		if err := c.RegisterFunc(name, fn, true); err != nil {
			return fmt.Errorf("register %s: %w", name, err)
		}
	}
	return nil
}

// matchinfoRank scores one row from matchinfo(memo_search, 'pcyl'): the
// phrase count p, the column count c, the hits of each phrase in each
// column of this row, then each column's length in tokens.
func matchinfoRank(mi []byte) float64 {
	n := len(mi) / 4
	at := func(i int) uint32 { return binary.LittleEndian.Uint32(mi[i*4:]) }
	if n < 2 {
		return 0
	}
	p, c := int(at(0)), int(at(1))
	if c < 1 || n < 2+p*c+c {
		return 0
	}
	var buf [16]uint32
	tfs := buf[:0]
	for i := 0; i < p; i++ {
		var tf uint32
		for j := 0; j < c; j++ {
			tf += at(2 + i*c + j)
		}
		tfs = append(tfs, tf)
	}
	return rankScore(tfs, at(2+p*c))
}

type sqliteFTS struct{}

// The FTS table has external content: a view that derives body from
// memos.content, so the text is not stored twice. FTS4 reads the view
// when it removes a row (to know which tokens to drop), hence the BEFORE
// triggers for deletes and updates; and any change to searchBody (or what
// it calls) needs a migration that runs FTS's 'rebuild' command.
var sqliteSearchSchema = []string{
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

// backfillChunk is how many memos the migration indexes per statement
// (and per progress line).
const backfillChunk = 10000

func (sqliteFTS) create(ctx context.Context, tx *gorm.DB, log *slog.Logger) error {
	for _, stmt := range sqliteSearchSchema {
		if err := tx.Exec(stmt).Error; err != nil {
			return err
		}
	}
	var total int64
	if err := tx.Raw("SELECT COUNT(*) FROM memos").Scan(&total).Error; err != nil {
		return err
	}
	if total == 0 {
		return nil
	}
	log.InfoContext(ctx, "building the search index", "memos", total)
	var last, done int64
	for {
		var hi sql.NullInt64
		err := tx.Raw("SELECT MAX(id) FROM (SELECT id FROM memos WHERE id > ? ORDER BY id LIMIT ?)", last, backfillChunk).Scan(&hi).Error
		if err != nil {
			return err
		}
		if !hi.Valid {
			break
		}
		res := tx.Exec(`INSERT INTO memo_search(docid, body)
			SELECT rowid, body FROM memo_search_source WHERE rowid > ? AND rowid <= ?`, last, hi.Int64)
		if res.Error != nil {
			return res.Error
		}
		done += res.RowsAffected
		last = hi.Int64
		log.InfoContext(ctx, "search index progress", "indexed", done, "of", total)
	}
	// One segment per term after a bulk load: faster queries.
	return tx.Exec("INSERT INTO memo_search(memo_search) VALUES ('optimize')").Error
}

func (sqliteFTS) match(tx *gorm.DB, units []searchUnit) *gorm.DB {
	// LIMIT -1 keeps SQLite from flattening the subquery, so each row is
	// ranked once; CROSS JOIN makes the index drive the join.
	return tx.Table(`(SELECT docid, memoria_search_rank(matchinfo(memo_search, 'pcyl')) AS score
		FROM memo_search WHERE memo_search MATCH ? LIMIT -1) AS s CROSS JOIN memos ON memos.id = s.docid`, ftsMatch(units))
}

// check runs FTS4's integrity-check, which re-derives every memo's tokens
// through memo_search_source and compares them with the index.
func (sqliteFTS) check(tx *gorm.DB) error {
	return tx.Exec("INSERT INTO memo_search(memo_search) VALUES ('integrity-check')").Error
}

// ftsMatch writes units as an FTS4 query: each unit a double-quoted phrase
// or a prefix term, all implicitly ANDed. Tokens hold only letters and
// digits, so nothing a user typed can be an FTS operator or break the
// quoting.
func ftsMatch(units []searchUnit) string {
	var b strings.Builder
	for i, u := range units {
		if i > 0 {
			b.WriteByte(' ')
		}
		if u.prefix {
			b.WriteString(u.tokens[0] + "*") // one CJK letter: never an operator
			continue
		}
		b.WriteString(`"` + strings.Join(u.tokens, " ") + `"`)
	}
	return b.String()
}
