package store

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
	"gorm.io/gorm"
)

// TestTranslate: driver and OS errors of either database become the
// store's typed errors by type and code; other errors stay as they are,
// and translating twice changes nothing.
func TestTranslate(t *testing.T) {
	type want int
	const (
		unchanged want = iota
		diskFull
		conflict
		notFound
		unavailable
	)
	pg := func(code, severity string) error {
		return &pgconn.PgError{Severity: severity, SeverityUnlocalized: severity, Code: code, Message: "m"}
	}
	tests := map[string]struct {
		err  error
		want want
	}{
		"SQLITE_FULL":                     {sqlite3.Error{Code: sqlite3.ErrFull}, diskFull},
		"SQLITE_FULL wrapped":             {fmt.Errorf("insert: %w", sqlite3.Error{Code: sqlite3.ErrFull}), diskFull},
		"SQLITE_IOERR_WRITE with ENOSPC":  {sqlite3.Error{Code: sqlite3.ErrIoErr, ExtendedCode: sqlite3.ErrIoErrWrite, SystemErrno: syscall.ENOSPC}, diskFull},
		"SQLITE_IOERR_FSYNC with EDQUOT":  {sqlite3.Error{Code: sqlite3.ErrIoErr, ExtendedCode: sqlite3.ErrIoErrFsync, SystemErrno: syscall.EDQUOT}, diskFull},
		"SQLITE_IOERR_WRITE with EIO":     {sqlite3.Error{Code: sqlite3.ErrIoErr, ExtendedCode: sqlite3.ErrIoErrWrite, SystemErrno: syscall.EIO}, unchanged},
		"SQLITE_IOERR without errno":      {sqlite3.Error{Code: sqlite3.ErrIoErr}, unchanged},
		"SQLITE_BUSY":                     {sqlite3.Error{Code: sqlite3.ErrBusy}, unchanged},
		"SQLite unique constraint":        {sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintUnique}, conflict},
		"SQLite foreign key":              {sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintForeignKey}, notFound},
		"ENOSPC from a file write":        {&os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}, diskFull},
		"another error from a file write": {&os.PathError{Op: "write", Path: "x", Err: syscall.EIO}, unchanged},
		"text that mentions a full disk":  {errors.New("database or disk is full"), unchanged},
		"gorm's record not found":         {gorm.ErrRecordNotFound, notFound},
		"gorm's foreign key violated":     {gorm.ErrForeignKeyViolated, notFound},

		"PostgreSQL unique_violation":                    {pg("23505", "ERROR"), conflict},
		"PostgreSQL unique_violation as gorm gives it":   {fmt.Errorf("%w: %w", gorm.ErrDuplicatedKey, pg("23505", "ERROR")), conflict},
		"PostgreSQL foreign_key_violation":               {fmt.Errorf("%w: %w", gorm.ErrForeignKeyViolated, pg("23503", "ERROR")), notFound},
		"PostgreSQL disk_full":                           {pg("53100", "ERROR"), diskFull},
		"PostgreSQL admin_shutdown (terminated backend)": {pg("57P01", "FATAL"), unavailable},
		"PostgreSQL cannot_connect_now":                  {pg("57P03", "FATAL"), unavailable},
		"PostgreSQL too_many_connections":                {pg("53300", "FATAL"), unavailable},
		"PostgreSQL connection_failure":                  {pg("08006", "FATAL"), unavailable},
		"PostgreSQL serialization_failure":               {pg("40001", "ERROR"), unchanged},
		"PostgreSQL syntax error":                        {pg("42601", "ERROR"), unchanged},
		"database/sql's bad connection":                  {fmt.Errorf("exec: %w", driver.ErrBadConn), unavailable},
		"a write whose connection was lost":              {connLost(errors.New("unexpected EOF")), unavailable},
		"PostgreSQL not listening":                       {&pgconn.ConnectError{}, unavailable},
	}
	typed := map[want]error{diskFull: ErrDiskFull, conflict: ErrConflict, notFound: ErrNotFound, unavailable: ErrUnavailable}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := translate(tc.err)
			for w, target := range typed {
				if errors.Is(got, target) != (w == tc.want) {
					t.Errorf("translate(%v) = %v; is %v: %v, want %v", tc.err, got, target, !(w == tc.want), w == tc.want)
				}
			}
			if tc.want == unchanged && got != tc.err {
				t.Errorf("translate(%v) = %v, want it unchanged", tc.err, got)
			}
			if again := translate(got); again.Error() != got.Error() {
				t.Errorf("translating twice changed the error: %v → %v", got, again)
			}
		})
	}
}

// TestMayRetry: a write is run again only when PostgreSQL says it could
// not serialise it or found a deadlock, or its connection was lost before
// COMMIT — never after a COMMIT whose outcome is unknown, nor for the
// write's own errors.
func TestMayRetry(t *testing.T) {
	pg := func(code string) error { return &pgconn.PgError{Severity: "ERROR", Code: code} }
	for name, tc := range map[string]struct {
		err  error
		want bool
	}{
		"serialization_failure":         {pg("40001"), true},
		"deadlock_detected":             {fmt.Errorf("update: %w", pg("40P01")), true},
		"unique_violation":              {pg("23505"), false},
		"connection lost before COMMIT": {connLost(pg("57P01")), true},
		"COMMIT outcome unknown":        {commitFailed(errors.New("unexpected EOF")), false},
		"COMMIT refused by the server":  {commitFailed(pg("40001")), true},
		"the write's own error":         {ErrNotFound, false},
		"no server to connect to":       {&pgconn.ConnectError{}, false},
	} {
		if got := mayRetry(tc.err); got != tc.want {
			t.Errorf("%s: mayRetry(%v) = %v, want %v", name, tc.err, got, tc.want)
		}
	}
}
