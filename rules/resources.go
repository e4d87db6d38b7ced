package rules

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/memoria-app/memoria/store"
)

// ResourceInput is a file to store.
type ResourceInput struct {
	Filename string
	Type     string // "" = guess from the name, then the bytes
	Content  io.Reader
	MemoID   int64 // 0 = not attached
}

func validateFilename(s string) error {
	switch {
	case s == "":
		return invalid("filename is required")
	case utf8.RuneCountInString(s) > 255:
		return invalid("filename must be at most 255 characters")
	case !utf8.ValidString(s):
		return invalid("filename must be valid UTF-8")
	case strings.ContainsAny(s, "/\\\x00"), s == ".", s == "..":
		return invalid("filename must not contain '/', '\\' or NUL")
	}
	return nil
}

// detectType picks a MIME type: the given one if valid, else by extension,
// else by sniffing the first bytes.
func detectType(given, filename string, head []byte) (string, error) {
	if given != "" {
		if _, _, err := mime.ParseMediaType(given); err != nil || len(given) > 255 {
			return "", invalid("type %q is not a valid MIME type", given)
		}
		return given, nil
	}
	if t := mime.TypeByExtension(filepath.Ext(filename)); t != "" {
		return t, nil
	}
	return http.DetectContentType(head), nil
}

// mib renders a size for messages: whole MiB as such, anything else in
// exact bytes (so "1 MiB + 1 byte" never reads as "1.0 MiB").
func mib(n int64) string {
	if n > 0 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// writeFile stores one file's bytes and returns its resource row (not yet
// in the database).
func (r *Rules) writeFile(ctx context.Context, in ResourceInput) (store.Resource, error) {
	if err := validateFilename(in.Filename); err != nil {
		return store.Resource{}, err
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(in.Content, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return store.Resource{}, err
	}
	head = head[:n]
	typ, err := detectType(in.Type, in.Filename, head)
	if err != nil {
		return store.Resource{}, err
	}
	rel, size, err := r.files.Write(ctx, io.MultiReader(bytes.NewReader(head), in.Content), r.cfg.MaxUploadBytes)
	if errors.Is(err, errTooLarge) {
		return store.Resource{}, invalid("resource.content of %q is too large: the limit is %s", in.Filename, mib(r.cfg.MaxUploadBytes))
	}
	if err != nil {
		return store.Resource{}, err
	}
	return store.Resource{Filename: in.Filename, Type: typ, Size: size, StoragePath: rel}, nil
}

// CreateResource stores a file for the actor.
func (r *Rules) CreateResource(ctx context.Context, in ResourceInput) (store.Resource, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return store.Resource{}, err
	}
	if in.MemoID != 0 {
		m, err := r.db.GetMemo(ctx, in.MemoID)
		if err != nil {
			return store.Resource{}, notFoundAs(err, fmt.Sprintf("memos/%d", in.MemoID))
		}
		if m.CreatorID != a.User.ID {
			return store.Resource{}, Errorf(CodePermissionDenied, "only the creator may attach files to memos/%d", in.MemoID)
		}
	}
	res, err := r.writeFile(ctx, in)
	if err != nil {
		return store.Resource{}, err
	}
	res.CreatorID, res.MemoID = a.User.ID, in.MemoID
	if err := r.db.CreateResource(ctx, &res); err != nil {
		r.files.Remove(res.StoragePath)
		return store.Resource{}, notFoundAs(err, fmt.Sprintf("memos/%d", in.MemoID))
	}
	return res, nil
}

// canViewResource: an attached resource follows its memo; an unattached one
// is visible to its creator (and admins).
func (r *Rules) canViewResource(ctx context.Context, a *Actor, res store.Resource) error {
	if res.MemoID != 0 {
		m, err := r.db.GetMemo(ctx, res.MemoID)
		if err != nil {
			return notFoundAs(err, fmt.Sprintf("resources/%d", res.ID))
		}
		return canView(a, m)
	}
	switch {
	case a == nil:
		return ErrUnauthenticated
	case a.User.ID == res.CreatorID || a.IsAdmin():
		return nil
	}
	return Errorf(CodePermissionDenied, "resources/%d is not yours", res.ID)
}

// GetResource returns a resource's metadata if the actor may see it.
func (r *Rules) GetResource(ctx context.Context, id int64) (store.Resource, error) {
	res, err := r.db.GetResource(ctx, id)
	if err != nil {
		return store.Resource{}, notFoundAs(err, fmt.Sprintf("resources/%d", id))
	}
	if err := r.canViewResource(ctx, ActorFrom(ctx), res); err != nil {
		return store.Resource{}, err
	}
	return res, nil
}

// OpenResource returns a resource and its bytes if the actor may see it;
// reads of the file use ctx. The caller closes the file.
func (r *Rules) OpenResource(ctx context.Context, id int64) (store.Resource, File, error) {
	res, err := r.GetResource(ctx, id)
	if err != nil {
		return store.Resource{}, nil, err
	}
	f, err := r.files.Open(ctx, res.StoragePath)
	if err != nil {
		return store.Resource{}, nil, fmt.Errorf("open stored file of resources/%d: %w", id, err)
	}
	return res, f, nil
}

// ListResources lists the actor's resources, or a visible memo's.
func (r *Rules) ListResources(ctx context.Context, memoID int64, size int32, pageToken string) ([]store.Resource, string, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, "", err
	}
	n, err := pageSize(size)
	if err != nil {
		return nil, "", err
	}
	before, err := DecodeIDPageToken("r", pageToken)
	if err != nil {
		return nil, "", err
	}
	q := store.ResourceQuery{CreatorID: a.User.ID, BeforeID: before, Limit: n + 1}
	if memoID != 0 {
		if _, err := r.GetMemo(ctx, memoID); err != nil {
			return nil, "", err
		}
		q = store.ResourceQuery{MemoID: memoID, BeforeID: before, Limit: n + 1}
	}
	rs, err := r.db.ListResources(ctx, q)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rs) > n {
		rs = rs[:n]
		next = EncodeIDPageToken("r", rs[n-1].ID)
	}
	return rs, next, nil
}

// DeleteResource removes a resource and its bytes (owner or admin).
func (r *Rules) DeleteResource(ctx context.Context, id int64) error {
	a, err := requireActor(ctx)
	if err != nil {
		return err
	}
	res, err := r.db.GetResource(ctx, id)
	if err != nil {
		return notFoundAs(err, fmt.Sprintf("resources/%d", id))
	}
	if res.CreatorID != a.User.ID && !a.IsAdmin() {
		if err := r.canViewResource(ctx, a, res); err != nil {
			return err
		}
		return Errorf(CodePermissionDenied, "only the owner or an admin may delete resources/%d", id)
	}
	path, err := r.db.DeleteResource(ctx, id)
	if err != nil {
		return notFoundAs(err, fmt.Sprintf("resources/%d", id))
	}
	r.files.Remove(path)
	return nil
}
