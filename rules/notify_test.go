package rules

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/memoria-app/memoria/store"
)

// notifyUser makes a user with a linked Telegram id (their id + 1000)
// and the given notification settings.
func notifyUser(t *testing.T, r *Rules, name string, role store.Role, on bool, tz string) store.User {
	t.Helper()
	ctx := context.Background()
	u := store.User{Username: name, PasswordHash: "x", Role: role}
	if err := r.db.CreateUser(ctx, &u, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := r.db.UpdateUserSettings(ctx, u.ID, func(s *store.UserSettings) error {
		s.TelegramUserID, s.TelegramNotifications, s.Timezone = u.ID+1000, on, tz
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return u
}

func writeMemo(t *testing.T, r *Rules, by store.User, content string, vis store.Visibility) store.Memo {
	t.Helper()
	m, err := r.CreateMemo(WithActor(context.Background(), &Actor{User: by, Source: store.SourceAPI}),
		MemoInput{Content: content, Visibility: vis})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// recipients lists the chat of each notice, by kind.
func recipients(ns []Notice) []string {
	var out []string
	for _, n := range ns {
		switch n.Kind {
		case NoticeMention:
			out = append(out, fmt.Sprintf("mention:%d", n.ChatID))
		case NoticeChannel:
			out = append(out, "channel:"+n.Channel)
		}
	}
	return out
}

func TestMemoNoticesWhoIsTold(t *testing.T) {
	ctx := context.Background()
	r := newTestRules(t, Config{})
	ann := notifyUser(t, r, "ann", store.RoleUser, true, "")
	bob := notifyUser(t, r, "bob", store.RoleUser, true, "")
	notifyUser(t, r, "off", store.RoleUser, false, "")
	tests := map[string]struct {
		content string
		vis     store.Visibility
		want    []string
	}{
		"protected memo mentioning bob":     {"hi @bob", store.VisibilityProtected, []string{fmt.Sprintf("mention:%d", bob.ID+1000)}},
		"private memo: bob may not read it": {"hi @bob", store.VisibilityPrivate, nil},
		"mentioning oneself":                {"note to @ann", store.VisibilityProtected, nil},
		"notifications off":                 {"hi @off", store.VisibilityProtected, nil},
		"unknown user":                      {"hi @nobody", store.VisibilityProtected, nil},
		"mention in code":                   {"`@bob`", store.VisibilityProtected, nil},
		"public memo without a channel set": {"for all", store.VisibilityPublic, nil},
		"public memo mentioning bob, twice": {"@bob @bob", store.VisibilityPublic, []string{fmt.Sprintf("mention:%d", bob.ID+1000)}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			m := writeMemo(t, r, ann, tt.content, tt.vis)
			ns, err := r.MemoNotices(ctx, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got := recipients(ns); strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("notices = %v, want %v", got, tt.want)
			}
			for _, n := range ns {
				if n.Author.ID != ann.ID || n.Memo.ID != m.ID {
					t.Fatalf("notice %+v: wrong author or memo", n)
				}
			}
		})
	}
}

func TestMemoNoticesOncePerMemoAndUser(t *testing.T) {
	ctx := context.Background()
	r := newTestRules(t, Config{})
	ann := notifyUser(t, r, "ann", store.RoleUser, true, "")
	bob := notifyUser(t, r, "bob", store.RoleUser, true, "")
	cat := notifyUser(t, r, "cat", store.RoleUser, true, "")
	admin := store.User{Username: "root", PasswordHash: "x", Role: store.RoleAdmin}
	if err := r.db.CreateUser(ctx, &admin, nil); err != nil {
		t.Fatal(err)
	}
	channel := "@memoria_news"
	if _, err := r.UpdateSystemSettings(WithActor(ctx, &Actor{User: admin}), SystemPatch{TelegramPublicChannel: &channel}); err != nil {
		t.Fatal(err)
	}
	actx := WithActor(ctx, &Actor{User: ann, Source: store.SourceAPI})
	m := writeMemo(t, r, ann, "private first, @bob", store.VisibilityPrivate)
	steps := []struct {
		name  string
		patch MemoPatch
		want  []string
	}{
		{"private: nobody", MemoPatch{}, nil},
		{"made protected: bob may read it now", MemoPatch{Visibility: ptr(store.VisibilityProtected)}, []string{fmt.Sprintf("mention:%d", bob.ID+1000)}},
		{"edit keeping the mention", MemoPatch{Content: ptr("edited, still @bob")}, nil},
		{"edit adding cat", MemoPatch{Content: ptr("@bob and @cat")}, []string{fmt.Sprintf("mention:%d", cat.ID+1000)}},
		{"made public: the channel", MemoPatch{Visibility: ptr(store.VisibilityPublic)}, []string{"channel:" + channel}},
		{"private again", MemoPatch{Visibility: ptr(store.VisibilityPrivate)}, nil},
		{"public again: not posted twice", MemoPatch{Visibility: ptr(store.VisibilityPublic)}, nil},
	}
	for _, s := range steps {
		if s.patch != (MemoPatch{}) {
			if _, err := r.UpdateMemo(actx, m.ID, s.patch); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		}
		ns, err := r.MemoNotices(ctx, m.ID)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := recipients(ns); strings.Join(got, ",") != strings.Join(s.want, ",") {
			t.Fatalf("%s: notices = %v, want %v", s.name, got, s.want)
		}
	}
	if err := r.DeleteMemo(actx, m.ID); err != nil {
		t.Fatal(err)
	}
	if ns, err := r.MemoNotices(ctx, m.ID); err != nil || len(ns) != 0 {
		t.Fatalf("deleted memo: %v, %v", ns, err)
	}
}

// importMemo makes a memo of u created at t.
func importMemo(t *testing.T, r *Rules, u store.User, content string, at time.Time) store.Memo {
	t.Helper()
	m := store.Memo{CreatorID: u.ID, Content: content, Visibility: store.VisibilityPrivate, Source: store.SourceAPI, CreatedAt: at, UpdatedAt: at}
	if _, err := r.db.ImportMemo(context.Background(), fmt.Sprintf("test:%s:%d", content, at.UnixNano()), &m, nil); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestOnThisDayUsesTheUsersTimezone(t *testing.T) {
	ctx := context.Background()
	r := newTestRules(t, Config{})
	tokyo := notifyUser(t, r, "tokyo", store.RoleUser, true, "Asia/Tokyo")
	utc := notifyUser(t, r, "utc", store.RoleUser, true, "")
	// 2024-03-14 22:30 UTC is already the 15th in Tokyo (UTC+9).
	at := time.Date(2024, 3, 14, 22, 30, 0, 0, time.UTC)
	tm := importMemo(t, r, tokyo, "tokyo memo", at)
	um := importMemo(t, r, utc, "utc memo", at)
	importMemo(t, r, utc, "this year's, not earlier", time.Date(2025, 3, 14, 1, 0, 0, 0, time.UTC))
	importMemo(t, r, utc, "another day", time.Date(2023, 3, 13, 12, 0, 0, 0, time.UTC))
	old := importMemo(t, r, utc, "long ago", time.Date(2001, 3, 14, 12, 0, 0, 0, time.UTC))
	rec := func(u store.User) store.Recipient {
		s, err := r.db.GetUserSettings(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return store.Recipient{User: u, Settings: s}
	}
	steps := []struct {
		name  string
		who   store.User
		now   time.Time
		memos []int64 // nil: no message
	}{
		{"tokyo 08:59 local", tokyo, time.Date(2025, 3, 14, 23, 59, 0, 0, time.UTC), nil},
		{"tokyo 09:00 local, the 14th in UTC", tokyo, time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC), []int64{tm.ID}},
		{"tokyo again that day", tokyo, time.Date(2025, 3, 15, 5, 0, 0, 0, time.UTC), nil},
		{"utc 08:00", utc, time.Date(2025, 3, 14, 8, 0, 0, 0, time.UTC), nil},
		{"utc 09:30", utc, time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC), []int64{old.ID, um.ID}},
		{"utc the next day: nothing from the 15th", utc, time.Date(2025, 3, 15, 9, 0, 0, 0, time.UTC), nil},
	}
	for _, s := range steps {
		n, ok, err := r.OnThisDay(ctx, rec(s.who), s.now)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		var got []int64
		for _, m := range n.Memos {
			got = append(got, m.ID)
		}
		if ok != (s.memos != nil) || fmt.Sprint(got) != fmt.Sprint(s.memos) {
			t.Fatalf("%s: ok=%v memos=%v, want %v", s.name, ok, got, s.memos)
		}
		if ok && n.ChatID != s.who.ID+1000 {
			t.Fatalf("%s: sent to %d", s.name, n.ChatID)
		}
	}
}

func TestOnThisDayLeapDayAndLimit(t *testing.T) {
	ctx := context.Background()
	r := newTestRules(t, Config{})
	u := notifyUser(t, r, "u", store.RoleUser, true, "UTC")
	importMemo(t, r, u, "leap", time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC))
	for y := 1990; y < 1990+MaxOnThisDay+3; y++ {
		importMemo(t, r, u, fmt.Sprint("year ", y), time.Date(y, 3, 1, 12, 0, 0, 0, time.UTC))
	}
	s, _ := r.db.GetUserSettings(ctx, u.ID)
	rec := store.Recipient{User: u, Settings: s}
	n, ok, err := r.OnThisDay(ctx, rec, time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
	if err != nil || !ok || len(n.Memos) != MaxOnThisDay || !n.More {
		t.Fatalf("1 March 2025: ok=%v %d memos more=%v %v", ok, len(n.Memos), n.More, err)
	}
	for _, m := range n.Memos {
		if m.Content == "leap" {
			t.Fatal("29 February listed on 1 March")
		}
	}
	n, ok, err = r.OnThisDay(ctx, rec, time.Date(2028, 2, 29, 10, 0, 0, 0, time.UTC))
	if err != nil || !ok || len(n.Memos) != 1 || n.Memos[0].Content != "leap" {
		t.Fatalf("29 February 2028: ok=%v %+v %v", ok, n.Memos, err)
	}
}

func TestAdminAlertAtMostOncePerCausePerInterval(t *testing.T) {
	ctx := context.Background()
	r := newTestRules(t, Config{})
	admin := notifyUser(t, r, "root", store.RoleAdmin, false, "")
	notifyUser(t, r, "user", store.RoleUser, true, "")
	t0 := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	steps := []struct {
		name  string
		cause AlertCause
		at    time.Time
		want  int
	}{
		{"first bot alert", AlertBotError, t0, 1},
		{"59 minutes later", AlertBotError, t0.Add(59 * time.Minute), 0},
		{"another cause meanwhile", AlertDiskFull, t0.Add(30 * time.Minute), 1},
		{"an hour later", AlertBotError, t0.Add(time.Hour), 1},
		{"a clock that went back", AlertBotError, t0.Add(10 * time.Minute), 0},
	}
	for _, s := range steps {
		ns, err := r.AdminAlert(ctx, s.cause, s.at)
		if err != nil || len(ns) != s.want {
			t.Fatalf("%s: %d notices, %v; want %d", s.name, len(ns), err, s.want)
		}
		for _, n := range ns {
			if n.ChatID != admin.ID+1000 || n.Alert != s.cause {
				t.Fatalf("%s: %+v", s.name, n)
			}
		}
	}
}

func TestNotifySettingsValidation(t *testing.T) {
	r := newTestRules(t, Config{})
	u := notifyUser(t, r, "u", store.RoleAdmin, false, "")
	ctx := WithActor(context.Background(), &Actor{User: u})
	for name, tz := range map[string]string{"unknown": "Mars/Olympus", "local": "Local", "garbage": "../../etc/passwd"} {
		t.Run("timezone "+name, func(t *testing.T) {
			_, err := r.UpdateUserSettings(ctx, UserSettingsPatch{Timezone: &tz})
			if ErrorCode(err) != CodeInvalidArgument || !strings.Contains(err.Error(), tz) {
				t.Fatalf("= %v, want invalid_argument naming %q", err, tz)
			}
		})
	}
	tz := "America/Argentina/Buenos_Aires"
	if s, err := r.UpdateUserSettings(ctx, UserSettingsPatch{Timezone: &tz, TelegramNotifications: ptr(true)}); err != nil || s.Timezone != tz || !s.TelegramNotifications {
		t.Fatalf("valid timezone: %+v, %v", s, err)
	}
	for name, ch := range map[string]string{"chat id": "-1001234567890", "channel name": "@memoria_news", "off": ""} {
		t.Run("channel "+name, func(t *testing.T) {
			if _, err := r.UpdateSystemSettings(ctx, SystemPatch{TelegramPublicChannel: &ch}); err != nil {
				t.Fatal(err)
			}
		})
	}
	for name, ch := range map[string]string{"words": "my channel", "short name": "@abc", "zero": "0", "url": "https://t.me/x", "no at": "memoria_news"} {
		t.Run("bad channel "+name, func(t *testing.T) {
			_, err := r.UpdateSystemSettings(ctx, SystemPatch{TelegramPublicChannel: &ch})
			if ErrorCode(err) != CodeInvalidArgument || !strings.Contains(err.Error(), "telegram_public_channel") {
				t.Fatalf("= %v", err)
			}
		})
	}
}

// TestOnThisDayWhereMidnightIsSkipped: in America/Sao_Paulo, 4 November
// 2018 had no 00:00 (clocks went from 23:59:59 to 01:00), so the day
// begins at 01:00. Its memos are still "on this day" a year later, and a
// memo from the evening before is not.
func TestOnThisDayWhereMidnightIsSkipped(t *testing.T) {
	ctx := context.Background()
	r := newTestRules(t, Config{})
	u := notifyUser(t, r, "paulista", store.RoleUser, true, "America/Sao_Paulo")
	loc := UserLocation("America/Sao_Paulo")
	that := importMemo(t, r, u, "on the day", time.Date(2018, 11, 4, 10, 0, 0, 0, loc))
	before := importMemo(t, r, u, "the evening before", time.Date(2018, 11, 3, 23, 30, 0, 0, loc))
	s, _ := r.db.GetUserSettings(ctx, u.ID)
	for _, c := range []struct {
		now  time.Time
		want store.Memo
	}{
		{time.Date(2019, 11, 3, 9, 30, 0, 0, loc), before}, // the 3rd lasted until 01:00 on the 4th
		{time.Date(2019, 11, 4, 9, 30, 0, 0, loc), that},
	} {
		n, ok, err := r.OnThisDay(ctx, store.Recipient{User: u, Settings: s}, c.now)
		if err != nil || !ok || len(n.Memos) != 1 || n.Memos[0].ID != c.want.ID {
			t.Fatalf("%s: ok=%v memos=%+v %v; want only %q", c.now.Format(time.DateOnly), ok, n.Memos, err, c.want.Content)
		}
	}
}
