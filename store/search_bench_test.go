package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/memoria-app/memoria/store"
)

// benchText is a memo of typical length (~30 words) in mixed languages.
func benchText(i int) string {
	return fmt.Sprintf("Memo %d: meeting notes with the design team about the release plan, "+
		"今天的会议讨论了项目计划 and the budget; встреча завтра, café après #tag%d", i, i%40)
}

// BenchmarkCreateMemoSearchIndex: CreateMemo from 16 goroutines with the
// index and with its triggers and queue dropped (the store then does no
// index work at all); cpu-ns/op is the process's CPU time per memo.
func BenchmarkCreateMemoSearchIndex(b *testing.B) {
	for _, indexed := range []bool{true, false} {
		b.Run(fmt.Sprintf("indexed=%v", indexed), func(b *testing.B) {
			ctx := context.Background()
			dir := b.TempDir()
			db, err := store.Open(ctx, dir, store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			if !indexed {
				db.Close()
				raw, err := sql.Open("sqlite3", filepath.Join(dir, "memoria.db"))
				if err != nil {
					b.Fatal(err)
				}
				for _, s := range []string{"DROP TRIGGER memo_search_insert", "DROP TRIGGER memo_search_unindex", "DROP TRIGGER memo_search_reindex", "DROP TRIGGER memo_search_delete", "DROP TABLE memo_search_queue"} {
					if _, err := raw.Exec(s); err != nil {
						b.Fatal(err)
					}
				}
				raw.Close()
				if db, err = store.Open(ctx, dir, store.Options{}); err != nil {
					b.Fatal(err)
				}
			}
			defer db.Close()
			u := mustUser(b, db, "u")
			b.SetParallelism(8)
			b.ResetTimer()
			cpu0, st0 := processCPU(), db.WriteStats()
			defer func() {
				b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
				writeStats(b, db, st0)
			}()
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

// processCPU is the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type atomicInt struct{ v atomic.Int64 }

func (a *atomicInt) add() int { return int(a.v.Add(1)) }

// BenchmarkSearchCommonWord: a page of 50 for a word in one memo of six
// (and, for comparison, the plain listing's page of 50) over 60,000
// memos, in process: the store's part of the API's search figure. (Right
// after loading, before the idle merger had time to merge the index's
// segments: the worse case.)
func BenchmarkSearchCommonWord(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(ctx, b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	u := mustUser(b, db, "u")
	var n atomicInt
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := n.add(); i <= 60000; i = n.add() {
				text := benchText(i)
				if i%6 == 0 {
					text += " today"
				}
				m := store.Memo{CreatorID: u.ID, Content: text, Visibility: store.VisibilityPrivate, Source: store.SourceAPI}
				if err := db.CreateMemo(ctx, &m, nil); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	q := store.MemoQuery{CreatorID: u.ID, Limit: 50}
	b.Run("search", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			hits, err := db.SearchMemos(ctx, q, store.SearchQuery{Terms: []store.SearchTerm{{Text: "today"}}}, nil)
			if err != nil || len(hits) != 50 {
				b.Fatal(len(hits), err)
			}
		}
	})
	b.Run("list", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			memos, err := db.ListMemos(ctx, q)
			if err != nil || len(memos) != 50 {
				b.Fatal(len(memos), err)
			}
		}
	})
}
