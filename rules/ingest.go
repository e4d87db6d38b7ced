package rules

import (
	"context"
	"errors"

	"github.com/memoria-app/memoria/store"
)

// IngestInput is one external event (e.g. a Telegram update) that the
// actor's client delivers; see store.Ingest for the exactly-once contract.
type IngestInput struct {
	Key      string
	GroupKey string
	// Content of the memo to create (or, with GroupKey, to add to the
	// group's memo) and its files, already written with StageFile (in
	// parallel, ahead of the transaction). NoMemo records the event as
	// handled without storing anything.
	Content string
	Staged  []StagedFile
	NoMemo  bool
	// Chat is what a chat message adds (reply-append, the message map);
	// see telegram_ingest.go.
	Chat ChatIngest
}

// StagedFile is a file written ahead of the Ingest that attaches it.
type StagedFile struct {
	res store.Resource
}

// Filename is the staged file's name.
func (f StagedFile) Filename() string { return f.res.Filename }

// Size is the staged file's length in bytes.
func (f StagedFile) Size() int64 { return f.res.Size }

// StageFile validates and writes a file for a later Ingest, streaming
// in.Content into the file store (at most the upload limit). A file that
// is never ingested must be given to DiscardStaged (or is swept at
// start-up). On error, ctx ending included, nothing is left stored.
func (r *Rules) StageFile(ctx context.Context, in ResourceInput) (StagedFile, error) {
	res, err := r.writeFile(ctx, in)
	return StagedFile{res: res}, err
}

// DiscardStaged removes staged files that will not be ingested.
func (r *Rules) DiscardStaged(files ...StagedFile) {
	for _, f := range files {
		r.files.Remove(f.res.StoragePath)
	}
}

// IngestItem is an event with the user it acts for.
type IngestItem struct {
	Actor *Actor
	Input IngestInput
}

// IngestOutcome is what became of one IngestItem.
type IngestOutcome struct {
	Result store.IngestResult
	Err    error // a rules error (refused) or an internal one
}

// Ingested reports whether an event key was already applied, so a client
// can skip work (downloads) for a redelivered event.
func (r *Rules) Ingested(ctx context.Context, key string) (bool, error) {
	return r.db.HasIngested(ctx, key)
}

// IngestBatch applies events in order, each exactly once, in one
// transaction: a memo (or an addition to the GroupKey's memo) for each
// item's actor, with the actor's default visibility and source, its files,
// and the event key. An item the rules refuse fails alone.
func (r *Rules) IngestBatch(ctx context.Context, items []IngestItem) []IngestOutcome {
	out := make([]IngestOutcome, len(items))
	reqs := make([]store.Ingest, 0, len(items))
	idx := make([]int, 0, len(items))
	written := make([][]string, len(items))
	visibility := map[int64]store.Visibility{}
	for i, it := range items {
		req, files, err := r.prepareIngest(ctx, it, visibility)
		written[i] = files
		if err != nil {
			out[i].Err = err
			r.files.Remove(files...)
			continue
		}
		reqs = append(reqs, req)
		idx = append(idx, i)
	}
	if len(reqs) == 0 {
		return out
	}
	results, errs := r.db.IngestMany(ctx, reqs)
	for j, i := range idx {
		out[i] = IngestOutcome{Result: results[j], Err: errs[j]}
		if errs[j] != nil || results[j].Duplicate {
			r.files.Remove(written[i]...)
		}
	}
	return out
}

// prepareIngest validates an item and writes its files.
func (r *Rules) prepareIngest(ctx context.Context, it IngestItem, visibility map[int64]store.Visibility) (store.Ingest, []string, error) {
	a, in := it.Actor, it.Input
	var staged []string
	for _, f := range in.Staged {
		staged = append(staged, f.res.StoragePath)
	}
	if a == nil {
		return store.Ingest{}, staged, ErrUnauthenticated
	}
	if in.Key == "" {
		return store.Ingest{}, staged, errors.New("ingest: empty key")
	}
	req := store.Ingest{Key: in.Key, GroupKey: in.GroupKey}
	if in.NoMemo {
		r.files.Remove(staged...)
		return req, nil, nil
	}
	if err := validateContent(in.Content); err != nil {
		return store.Ingest{}, staged, err
	}
	vis, ok := visibility[a.User.ID]
	if !ok {
		var err error
		if vis, err = r.resolveVisibility(ctx, a.User.ID, ""); err != nil {
			return store.Ingest{}, staged, err
		}
		visibility[a.User.ID] = vis
	}
	req.Memo = &store.Memo{
		CreatorID: a.User.ID, Content: in.Content, Visibility: vis,
		Tags: ExtractTags(in.Content), Source: a.Source,
	}
	for _, f := range in.Staged {
		req.Resources = append(req.Resources, f.res)
	}
	if err := r.chatIngest(ctx, a, in, &req); err != nil {
		return store.Ingest{}, staged, err
	}
	return req, staged, nil
}

// UserByTelegramID returns the user who linked a Telegram user id
// (NotFound if nobody did). The bot uses it to pick the acting user; it
// grants nothing by itself.
func (r *Rules) UserByTelegramID(ctx context.Context, telegramUserID int64) (store.User, error) {
	u, err := r.db.GetUserByTelegramID(ctx, telegramUserID)
	return u, notFoundAs(err, "linked user")
}
