package rules

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/memoria-app/memoria/store"
)

// OperatorActor is the actor of command-line tools that work on the data
// directory directly (memoria import-memos): whoever may run them holds
// the data anyway, so it acts as an admin. It is no account.
func OperatorActor() *Actor {
	return &Actor{User: store.User{Username: "operator", Role: store.RoleAdmin}, Source: store.SourceAPI}
}

// disabledHashPrefix makes a password hash match no password while keeping
// the original hash readable (an account disabled where it came from).
const disabledHashPrefix = "!disabled!"

// ImportedUser is an account from another system, with its password hash
// as that system stored it.
type ImportedUser struct {
	Key          string // the source row's identity, e.g. "memos:user:<username>"
	Username     string
	DisplayName  string
	PasswordHash string // bcrypt
	Role         store.Role
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// Disabled keeps the account from signing in (until an admin sets a
	// new password).
	Disabled          bool
	TelegramUserID    int64            // 0: none
	DefaultVisibility store.Visibility // "": private
	Locale            string
}

// ImportUserResult says what ImportUser did.
type ImportUserResult struct {
	User    store.User
	Created bool     // false: imported before, nothing changed
	Notes   []string // what was adjusted, for the import report
}

func validateImportTimes(created, updated *time.Time) error {
	if created.IsZero() || created.Year() < 1971 || created.After(time.Now().Add(24*time.Hour)) {
		return invalid("creation time %v is not plausible", *created)
	}
	if updated.Before(*created) {
		*updated = *created
	}
	return nil
}

// ImportUser creates an account with the given bcrypt hash, role and
// times (admin only), unless its key was imported before. A taken
// username is AlreadyExists; a Telegram id linked to someone else is
// dropped (with a note), not an error.
func (r *Rules) ImportUser(ctx context.Context, in ImportedUser) (ImportUserResult, error) {
	var out ImportUserResult
	if _, err := requireAdmin(ctx); err != nil {
		return out, err
	}
	if in.Key == "" {
		return out, invalid("an imported user needs a source key")
	}
	if id, ok, err := r.db.ImportedID(ctx, in.Key); err != nil {
		return out, err
	} else if ok {
		out.User, err = r.db.GetUser(ctx, id)
		return out, notFoundAs(err, "imported user")
	}
	if err := validateUsername(in.Username); err != nil {
		return out, err
	}
	if cost, err := bcrypt.Cost([]byte(in.PasswordHash)); err != nil || cost < bcrypt.MinCost {
		return out, invalid("the password hash of %q is not a bcrypt hash", in.Username)
	}
	if in.Role != store.RoleAdmin && in.Role != store.RoleUser {
		return out, invalid("role %q is neither admin nor user", in.Role)
	}
	if err := validateImportTimes(&in.CreatedAt, &in.UpdatedAt); err != nil {
		return out, err
	}
	if !utf8.ValidString(in.DisplayName) {
		in.DisplayName = strings.ToValidUTF8(in.DisplayName, "?")
	}
	in.DisplayName = strings.ReplaceAll(in.DisplayName, "\x00", "") // text.go
	if utf8.RuneCountInString(in.DisplayName) > 64 {
		in.DisplayName = string([]rune(in.DisplayName)[:64])
		out.Notes = append(out.Notes, "display name cut to 64 characters")
	}
	switch in.DefaultVisibility {
	case "", store.VisibilityPrivate, store.VisibilityProtected, store.VisibilityPublic:
	default:
		return out, invalid("default visibility %q is not valid", in.DefaultVisibility)
	}
	if utf8.RuneCountInString(in.Locale) > 16 || hasNUL(in.Locale) {
		in.Locale = ""
		out.Notes = append(out.Notes, "locale dropped (longer than 16 characters, or holding NUL)")
	}
	if in.TelegramUserID < 0 {
		in.TelegramUserID = 0
	}
	if in.TelegramUserID != 0 {
		if other, err := r.db.GetUserByTelegramID(ctx, in.TelegramUserID); err == nil {
			out.Notes = append(out.Notes, fmt.Sprintf("Telegram user id %d not linked: %q has it already", in.TelegramUserID, other.Username))
			in.TelegramUserID = 0
		} else if !errors.Is(err, store.ErrNotFound) {
			return out, err
		}
	}
	hash := in.PasswordHash
	if in.Disabled {
		hash = disabledHashPrefix + hash
		out.Notes = append(out.Notes, "disabled at the source: cannot sign in until an admin sets a new password")
	}
	u := store.User{Username: in.Username, DisplayName: in.DisplayName, PasswordHash: hash, Role: in.Role, CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt}
	settings := store.UserSettings{TelegramUserID: in.TelegramUserID, DefaultVisibility: in.DefaultVisibility, Locale: in.Locale}
	created, err := r.db.ImportUser(ctx, in.Key, &u, settings)
	if errors.Is(err, store.ErrConflict) {
		return out, Errorf(CodeAlreadyExists, "username %q is taken by an existing account", in.Username)
	}
	if err != nil {
		return out, err
	}
	r.auth.clear()
	out.User, out.Created = u, created
	return out, nil
}

