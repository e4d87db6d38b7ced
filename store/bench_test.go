package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/memoria-app/memoria/store"
)

// Every write benchmark is durable (each write returns after its commit
// is synced) and reports the syncs per commit and writes per commit of
// the measured part:
//
//	go test ./store -run '^$' -bench 'CreateMemo|Ingest'

// writeStats reports the store's syncs/commit and writes/commit since
// before, as custom metrics.
func writeStats(b *testing.B, db *store.DB, before store.WriteStats) {
	b.Helper()
	st := db.WriteStats()
	commits := float64(st.Commits - before.Commits)
	if commits == 0 {
		return
	}
	b.ReportMetric(float64(st.Syncs-before.Syncs)/commits, "syncs/commit")
	b.ReportMetric(float64(st.Writes-before.Writes)/commits, "writes/commit")
}

func BenchmarkCreateMemo(b *testing.B) {
	ctx := context.Background()
	db := MustOpenDB(b)
	u := mustUser(b, db, "u")
	before := db.WriteStats()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := store.Memo{CreatorID: u.ID, Content: "hello #x", Tags: []string{"x"}, Visibility: store.VisibilityPrivate, Source: store.SourceAPI}
		if err := db.CreateMemo(ctx, &m, nil); err != nil {
			b.Fatal(err)
		}
	}
	writeStats(b, db, before)
}

func BenchmarkIngest(b *testing.B) {
	ctx := context.Background()
	db := MustOpenDB(b)
	u := mustUser(b, db, "u")
	before := db.WriteStats()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, err := db.Ingest(ctx, store.Ingest{Key: fmt.Sprint(i), Memo: &store.Memo{CreatorID: u.ID, Content: "hello #x", Tags: []string{"x"}, Visibility: store.VisibilityPrivate, Source: store.SourceTelegram}})
		if err != nil {
			b.Fatal(err)
		}
	}
	writeStats(b, db, before)
}

func BenchmarkGetUserSettings(b *testing.B) {
	ctx := context.Background()
	db := MustOpenDB(b)
	u := mustUser(b, db, "u")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := db.GetUserSettings(ctx, u.ID); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCreateMemoParallel16(b *testing.B) {
	ctx := context.Background()
	db := MustOpenDB(b)
	u := mustUser(b, db, "u")
	b.SetParallelism(8) // 16 goroutines on 2 cores
	before := db.WriteStats()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m := store.Memo{CreatorID: u.ID, Content: "hello #x", Tags: []string{"x"}, Visibility: store.VisibilityPrivate, Source: store.SourceAPI}
			if err := db.CreateMemo(ctx, &m, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	writeStats(b, db, before)
}
