package rules

import (
	"context"
	"time"
)

// SweepOrphanFiles removes stored files that no resource points to: files
// written just before a crash whose database commit never happened. Files
// younger than grace are left alone (their commit may be in flight).
func (r *Rules) SweepOrphanFiles(ctx context.Context, grace time.Duration) (removed int, err error) {
	cutoff := time.Now().Add(-grace)
	r.files.clearTmp(cutoff)
	err = r.files.Walk(func(rel string, mod time.Time) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if mod.After(cutoff) {
			return nil
		}
		used, err := r.db.ResourceExistsAt(ctx, rel)
		if err != nil {
			return err
		}
		if !used {
			r.files.Remove(rel)
			removed++
		}
		return nil
	})
	return removed, err
}
