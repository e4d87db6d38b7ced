package rules

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/memoria-app/memoria/store"
)

// The chat actions the Telegram bot offers beyond saving messages: its
// confirmation style, the message ↔ memo map behind replies and edits,
// /undo and /tags. Each acts for the actor (the linked user).

// ChatPrefs is what the bot needs to confirm a saved message.
type ChatPrefs struct {
	Confirmation store.Confirmation
	// InstanceURL is the instance's public URL, "" when not set.
	InstanceURL string
}

// TelegramPrefs returns the actor's chat preferences.
func (r *Rules) TelegramPrefs(ctx context.Context) (ChatPrefs, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return ChatPrefs{}, err
	}
	us, err := r.settings.get(ctx, r.db, a.User.ID)
	if err != nil {
		return ChatPrefs{}, err
	}
	sys, err := r.db.GetSystemSettings(ctx)
	if err != nil {
		return ChatPrefs{}, err
	}
	return ChatPrefs{Confirmation: us.TelegramConfirmation, InstanceURL: strings.TrimRight(sys.InstanceURL, "/")}, nil
}

// TelegramMessage returns the memo a chat message belongs to, if it is
// the actor's (NotFound otherwise, whoever's it is).
func (r *Rules) TelegramMessage(ctx context.Context, key string) (store.ExternalMessage, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return store.ExternalMessage{}, err
	}
	m, err := r.db.GetExternalMessage(ctx, key)
	if err == nil && m.UserID != a.User.ID {
		err = store.ErrNotFound
	}
	return m, notFoundAs(err, "message")
}

// RecordTelegramConfirmation remembers that the bot's message key confirms
// the actor's memo, so that a reply to it adds to the memo.
func (r *Rules) RecordTelegramConfirmation(ctx context.Context, key string, memoID int64) error {
	a, err := requireActor(ctx)
	if err != nil {
		return err
	}
	m, err := r.db.GetMemo(ctx, memoID)
	if err != nil {
		return notFoundAs(err, fmt.Sprintf("memos/%d", memoID))
	}
	if m.CreatorID != a.User.ID {
		return Errorf(CodePermissionDenied, "memos/%d is not yours", memoID)
	}
	err = r.db.AddExternalMessage(ctx, store.ExternalMessage{Key: key, MemoID: memoID, UserID: a.User.ID, Kind: store.MessageConfirmation})
	return notFoundAs(err, fmt.Sprintf("memos/%d", memoID))
}

// UndoResult is what UndoTelegram did.
type UndoResult struct {
	// Memo is the memo deleted; when Again, only its ID is known (0 if
	// not even that).
	Memo store.Memo
	// Again: the command's key was applied before (a redelivery after a
	// crash) and nothing was deleted now.
	Again bool
}

// UndoTelegram deletes the memo made from the actor's most recent chat
// message (among keys starting with prefix) that made one, and returns it.
// The deletion and key (the command's ingest key) commit together: the
// same key again deletes nothing and reports Again. The memo must be the
// actor's own (the admin's power over others' memos does not apply here).
// Nothing to undo is NotFound, and records no key.
func (r *Rules) UndoTelegram(ctx context.Context, prefix, key string) (UndoResult, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return UndoResult{}, err
	}
	if key == "" {
		return UndoResult{}, errors.New("undo: empty key")
	}
	// A redelivered /undo must not pick the next memo: check the key
	// first (DeleteMemoOnce checks it again, in its transaction).
	if done, memoID, err := r.db.AppliedKey(ctx, key); err != nil || done {
		return UndoResult{Memo: store.Memo{ID: memoID}, Again: done}, err
	}
	ref, err := r.db.LatestExternalOrigin(ctx, a.User.ID, prefix)
	if errors.Is(err, store.ErrNotFound) {
		return UndoResult{}, errNothingToUndo
	}
	if err != nil {
		return UndoResult{}, err
	}
	m, err := r.GetMemo(ctx, ref.MemoID)
	if err != nil {
		return UndoResult{}, err
	}
	if m.CreatorID != a.User.ID {
		return UndoResult{}, Errorf(CodePermissionDenied, "memos/%d is not yours", m.ID)
	}
	res, err := r.db.DeleteMemoOnce(ctx, m.ID, key)
	if errors.Is(err, store.ErrNotFound) {
		return UndoResult{}, errNothingToUndo // deleted elsewhere meanwhile
	}
	if err != nil {
		return UndoResult{}, err
	}
	if res.Duplicate {
		return UndoResult{Memo: store.Memo{ID: res.MemoID}, Again: true}, nil
	}
	r.files.Remove(res.Paths...)
	return UndoResult{Memo: m}, nil
}

var errNothingToUndo = Errorf(CodeNotFound, "there is no memo from your Telegram messages to undo")

// ErrChangedElsewhere refuses an edit from the chat to a memo that was
// changed outside the chat since the chat last wrote it.
var ErrChangedElsewhere = Errorf(CodeFailedPrecondition, "the memo was changed outside Telegram since; it was kept as it is")

// EditFromTelegram replaces the part that the chat message key put into
// its memo with part. A message that made no memo of the actor's is
// NotFound; a memo changed outside the chat since is ErrChangedElsewhere.
// changed is false when the edit left the memo as it was.
func (r *Rules) EditFromTelegram(ctx context.Context, key, part string) (m store.Memo, changed bool, err error) {
	a, err := requireActor(ctx)
	if err != nil {
		return store.Memo{}, false, err
	}
	ref, err := r.db.GetExternalMessage(ctx, key)
	if err == nil && (ref.UserID != a.User.ID || ref.Kind == store.MessageConfirmation) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Memo{}, false, notFoundAs(err, "message")
	}
	m, err = r.db.GetMemo(ctx, ref.MemoID)
	if err != nil {
		return store.Memo{}, false, notFoundAs(err, "message")
	}
	if part == ref.Part {
		// Nothing new (e.g. an edit redelivered after a crash): whatever
		// happened to the memo since, there is nothing to apply or refuse.
		return m, false, nil
	}
	hash, err := r.db.ExternalContentHash(ctx, m.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.Memo{}, false, err
	}
	if !bytes.Equal(hash, store.ContentHash(m.Content)) {
		return m, false, ErrChangedElsewhere
	}
	var content string
	switch {
	case ref.Part == "" && m.Content == "":
		content = part
	case ref.Part == "":
		content = part + "\n\n" + m.Content
	case strings.Contains(m.Content, ref.Part):
		content = strings.Replace(m.Content, ref.Part, part, 1)
	default:
		return m, false, ErrChangedElsewhere
	}
	content = strings.TrimSpace(content)
	if err := validateContent(content); err != nil {
		return m, false, err
	}
	if content == "" && len(m.Resources) == 0 {
		return m, false, invalid("a memo needs content or a file; the edit would leave it empty")
	}
	out, err := r.db.ApplyExternalEdit(ctx, store.ExternalEdit{Key: key, Expect: m.Content, Content: content, Tags: ExtractTags(content), Part: part})
	if errors.Is(err, store.ErrConflict) {
		return m, false, ErrChangedElsewhere
	}
	if err != nil {
		return m, false, notFoundAs(err, "message")
	}
	return out, true, nil
}
