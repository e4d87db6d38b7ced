package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// PostgreSQL's full-text index: a table memo_search (docid = memo id) with
// the same index document as SQLite's (searchDocument: folded words, CJK
// bigrams, repeats), in two forms:
//
//   - doc, a tsvector of the body's tokens at their positions plus the
//     repeats tokens, with a GIN index: it decides which memos match
//     (`@@`, phrases with `<->`, a lone CJK character as a prefix `:*`).
//     The tsvector is written literally from Go's tokens, so PostgreSQL's
//     own parser and dictionaries play no part and both databases find
//     exactly the same memos.
//   - body, the tokens each between two spaces (" a  b  c "), from which
//     SQL counts a term's occurrences (the tf of rankScore) with
//     length/replace, computing the score operation for operation as Go
//     does, so the scores are the same float64s.
//
// Upkeep is SQLite's in spirit: a trigger records every inserted memo and
// every content change, and the store's transaction calls flush just
// before COMMIT, which writes the recorded memos' rows (tokens prepared by
// the caller, search_prepare.go); a deleted memo's row goes by ON DELETE
// CASCADE. The record is a TEMPORARY table (memo_search_pending, made by
// the trigger in the session that needs it, emptied at every COMMIT)
// holding each memo's id and new content, because writes here are
// SERIALIZABLE: a shared queue table, or reading the memos back, made
// every pair of concurrent writes a read/write conflict on the same pages
// and most of them retried or failed (1.4 attempts per CreateMemo in one
// process, 2.4 and failures in three), while temporary tables take no
// predicate locks.
type postgresFTS struct{}

