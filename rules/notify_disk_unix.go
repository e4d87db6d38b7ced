//go:build linux || darwin || freebsd

package rules

import "syscall"

func diskUsage(dir string) (float64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	used := float64(uint64(st.Blocks) - uint64(st.Bfree))
	avail := float64(uint64(st.Bavail))
	if used+avail == 0 {
		return 0, nil
	}
	return used / (used + avail), nil
}
