package rules

import (
	"strings"
	"testing"
)

func TestPageSize(t *testing.T) {
	for name, tt := range map[string]struct {
		in   int32
		want int
	}{"default": {0, 50}, "one": {1, 1}, "max": {1000, 1000}, "clamped": {1001, 1000}, "huge": {1 << 30, 1000}} {
		t.Run(name, func(t *testing.T) {
			got, err := pageSize(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("pageSize(%d) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
	if _, err := pageSize(-1); ErrorCode(err) != CodeInvalidArgument || !strings.Contains(err.Error(), "page_size") {
		t.Fatalf("pageSize(-1) error = %v, want InvalidArgument naming page_size", err)
	}
}
