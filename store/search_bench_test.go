package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/memoria-app/memoria/store"
)

// benchText is a memo of typical length (~30 words) in mixed languages.
func benchText(i int) string {
	return fmt.Sprintf("Memo %d: meeting notes with the design team about the release plan, "+
		"今天的会议讨论了项目计划 and the budget; встреча завтра, café après #tag%d", i, i%40)
}

// BenchmarkCreateMemoSearchIndex: CreateMemo from 16 goroutines with the
// index's triggers in place and with them dropped.
func BenchmarkCreateMemoSearchIndex(b *testing.B) {
	for _, indexed := range []bool{true, false} {
		b.Run(fmt.Sprintf("indexed=%v", indexed), func(b *testing.B) {
			ctx := context.Background()
			dir := b.TempDir()
			db, err := store.Open(ctx, dir, store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			if !indexed {
				raw, err := sql.Open("sqlite3", filepath.Join(dir, "memoria.db"))
				if err != nil {
					b.Fatal(err)
				}
				for _, t := range []string{"memo_search_insert", "memo_search_unindex", "memo_search_reindex", "memo_search_delete"} {
					if _, err := raw.Exec("DROP TRIGGER " + t); err != nil {
						b.Fatal(err)
					}
				}
				raw.Close()
			}
			u := mustUser(b, db, "u")
			b.SetParallelism(8)
			b.ResetTimer()
			var n atomicInt
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.add()
					m := store.Memo{CreatorID: u.ID, Content: benchText(i), Tags: []string{fmt.Sprint("tag", i%40)}, Visibility: store.VisibilityPrivate, Source: store.SourceAPI}
					if err := db.CreateMemo(ctx, &m, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkSearchBody is the Go side of indexing one memo.
func BenchmarkSearchBody(b *testing.B) {
	text := strings.Repeat(benchText(1)+" ", 1)
	b.SetBytes(int64(len(text)))
	for i := 0; i < b.N; i++ {
		store.SearchSegments(text)
	}
}

type atomicInt struct{ v atomic.Int64 }

func (a *atomicInt) add() int { return int(a.v.Add(1)) }
