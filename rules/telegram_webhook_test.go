package rules

import (
	"context"
	"strings"
	"testing"

	"github.com/memoria-app/memoria/store"
)

func TestUpdateModeNeedsHTTPSInstanceURL(t *testing.T) {
	webhook, polling := store.UpdateWebhook, store.UpdatePolling
	str := func(s string) *string { return &s }
	tests := []struct {
		name  string
		start SystemPatch // applied first, must succeed
		patch SystemPatch
		fail  string // a fragment of the error; "" for success
	}{
		{"webhook without instance_url", SystemPatch{}, SystemPatch{TelegramUpdateMode: &webhook}, "set instance_url first"},
		{"webhook with http instance_url", SystemPatch{InstanceURL: str("http://memo.example.com")},
			SystemPatch{TelegramUpdateMode: &webhook}, "needs an https:// instance_url"},
		{"webhook with https instance_url", SystemPatch{InstanceURL: str("https://memo.example.com")},
			SystemPatch{TelegramUpdateMode: &webhook}, ""},
		{"webhook and https instance_url together", SystemPatch{},
			SystemPatch{TelegramUpdateMode: &webhook, InstanceURL: str("https://memo.example.com")}, ""},
		{"clearing instance_url in webhook mode", SystemPatch{InstanceURL: str("https://memo.example.com"), TelegramUpdateMode: &webhook},
			SystemPatch{InstanceURL: str("")}, "needs an https:// instance_url"},
		{"http instance_url in webhook mode", SystemPatch{InstanceURL: str("https://memo.example.com"), TelegramUpdateMode: &webhook},
			SystemPatch{InstanceURL: str("http://memo.example.com")}, "switch to TELEGRAM_UPDATE_MODE_POLLING first"},
		{"back to polling, then clear", SystemPatch{InstanceURL: str("https://memo.example.com"), TelegramUpdateMode: &webhook},
			SystemPatch{TelegramUpdateMode: &polling, InstanceURL: str("")}, ""},
		{"unknown mode", SystemPatch{}, SystemPatch{TelegramUpdateMode: ptrMode("carrier pigeon")}, "TELEGRAM_UPDATE_MODE_POLLING or TELEGRAM_UPDATE_MODE_WEBHOOK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRules(t, Config{})
			admin, _ := signUpT(t, r, "admin")
			ctx := WithActor(context.Background(), &Actor{User: admin, Source: store.SourceAPI})
			if _, err := r.UpdateSystemSettings(ctx, tt.start); err != nil {
				t.Fatalf("start: %v", err)
			}
			before, _ := r.GetSystemSettings(ctx)
			_, err := r.UpdateSystemSettings(ctx, tt.patch)
			if tt.fail == "" {
				if err != nil {
					t.Fatalf("UpdateSystemSettings = %v", err)
				}
				return
			}
			if ErrorCode(err) != CodeInvalidArgument || !strings.Contains(err.Error(), tt.fail) {
				t.Fatalf("UpdateSystemSettings = %v, want invalid_argument containing %q", err, tt.fail)
			}
			if after, _ := r.GetSystemSettings(ctx); after != before {
				t.Errorf("a refused change was saved: %+v → %+v", before, after)
			}
		})
	}
}

func ptrMode(m store.UpdateMode) *store.UpdateMode { return &m }

func TestAcceptTelegramUpdate(t *testing.T) {
	const secret = "s3cret_-value"
	big := `{"update_id": 7, "message": {"text": "` + strings.Repeat("x", MaxTelegramUpdateBytes) + `"}}`
	tests := []struct {
		name    string
		mode    store.UpdateMode
		hook    bool
		secret  string
		body    string
		code    Code // CodeInternal: accepted
		tooBig  bool
		pending int
	}{
		{"accepted", store.UpdateWebhook, true, secret, `{"update_id": 7, "message": {}}`, CodeInternal, false, 1},
		{"no webhook set", store.UpdateWebhook, false, secret, `{"update_id": 7}`, CodeUnauthenticated, false, 0},
		{"polling mode", store.UpdatePolling, true, secret, `{"update_id": 7}`, CodeUnauthenticated, false, 0},
		{"missing secret", store.UpdateWebhook, true, "", `{"update_id": 7}`, CodeUnauthenticated, false, 0},
		{"wrong secret", store.UpdateWebhook, true, secret + "x", `{"update_id": 7}`, CodeUnauthenticated, false, 0},
		{"secret prefix", store.UpdateWebhook, true, secret[:4], `{"update_id": 7}`, CodeUnauthenticated, false, 0},
		{"not json", store.UpdateWebhook, true, secret, `{"update_id": 7`, CodeInvalidArgument, false, 0},
		{"no update_id", store.UpdateWebhook, true, secret, `{"message": {}}`, CodeInvalidArgument, false, 0},
		{"update_id zero", store.UpdateWebhook, true, secret, `{"update_id": 0}`, CodeInvalidArgument, false, 0},
		{"update_id a string", store.UpdateWebhook, true, secret, `{"update_id": "7"}`, CodeInvalidArgument, false, 0},
		{"an array", store.UpdateWebhook, true, secret, `[{"update_id": 7}]`, CodeInvalidArgument, false, 0},
		{"two values", store.UpdateWebhook, true, secret, `{"update_id": 7} {"update_id": 8}`, CodeInvalidArgument, false, 0},
		{"too large", store.UpdateWebhook, true, secret, big, CodeInvalidArgument, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRules(t, Config{})
			ctx := context.Background()
			if _, err := r.db.UpdateSystemSettings(ctx, func(s *store.SystemSettings) error {
				s.TelegramUpdateMode = tt.mode
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if tt.hook {
				if err := r.db.SetTelegramWebhook(ctx, store.TelegramWebhook{BotID: 42, TokenHash: TelegramTokenHash("42:x"), Secret: secret}); err != nil {
					t.Fatal(err)
				}
			}
			err := r.AcceptTelegramUpdate(ctx, tt.secret, strings.NewReader(tt.body))
			if tt.code == CodeInternal {
				if err != nil {
					t.Fatalf("AcceptTelegramUpdate = %v", err)
				}
				// A redelivery is accepted too, and stored once.
				if err := r.AcceptTelegramUpdate(ctx, tt.secret, strings.NewReader(tt.body)); err != nil {
					t.Fatalf("redelivery = %v", err)
				}
			} else if ErrorCode(err) != tt.code || (tt.tooBig != (err == ErrTelegramUpdateTooLarge)) {
				t.Fatalf("AcceptTelegramUpdate = %v (code %v), want code %v (too large: %v)", err, ErrorCode(err), tt.code, tt.tooBig)
			}
			got, err := r.db.PendingTelegramUpdates(ctx, 42, 10)
			if err != nil || len(got) != tt.pending {
				t.Fatalf("inbox = %d updates, %v; want %d", len(got), err, tt.pending)
			}
		})
	}
}
