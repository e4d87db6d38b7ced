package store

import (
	"context"
	"errors"
	"testing"
)

// TestCheckURL: Options.URL is empty (SQLite) or a PostgreSQL URL;
// anything else is refused before connecting, with a message that says
// what is expected.
func TestCheckURL(t *testing.T) {
	for url, ok := range map[string]bool{
		"":                                  true,
		"postgres://u@localhost:5432/db":    true,
		"postgresql://u@localhost/db?x=y":   true,
		"mysql://u@localhost/db":            false,
		"memoria.db":                        false,
		"postgres://u@localhost:notaport/d": false,
		"postgres://u@h/db?synchronous_commit=off": false,
	} {
		err := CheckURL(url)
		if (err == nil) != ok {
			t.Errorf("CheckURL(%q) = %v, want ok: %v", url, err, ok)
		}
		if !ok {
			if _, oerr := Open(context.Background(), t.TempDir(), Options{URL: url}); oerr == nil {
				t.Errorf("Open accepted %q", url)
			}
		}
	}
}

// TestOpenPostgresUnreachable: a PostgreSQL server that does not answer
// makes Open fail with ErrUnavailable (no server is needed for this).
func TestOpenPostgresUnreachable(t *testing.T) {
	_, err := Open(context.Background(), t.TempDir(), Options{URL: "postgres://postgres@127.0.0.1:1/test?connect_timeout=2"})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Open = %v, want ErrUnavailable", err)
	}
}
