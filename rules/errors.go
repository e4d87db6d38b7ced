package rules

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/memoria-app/memoria/store"
)

// Code classifies a rules error. Each edge maps it once: to a connect.Code
// for the API (connect_errors.go) and to a chat reply in the bot.
type Code int

// Codes.
const (
	CodeInternal Code = iota
	CodeInvalidArgument
	CodeNotFound
	CodeAlreadyExists
	CodePermissionDenied
	CodeUnauthenticated
	CodeFailedPrecondition
	// CodeResourceExhausted: the server cannot take the call now (its disk
	// is full, or the caller must slow down); the same call may succeed
	// later.
	CodeResourceExhausted
	// CodeUnavailable: try again (reconnect); e.g. the server is shutting
	// down.
	CodeUnavailable
)

// Error is a user-facing rules error: Msg is safe to show to the caller.
type Error struct {
	Code Code
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Errorf builds a rules error.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the Code of err (CodeInternal for anything that is not
// a rules error or a full disk).
func ErrorCode(err error) Code {
	if e, ok := AsError(err); ok {
		return e.Code
	}
	return CodeInternal
}

// AsError returns the user-facing error err stands for: a rules error;
// ErrDiskFull for a write that failed because the server's disk is full;
// errStorageFailing when the store halted writes after a failed sync, or
// errShuttingDown when it is closed (whichever layer they came from).
// Anything else is internal: false.
func AsError(err error) (*Error, bool) {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e, true
	case IsDiskFull(err):
		return ErrDiskFull, true
	case errors.Is(err, store.ErrSyncFailed) || errors.Is(err, store.ErrWritesHalted):
		return errStorageFailing, true
	case errors.Is(err, store.ErrClosed):
		return errShuttingDown, true
	}
	return nil, false
}

var (
	errStorageFailing = Errorf(CodeUnavailable, "the server cannot write to its disk safely and has stopped saving; an admin must check the server log and restart it")
	errShuttingDown   = Errorf(CodeUnavailable, "the server is shutting down; try again in a moment")
)

// ErrDiskFull answers a write that failed because the disk holding the
// data directory is full. Nothing was saved; reads keep working.
var ErrDiskFull = Errorf(CodeResourceExhausted, "the server's disk is full, so nothing was saved: free space on the disk that holds Memoria's data directory, then try again")

// IsDiskFull reports whether err comes from a full disk: ENOSPC or EDQUOT
// from a file write, or store.ErrDiskFull from the database. It goes by
// error type and code, never by message text.
func IsDiskFull(err error) bool {
	return errors.Is(err, ErrDiskFull) || errors.Is(err, store.ErrDiskFull) ||
		errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// notFoundAs turns store.ErrNotFound into a NotFound rules error naming
// what was missing; other errors pass through.
func notFoundAs(err error, name string) error {
	if errors.Is(err, store.ErrNotFound) {
		return Errorf(CodeNotFound, "%s not found", name)
	}
	return err
}

func invalid(format string, args ...any) error {
	return Errorf(CodeInvalidArgument, format, args...)
}

var (
	ErrUnauthenticated = Errorf(CodeUnauthenticated, "sign in first: this call needs a user (Authorization: Bearer <token> or a session cookie)")
	errAdminOnly       = Errorf(CodePermissionDenied, "only an admin may do this")
)
