package rules

import (
	"context"
	"fmt"
	"testing"

	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/store/storetest"
)

func BenchmarkIngestText(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	db, err := store.Open(ctx, dir, store.Options{URL: storetest.URL(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	r, err := NewRules(db, dir, Config{BcryptCost: 4})
	if err != nil {
		b.Fatal(err)
	}
	u := store.User{Username: "u", PasswordHash: "x", Role: store.RoleUser}
	if err := db.CreateUser(ctx, &u, nil); err != nil {
		b.Fatal(err)
	}
	actor := &Actor{User: u, Source: store.SourceTelegram}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out := r.IngestBatch(ctx, []IngestItem{{Actor: actor, Input: IngestInput{Key: fmt.Sprintf("k%d", i), Content: "hello **world** #tag"}}})
		if out[0].Err != nil {
			b.Fatal(out[0].Err)
		}
	}
}
