package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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
// Ranking is BM25's saturating term frequency, with neither a length norm
// nor inverse document frequency, so that a memo's score for a query
// depends on how often the query's terms occur in it and nothing else:
// adding or deleting other memos never reorders the results already
// listed, keyset paging on (score, id) is exactly stable, and — because a
// memo in which every term occurs once has the lowest score, the same for
// all such memos — most of a common word's matches need no scoring at all
// (see SearchMemos). (Every result contains every term, so IDF would only
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

// SearchCursor is a position in the (score DESC, id DESC) order of
// SearchMemos; a page starts strictly after it.
type SearchCursor struct {
	Score float64
	ID    int64
}

// SearchHit is one result of SearchMemos.
type SearchHit struct {
	Memo  Memo
	Score float64 // higher is better
}

// Cursor returns the cursor that continues a search after h.
func (h SearchHit) Cursor() SearchCursor {
	return SearchCursor{Score: h.Score, ID: h.Memo.ID}
}

// ErrEmptySearch is returned for a query with no searchable word (only
// punctuation, say); callers validate queries before.
var ErrEmptySearch = errors.New("search query has no words")

// rankK1 is BM25's k1: how quickly more occurrences stop adding to a
// term's score (1 occurrence scores 1, 2 score 1.375, 3 score 1.571, …
// never more than 2.2); rankK1Plus1 is k1+1, written out so that SQL can
// repeat the computation operation for operation (search_postgres.go):
// the same IEEE operations give bit-identical scores.
const (
	rankK1      = 1.2
	rankK1Plus1 = 2.2
)

// rankScore is the score of one memo: tfs[i] is how often term i occurs in
// it (at least once in a match).
func rankScore(tfs []uint32) float64 {
	s := 0.0
	for _, tf := range tfs {
		f := float64(tf)
		s += f * rankK1Plus1 / (f + rankK1)
	}
	return s
}

