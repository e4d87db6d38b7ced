package store

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/mattn/go-sqlite3"
)

// TestTranslateDiskFull: driver and OS errors that mean a full disk become
// ErrDiskFull, by code; other I/O errors do not.
func TestTranslateDiskFull(t *testing.T) {
	tests := map[string]struct {
		err      error
		diskFull bool
		conflict bool
	}{
		"SQLITE_FULL":                     {err: sqlite3.Error{Code: sqlite3.ErrFull}, diskFull: true},
		"SQLITE_FULL wrapped":             {err: fmt.Errorf("insert: %w", sqlite3.Error{Code: sqlite3.ErrFull}), diskFull: true},
		"SQLITE_IOERR_WRITE with ENOSPC":  {err: sqlite3.Error{Code: sqlite3.ErrIoErr, ExtendedCode: sqlite3.ErrIoErrWrite, SystemErrno: syscall.ENOSPC}, diskFull: true},
		"SQLITE_IOERR_FSYNC with EDQUOT":  {err: sqlite3.Error{Code: sqlite3.ErrIoErr, ExtendedCode: sqlite3.ErrIoErrFsync, SystemErrno: syscall.EDQUOT}, diskFull: true},
		"SQLITE_IOERR_WRITE with EIO":     {err: sqlite3.Error{Code: sqlite3.ErrIoErr, ExtendedCode: sqlite3.ErrIoErrWrite, SystemErrno: syscall.EIO}},
		"SQLITE_IOERR without errno":      {err: sqlite3.Error{Code: sqlite3.ErrIoErr}},
		"SQLITE_BUSY":                     {err: sqlite3.Error{Code: sqlite3.ErrBusy}},
		"unique constraint":               {err: sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintUnique}, conflict: true},
		"ENOSPC from a file write":        {err: &os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}, diskFull: true},
		"another error from a file write": {err: &os.PathError{Op: "write", Path: "x", Err: syscall.EIO}},
		"text that mentions a full disk":  {err: errors.New("database or disk is full")},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := translate(tc.err)
			if errors.Is(got, ErrDiskFull) != tc.diskFull {
				t.Errorf("translate(%v) = %v; disk full: %v, want %v", tc.err, got, errors.Is(got, ErrDiskFull), tc.diskFull)
			}
			if errors.Is(got, ErrConflict) != tc.conflict {
				t.Errorf("translate(%v) = %v; conflict: %v, want %v", tc.err, got, !tc.conflict, tc.conflict)
			}
			if again := translate(got); errors.Is(again, ErrDiskFull) != tc.diskFull {
				t.Errorf("translating twice changed the answer: %v", again)
			}
		})
	}
}
