//go:build !linux

package store

import "os"

// fdatasync falls back to fsync (F_FULLFSYNC on macOS) where fdatasync is
// not available.
func fdatasync(f *os.File) error { return f.Sync() }
