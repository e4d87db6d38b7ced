package app_test

import (
	"testing"

	"github.com/memoria-app/memoria/store"
)

// reportWriteStats reports the store's syncs per commit and writes per
// commit since before, as benchmark metrics (every acknowledged write is
// synced; see docs/durability.md).
func reportWriteStats(b *testing.B, s *testServer, before store.WriteStats) {
	b.Helper()
	st := s.App.WriteStats()
	commits := float64(st.Commits - before.Commits)
	if commits == 0 {
		return
	}
	b.ReportMetric(float64(st.Syncs-before.Syncs)/commits, "syncs/commit")
	b.ReportMetric(float64(st.Writes-before.Writes)/commits, "writes/commit")
}
