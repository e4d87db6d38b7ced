package server

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/memoria-app/memoria/store"
)

func BenchmarkIngestText(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	db, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	r, err := NewRules(db, dir, Config{BcryptCost: 4}, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	u := store.User{Username: "u", PasswordHash: "x", Role: store.RoleUser}
	if err := db.CreateUser(ctx, &u, nil); err != nil {
		b.Fatal(err)
	}
	actx := WithActor(ctx, &Actor{User: u, Source: store.SourceTelegram})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := r.Ingest(actx, IngestInput{Key: fmt.Sprintf("k%d", i), Content: "hello **world** #tag"}); err != nil {
			b.Fatal(err)
		}
	}
}
