//go:build !linux

package store

import "syscall"

// setUserTimeout does nothing where TCP_USER_TIMEOUT is not available:
// keepalives and the lease's own ping deadline still apply.
func setUserTimeout(string, string, syscall.RawConn) error { return nil }
