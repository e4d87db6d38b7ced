//go:build !(linux || darwin || freebsd)

package rules

import "errors"

func diskUsage(string) (float64, error) {
	return 0, errors.New("disk usage is not measured on this system")
}
