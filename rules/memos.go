package rules

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/memoria-app/memoria/store"
)

// MaxContentBytes bounds a memo's Markdown.
const MaxContentBytes = 1 << 20

// MemoInput is a memo to create.
type MemoInput struct {
	Content     string
	Visibility  store.Visibility // "" = the creator's default
	Pinned      bool
	ResourceIDs []int64
}

func validateContent(s string) error {
	if len(s) > MaxContentBytes {
		return invalid("content is %d bytes; the limit is %d bytes (1 MiB)", len(s), MaxContentBytes)
	}
	if !utf8.ValidString(s) {
		return invalid("content must be valid UTF-8")
	}
	return refuseNUL("content", s)
}

// resolveVisibility applies the creator's default and the instance's
// disallowPublicVisibility policy. An explicit PUBLIC on an instance that
// forbids it is refused; a PUBLIC default falls back to PROTECTED.
func (r *Rules) resolveVisibility(ctx context.Context, userID int64, v store.Visibility) (store.Visibility, error) {
	explicit := v != ""
	if !explicit {
		us, err := r.settings.get(ctx, r.db, userID)
		if err != nil {
			return "", err
		}
		v = us.DefaultVisibility
	}
	if v != store.VisibilityPublic {
		return v, nil
	}
	sys, err := r.db.GetSystemSettings(ctx)
	if err != nil {
		return "", err
	}
	if sys.DisallowPublicVisibility {
		if explicit {
			return "", errPublicDisallowed
		}
		return store.VisibilityProtected, nil
	}
	return v, nil
}

var errPublicDisallowed = Errorf(CodePermissionDenied, "public memos are disabled on this instance (disallowPublicVisibility)")

// checkAttachable verifies the actor may attach the resources to memoID
// (0 for a new memo).
func (r *Rules) checkAttachable(ctx context.Context, a *Actor, ids []int64, memoID int64) error {
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			return invalid("resource resources/%d is listed twice", id)
		}
		seen[id] = true
		res, err := r.db.GetResource(ctx, id)
		if err != nil {
			return notFoundAs(err, fmt.Sprintf("resource resources/%d", id))
		}
		if res.CreatorID != a.User.ID {
			return Errorf(CodePermissionDenied, "resource resources/%d is not yours", id)
		}
		if res.MemoID != 0 && res.MemoID != memoID {
			return Errorf(CodeFailedPrecondition, "resource resources/%d is already attached to memos/%d", id, res.MemoID)
		}
	}
	return nil
}

// CreateMemo stores a memo for the actor.
func (r *Rules) CreateMemo(ctx context.Context, in MemoInput) (store.Memo, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return store.Memo{}, err
	}
	if err := validateContent(in.Content); err != nil {
		return store.Memo{}, err
	}
	if in.Content == "" && len(in.ResourceIDs) == 0 {
		return store.Memo{}, invalid("content is required (or attach at least one resource)")
	}
	vis, err := r.resolveVisibility(ctx, a.User.ID, in.Visibility)
	if err != nil {
		return store.Memo{}, err
	}
	if err := r.checkAttachable(ctx, a, in.ResourceIDs, 0); err != nil {
		return store.Memo{}, err
	}
	m := store.Memo{
		CreatorID: a.User.ID, Content: in.Content, Visibility: vis, Pinned: in.Pinned,
		Tags: ExtractTags(in.Content), Source: a.Source,
	}
	if err := r.db.CreateMemo(ctx, &m, in.ResourceIDs); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return store.Memo{}, Errorf(CodeFailedPrecondition, "a resource was attached elsewhere meanwhile; retry")
		}
		return store.Memo{}, err
	}
	return m, nil
}

// canView applies the visibility policy.
func canView(a *Actor, m store.Memo) error {
	switch {
	case m.Visibility == store.VisibilityPublic:
		return nil
	case a == nil:
		return ErrUnauthenticated
	case m.Visibility == store.VisibilityProtected || a.User.ID == m.CreatorID:
		return nil
	}
	return Errorf(CodePermissionDenied, "memos/%d is private", m.ID)
}

// GetMemo returns a memo the actor may see.
func (r *Rules) GetMemo(ctx context.Context, id int64) (store.Memo, error) {
	m, err := r.db.GetMemo(ctx, id)
	if err != nil {
		return store.Memo{}, notFoundAs(err, fmt.Sprintf("memos/%d", id))
	}
	if err := canView(ActorFrom(ctx), m); err != nil {
		return store.Memo{}, err
	}
	return m, nil
}

