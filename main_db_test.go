package main

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memoria-app/memoria/store"
)

// TestDBFlag: --db takes a postgres:// URL (checked before anything is
// opened) and refuses anything else; backup and restore, which copy the
// SQLite file, refuse PostgreSQL with ErrUnsupported.
func TestDBFlag(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--db", "mysql://u@h/db", "--data", dir},
		{"--db", "postgres://u@h:port/db", "--data", dir},
		{"backup", "--db", "sqlite:memoria.db", "--data", dir, filepath.Join(dir, "b.tar")},
	} {
		if err := run(args, io.Discard); err == nil || !strings.Contains(err.Error(), "--db") {
			t.Errorf("run %q = %v, want an error about --db", args, err)
		}
	}
	for _, cmd := range []string{"backup", "restore"} {
		err := run([]string{cmd, "--db", "postgres://u@127.0.0.1:1/db", "--data", dir, filepath.Join(dir, "b.tar")}, io.Discard)
		if !errors.Is(err, store.ErrUnsupported) {
			t.Errorf("%s on PostgreSQL: %v, want ErrUnsupported", cmd, err)
		}
	}
}
