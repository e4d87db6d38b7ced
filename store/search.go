package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Full-text search over memo contents. The dialect-neutral part lives here:
// the query and cursor types, the ranking formula's constants, how a memo's
// text and a query become index tokens (search_text.go), and SearchMemos.
// Each dialect implements fullTextIndex: SQLite with an FTS4 table kept by
// triggers (search_sqlite.go); PostgreSQL can implement the same interface
// with a tsvector column (the 'simple' configuration over the tokens of
// searchDocument) or pg_trgm.
//
// Ranking is BM25's term-frequency part with a fixed length norm and no
// inverse document frequency, so that a memo's score for a query depends on
// that memo alone: adding or deleting other memos never reorders the
// results already listed, and keyset paging on (score, created, id) is
// exactly stable. (Every result contains every term, so IDF would only
// re-weight the terms against each other.)

// SearchQuery is a parsed full-text query: a memo matches when it contains
// every term.
type SearchQuery struct {
	Terms []SearchTerm
}

// SearchTerm is one word, matched anywhere (case- and accent-insensitive),
// or a quoted phrase, whose words must appear in order, adjacent. A word
// of several CJK characters is matched as written, inside any longer run.
type SearchTerm struct {
	Text   string
	Phrase bool
}

// SearchCursor is a position in the (score DESC, created DESC, id DESC)
// order of SearchMemos; a page starts strictly after it.
type SearchCursor struct {
	Score     float64
	CreatedAt int64 // Unix microseconds
	ID        int64
}

// SearchHit is one result of SearchMemos.
type SearchHit struct {
	Memo  Memo
	Score float64 // higher is better
}

// Cursor returns the cursor that continues a search after h.
func (h SearchHit) Cursor() SearchCursor {
	return SearchCursor{Score: h.Score, CreatedAt: micros(h.Memo.CreatedAt), ID: h.Memo.ID}
}

// ErrEmptySearch is returned for a query with no searchable word (only
// punctuation, say); callers validate queries before.
var ErrEmptySearch = errors.New("search query has no words")

// Ranking constants (BM25's k1 and b; avgLen is the fixed length, in index
// tokens, at which a memo gets no length bonus or penalty).
const (
	rankK1     = 1.2
	rankB      = 0.75
	rankAvgLen = 32.0
)

// rankScore is the score of one memo: tfs[i] is how often term i occurs in
// it, length its length in index tokens.
func rankScore(tfs []uint32, length uint32) float64 {
	norm := rankK1 * (1 - rankB + rankB*float64(length)/rankAvgLen)
	s := 0.0
	for _, tf := range tfs {
		f := float64(tf)
		s += f * (rankK1 + 1) / (f + norm)
	}
	return s
}

// searchUnit is one condition of a query in index tokens: the tokens, in
// order and adjacent; with prefix, the one token as a prefix (a lone CJK
// character: the first of a bigram, or a run's last character).
type searchUnit struct {
	tokens []string
	prefix bool
}

// searchUnits turns q into the conditions that must all hold.
func searchUnits(q SearchQuery) []searchUnit {
	var out []searchUnit
	for _, t := range q.Terms {
		segs := SearchSegments(t.Text)
		if len(segs) == 0 {
			continue
		}
		if t.Phrase && len(segs) > 1 {
			var u searchUnit
			for i, s := range segs {
				if s.CJK {
					// A CJK run followed by more words must end where the
					// memo's run ends (its last character).
					u.tokens = appendCJK(u.tokens, s.Text, i < len(segs)-1)
				} else {
					u.tokens = append(u.tokens, s.Text)
				}
			}
			out = append(out, u)
			continue
		}
		for _, s := range segs {
			switch {
			case !s.CJK:
				out = append(out, searchUnit{tokens: []string{s.Text}})
			case utf8.RuneCountInString(s.Text) == 1:
				out = append(out, searchUnit{tokens: []string{s.Text}, prefix: true})
			default:
				out = append(out, searchUnit{tokens: appendCJK(nil, s.Text, false)})
			}
		}
	}
	return out
}

// appendCJK appends a CJK run's index tokens: its overlapping bigrams,
// then (if closed, as the index does for every run) its last character
// alone. A one-character run is just that character.
func appendCJK(toks []string, run string, closed bool) []string {
	n := utf8.RuneCountInString(run)
	if n == 1 {
		return append(toks, run)
	}
	prev, last := 0, ""
	for i, r := range run {
		if i > 0 {
			toks = append(toks, run[prev:i+utf8.RuneLen(r)])
			prev = i
		}
		last = string(r)
	}
	if closed {
		toks = append(toks, last)
	}
	return toks
}

