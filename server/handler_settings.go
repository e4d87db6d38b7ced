package server

import (
	"context"
	"strings"

	"connectrpc.com/connect"
	"github.com/skip2/go-qrcode"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
	"github.com/memoria-app/memoria/rules"
)

type systemSettingHandler struct{ r *rules.Rules }

// NewSystemSettingHandler serves SystemSettingService.
func NewSystemSettingHandler(r *rules.Rules) memoriav1connect.SystemSettingServiceHandler {
	return &systemSettingHandler{r}
}

func (h *systemSettingHandler) GetSystemSetting(ctx context.Context, _ *connect.Request[v1.GetSystemSettingRequest]) (*connect.Response[v1.SystemSetting], error) {
	s, err := h.r.GetSystemSettings(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(settingsToProto(s)), nil
}

func (h *systemSettingHandler) UpdateSystemSetting(ctx context.Context, req *connect.Request[v1.UpdateSystemSettingRequest]) (*connect.Response[v1.SystemSetting], error) {
	paths, err := maskPaths(req.Msg.GetUpdateMask(), "telegram_bot_token", "instance_url", "allow_sign_up", "disallow_public_visibility", "telegram_public_channel", "telegram_update_mode")
	if err != nil {
		return nil, err
	}
	s := req.Msg.GetSetting()
	if s == nil {
		return nil, invalid("setting is required")
	}
	var p rules.SystemPatch
	if paths["telegram_bot_token"] {
		p.TelegramBotToken = &s.TelegramBotToken
	}
	if paths["instance_url"] {
		p.InstanceURL = &s.InstanceUrl
	}
	if paths["allow_sign_up"] {
		p.AllowSignUp = &s.AllowSignUp
	}
	if paths["disallow_public_visibility"] {
		p.DisallowPublicVisibility = &s.DisallowPublicVisibility
	}
	if paths["telegram_public_channel"] {
		ch := strings.TrimSpace(s.TelegramPublicChannel)
		p.TelegramPublicChannel = &ch
	}
	if paths["telegram_update_mode"] {
		m, err := updateModeFromProto(s.GetTelegramUpdateMode())
		if err != nil {
			return nil, err
		}
		p.TelegramUpdateMode = &m
	}
	out, err := h.r.UpdateSystemSettings(ctx, p)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(settingsToProto(out)), nil
}

type userSettingHandler struct{ r *rules.Rules }

// NewUserSettingHandler serves UserSettingService.
func NewUserSettingHandler(r *rules.Rules) memoriav1connect.UserSettingServiceHandler {
	return &userSettingHandler{r}
}

func (h *userSettingHandler) GetUserSetting(ctx context.Context, _ *connect.Request[v1.GetUserSettingRequest]) (*connect.Response[v1.UserSetting], error) {
	s, err := h.r.GetUserSettings(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(userSettingsToProto(s)), nil
}

func (h *userSettingHandler) UpdateUserSetting(ctx context.Context, req *connect.Request[v1.UpdateUserSettingRequest]) (*connect.Response[v1.UserSetting], error) {
	paths, err := maskPaths(req.Msg.GetUpdateMask(), "telegram_user_id", "default_visibility", "locale", "telegram_confirmation", "telegram_tag",
		"telegram_notifications", "timezone")
	if err != nil {
		return nil, err
	}
	s := req.Msg.GetSetting()
	if s == nil {
		return nil, invalid("setting is required")
	}
	var p rules.UserSettingsPatch
	if paths["telegram_user_id"] {
		p.TelegramUserID = &s.TelegramUserId
	}
	if paths["default_visibility"] {
		vis, err := visibilityFromProto(s.GetDefaultVisibility())
		if err != nil {
			return nil, err
		}
		p.DefaultVisibility = &vis
	}
	if paths["locale"] {
		p.Locale = &s.Locale
	}
	if paths["telegram_confirmation"] {
		c, err := confirmationFromProto(s.GetTelegramConfirmation())
		if err != nil {
			return nil, err
		}
		p.TelegramConfirmation = &c
	}
	if paths["telegram_tag"] {
		tag := strings.TrimPrefix(s.TelegramTag, "#")
		p.TelegramTag = &tag
	}
	if paths["telegram_notifications"] {
		p.TelegramNotifications = &s.TelegramNotifications
	}
	if paths["timezone"] {
		p.Timezone = &s.Timezone
	}
	out, err := h.r.UpdateUserSettings(ctx, p)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(userSettingsToProto(out)), nil
}

func (h *userSettingHandler) CreateTelegramLink(ctx context.Context, _ *connect.Request[v1.CreateTelegramLinkRequest]) (*connect.Response[v1.CreateTelegramLinkResponse], error) {
	l, err := h.r.CreateTelegramLink(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := qrRows(l.URL)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&v1.CreateTelegramLinkResponse{Url: l.URL, Code: l.Code, ExpireTime: ts(l.ExpiresAt), QrRows: rows}), nil
}

// qrRows renders text as a QR code, one string of 0/1 per row.
func qrRows(text string) ([]string, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	bits := q.Bitmap()
	rows := make([]string, len(bits))
	for i, row := range bits {
		b := make([]byte, len(row))
		for j, dark := range row {
			b[j] = '0'
			if dark {
				b[j] = '1'
			}
		}
		rows[i] = string(b)
	}
	return rows, nil
}