var postgresSearchSchema = []string{
	`CREATE TABLE memo_search (
  docid BIGINT PRIMARY KEY REFERENCES memos(id) ON DELETE CASCADE,
  body TEXT NOT NULL,
  doc TSVECTOR NOT NULL)`,
	`CREATE INDEX idx_memo_search_doc ON memo_search USING GIN (doc)`,
	`CREATE FUNCTION memo_search_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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
	`CREATE TRIGGER memo_search_insert AFTER INSERT ON memos
  FOR EACH ROW EXECUTE FUNCTION memo_search_enqueue()`,
	`CREATE TRIGGER memo_search_reindex AFTER UPDATE OF content ON memos
  FOR EACH ROW WHEN (OLD.content IS DISTINCT FROM NEW.content) EXECUTE FUNCTION memo_search_enqueue()`,
	`CREATE TRIGGER memo_search_delete AFTER DELETE ON memos
  FOR EACH ROW EXECUTE FUNCTION memo_search_enqueue()`,
}

// pgMaxPosition is the largest position a tsvector holds (later tokens
// share it: a phrase beyond the 16,383rd token may be missed), and
// pgMaxPositions the most positions it keeps per lexeme.
const (
	pgMaxPosition  = 16383
	pgMaxPositions = 255
)

func (postgresFTS) create(ctx context.Context, tx *gorm.DB, log *slog.Logger) error {
	for _, stmt := range postgresSearchSchema {
		if err := tx.Exec(stmt).Error; err != nil {
			return err
		}
	}
	return postgresFTS{}.indexAll(ctx, tx, log)
}

// indexAll indexes every memo, a chunk at a time (rows already in the
// index are replaced).
func (postgresFTS) indexAll(ctx context.Context, tx *gorm.DB, log *slog.Logger) error {
	return backfillIndex(ctx, tx, log, func(last int64) (int64, int64, error) {
		var rows []struct {
			ID      int64
			Content string
		}
		if err := tx.Raw("SELECT id, content FROM memos WHERE id > ? ORDER BY id LIMIT ?", last, backfillChunk).Scan(&rows).Error; err != nil || len(rows) == 0 {
			return 0, 0, err
		}
		docs := make([]pgSearchRow, len(rows))
		for i, r := range rows {
			docs[i] = newPGSearchRow(r.ID, searchDocument(r.Content))
		}
		if err := pgWriteSearchRows(tx, docs); err != nil {
			return 0, 0, err
		}
		return int64(len(rows)), rows[len(rows)-1].ID, nil
	})
}

// pgSearchRow is one memo_search row.
type pgSearchRow struct {
	id        int64
	body, doc string
}

func newPGSearchRow(id int64, d searchDoc) pgSearchRow {
	return pgSearchRow{id: id, body: pgBody(d.body), doc: pgVector(d)}
}

// pgWriteSearchRows inserts or replaces rows, a few hundred per statement.
func pgWriteSearchRows(tx *gorm.DB, rows []pgSearchRow) error {
	const per = 500 // 3 parameters each, far below PostgreSQL's 65,535
	for len(rows) > 0 {
		n := min(len(rows), per)
		var b strings.Builder
		args := make([]any, 0, 3*n)
		b.WriteString("INSERT INTO memo_search (docid, body, doc) VALUES ")
		for i, r := range rows[:n] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(?, ?, ?::tsvector)")
			args = append(args, r.id, r.body, r.doc)
		}
		b.WriteString(" ON CONFLICT (docid) DO UPDATE SET body = excluded.body, doc = excluded.doc")
		if err := tx.Exec(b.String(), args...).Error; err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

func (postgresFTS) flush(tx *gorm.DB, document func(content string) searchDoc) error {
	var exists bool
	if err := tx.Raw("SELECT to_regclass('pg_temp.memo_search_pending') IS NOT NULL").Scan(&exists).Error; err != nil || !exists {
		return err // no memo written in this session yet
	}
	var pending []struct {
		Docid   int64
		Content string
	}
	if err := tx.Raw("SELECT docid, content FROM pg_temp.memo_search_pending").Scan(&pending).Error; err != nil || len(pending) == 0 {
		return err
	}
	rows := make([]pgSearchRow, len(pending))
	for i, p := range pending {
		rows[i] = newPGSearchRow(p.Docid, document(p.Content))
	}
	if err := pgWriteSearchRows(tx, rows); err != nil {
		return err
	}
	return tx.Exec("DELETE FROM pg_temp.memo_search_pending").Error
}

// pgBody writes body's tokens each between two spaces, so that counting
// " tok " (or " a  b " for a phrase, " x" for a prefix) in it counts
// occurrences without overlaps.
func pgBody(body string) string {
	var b strings.Builder
	b.Grow(len(body) + len(body)/4 + 2)
	for _, t := range strings.Fields(body) {
		b.WriteByte(' ')
		b.WriteString(t)
		b.WriteByte(' ')
	}
	return b.String()
}

// pgVector writes d as a tsvector literal: each body token with its
// positions (1-based, in order), then each repeats token without one.
func pgVector(d searchDoc) string {
	toks := strings.Fields(d.body)
	order := make([]string, 0, len(toks))
	pos := make(map[string][]int, len(toks))
	for i, t := range toks {
		p, seen := pos[t]
		if !seen {
			order = append(order, t)
		}
		if len(p) < pgMaxPositions {
			pos[t] = append(p, min(i+1, pgMaxPosition))
		}
	}
	var b strings.Builder
	for _, t := range order {
		pgLexeme(&b, t)
		b.WriteByte(':')
		last := 0
		for j, p := range pos[t] {
			if p == last { // clamped positions collapse
				continue
			}
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(p))
			last = p
		}
		b.WriteByte(' ')
	}
	for _, t := range strings.Fields(d.repeats) {
		pgLexeme(&b, t)
		b.WriteByte(' ')
	}
	return b.String()
}

// pgLexeme writes t quoted for tsvector and tsquery input. Tokens are
// letters, digits and repeatMark; quotes and backslashes are escaped all
// the same.
func pgLexeme(b *strings.Builder, t string) {
	b.WriteByte('\'')
	for _, r := range t {
		if r == '\'' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
}

// pgQuery writes units as a tsquery: each unit a lexeme, a phrase of
// lexemes (<->) or a prefix (:*), ANDed.
func pgQuery(units []searchUnit) string {
	var b strings.Builder
	for i, u := range units {
		if i > 0 {
			b.WriteString(" & ")
		}
		b.WriteByte('(')
		for j, t := range u.tokens {
			if j > 0 {
				b.WriteString(" <-> ")
			}
			pgLexeme(&b, t)
		}
		if u.prefix {
			b.WriteString(":*")
		}
		b.WriteByte(')')
	}
	return b.String()
}

// pgRepeats writes the repeats tokens of units' tokens, ORed.
func pgRepeats(units []searchUnit) string {
	var b strings.Builder
	for i, t := range unitTokens(units) {
		if i > 0 {
			b.WriteString(" | ")
		}
		pgLexeme(&b, t+repeatMark)
	}
	return b.String()
}

// pgScore is rankScore in SQL over s.body, with the patterns to bind:
// each unit's tf counted in body, then Σ tf·2.2/(tf+1.2) in float8, left
// to right, as Go computes it.
func pgScore(units []searchUnit) (string, []any) {
	var b strings.Builder
	var args []any
	b.WriteString("(0::float8")
	for _, u := range units {
		pat := " " + strings.Join(u.tokens, "  ") + " "
		if u.prefix {
			pat = " " + u.tokens[0]
		}
		tf := "((length(ms.body) - length(replace(ms.body, ?, ''))) / length(?))::float8"
		b.WriteString(" + " + tf + " * 2.2::float8 / (" + tf + " + 1.2::float8)")
		args = append(args, pat, pat, pat, pat)
	}
	b.WriteByte(')')
	return b.String(), args
}

func (postgresFTS) match(tx *gorm.DB, units []searchUnit, repeated bool) *gorm.DB {
	q := pgQuery(units)
	if repeated {
		q = "(" + q + ") & (" + pgRepeats(units) + ")"
	}
	score, args := pgScore(units)
	return tx.Table("(SELECT ms.docid, "+score+" AS score FROM memo_search ms WHERE ms.doc @@ ?::tsquery) AS s JOIN memos ON memos.id = s.docid",
		append(args, q)...)
}

func (postgresFTS) repeats(tx *gorm.DB, units []searchUnit) (bool, error) {
	var ids []int64
	err := tx.Raw("SELECT docid FROM memo_search WHERE doc @@ ?::tsquery LIMIT 1", pgRepeats(units)).Scan(&ids).Error
	return len(ids) > 0, err
}

func (postgresFTS) matchOnce(tx *gorm.DB, units []searchUnit) *gorm.DB {
	q := "(" + pgQuery(units) + ") & !(" + pgRepeats(units) + ")"
	return tx.Table("memo_search AS s JOIN memos ON memos.id = s.docid").Where("s.doc @@ ?::tsquery", q)
}

// pending: none; every write's transaction indexes its memos (flush).
func (postgresFTS) pending(*gorm.DB) *gorm.DB { return nil }

// check recomputes every memo's row and compares it with the stored one.
func (postgresFTS) check(tx *gorm.DB) error {
	var last int64
	for {
		var rows []struct {
			ID      int64
			Content string
			Body    sql.NullString
			Same    sql.NullBool
		}
		// The expected tsvector goes in as text and is compared in SQL,
		// where both sides are normalised alike.
		var batch []struct {
			ID      int64
			Content string
		}
		if err := tx.Raw("SELECT id, content FROM memos WHERE id > ? ORDER BY id LIMIT 1000", last).Scan(&batch).Error; err != nil {
			return err
		}
		if len(batch) == 0 {
			break
		}
		for _, m := range batch {
			want := newPGSearchRow(m.ID, searchDocument(m.Content))
			rows = rows[:0]
			if err := tx.Raw("SELECT m.id, m.content, s.body, s.doc = ?::tsvector AS same FROM memos m LEFT JOIN memo_search s ON s.docid = m.id WHERE m.id = ?",
				want.doc, m.ID).Scan(&rows).Error; err != nil {
				return err
			}
			if len(rows) != 1 || !rows[0].Body.Valid {
				return fmt.Errorf("memo %d is not in the search index", m.ID)
			}
			if rows[0].Body.String != want.body || !rows[0].Same.Bool {
				return fmt.Errorf("memo %d: its search index row does not match its content", m.ID)
			}
		}
		last = batch[len(batch)-1].ID
	}
	var extra int64
	if err := tx.Raw("SELECT COUNT(*) FROM memo_search s LEFT JOIN memos m ON m.id = s.docid WHERE m.id IS NULL").Scan(&extra).Error; err != nil {
		return err
	}
	if extra > 0 {
		return fmt.Errorf("%d search index rows belong to no memo", extra)
	}
	return nil
}
