package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/memoria-app/memoria/store"
)

// IngestInput is one external event (e.g. a Telegram update) that the
// actor's client delivers; see store.Ingest for the exactly-once contract.
type IngestInput struct {
	Key      string
	GroupKey string
	// Content of the memo to create; with Files empty and Content empty
	// and NoMemo set, the event is only recorded as handled.
	Content string
	Files   []ResourceInput
	NoMemo  bool
}

// Ingested reports whether an event key was already applied, so a client
// can skip work (downloads) for a redelivered event.
func (r *Rules) Ingested(ctx context.Context, key string) (bool, error) {
	return r.db.HasIngested(ctx, key)
}

// Ingest applies an external event exactly once for the actor: a memo (or
// an addition to the GroupKey's memo) with the actor's default visibility
// and source, its files, and the event key, in one transaction.
func (r *Rules) Ingest(ctx context.Context, in IngestInput) (store.IngestResult, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return store.IngestResult{}, err
	}
	if in.Key == "" {
		return store.IngestResult{}, errors.New("ingest: empty key")
	}
	req := store.Ingest{Key: in.Key, GroupKey: in.GroupKey}
	if !in.NoMemo {
		if err := validateContent(in.Content); err != nil {
			return store.IngestResult{}, err
		}
		vis, err := r.resolveVisibility(ctx, a.User.ID, "")
		if err != nil {
			return store.IngestResult{}, err
		}
		req.Memo = &store.Memo{
			CreatorID: a.User.ID, Content: in.Content, Visibility: vis,
			Tags: ExtractTags(in.Content), Source: a.Source,
		}
		var written []string
		for _, f := range in.Files {
			res, err := r.writeFile(f)
			if err != nil {
				r.files.Remove(written...)
				return store.IngestResult{}, fmt.Errorf("store %q: %w", f.Filename, err)
			}
			written = append(written, res.StoragePath)
			req.Resources = append(req.Resources, res)
		}
		out, err := r.db.Ingest(ctx, req)
		if err != nil || out.Duplicate {
			r.files.Remove(written...)
		}
		return out, err
	}
	return r.db.Ingest(ctx, req)
}

// UserByTelegramID returns the user who linked a Telegram user id
// (store.ErrNotFound wrapped as NotFound if nobody did). The bot uses it to
// pick the acting user; it grants nothing by itself.
func (r *Rules) UserByTelegramID(ctx context.Context, telegramUserID int64) (store.User, error) {
	u, err := r.db.GetUserByTelegramID(ctx, telegramUserID)
	return u, notFoundAs(err, "linked user")
}
