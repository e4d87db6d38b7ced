package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"
)

// TestSplitSearchEqualsFullRanking holds SearchMemos's two-part read (the
// matches with a repeated token scored, the rest walked by id) to the
// plain ranking of every match, page by page, on a corpus where words
// repeat at random, for words, several words, phrases and CJK, with
// filters.
func TestSplitSearchEqualsFullRanking(t *testing.T) {
	ctx := context.Background()
	db := openSearchTestDB(t)
	var users []int64
	for _, name := range []string{"ann", "bob"} {
		users = append(users, testUser(t, db, name).ID)
	}
	vocab := []string{"otter", "river", "stone", "otter river", "量子纠缠", "café", "the", "the"}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 400; i++ {
		var words []string
		for n := 1 + r.IntN(8); n > 0; n-- {
			words = append(words, vocab[r.IntN(len(vocab))])
		}
		tags := []string(nil)
		if i%3 == 0 {
			tags = []string{"x"}
		}
		m := Memo{CreatorID: users[i%2], Content: strings.Join(words, " ") + fmt.Sprintf(" n%d", i), Tags: tags,
			Visibility: []Visibility{VisibilityPrivate, VisibilityPublic}[r.IntN(2)], Source: SourceAPI}
		if err := db.CreateMemo(ctx, &m, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.CheckSearchIndex(ctx); err != nil { // folds the queue: searchIDs reads FTS only
		t.Fatal(err)
	}
	queries := map[string]SearchQuery{
		"word":          {Terms: []SearchTerm{{Text: "otter"}}},
		"frequent word": {Terms: []SearchTerm{{Text: "the"}}},
		"two words":     {Terms: []SearchTerm{{Text: "otter stone"}}},
		"phrase":        {Terms: []SearchTerm{{Text: "otter river", Phrase: true}}},
		"cjk":           {Terms: []SearchTerm{{Text: "量子"}}},
		"cjk phrase":    {Terms: []SearchTerm{{Text: "量子纠缠 otter", Phrase: true}}},
		"accent":        {Terms: []SearchTerm{{Text: "CAFE"}, {Text: "river"}}},
	}
	filters := map[string]MemoQuery{
		"all":     {},
		"creator": {CreatorID: users[1]},
		"tag":     {Tag: "x", Visibilities: []Visibility{VisibilityPublic}},
	}
	for qn, sq := range queries {
		for fn, mq := range filters {
			t.Run(qn+"/"+fn, func(t *testing.T) {
				units := searchUnits(sq)
				if !splittable(units) {
					t.Fatal("query not splittable: the test would compare a path with itself")
				}
				var want, got []scoredID
				err := db.r(ctx).Transaction(func(tx *gorm.DB) error {
					var err error
					want, err = searchIDs(tx, fullTextFor(tx), units, mq, nil, false)
					if err != nil {
						return err
					}
					var after *SearchCursor
					for {
						page := mq
						page.Limit = 7
						ids, err := searchIDs(tx, fullTextFor(tx), units, page, after, true)
						if err != nil {
							return err
						}
						got = append(got, ids...)
						if len(ids) < page.Limit {
							return nil
						}
						last := ids[len(ids)-1]
						after = &SearchCursor{Score: last.Score, ID: last.DocID}
					}
				})
				if err != nil {
					t.Fatal(err)
				}
				if len(want) < 3 {
					t.Fatalf("only %d matches: the corpus does not exercise the query", len(want))
				}
				key := func(ids []scoredID) (out []SearchCursor) {
					for _, h := range ids {
						out = append(out, SearchCursor{Score: h.Score, ID: h.DocID})
					}
					return out
				}
				if !slices.Equal(key(got), key(want)) {
					t.Fatalf("paged split search differs from the full ranking:\n got %v\nwant %v", key(got), key(want))
				}
				repeated := 0
				for _, h := range want {
					if h.Score > baseScore(len(units)) {
						repeated++
					}
				}
				if repeated == 0 || repeated == len(want) {
					t.Fatalf("%d of %d matches have a repeated term: both parts must be exercised", repeated, len(want))
				}
			})
		}
	}
}
