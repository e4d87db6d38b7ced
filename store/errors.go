package store

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
	"gorm.io/gorm"
)

// ErrNotFound is returned when the requested row does not exist, or a
// row that a write refers to does not (a foreign key: the memo a resource
// is for was deleted meanwhile).
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a write would break a uniqueness rule
// (a taken username, a Telegram id already linked to someone else).
var ErrConflict = errors.New("conflict")

// ErrDiskFull is returned when a write failed because the disk that holds
// the database is full (SQLITE_FULL, or an I/O error whose cause is ENOSPC
// or EDQUOT; PostgreSQL's disk_full). Nothing of the failed write was
// committed; the same write succeeds once space returns.
var ErrDiskFull = errors.New("disk full")

// ErrUnavailable is returned when the database cannot be reached or ended
// the connection (PostgreSQL starting, shutting down or out of
// connections, a terminated session, a network failure). A write that
// fails with it committed nothing (see ErrCommitUnknown for the one case
// that is not known); the same call may succeed later.
var ErrUnavailable = errors.New("store: the database is unavailable")

// PostgreSQL error codes (SQLSTATE) the store acts on.
const (
	pgUniqueViolation      = "23505"
	pgForeignKeyViolation  = "23503"
	pgDiskFull             = "53100"
	pgTooManyConnections   = "53300"
	pgAdminShutdown        = "57P01"
	pgCrashShutdown        = "57P02"
	pgCannotConnectNow     = "57P03"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
)

// translate maps driver errors to the store's typed errors by type and code,
// never by matching message text. It knows both drivers: an error of one
// can only come from its own database.
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
	if errors.Is(err, gorm.ErrForeignKeyViolated) {
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch {
		case se.ExtendedCode == sqlite3.ErrConstraintUnique, se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey:
			return fmt.Errorf("%w: %v", ErrConflict, err)
		case se.ExtendedCode == sqlite3.ErrConstraintForeignKey:
			return fmt.Errorf("%w: %v", ErrNotFound, err)
		case se.Code == sqlite3.ErrFull, se.Code == sqlite3.ErrIoErr && noSpace(se.SystemErrno):
			return fmt.Errorf("%w: %v", ErrDiskFull, err)
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == pgUniqueViolation:
			return fmt.Errorf("%w: %v", ErrConflict, err)
		case pe.Code == pgForeignKeyViolation:
			return fmt.Errorf("%w: %v", ErrNotFound, err)
		case pe.Code == pgDiskFull && !errors.Is(err, ErrDiskFull):
			return fmt.Errorf("%w: %w", ErrDiskFull, err)
		}
	}
	if noSpace(err) && !errors.Is(err, ErrDiskFull) {
		return fmt.Errorf("%w: %w", ErrDiskFull, err)
	}
	if unavailable(err) && !errors.Is(err, ErrUnavailable) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// noSpace reports whether err is the operating system saying that the disk
// (or the user's quota on it) is full.
func noSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// unavailable reports whether err says that PostgreSQL could not be
// reached or ended the session.
func unavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case pgAdminShutdown, pgCrashShutdown, pgCannotConnectNow, pgTooManyConnections:
			return true
		}
		return len(pe.Code) == 5 && pe.Code[:2] == "08" // connection_exception
	}
	return errors.Is(err, driver.ErrBadConn) || errors.As(err, new(*pgconn.ConnectError)) || errors.As(err, new(errConnLost))
}

// endsTransaction reports whether err, met by one statement of a write,
// dooms the whole transaction even if that statement ran in a savepoint:
// the disk is full (SQLite may have rolled everything back already, and
// nothing later could be stored either), or PostgreSQL could not
// serialise the write (it must start over).
func endsTransaction(err error) bool {
	if errors.Is(err, ErrDiskFull) {
		return true
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == pgSerializationFailure || pe.Code == pgDeadlockDetected)
}
