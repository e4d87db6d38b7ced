package rules

import (
	"errors"
	"fmt"

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
	CodeResourceExhausted
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
// a rules error).
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
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
