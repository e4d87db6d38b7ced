package server

import "github.com/memoria-app/memoria/rules"

// invalid is an InvalidArgument error for a malformed request: the edge
// checks only the wire shape (names, masks, enums); the rules check the rest.
func invalid(format string, args ...any) error {
	return rules.Errorf(rules.CodeInvalidArgument, format, args...)
}
