package store

import (
	"strings"

	"gorm.io/gorm"
)

// The memos the index holds but FTS does not yet (SQLite's queue, folded
// in batches: search_fold.go) are matched in Go, against the same index
// document FTS will hold (searchDocument), and scored as FTS scores them
// (matchinfoRank), so that a memo's place in the results is the same
// before its fold and after: paging with a cursor across a fold neither
// skips nor repeats it (TestPendingMemosRankAsFolded). The queue holds at
// most a batch and a few commit groups, and nothing once the writer has
// been idle a moment, so this read is small.

// pendingHits returns the memos of fts's pending part matching units and
// q, after the cursor, with their scores and rows.
func (db *DB) pendingHits(tx *gorm.DB, fts fullTextIndex, units []searchUnit, q MemoQuery, after *SearchCursor) ([]scoredID, error) {
	pending := fts.pending(tx.Session(&gorm.Session{NewDB: true}))
	if pending == nil {
		return nil, nil
	}
	var rows []memoRow
	if err := filterMemos(pending, q).Select("memos.*").Find(&rows).Error; err != nil {
		return nil, err
	}
	var hits []scoredID
	for i := range rows {
		score, ok := matchDocument(db.searchBodies.doc(rows[i].Content).body, units)
		if !ok {
			continue
		}
		if after != nil && (score > after.Score || score == after.Score && rows[i].ID >= after.ID) {
			continue
		}
		hits = append(hits, scoredID{DocID: rows[i].ID, Score: score, row: &rows[i]})
	}
	return hits, nil
}

// matchDocument reports whether body (searchBody's token stream) holds
// every unit, and its score: each unit's hits, counted as FTS4's
// matchinfo counts a phrase's (every position where the phrase starts,
// overlapping ones included; for a prefix unit, every token that starts
// with it).
func matchDocument(body string, units []searchUnit) (float64, bool) {
	toks := strings.Fields(body)
	var buf [16]uint32
	tfs := buf[:0]
	for _, u := range units {
		var n uint32
		for i := range toks {
			if u.prefix {
				if strings.HasPrefix(toks[i], u.tokens[0]) {
					n++
				}
				continue
			}
			if i+len(u.tokens) > len(toks) {
				break
			}
			at := true
			for j, t := range u.tokens {
				if toks[i+j] != t {
					at = false
					break
				}
			}
			if at {
				n++
			}
		}
		if n == 0 {
			return 0, false
		}
		tfs = append(tfs, n)
	}
	return rankScore(tfs), true
}
