package importmemos_test

import (
	"bytes"
	"context"
	"io"
	"slices"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/memoria-app/memoria/importmemos"
	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
)

// TestImportIntoDatabaseFiles: an instance that keeps its files in the
// database imports memos' files (local ones and memos' own blobs) into
// it, nothing under <data>/files, byte for byte.
func TestImportIntoDatabaseFiles(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(context.Background(), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rl, err := rules.NewRules(db, dir, rules.Config{BcryptCost: bcrypt.MinCost, FilesInDB: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := importmemos.Import(ctx, rl, fixture(t, "v0.26")); err != nil {
		t.Fatal(err)
	}
	if n := countFiles(t, dir); n != 0 {
		t.Fatalf("%d files under <data>/files; they belong in the database", n)
	}
	host, err := db.GetUserByUsername(ctx, "hoster")
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.ListResources(ctx, store.ResourceQuery{CreatorID: host.ID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var got [][]byte
	for _, r := range res {
		if _, ok := store.ParseBlobRef(r.StoragePath); !ok {
			t.Errorf("resources/%d stored at %q, not in the database", r.ID, r.StoragePath)
		}
		_, f, err := rl.OpenResource(rules.WithActor(ctx, &rules.Actor{User: host}), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b)
	}
	want := [][]byte{photo, blob}
	slices.SortFunc(got, bytes.Compare)
	slices.SortFunc(want, bytes.Compare)
	if !slices.EqualFunc(got, want, bytes.Equal) {
		t.Fatalf("imported files differ from memos' (%d of them)", len(got))
	}
}
