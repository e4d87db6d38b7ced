package rules

import "strings"

// PostgreSQL cannot hold U+0000 in text (nor look it up), and no memo,
// name or setting needs it: the rules refuse it, so both databases give
// the same invalid_argument instead of PostgreSQL failing the write.

// hasNUL reports whether s holds U+0000.
func hasNUL(s string) bool { return strings.IndexByte(s, 0) >= 0 }

// refuseNUL refuses s, the value of field, when it holds U+0000.
func refuseNUL(field, s string) error {
	if hasNUL(s) {
		return invalid("%s must not contain NUL (U+0000)", field)
	}
	return nil
}