// baseScore is the score of a match in which every one of n terms occurs
// once (the lowest a match can have), computed exactly as rankScore does.
func baseScore(n int) float64 {
	tfs := make([]uint32, n)
	for i := range tfs {
		tfs[i] = 1
	}
	return rankScore(tfs)
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

// unitTokens lists the distinct tokens of units, in order of appearance.
func unitTokens(units []searchUnit) []string {
	var out []string
	for _, u := range units {
		for _, t := range u.tokens {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// splittable reports whether a search can take its matches in which no
// token repeats unscored (matchOnce): not when a unit is a prefix (a lone
// CJK character), whose hits are several distinct tokens.
func splittable(units []searchUnit) bool {
	for _, u := range units {
		if u.prefix {
			return false
		}
	}
	return true
}

// fullTextIndex is one dialect's full-text index over memos. The index
// holds each memo's searchDoc: the body's tokens with their positions
// (phrases), and the repeats, the body's tokens that occur more than once.
type fullTextIndex interface {
	// create makes the index and its upkeep (in the same transaction as
	// every memo write) and indexes the memos already stored, logging
	// progress.
	create(ctx context.Context, tx *gorm.DB, log *slog.Logger) error
	// indexAll indexes every stored memo into the index, which holds
	// none of them yet (a database filled behind the writer's back: a
	// restore, a copy), logging progress.
	indexAll(ctx context.Context, tx *gorm.DB, log *slog.Logger) error
	// match returns a query over "memos" joined with "s" (columns docid,
	// score) holding the memos that match units, with their scores
	// (rankScore); with repeated, only those in which some token of units
	// repeats.
	match(tx *gorm.DB, units []searchUnit, repeated bool) *gorm.DB
	// repeats reports whether any memo repeats a token of units (a cheap
	// read of small lists: when none does, match(…, true) is empty).
	repeats(tx *gorm.DB, units []searchUnit) (bool, error)
	// matchOnce returns a query over "memos" joined with "s" (column
	// docid) holding the memos that match units and in which no token of
	// units repeats — every unit occurs once, so all score
	// baseScore(len(units)) — that walks them in docid order with a
	// LIMIT without reading them all.
	matchOnce(tx *gorm.DB, units []searchUnit) *gorm.DB
	// pending returns a query over "memos" holding the memos the index
	// holds but match, repeats and matchOnce do not see yet (SQLite's
	// queue, folded into FTS in batches: search_fold.go), which a search
	// matches in Go; nil when there are none by design (PostgreSQL).
	pending(tx *gorm.DB) *gorm.DB
	// check verifies that the index holds exactly the memos' current text.
	check(tx *gorm.DB) error
	// flush completes the index upkeep of the open write transaction
	// (document gives a content's index document: searchDocument, or
	// prepared); the writer calls it once, just before COMMIT. (SQLite's
	// has nothing to do: its queue is part of the index.)
	flush(tx *gorm.DB, document func(content string) searchDoc) error
}

// flushSearch completes the search index's upkeep of the open write
// transaction tx; PostgreSQL's write path runs it just before COMMIT.
// (SQLite's writer has nothing to complete: its queue is part of the
// index, folded between commits: search_fold.go.)
func (db *DB) flushSearch(tx *gorm.DB) error {
	if db.searchQueue {
		if err := fullTextFor(tx).flush(tx, db.searchBodies.doc); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
	}
	return nil
}

// indexQueuedMemos indexes memos committed without the writer (by a
// migration, or a sqlite3 shell: the triggers queue them, and only the
// writer folds the queue; or by the writer before a crash, not folded
// yet; on PostgreSQL, by psql or another program: search_outside.go);
// Open runs it before serving.
func indexQueuedMemos(db *gorm.DB) error {
	if db.Dialector.Name() == "postgres" {
		return indexOutsideWrites(db)
	}
	if !db.Migrator().HasTable("memo_search_queue") {
		return nil
	}
	err := db.Transaction(func(tx *gorm.DB) error {
		_, err := sqliteFTS{}.fold(tx, searchDocument)
		return err
	})
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
// s, best first, then newest first (by id: the order memos were added),
// with their resources.
//
// A common word matches thousands of memos, and scoring each costs
// microseconds; but in most of them no token of the query repeats, so
// they all have the lowest score and their order is by id alone. So a
// page is the merge of two reads: the matches with a repeated token,
// scored (usually few: memos rarely repeat a word), and the others, which
// the index walks newest first and stops after a page. The result is
// exactly the full ranking's. A query with a lone CJK character (a prefix
// term) scores every match. The memos the index's FTS part does not hold
// yet (SQLite's queue) are matched and scored in Go and merged in
// (search_pending.go).
func (db *DB) SearchMemos(ctx context.Context, q MemoQuery, s SearchQuery, after *SearchCursor) ([]SearchHit, error) {
	units := searchUnits(s)
	if len(units) == 0 {
		return nil, ErrEmptySearch
	}
	q.After = nil
	// No read transaction around the reads: database/sql prepares every
	// statement afresh inside one, which cost a third of a search. Without
	// one, a memo edited between the reads may show in both parts (so
	// searchIDs keeps its first place) or in neither, and a deleted one
	// is left out: as a plain listing, a page reflects edits made while
	// it is read somewhere.
	// The memos not folded into the index yet are read first: a fold
	// committing between the two reads then shows a memo in both (kept
	// once), never in neither.
	fts := fullTextFor(db.read)
	pending, err := db.pendingHits(db.r(ctx), fts, units, q, after)
	if err != nil {
		return nil, translate(err)
	}
	ids, err := searchIDs(db.r(ctx), fts, units, q, after, splittable(units))
	if err != nil {
		return nil, translate(err)
	}
	ids = mergeHits(ids, pending, q.Limit)
	hits, err := searchHits(db.r(ctx), ids)
	if err != nil {
		return nil, translate(err)
	}
	return hits, nil
}

// searchIDs returns the page's matches in order (see SearchMemos); with
// split false it scores every match (a prefix unit needs it; a test
// compares the two ways).
func searchIDs(tx *gorm.DB, fts fullTextIndex, units []searchUnit, q MemoQuery, after *SearchCursor, split bool) ([]scoredID, error) {
	var hits []scoredID
	scored := true
	if split {
		// Reading the query's full lists to find no repeated token cost
		// a common word as much as the rest of its page.
		var err error
		if scored, err = fts.repeats(tx.Session(&gorm.Session{NewDB: true}), units); err != nil {
			return nil, err
		}
	}
	if scored {
		ranked := filterMemos(fts.match(tx.Session(&gorm.Session{NewDB: true}), units, split), q).Select("s.docid, s.score")
		if after != nil {
			ranked = ranked.Where("(s.score, s.docid) < (?, ?)", after.Score, after.ID)
		}
		ranked = ranked.Order("s.score DESC, s.docid DESC")
		if q.Limit > 0 {
			ranked = ranked.Limit(q.Limit)
		}
		if err := ranked.Scan(&hits).Error; err != nil {
			return nil, err
		}
	}
	base := baseScore(len(units))
	if !split || (after != nil && after.Score < base) {
		return hits, nil
	}
	once := filterMemos(fts.matchOnce(tx.Session(&gorm.Session{NewDB: true}), units), q)
	if after != nil && after.Score == base {
		once = once.Where("s.docid < ?", after.ID)
	}
	once = once.Order("s.docid DESC")
	if q.Limit > 0 {
		once = once.Limit(q.Limit)
	}
	// The whole rows at once: reading them again by id cost as much.
	var rows []memoRow
	if err := once.Select("memos.*").Find(&rows).Error; err != nil {
		return nil, err
	}
	unscored := make([]scoredID, len(rows))
	for i := range rows {
		unscored[i] = scoredID{DocID: rows[i].ID, Score: base, row: &rows[i]}
	}
	return mergeHits(hits, unscored, q.Limit), nil
}

// mergeHits merges two reads' matches into the search order (score, then
// id, descending), keeping a memo found by both once, in its first place,
// and at most limit of them (limit > 0).
func mergeHits(a, b []scoredID, limit int) []scoredID {
	if len(b) == 0 && (limit <= 0 || len(a) <= limit) {
		return a // one read's matches come in order
	}
	hits := append(a, b...)
	slices.SortStableFunc(hits, func(a, b scoredID) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(b.DocID, a.DocID)
	})
	seen := make(map[int64]bool, len(hits))
	hits = slices.DeleteFunc(hits, func(h scoredID) bool {
		dup := seen[h.DocID]
		seen[h.DocID] = true
		return dup
	})
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	return hits
}

// scoredID is one match, with its row when it was read with it.
type scoredID struct {
	DocID int64    `gorm:"column:docid"`
	Score float64  `gorm:"column:score"`
	row   *memoRow `gorm:"-"`
}

// searchHits returns the memos of ids (in that order) with their
// resources, reading the rows not read yet.
func searchHits(tx *gorm.DB, ids []scoredID) ([]SearchHit, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var keys []int64
	for _, h := range ids {
		if h.row == nil {
			keys = append(keys, h.DocID)
		}
	}
	byID := make(map[int64]*memoRow, len(ids))
	if len(keys) > 0 {
		var rows []memoRow
		if err := tx.Session(&gorm.Session{NewDB: true}).Where("id IN ?", keys).Find(&rows).Error; err != nil {
			return nil, err
		}
		for i := range rows {
			byID[rows[i].ID] = &rows[i]
		}
	}
	hits := make([]SearchHit, 0, len(ids))
	for _, h := range ids {
		r := h.row
		if r == nil {
			r = byID[h.DocID]
		}
		if r != nil {
			hits = append(hits, SearchHit{Memo: r.toMemo(), Score: h.Score})
		}
	}
	ptrs := make([]*Memo, len(hits))
	for i := range hits {
		ptrs[i] = &hits[i].Memo
	}
	if err := loadResources(tx.Session(&gorm.Session{NewDB: true}), ptrs); err != nil {
		return nil, err
	}
	return hits, nil
}
