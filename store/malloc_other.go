//go:build !linux || !cgo

package store

// tuneMalloc: only glibc's allocator is tuned (malloc_linux.go).
func tuneMalloc() {}
