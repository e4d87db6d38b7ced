package rules

import (
	"context"
	"strings"

	"github.com/memoria-app/memoria/store"
)

// ChatIngest is what a chat message (a Telegram message) adds to an
// IngestInput.
type ChatIngest struct {
	// MessageKey names the message (see store.ExternalMessage); "" records
	// nothing. Part is the text the message contributes.
	MessageKey string
	Part       string
	// AppendTo asks to add the message to that memo instead of making a new
	// one. It is honoured only for the actor's own memo; otherwise (or if
	// the memo is gone) the message makes a memo of its own.
	AppendTo int64
}

// chatIngest applies the chat parts of an ingest: the user's Telegram tag
// on new memos, reply-append, and the message map.
func (r *Rules) chatIngest(ctx context.Context, a *Actor, in IngestInput, req *store.Ingest) error {
	c := in.Chat
	if c.MessageKey == "" || req.Memo == nil {
		return nil
	}
	kind := store.MessageOrigin
	if c.AppendTo != 0 {
		if m, err := r.db.GetMemo(ctx, c.AppendTo); err == nil && m.CreatorID == a.User.ID {
			req.AppendTo, kind = c.AppendTo, store.MessageAppended
		}
	}
	if req.AppendTo == 0 && a.Source == store.SourceTelegram {
		p, err := r.settings.get(ctx, r.db, a.User.ID)
		if err != nil {
			return err
		}
		if p.TelegramTag != "" {
			req.Memo.Content = WithTag(req.Memo.Content, p.TelegramTag)
			req.Memo.Tags = ExtractTags(req.Memo.Content)
			req.EmptyContent = "#" + p.TelegramTag
			if err := validateContent(req.Memo.Content); err != nil {
				return err
			}
		}
	}
	req.Messages = append(req.Messages, store.ExternalMessage{Key: c.MessageKey, Kind: kind, Part: c.Part})
	req.TrackContent = true
	return nil
}

// WithTag returns content carrying #tag: unchanged when it has the tag
// already, else with the tag on a line of its own at the end.
func WithTag(content, tag string) string {
	for _, t := range ExtractTags(content) {
		if strings.EqualFold(t, tag) {
			return content
		}
	}
	if content == "" {
		return "#" + tag
	}
	return content + "\n\n#" + tag
}
