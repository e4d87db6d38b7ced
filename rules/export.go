package rules

import (
	"context"
	"fmt"
	"io"

	"github.com/memoria-app/memoria/store"
)

// exportPage is how many memos ExportMemos reads per query.
const exportPage = 200

// OpenFunc opens a resource's stored bytes; the caller closes them.
type OpenFunc func(res store.Resource) (io.ReadCloser, error)

// ExportMemos calls each with every memo of the actor — only their own,
// whatever its visibility — pinned first, then newest first, with a
// function that opens the bytes of the memo's resources. It reads the
// memos a page at a time, so an export of any size holds one page in
// memory; an error from each stops it.
func (r *Rules) ExportMemos(ctx context.Context, each func(m store.Memo, open OpenFunc) error) error {
	a, err := requireActor(ctx)
	if err != nil {
		return err
	}
	open := func(res store.Resource) (io.ReadCloser, error) {
		if res.CreatorID != a.User.ID {
			return nil, Errorf(CodePermissionDenied, "resources/%d is not yours", res.ID)
		}
		f, err := r.files.Open(ctx, res.StoragePath)
		if err != nil {
			return nil, fmt.Errorf("open stored file of resources/%d: %w", res.ID, err)
		}
		return f, nil
	}
	q := store.MemoQuery{CreatorID: a.User.ID, Limit: exportPage}
	for {
		ms, err := r.db.ListMemos(ctx, q)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if err := each(m, open); err != nil {
				return err
			}
		}
		if len(ms) < exportPage {
			return nil
		}
		c := store.CursorAfter(ms[len(ms)-1])
		q.After = &c
	}
}