// fullTextIndex is one dialect's full-text index over memos.
type fullTextIndex interface {
	// create makes the index and its upkeep (in the same transaction as
	// every memo write) and indexes the memos already stored, logging
	// progress.
	create(ctx context.Context, tx *gorm.DB, log *slog.Logger) error
	// match returns a query over "memos" joined with "s" (columns docid,
	// score) holding the memos that match units, with their scores.
	match(tx *gorm.DB, units []searchUnit) *gorm.DB
	// check verifies that the index holds exactly the memos' current text.
	check(tx *gorm.DB) error
	// flush completes the index upkeep of the open write transaction
	// (body gives a content's tokens: searchBody, or prepared); the writer
	// calls it once, just before COMMIT.
	flush(tx *gorm.DB, body func(content string) string) error
}

// commit completes the search index's upkeep of the writer's open
// transaction and commits it. (Only a test opens a store whose schema
// stops before the index.)
func (db *DB) commit() error {
	if err := db.flushSearch(db.wconn); err != nil {
		return err
	}
	return db.control("COMMIT")
}

// flushSearch completes the search index's upkeep of the open write
// transaction tx; both write paths run it just before COMMIT.
func (db *DB) flushSearch(tx *gorm.DB) error {
	if db.searchQueue {
		if err := fullTextFor(tx).flush(tx, db.searchBodies.body); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
	}
	return nil
}

// indexQueuedMemos indexes memos committed without the writer (by a
// migration, or a sqlite3 shell: the triggers queue them, and only the
// writer flushes the queue); Open runs it before serving.
func indexQueuedMemos(db *gorm.DB) error {
	if !db.Migrator().HasTable("memo_search_queue") {
		return nil
	}
	err := db.Transaction(func(tx *gorm.DB) error { return fullTextFor(tx).flush(tx, searchBody) })
	if err != nil {
		return fmt.Errorf("index queued memos: %w", err)
	}
	return nil
}

// CheckSearchIndex verifies that the full-text index agrees exactly with
// the stored memos (for tests and for an operator who suspects damage).
func (db *DB) CheckSearchIndex(ctx context.Context) error {
	return db.tx(ctx, func(tx *gorm.DB) error { return fullTextFor(tx).check(tx) })
}

func fullTextFor(tx *gorm.DB) fullTextIndex { return dialectOf(tx).fullText() } // dialect.go

// SearchMemos returns the memos matching both q (its cursor is ignored) and
// s, best first, then newest first (ties by id, newest first), with their
// resources.
func (db *DB) SearchMemos(ctx context.Context, q MemoQuery, s SearchQuery, after *SearchCursor) ([]SearchHit, error) {
	units := searchUnits(s)
	if len(units) == 0 {
		return nil, ErrEmptySearch
	}
	q.After = nil
	// Rank and sort only (score, created, id) of every match, then read
	// the page's rows: sorting whole rows would copy every matching memo.
	page := filterMemos(fullTextFor(db.read).match(db.r(ctx), units), q).
		Select("s.docid, s.score, memos.created_at")
	if page.Error != nil { // the index could not build its query
		return nil, translate(page.Error)
	}
	if after != nil {
		page = page.Where("(s.score, memos.created_at, memos.id) < (?, ?, ?)", after.Score, after.CreatedAt, after.ID)
	}
	page = page.Order("s.score DESC, memos.created_at DESC, memos.id DESC")
	if q.Limit > 0 {
		page = page.Limit(q.Limit)
	}
	var rows []searchRow
	err := db.r(ctx).Table("(?) AS p CROSS JOIN memos ON memos.id = p.docid", page).
		Select("memos.*, p.score AS search_score").
		Order("p.score DESC, memos.created_at DESC, memos.id DESC").Find(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	hits := make([]SearchHit, len(rows))
	ptrs := make([]*Memo, len(rows))
	for i := range rows {
		hits[i] = SearchHit{Memo: rows[i].Row.toMemo(), Score: rows[i].SearchScore}
		ptrs[i] = &hits[i].Memo
	}
	if err := loadResources(db.r(ctx), ptrs); err != nil {
		return nil, translate(err)
	}
	return hits, nil
}

type searchRow struct {
	Row         memoRow `gorm:"embedded"`
	SearchScore float64 `gorm:"column:search_score"`
}
