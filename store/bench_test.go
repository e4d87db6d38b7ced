package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/memoria-app/memoria/store"
)

func BenchmarkCreateMemo(b *testing.B) {
	ctx := context.Background()
	db := MustOpenDB(b)
	u := mustUser(b, db, "u")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := store.Memo{CreatorID: u.ID, Content: "hello #x", Tags: []string{"x"}, Visibility: store.VisibilityPrivate, Source: store.SourceAPI}
		if err := db.CreateMemo(ctx, &m, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIngest(b *testing.B) {
	ctx := context.Background()
	db := MustOpenDB(b)
	u := mustUser(b, db, "u")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, err := db.Ingest(ctx, store.Ingest{Key: fmt.Sprint(i), Memo: &store.Memo{CreatorID: u.ID, Content: "hello #x", Tags: []string{"x"}, Visibility: store.VisibilityPrivate, Source: store.SourceTelegram}})
		if err != nil {
			b.Fatal(err)
		}
	}
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
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m := store.Memo{CreatorID: u.ID, Content: "hello #x", Tags: []string{"x"}, Visibility: store.VisibilityPrivate, Source: store.SourceAPI}
			if err := db.CreateMemo(ctx, &m, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
