package server

import (
	"sort"
	"strings"

	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// maskPaths checks an update mask against the allowed paths and returns
// the set it names. An empty mask or an unknown path is InvalidArgument.
func maskPaths(m *fieldmaskpb.FieldMask, allowed ...string) (map[string]bool, error) {
	if m == nil || len(m.GetPaths()) == 0 {
		return nil, invalid("update_mask is required; allowed paths: %s", strings.Join(allowed, ", "))
	}
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	out := map[string]bool{}
	for _, p := range m.GetPaths() {
		if !ok[p] {
			sorted := append([]string(nil), allowed...)
			sort.Strings(sorted)
			return nil, invalid("update_mask: unknown field %q; allowed paths: %s", p, strings.Join(sorted, ", "))
		}
		out[p] = true
	}
	return out, nil
}
