package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/memoria-app/memoria/store/internal/testdb"
)

// pageAll runs a search page by page (pages of size) and returns every
// hit's cursor, in order.
func pageAll(t *testing.T, db *DB, q MemoQuery, s SearchQuery, size int) []SearchCursor {
	t.Helper()
	var out []SearchCursor
	var after *SearchCursor
	for {
		q.Limit = size
		hits, err := db.SearchMemos(context.Background(), q, s, after)
		if err != nil {
			t.Fatalf("SearchMemos(%+v): %v", s, err)
		}
		for _, h := range hits {
			out = append(out, h.Cursor())
		}
		if len(hits) < size {
			return out
		}
		c := hits[len(hits)-1].Cursor()
		after = &c
	}
}

// holdFolds makes every fold fail until the returned function is called:
// the memos written meanwhile stay in the queue.
func holdFolds(db *DB) (release func()) {
	var held atomic.Bool
	held.Store(true)
	db.hooks.fold = func() error {
		if held.Load() {
			return errors.New("fold held by the test")
		}
		return nil
	}
	return func() { held.Store(false) }
}

func queuedMemos(t *testing.T, db *DB) int64 {
	t.Helper()
	var n int64
	if err := db.r(context.Background()).Raw("SELECT COUNT(*) FROM memo_search_queue").Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPendingMemosRankAsFolded: every query finds the same memos, with the
// same scores, in the same order, page by page, whether the memos are
// still in the queue (matched in Go), partly folded, or all in FTS — for
// words, repeated words, phrases (overlapping ones too), a lone CJK
// character (a prefix), accents and filters.
func TestPendingMemosRankAsFolded(t *testing.T) {
	testdb.SQLiteOnly(t, "PostgreSQL indexes in the write's transaction: it has no queue")
	ctx := context.Background()
	db := openSearchTestDB(t)
	var users []int64
	for _, name := range []string{"ann", "bob"} {
		users = append(users, testUser(t, db, name).ID)
	}
	vocab := []string{"otter", "river", "stone", "otter otter", "otter river", "量子纠缠", "量子", "子", "café", "Ÿes", "the", "the"}
	r := rand.New(rand.NewPCG(3, 4))
	write := func(n int) {
		for i := 0; i < n; i++ {
			var words []string
			for k := 1 + r.IntN(8); k > 0; k-- {
				words = append(words, vocab[r.IntN(len(vocab))])
			}
			sep := " "
			if r.IntN(4) == 0 {
				sep = "" // CJK runs join up, latin words too
			}
			m := Memo{CreatorID: users[i%2], Content: strings.Join(words, sep) + fmt.Sprintf(" n%d", i), Tags: []string{"x", "y"}[i%2 : i%2+1],
				Visibility: []Visibility{VisibilityPrivate, VisibilityPublic}[r.IntN(2)], Source: SourceAPI}
			if err := db.CreateMemo(ctx, &m, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	queries := map[string]SearchQuery{
		"word":              {Terms: []SearchTerm{{Text: "otter"}}},
		"frequent word":     {Terms: []SearchTerm{{Text: "the"}}},
		"two words":         {Terms: []SearchTerm{{Text: "otter stone"}}},
		"phrase":            {Terms: []SearchTerm{{Text: "otter river", Phrase: true}}},
		"overlapping":       {Terms: []SearchTerm{{Text: "otter otter", Phrase: true}}},
		"cjk":               {Terms: []SearchTerm{{Text: "量子"}}},
		"one cjk character": {Terms: []SearchTerm{{Text: "子"}}},
		"cjk phrase":        {Terms: []SearchTerm{{Text: "量子纠缠 otter", Phrase: true}}},
		"accents":           {Terms: []SearchTerm{{Text: "CAFE"}, {Text: "yes"}}},
	}
	filters := map[string]MemoQuery{
		"all":     {},
		"creator": {CreatorID: users[1]},
		"tag":     {Tag: "x", Visibilities: []Visibility{VisibilityPublic}},
	}
	results := func() map[string][]SearchCursor {
		out := map[string][]SearchCursor{}
		for qn, sq := range queries {
			for fn, mq := range filters {
				out[qn+"/"+fn] = pageAll(t, db, mq, sq, 7)
			}
		}
		return out
	}
	same := func(state string, got, want map[string][]SearchCursor) {
		t.Helper()
		for k, w := range want {
			if len(w) < 3 {
				t.Errorf("%s: only %d matches: the corpus does not exercise the query", k, len(w))
			}
			if !slices.Equal(got[k], w) {
				t.Errorf("%s, %s:\n got %v\nwant %v", k, state, got[k], w)
			}
		}
	}
	foldNow := func() {
		if err := db.CheckSearchIndex(ctx); err != nil { // folds, then checks
			t.Fatal(err)
		}
		if n := queuedMemos(t, db); n != 0 {
			t.Fatalf("%d memos queued after a fold", n)
		}
	}

	release := holdFolds(db)
	write(300)
	if n := queuedMemos(t, db); n != 300 {
		t.Fatalf("%d memos queued, want 300 (the folds were held)", n)
	}
	allPending := results()
	release()
	foldNow()
	same("all in the queue vs all folded", allPending, results())

	release = holdFolds(db)
	write(100)
	partly := results()
	release()
	foldNow()
	same("300 folded and 100 in the queue vs all folded", partly, results())
}

// TestMatchDocumentCountsAsFTS: the Go matcher's hit counts for the
// pending memos agree with matchinfo's on the cases where counting could
// differ: a phrase that overlaps itself, a prefix that is also a whole
// token, a phrase longer than the memo.
func TestMatchDocumentCountsAsFTS(t *testing.T) {
	body := func(s string) string { return searchDocument(s).body }
	for _, c := range []struct {
		content string
		query   SearchQuery
		tfs     []uint32 // nil: no match
	}{
		{"a a a", SearchQuery{Terms: []SearchTerm{{Text: "a a", Phrase: true}}}, []uint32{2}},
		{"量子 子", SearchQuery{Terms: []SearchTerm{{Text: "子"}}}, []uint32{2}},
		{"otter", SearchQuery{Terms: []SearchTerm{{Text: "otter river", Phrase: true}}}, nil},
		{"Otter river, OTTER", SearchQuery{Terms: []SearchTerm{{Text: "otter"}, {Text: "river"}}}, []uint32{2, 1}},
	} {
		score, ok := matchDocument(body(c.content), searchUnits(c.query))
		if ok != (c.tfs != nil) || ok && score != rankScore(c.tfs) {
			t.Errorf("%q %+v: score %v, %v; want hits %v", c.content, c.query, score, ok, c.tfs)
		}
	}
}

// TestFoldFailureKeepsMemosFound: while folds fail, writes still succeed
// and their memos are found (from the queue) and pass the check; the
// writer retries the fold without waiting for another write, and the
// first that works moves them all into FTS.
func TestFoldFailureKeepsMemosFound(t *testing.T) {
	testdb.SQLiteOnly(t, "PostgreSQL has no queue to fold")
	ctx := context.Background()
	db := openSearchTestDB(t)
	u := testUser(t, db, "u")
	release := holdFolds(db)
	folds, _ := db.SearchFolds()
	for i := range 20 {
		m := Memo{CreatorID: u.ID, Content: fmt.Sprintf("grebe %d", i), Visibility: VisibilityPrivate, Source: SourceAPI}
		if err := db.CreateMemo(ctx, &m, nil); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(3 * searchFoldIdle) // the idle fold is tried, and fails
	if n := searchCount(t, db, "grebe"); n != 20 {
		t.Fatalf("%d found while folds fail, want 20", n)
	}
	if f, _ := db.SearchFolds(); f != folds || queuedMemos(t, db) != 20 {
		t.Fatalf("folds %d → %d, queued %d: a held fold went through", folds, f, queuedMemos(t, db))
	}
	// With memos queued the database is consistent as it stands: FTS's
	// own check, and SQLite's (which runs it on every FTS table, and which
	// a backup runs on its snapshot).
	err := db.tx(ctx, func(tx *gorm.DB) error {
		return tx.Exec("INSERT INTO memo_search(memo_search) VALUES ('integrity-check')").Error
	})
	if err != nil {
		t.Fatalf("FTS integrity-check with memos queued: %v", err)
	}
	for _, pragma := range []string{"PRAGMA quick_check", "PRAGMA integrity_check"} {
		var res string
		if err := db.r(ctx).Raw(pragma).Scan(&res).Error; err != nil || res != "ok" {
			t.Fatalf("%s with memos queued: %q, %v", pragma, res, err)
		}
	}
	release()
	// No write comes: the writer retries the fold on its own.
	waitFor(t, "the retried fold", func() bool { return queuedMemos(t, db) == 0 })
	m := Memo{CreatorID: u.ID, Content: "grebe again", Visibility: VisibilityPrivate, Source: SourceAPI}
	if err := db.CreateMemo(ctx, &m, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the idle fold", func() bool { return queuedMemos(t, db) == 0 })
	if n := searchCount(t, db, "grebe"); n != 21 {
		t.Fatalf("%d found after the fold, want 21", n)
	}
	if err := db.CheckSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestWriterFoldsInBatchesUnderLoad: under sustained writes the queue is
// folded every searchFoldBatch writes or so (never growing much past
// it), and once the writes stop it is folded within moments.
func TestWriterFoldsInBatchesUnderLoad(t *testing.T) {
	testdb.SQLiteOnly(t, "PostgreSQL has no queue to fold")
	ctx := context.Background()
	db := openSearchTestDB(t)
	u := testUser(t, db, "u")
	const n = 3 * searchFoldBatch
	folds0, _ := db.SearchFolds()
	var next atomic.Int64
	var most atomic.Int64
	done := make(chan error, 8)
	for range 8 {
		go func() {
			for i := next.Add(1); i <= n; i = next.Add(1) {
				m := Memo{CreatorID: u.ID, Content: fmt.Sprintf("heron %d", i), Visibility: VisibilityPrivate, Source: SourceAPI}
				if err := db.CreateMemo(ctx, &m, nil); err != nil {
					done <- err
					return
				}
				if i%64 == 0 {
					if q := queuedMemos(t, db); q > most.Load() {
						most.Store(q)
					}
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	// Folds come from the batch (at least two in 3 batches' writes) or,
	// if the writes paused, from idleness; either way the queue stayed
	// near a batch.
	if m := most.Load(); m > searchFoldBatch+2*maxGroup {
		t.Errorf("the queue reached %d memos (batch %d)", m, searchFoldBatch)
	}
	waitFor(t, "the idle fold", func() bool { return queuedMemos(t, db) == 0 })
	folds, moved := db.SearchFolds()
	if folds-folds0 < 3 {
		t.Errorf("%d folds for %d writes, want at least 3", folds-folds0, n)
	}
	if moved < n {
		t.Errorf("folds moved %d memos, want at least %d", moved, n)
	}
	if c := searchCount(t, db, "heron"); c != n {
		t.Fatalf("%d found, want %d", c, n)
	}
	if err := db.CheckSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
