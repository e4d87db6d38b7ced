package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/memoria-app/memoria/store/internal/testdb"
)

// TestSearchIndexMergesWhenIdle: memos folded into FTS one fold each
// leave many segments; once writes stop, the idle merger brings them down to a few,
// and the index still checks and finds every memo.
func TestSearchIndexMergesWhenIdle(t *testing.T) {
	testdb.SQLiteOnly(t, "merges FTS4's segments")
	ctx := context.Background()
	db := openSearchTestDB(t)
	u := testUser(t, db, "u")
	for i := 0; i < 60; i++ {
		m := Memo{CreatorID: u.ID, Content: fmt.Sprintf("heron note %d", i), Visibility: VisibilityPrivate, Source: SourceAPI}
		if err := db.CreateMemo(ctx, &m, nil); err != nil {
			t.Fatal(err)
		}
		if err := db.CheckSearchIndex(ctx); err != nil { // folds the memo: a segment
			t.Fatal(err)
		}
	}
	segments := func() int {
		var n int
		if err := db.r(ctx).Raw("SELECT COUNT(*) FROM memo_search_segdir").Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := segments()
	if before < 10 {
		t.Fatalf("%d segments after 60 single-memo folds: the test does not exercise merging", before)
	}
	stop := make(chan struct{})
	defer close(stop)
	go db.mergeSearchIndexWhenIdle(10*time.Millisecond, stop)
	deadline := time.Now().Add(10 * time.Second)
	for segments() >= searchMergeMinSegments {
		if time.Now().After(deadline) {
			t.Fatalf("still %d segments (from %d) after 10 s idle", segments(), before)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := db.CheckSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if n := searchCount(t, db, "heron"); n != 60 {
		t.Fatalf("found %d of 60 memos after merging", n)
	}
	// Nothing left to merge: a step says so.
	more, err := db.mergeSearchStep(ctx)
	if err != nil || more {
		t.Fatalf("a step on a merged index: more=%v, %v", more, err)
	}
}

// TestFoldWritesOneSegment: a fold of one and a half statements' worth of
// memos writes two FTS segments, one per statement (FTS4 flushes its
// pending terms at every multi-row statement after the first), not one
// per few dozen memos, and the folded memos are found and check.
func TestFoldWritesOneSegment(t *testing.T) {
	testdb.SQLiteOnly(t, "counts FTS4's segments")
	ctx := context.Background()
	db := openSearchTestDB(t)
	u := testUser(t, db, "u")
	const n = foldChunk + foldChunk/2
	// One write, so that the memos wait in the queue for one fold.
	err := db.tx(ctx, func(tx *gorm.DB) error {
		for i := 0; i < n; i++ {
			m := Memo{CreatorID: u.ID, Content: fmt.Sprintf("heron note %d", i), Visibility: VisibilityPrivate, Source: SourceAPI}
			if err := insertMemo(tx, &m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CheckSearchIndex(ctx); err != nil { // folds whatever the writer has not
		t.Fatal(err)
	}
	var levels []int
	if err := db.r(ctx).Raw("SELECT level FROM memo_search_segdir").Scan(&levels).Error; err != nil {
		t.Fatal(err)
	}
	if len(levels) != 2 || levels[0] != 0 || levels[1] != 0 {
		t.Fatalf("segments (their levels) after folding %d memos: %v, want two at level 0", n, levels)
	}
	if got := searchCount(t, db, "heron"); got != n {
		t.Fatalf("found %d of %d memos", got, n)
	}
}
