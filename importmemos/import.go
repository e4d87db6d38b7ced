package importmemos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
)

// Report says what an import did.
type Report struct {
	Schema string // the memos schema found

	UsersImported, UsersExisting, UsersSkipped int
	MemosImported, MemosExisting, MemosSkipped int
	ResourcesImported, ResourcesSkipped        int
	ArchivedMemos                              int // imported as ordinary memos
	// Notes lists, one line each, what was skipped and why, and what was
	// adjusted.
	Notes []string
}

func (r *Report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// String renders the report for the terminal.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "memos database: %s\n", r.Schema)
	fmt.Fprintf(&b, "users:     %d imported, %d imported before, %d skipped\n", r.UsersImported, r.UsersExisting, r.UsersSkipped)
	fmt.Fprintf(&b, "memos:     %d imported, %d imported before, %d skipped\n", r.MemosImported, r.MemosExisting, r.MemosSkipped)
	fmt.Fprintf(&b, "resources: %d imported, %d skipped\n", r.ResourcesImported, r.ResourcesSkipped)
	if r.ArchivedMemos > 0 {
		fmt.Fprintf(&b, "%d memos were archived in memos; Memoria has no archive, so they are ordinary memos now\n", r.ArchivedMemos)
	}
	if len(r.Notes) > 0 {
		b.WriteString("notes:\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "  - %s\n", n)
		}
	}
	return b.String()
}

// Import reads the memos database at dbPath (its local files are resolved
// against the folder that holds it) and imports it through rl, acting as
// the operator. Running it again imports only what is new.
func Import(ctx context.Context, rl *rules.Rules, dbPath string) (*Report, error) {
	src, err := openSource(ctx, dbPath)
	if err != nil {
		return nil, fmt.Errorf("open the memos database: %w", err)
	}
	defer src.Close()
	s, err := detect(ctx, src)
	if err != nil {
		return nil, err
	}
	rep := &Report{Schema: s.String()}
	users, err := readUsers(ctx, src, s)
	if err != nil {
		return nil, err
	}
	memos, loose, err := readMemos(ctx, src, s)
	if err != nil {
		return nil, err
	}
	ctx = rules.WithActor(ctx, rules.OperatorActor())
	idOf := map[int64]int64{} // memos user id → Memoria user id
	for _, u := range users {
		id, err := importUser(ctx, rl, u, rep)
		if err != nil {
			return rep, err
		}
		if id != 0 {
			idOf[u.id] = id
		}
	}
	dir := filepath.Dir(dbPath)
	blobs := blobSource{db: src, table: s.resourceTable}
	for _, m := range memos {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if err := importMemo(ctx, rl, blobs, dir, m, idOf, rep); err != nil {
			return rep, err
		}
	}
	for _, f := range loose {
		rep.ResourcesSkipped++
		rep.note("file %q (%s %s) is attached to no memo: not imported", f.filename, s.resourceTable, f.uid)
	}
	return rep, nil
}

// roles maps memos roles to Memoria's.
var roles = map[string]store.Role{"HOST": store.RoleAdmin, "ADMIN": store.RoleAdmin, "USER": store.RoleUser}

// visibilities maps memos visibilities to Memoria's.
var visibilities = map[string]store.Visibility{
	"PRIVATE": store.VisibilityPrivate, "PROTECTED": store.VisibilityProtected, "PUBLIC": store.VisibilityPublic,
}

// importUser returns the Memoria id of the user (0 when skipped).
func importUser(ctx context.Context, rl *rules.Rules, u sourceUser, rep *Report) (int64, error) {
	role, ok := roles[u.role]
	if !ok {
		role = store.RoleUser
		rep.note("user %q has the unknown role %q: imported as a user", u.username, u.role)
	}
	res, err := rl.ImportUser(ctx, rules.ImportedUser{
		Key: "memos:user:" + u.username, Username: u.username, DisplayName: u.nickname, PasswordHash: u.hash,
		Role: role, CreatedAt: time.Unix(u.created, 0), UpdatedAt: time.Unix(u.updated, 0),
		Disabled: u.stat == "ARCHIVED", TelegramUserID: u.telegramID, DefaultVisibility: visibilities[u.visibility], Locale: u.locale,
	})
	if code := rules.ErrorCode(err); err != nil && code != rules.CodeInternal {
		rep.UsersSkipped++
		rep.note("user %q skipped, with their memos: %v", u.username, err)
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("import user %q: %w", u.username, err)
	}
	if res.Created {
		rep.UsersImported++
	} else {
		rep.UsersExisting++
	}
	for _, n := range res.Notes {
		rep.note("user %q: %s", u.username, n)
	}
	return res.User.ID, nil
}