// ListMemos lists memos the actor may see; see ListMemosRequest.filter.
func (r *Rules) ListMemos(ctx context.Context, filter string, size int32, pageToken string) ([]store.Memo, string, error) {
	a := ActorFrom(ctx)
	n, err := pageSize(size)
	if err != nil {
		return nil, "", err
	}
	f, err := parseMemoFilter(filter)
	if err != nil {
		return nil, "", err
	}
	var after *store.MemoCursor
	var searchAfter *store.SearchCursor
	if f.search != nil {
		searchAfter, err = decodeSearchPageToken(pageToken, filter)
	} else {
		after, err = decodeMemoPageToken(pageToken, filter)
	}
	if err != nil {
		return nil, "", err
	}
	q := store.MemoQuery{Tag: f.tag, Pinned: f.pinned, Source: f.source, ContentContains: f.contains, After: after, Limit: n + 1}
	var allowed []store.Visibility
	switch {
	case a != nil && (f.creatorID == 0 || f.creatorID == a.User.ID):
		q.CreatorID = a.User.ID
	case a != nil:
		q.CreatorID = f.creatorID
		allowed = []store.Visibility{store.VisibilityPublic, store.VisibilityProtected}
	default:
		q.CreatorID = f.creatorID
		allowed = []store.Visibility{store.VisibilityPublic}
	}
	q.Visibilities = allowed
	if f.visibility != "" {
		if allowed != nil && !containsVisibility(allowed, f.visibility) {
			return nil, "", nil // nothing of that visibility is visible to the caller
		}
		q.Visibilities = []store.Visibility{f.visibility}
	}
	if f.search != nil {
		return r.searchMemos(ctx, q, *f.search, searchAfter, filter, n)
	}
	ms, err := r.db.ListMemos(ctx, q)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(ms) > n {
		ms = ms[:n]
		next = encodeMemoPageToken(store.CursorAfter(ms[n-1]), filter)
	}
	return ms, next, nil
}

func containsVisibility(vs []store.Visibility, v store.Visibility) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

// MemoPatch names the memo fields to change; nil fields stay.
type MemoPatch struct {
	Content     *string
	Visibility  *store.Visibility
	Pinned      *bool
	ResourceIDs *[]int64
}

// UpdateMemo changes a memo (owner only).
func (r *Rules) UpdateMemo(ctx context.Context, id int64, p MemoPatch) (store.Memo, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return store.Memo{}, err
	}
	m, err := r.db.GetMemo(ctx, id)
	if err != nil {
		return store.Memo{}, notFoundAs(err, fmt.Sprintf("memos/%d", id))
	}
	if err := canView(a, m); err != nil {
		return store.Memo{}, err
	}
	if m.CreatorID != a.User.ID {
		return store.Memo{}, Errorf(CodePermissionDenied, "only the creator may change memos/%d", id)
	}
	upd := store.MemoUpdate{Pinned: p.Pinned, ResourceIDs: p.ResourceIDs}
	if p.Content != nil {
		if err := validateContent(*p.Content); err != nil {
			return store.Memo{}, err
		}
		n := len(m.Resources)
		if p.ResourceIDs != nil {
			n = len(*p.ResourceIDs)
		}
		if *p.Content == "" && n == 0 {
			return store.Memo{}, invalid("content is required (or keep at least one resource)")
		}
		upd.Content, upd.Tags = p.Content, ExtractTags(*p.Content)
	}
	if p.Visibility != nil {
		if *p.Visibility == "" {
			return store.Memo{}, invalid("visibility must be VISIBILITY_PRIVATE, VISIBILITY_PROTECTED or VISIBILITY_PUBLIC")
		}
		// Re-sending the current visibility is no change: a memo made
		// public before public memos were disallowed can still be edited.
		if *p.Visibility != m.Visibility {
			vis, err := r.resolveVisibility(ctx, a.User.ID, *p.Visibility)
			if err != nil {
				return store.Memo{}, err
			}
			upd.Visibility = &vis
		}
	}
	if p.ResourceIDs != nil {
		if err := r.checkAttachable(ctx, a, *p.ResourceIDs, id); err != nil {
			return store.Memo{}, err
		}
	}
	out, err := r.db.UpdateMemo(ctx, id, upd)
	if errors.Is(err, store.ErrConflict) {
		return store.Memo{}, Errorf(CodeFailedPrecondition, "a resource was attached elsewhere meanwhile; retry")
	}
	return out, notFoundAs(err, fmt.Sprintf("memos/%d", id))
}

// DeleteMemo removes a memo with its resources (owner or admin).
func (r *Rules) DeleteMemo(ctx context.Context, id int64) error {
	a, err := requireActor(ctx)
	if err != nil {
		return err
	}
	m, err := r.db.GetMemo(ctx, id)
	if err != nil {
		return notFoundAs(err, fmt.Sprintf("memos/%d", id))
	}
	if m.CreatorID != a.User.ID && !a.IsAdmin() {
		if err := canView(a, m); err != nil {
			return err
		}
		return Errorf(CodePermissionDenied, "only the creator or an admin may delete memos/%d", id)
	}
	paths, err := r.db.DeleteMemo(ctx, id)
	if err != nil {
		return notFoundAs(err, fmt.Sprintf("memos/%d", id))
	}
	r.files.Remove(paths...)
	return nil
}
