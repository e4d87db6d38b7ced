package store

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/mattn/go-sqlite3"
	"gorm.io/gorm"
)

// ErrNotFound is returned when the requested row does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a write would break a uniqueness rule
// (a taken username, a Telegram id already linked to someone else).
var ErrConflict = errors.New("conflict")

// ErrDiskFull is returned when a write failed because the disk that holds
// the database is full (SQLITE_FULL, or an I/O error whose cause is ENOSPC
// or EDQUOT). Nothing of the failed write was committed; the same write
// succeeds once space returns.
var ErrDiskFull = errors.New("disk full")

// translate maps driver errors to the store's typed errors by type and code,
// never by matching message text.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return fmt.Errorf("%w: %v", ErrConflict, err)
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch {
		case se.ExtendedCode == sqlite3.ErrConstraintUnique, se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey:
			return fmt.Errorf("%w: %v", ErrConflict, err)
		case se.Code == sqlite3.ErrFull, se.Code == sqlite3.ErrIoErr && noSpace(se.SystemErrno):
			return fmt.Errorf("%w: %v", ErrDiskFull, err)
		}
	}
	if noSpace(err) && !errors.Is(err, ErrDiskFull) {
		return fmt.Errorf("%w: %w", ErrDiskFull, err)
	}
	return err
}

// noSpace reports whether err is the operating system saying that the disk
// (or the user's quota on it) is full.
func noSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
