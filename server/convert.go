package server

import (
	"cmp"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
)

// Conversions between the store's domain types and the API's messages.

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func userName(id int64) string     { return fmt.Sprintf("users/%d", id) }
func memoName(id int64) string     { return fmt.Sprintf("memos/%d", id) }
func resourceName(id int64) string { return fmt.Sprintf("resources/%d", id) }

var roleToProto = map[store.Role]v1.Role{store.RoleAdmin: v1.Role_ROLE_ADMIN, store.RoleUser: v1.Role_ROLE_USER}

var roleFromProto = map[v1.Role]store.Role{v1.Role_ROLE_ADMIN: store.RoleAdmin, v1.Role_ROLE_USER: store.RoleUser}

var visibilityToProto = map[store.Visibility]v1.Visibility{
	store.VisibilityPrivate:   v1.Visibility_VISIBILITY_PRIVATE,
	store.VisibilityProtected: v1.Visibility_VISIBILITY_PROTECTED,
	store.VisibilityPublic:    v1.Visibility_VISIBILITY_PUBLIC,
}

func visibilityFromProto(v v1.Visibility) (store.Visibility, error) {
	for s, p := range visibilityToProto {
		if p == v {
			return s, nil
		}
	}
	if v == v1.Visibility_VISIBILITY_UNSPECIFIED {
		return "", nil
	}
	return "", invalid("visibility %d is not a known Visibility", v)
}

var sourceToProto = map[store.Source]v1.Source{
	store.SourceWeb: v1.Source_SOURCE_WEB, store.SourceAPI: v1.Source_SOURCE_API, store.SourceTelegram: v1.Source_SOURCE_TELEGRAM,
}

func userToProto(u store.User) *v1.User {
	return &v1.User{
		Name: userName(u.ID), Username: u.Username, DisplayName: u.DisplayName,
		Role: roleToProto[u.Role], CreateTime: ts(u.CreatedAt),
	}
}

func tokenToProto(t store.Token) *v1.AccessToken {
	return &v1.AccessToken{
		Name: fmt.Sprintf("accessTokens/%d", t.ID), Description: t.Description,
		CreateTime: ts(t.CreatedAt), ExpireTime: ts(t.ExpiresAt),
	}
}

func resourceToProto(r store.Resource) *v1.Resource {
	p := &v1.Resource{
		Name: resourceName(r.ID), Filename: r.Filename, Type: r.Type, Size: r.Size,
		CreateTime: ts(r.CreatedAt),
	}
	if r.MemoID != 0 {
		p.Memo = memoName(r.MemoID)
	}
	return p
}

func memoToProto(m store.Memo) *v1.Memo {
	p := &v1.Memo{
		Name: memoName(m.ID), Creator: userName(m.CreatorID), Content: m.Content,
		Visibility: visibilityToProto[m.Visibility], Pinned: m.Pinned, Tags: m.Tags,
		Source: sourceToProto[m.Source], CreateTime: ts(m.CreatedAt), UpdateTime: ts(m.UpdatedAt),
	}
	if p.Tags == nil {
		p.Tags = []string{}
	}
	for _, r := range m.Resources {
		p.Resources = append(p.Resources, resourceToProto(r))
	}
	return p
}

var memoEventTypeToProto = map[store.MemoEventType]v1.MemoEventType{
	store.MemoCreated: v1.MemoEventType_MEMO_EVENT_TYPE_CREATED,
	store.MemoUpdated: v1.MemoEventType_MEMO_EVENT_TYPE_UPDATED,
	store.MemoDeleted: v1.MemoEventType_MEMO_EVENT_TYPE_DELETED,
}

// memoChangeToProto is a WatchMemos event; a deleted memo carries only its
// name.
func memoChangeToProto(c rules.MemoChange) *v1.WatchMemosResponse {
	out := &v1.WatchMemosResponse{Type: memoEventTypeToProto[c.Type]}
	if c.Type == store.MemoDeleted {
		out.Memo = &v1.Memo{Name: memoName(c.Memo.ID)}
	} else {
		out.Memo = memoToProto(c.Memo)
	}
	return out
}

