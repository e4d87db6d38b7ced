package rules

import (
	"context"
	"log/slog"
	"time"
)

// SweepOrphanFiles removes stored files that no resource points to, on
// disk and in the database: files written just before a crash whose
// database commit never happened, and uploads a crash cut short (on disk
// in files/tmp, in the database an incomplete blob). Files written to
// within grace are left alone (their commit may be in flight, or they
// are still being written — by another process too, on a shared
// database).
func (r *Rules) SweepOrphanFiles(ctx context.Context, grace time.Duration) (removed int, err error) {
	cutoff := time.Now().Add(-grace)
	r.files.disk.clearTmp(cutoff)
	err = r.files.Walk(ctx, func(ref string, mod time.Time) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if mod.After(cutoff) {
			return nil
		}
		used, err := r.db.ResourceExistsAt(ctx, ref)
		if err != nil {
			return err
		}
		if !used {
			r.files.Remove(ref)
			removed++
		}
		return nil
	})
	return removed, err
}

// IngestRetention is how long ingest records (event keys, album groups)
// are kept. Telegram keeps an undelivered update for 24 hours, so after a
// week no event can come again and its record is dead weight.
const IngestRetention = 7 * 24 * time.Hour

// PruneInterval is how often RunPruner prunes.
const PruneInterval = time.Hour

// Clock tells the time and waits; housekeeping takes one so that tests
// can drive it.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// PruneIngested deletes the ingest records older than IngestRetention at
// now, and reports how many event keys and album groups went.
func (r *Rules) PruneIngested(ctx context.Context, now time.Time) (keys, groups int64, err error) {
	return r.db.PruneIngested(ctx, now.Add(-IngestRetention))
}

// RunPruner prunes ingest records at once and then every PruneInterval
// until ctx ends (clock nil: the system clock). A failed round (e.g. the
// disk is full) is logged and tried again at the next.
func (r *Rules) RunPruner(ctx context.Context, log *slog.Logger, clock Clock) {
	if clock == nil {
		clock = systemClock{}
	}
	for {
		keys, groups, err := r.PruneIngested(ctx, clock.Now())
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Warn("prune ingest records", "err", err)
		case keys+groups > 0:
			log.Info("pruned ingest records", "event_keys", keys, "album_groups", groups)
		}
		select {
		case <-clock.After(PruneInterval):
		case <-ctx.Done():
			return
		}
	}
}
