package rules

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/memoria-app/memoria/store"
)

// TestDiskFullIsResourceExhausted: a full disk, wherever it is reported
// from, is the user-facing ErrDiskFull (resource_exhausted); other
// failures stay internal.
func TestDiskFullIsResourceExhausted(t *testing.T) {
	tests := map[string]struct {
		err  error
		want Code
	}{
		"database full":            {fmt.Errorf("commit: %w", store.ErrDiskFull), CodeResourceExhausted},
		"ENOSPC from a file write": {&os.PathError{Op: "write", Path: "f", Err: syscall.ENOSPC}, CodeResourceExhausted},
		"EDQUOT from a file write": {&os.PathError{Op: "write", Path: "f", Err: syscall.EDQUOT}, CodeResourceExhausted},
		"EIO from a file write":    {&os.PathError{Op: "write", Path: "f", Err: syscall.EIO}, CodeInternal},
		"message text only":        {errors.New("no space left on device"), CodeInternal},
		"a rules error":            {invalid("bad"), CodeInvalidArgument},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := ErrorCode(tc.err); got != tc.want {
				t.Fatalf("ErrorCode = %v, want %v", got, tc.want)
			}
			e, ok := AsError(tc.err)
			if ok != (tc.want != CodeInternal) {
				t.Fatalf("AsError ok = %v", ok)
			}
			if tc.want == CodeResourceExhausted && e.Msg != ErrDiskFull.Msg {
				t.Fatalf("message %q, want ErrDiskFull's", e.Msg)
			}
		})
	}
}