func tagsToProto(tags []store.TagCount) *v1.ListTagsResponse {
	out := &v1.ListTagsResponse{Tags: make([]*v1.Tag, len(tags))}
	for i, t := range tags {
		out.Tags[i] = &v1.Tag{Name: t.Tag, Count: int32(t.Count)}
	}
	return out
}

func settingsToProto(s store.SystemSettings) *v1.SystemSetting {
	return &v1.SystemSetting{
		TelegramBotToken: s.TelegramBotToken, InstanceUrl: s.InstanceURL,
		AllowSignUp: s.AllowSignUp, DisallowPublicVisibility: s.DisallowPublicVisibility,
		TelegramPublicChannel: s.TelegramPublicChannel,
		TelegramUpdateMode:    updateModeToProto[s.TelegramUpdateMode],
	}
}

var updateModeToProto = map[store.UpdateMode]v1.TelegramUpdateMode{
	store.UpdatePolling: v1.TelegramUpdateMode_TELEGRAM_UPDATE_MODE_POLLING,
	store.UpdateWebhook: v1.TelegramUpdateMode_TELEGRAM_UPDATE_MODE_WEBHOOK,
}

// updateModeFromProto maps a TelegramUpdateMode; UNSPECIFIED is polling.
func updateModeFromProto(m v1.TelegramUpdateMode) (store.UpdateMode, error) {
	switch m {
	case v1.TelegramUpdateMode_TELEGRAM_UPDATE_MODE_UNSPECIFIED, v1.TelegramUpdateMode_TELEGRAM_UPDATE_MODE_POLLING:
		return store.UpdatePolling, nil
	case v1.TelegramUpdateMode_TELEGRAM_UPDATE_MODE_WEBHOOK:
		return store.UpdateWebhook, nil
	}
	return "", invalid("telegram_update_mode %d is not a known TelegramUpdateMode", m)
}

func userSettingsToProto(s store.UserSettings) *v1.UserSetting {
	return &v1.UserSetting{
		TelegramUserId: s.TelegramUserID, DefaultVisibility: visibilityToProto[s.DefaultVisibility], Locale: s.Locale,
		TelegramConfirmation: confirmationToProto[s.TelegramConfirmation], TelegramTag: s.TelegramTag,
		TelegramNotifications: s.TelegramNotifications, Timezone: cmp.Or(s.Timezone, rules.DefaultTimezone),
	}
}

var confirmationToProto = map[store.Confirmation]v1.TelegramConfirmation{
	store.ConfirmReply:    v1.TelegramConfirmation_TELEGRAM_CONFIRMATION_REPLY,
	store.ConfirmReaction: v1.TelegramConfirmation_TELEGRAM_CONFIRMATION_REACTION,
	store.ConfirmSilent:   v1.TelegramConfirmation_TELEGRAM_CONFIRMATION_SILENT,
}

// confirmationFromProto maps a TelegramConfirmation; UNSPECIFIED is the
// default, REPLY.
func confirmationFromProto(c v1.TelegramConfirmation) (store.Confirmation, error) {
	if c == v1.TelegramConfirmation_TELEGRAM_CONFIRMATION_UNSPECIFIED {
		return store.ConfirmReply, nil
	}
	for s, p := range confirmationToProto {
		if p == c {
			return s, nil
		}
	}
	return "", invalid("telegram_confirmation %d is not a known TelegramConfirmation", c)
}

// nameID parses a resource name of the given collection for a request
// field, with a message naming the field.
func nameID(field, name, collection string) (int64, error) {
	if name == "" {
		return 0, invalid("%s is required (%s/{id})", field, collection)
	}
	id, err := rules.ParseName(name, collection)
	if err != nil {
		return 0, invalid("%s %q is not a valid name; want %s/{id}", field, name, collection)
	}
	return id, nil
}
