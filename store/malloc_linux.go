//go:build linux && cgo

package store

// SQLite allocates with the C library's malloc. Under glibc, threads other
// than the main one allocate from arenas of their own, and once the free
// space at such an arena's top exceeds M_TRIM_THRESHOLD (128 KiB by
// default) glibc returns it to the kernel with madvise(MADV_DONTNEED).
// With the search index, under sustained writes, an arena's top crossed
// that line again and again: it was trimmed and refilled about once per
// memo written (15,099 madvise calls for 22,000 CreateMemo calls, against
// 579 without the index; strace -f), and every madvise flushes the
// TLB of every other CPU the process runs on: an interrupt to each, and
// on a virtual machine an exit to the hypervisor for each (docs/benchmarks.md).
//
// tuneMalloc raises the trim threshold to 1 MiB: an arena keeps up to
// 1 MiB free rather than 128 KiB. Setting it turns off glibc's dynamic
// threshold (which would also raise the mmap threshold as large blocks
// are freed), so the mmap threshold is set to 1 MiB as well: blocks
// between 128 KiB and 1 MiB come from the arenas, not from an mmap and
// munmap each. C libraries other than glibc are left as they are.

/*
#include <stdlib.h> // defines __GLIBC__ under glibc
#ifdef __GLIBC__
#include <malloc.h>
#endif

static void memoria_tune_malloc(void) {
#ifdef __GLIBC__
	mallopt(M_TRIM_THRESHOLD, 1 << 20);
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
}
*/
import "C"

import "sync"

var tuneMallocOnce sync.Once

// tuneMalloc sets the C allocator up for SQLite (see above), once per
// process.
func tuneMalloc() { tuneMallocOnce.Do(func() { C.memoria_tune_malloc() }) }