func importMemo(ctx context.Context, rl *rules.Rules, blobs blobSource, dir string, m sourceMemo, idOf map[int64]int64, rep *Report) error {
	creator, ok := idOf[m.creatorID]
	if !ok {
		rep.MemosSkipped++
		rep.ResourcesSkipped += len(m.files)
		return nil // the user's skip is noted already
	}
	in := rules.ImportedMemo{
		Key: "memos:memo:" + m.uid, CreatorID: creator, Content: m.content, Visibility: visibilities[m.visibility],
		Pinned: m.pinned, CreatedAt: time.Unix(m.created, 0), UpdatedAt: time.Unix(m.updated, 0),
	}
	var problems []string
	for _, f := range m.files {
		open, err := opener(ctx, blobs, dir, f)
		if err != nil {
			problems = append(problems, fmt.Sprintf("file %q: %v", f.filename, err))
			continue
		}
		in.Resources = append(in.Resources, rules.ImportedResource{Filename: f.filename, Type: f.typ, CreatedAt: time.Unix(f.created, 0), Open: open})
	}
	if len(problems) > 0 {
		// Skipped whole, so that a later run imports it with all its
		// files once they are found.
		rep.MemosSkipped++
		rep.ResourcesSkipped += len(m.files)
		rep.note("memo %s skipped: %s", m.uid, strings.Join(problems, "; "))
		return nil
	}
	res, err := rl.ImportMemo(ctx, in)
	if code := rules.ErrorCode(err); err != nil && code != rules.CodeInternal {
		rep.MemosSkipped++
		rep.ResourcesSkipped += len(m.files)
		rep.note("memo %s skipped: %v", m.uid, err)
		return nil
	} else if err != nil {
		return fmt.Errorf("import memo %s: %w", m.uid, err)
	}
	if !res.Created {
		rep.MemosExisting++
		return nil
	}
	rep.MemosImported++
	rep.ResourcesImported += len(res.Memo.Resources)
	if m.status == "ARCHIVED" {
		rep.ArchivedMemos++
	}
	for _, n := range res.Notes {
		rep.note("memo %s: %s", m.uid, n)
	}
	return nil
}

// opener returns how to read a file's bytes: its blob (read from blobs
// when opened), or the local file its reference names (relative to the
// memos data folder, or absolute — then, if that path is gone, the same
// path's tail found under the folder, for a data folder that was moved).
func opener(ctx context.Context, blobs blobSource, dir string, f sourceFile) (func() (io.ReadCloser, error), error) {
	if f.blobSize > 0 || f.storage == "DATABASE" || f.storage == "" && f.reference == "" {
		return func() (io.ReadCloser, error) {
			b, err := blobs.read(ctx, f.id)
			if err != nil {
				return nil, err
			}
			return io.NopCloser(bytes.NewReader(b)), nil
		}, nil
	}
	switch f.storage {
	case "LOCAL", "":
	case "EXTERNAL":
		return nil, fmt.Errorf("it is an external link (%s), not a stored file", f.reference)
	default:
		return nil, fmt.Errorf("it is stored in %s, which memoria cannot read; move it to local storage in memos first", f.storage)
	}
	p, err := locate(dir, f.reference)
	if err != nil {
		return nil, err
	}
	return func() (io.ReadCloser, error) { return os.Open(p) }, nil
}

func locate(dir, reference string) (string, error) {
	ref := filepath.FromSlash(reference)
	if !filepath.IsAbs(ref) {
		p := filepath.Join(dir, ref)
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("not found at %s", p)
		}
		return p, nil
	}
	if _, err := os.Stat(ref); err == nil {
		return ref, nil
	}
	parts := strings.Split(filepath.ToSlash(reference), "/")
	for i := 1; i < len(parts); i++ {
		p := filepath.Join(dir, filepath.FromSlash(strings.Join(parts[i:], "/")))
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("not found at %s nor under %s", reference, dir)
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