// ImportedResource is a file of an imported memo.
type ImportedResource struct {
	Filename  string
	Type      string // "" = guess from the name, then the bytes
	CreatedAt time.Time
	Open      func() (io.ReadCloser, error)
}

// ImportedMemo is a memo from another system.
type ImportedMemo struct {
	Key        string // the source row's identity, e.g. "memos:memo:<uid>"
	CreatorID  int64  // a user here
	Content    string
	Visibility store.Visibility
	Pinned     bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Resources  []ImportedResource // in attachment order
}

// ImportMemoResult says what ImportMemo did.
type ImportMemoResult struct {
	Memo    store.Memo
	Created bool // false: imported before, nothing changed
	Notes   []string
}

// ImportMemo stores a memo with its times and resources (admin only),
// unless its key was imported before. Tags are derived from the content
// by the same rules as for any memo; the instance's public-visibility
// policy applies (a public memo becomes protected where public memos are
// disallowed). Files are not held to the upload limit: they were accepted
// where they came from.
func (r *Rules) ImportMemo(ctx context.Context, in ImportedMemo) (ImportMemoResult, error) {
	var out ImportMemoResult
	if _, err := requireAdmin(ctx); err != nil {
		return out, err
	}
	if in.Key == "" {
		return out, invalid("an imported memo needs a source key")
	}
	if _, ok, err := r.db.ImportedID(ctx, in.Key); err != nil || ok {
		return out, err
	}
	if _, err := r.db.GetUser(ctx, in.CreatorID); err != nil {
		return out, notFoundAs(err, fmt.Sprintf("creator users/%d", in.CreatorID))
	}
	if err := validateContent(in.Content); err != nil {
		return out, err
	}
	if in.Content == "" && len(in.Resources) == 0 {
		return out, invalid("the memo has neither content nor resources")
	}
	if err := validateImportTimes(&in.CreatedAt, &in.UpdatedAt); err != nil {
		return out, err
	}
	switch in.Visibility {
	case store.VisibilityPrivate, store.VisibilityProtected:
	case store.VisibilityPublic:
		sys, err := r.db.GetSystemSettings(ctx)
		if err != nil {
			return out, err
		}
		if sys.DisallowPublicVisibility {
			in.Visibility = store.VisibilityProtected
			out.Notes = append(out.Notes, "public memo imported as protected (public memos are disallowed here)")
		}
	default:
		return out, invalid("visibility %q is not valid", in.Visibility)
	}
	var written []store.Resource
	ok := false
	defer func() {
		if !ok {
			for _, w := range written {
				r.files.Remove(w.StoragePath)
			}
		}
	}()
	for _, res := range in.Resources {
		w, err := r.importFile(ctx, res)
		if err != nil {
			return out, err
		}
		written = append(written, w)
	}
	m := store.Memo{
		CreatorID: in.CreatorID, Content: in.Content, Visibility: in.Visibility, Pinned: in.Pinned,
		Tags: ExtractTags(in.Content), Source: store.SourceWeb, CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt,
	}
	created, err := r.db.ImportMemo(ctx, in.Key, &m, written)
	if err != nil {
		return out, err
	}
	ok = created
	out.Memo, out.Created = m, created
	return out, nil
}

// importFile copies one imported file into the file store.
func (r *Rules) importFile(ctx context.Context, res ImportedResource) (store.Resource, error) {
	if err := validateFilename(res.Filename); err != nil {
		return store.Resource{}, err
	}
	src, err := res.Open()
	if err != nil {
		return store.Resource{}, fmt.Errorf("open %q: %w", res.Filename, err)
	}
	defer src.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(src, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return store.Resource{}, fmt.Errorf("read %q: %w", res.Filename, err)
	}
	head = head[:n]
	typ, err := detectType(res.Type, res.Filename, head)
	if err != nil {
		if typ, err = detectType("", res.Filename, head); err != nil {
			return store.Resource{}, err
		}
	}
	rel, size, err := r.files.Write(ctx, io.MultiReader(bytes.NewReader(head), src), math.MaxInt64-1)
	if err != nil {
		return store.Resource{}, fmt.Errorf("store %q: %w", res.Filename, err)
	}
	return store.Resource{Filename: res.Filename, Type: typ, Size: size, StoragePath: rel, CreatedAt: res.CreatedAt}, nil
}
