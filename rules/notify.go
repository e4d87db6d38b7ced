package rules

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/memoria-app/memoria/store"
)

// Notifications: who is told what, on their own initiative, by the bot.
// The notifier (bot/notify.go) calls these without an acting user — they
// are the system's decisions, not a user's request — and words and sends
// what they return. Each decision is claimed durably in the store BEFORE
// it is returned, so that it is made once across restarts and processes
// (two processes cannot both win a claim): a notification is sent at most
// once; one whose sending fails after the claim (the process dies, the bot
// stops, Telegram refuses it) is not retried.

// NoticeKind says what a Notice is about.
type NoticeKind int

// Notice kinds.
const (
	NoticeMention   NoticeKind = iota + 1 // Memo mentions the recipient
	NoticeChannel                         // Memo became public: post it to the channel
	NoticeOnThisDay                       // Memos from this date in earlier years
	NoticeAlert                           // an admin alert: Alert says what
)

// Notice is one message for the bot to send.
type Notice struct {
	Kind NoticeKind
	// ChatID is the recipient's Telegram user id; for NoticeChannel,
	// Channel is the chat instead (a numeric id or @name, as configured).
	ChatID  int64
	Channel string
	// Memo and Author (its creator) for NoticeMention and NoticeChannel.
	Memo   store.Memo
	Author store.User
	// Photo is the memo's first image, for NoticeChannel (nil: none).
	Photo *store.Resource
	// Memos for NoticeOnThisDay, oldest first (at most MaxOnThisDay).
	Memos []store.Memo
	// More is set when more memos than Memos share the date.
	More bool
	// Alert is the cause of a NoticeAlert, see Alert*.
	Alert AlertCause
	// InstanceURL is the base of memo links ("" : links are memos/<id>).
	InstanceURL string
}

// MaxOnThisDay bounds the memos one "On this day" message lists.
const MaxOnThisDay = 20

// OnThisDayHour is the local hour from which the daily message is due.
const OnThisDayHour = 9

// onThisDayYears is how many earlier years "On this day" looks back.
const onThisDayYears = 60

// AlertInterval is the least time between two alerts of one cause.
const AlertInterval = time.Hour

// AlertCause names what an admin alert is about.
type AlertCause string

// Alert causes.
const (
	AlertBotError AlertCause = "bot_error" // the bot has been in BOT_STATE_ERROR for 10 minutes
	AlertDiskFull AlertCause = "disk_full" // the data directory's disk is over 95% full
)

// maxPhotoBytes is the largest image posted as a photo (Telegram's
// sendPhoto limit for uploads is 10 MB).
const maxPhotoBytes = 10 << 20

// NotifyOutbox returns up to limit memo changes waiting for the notifier.
func (r *Rules) NotifyOutbox(ctx context.Context, limit int) ([]store.OutboxEntry, error) {
	return r.db.NotifyOutbox(ctx, limit)
}

// DoneNotifyOutbox removes handled outbox entries.
func (r *Rules) DoneNotifyOutbox(ctx context.Context, ids ...int64) error {
	return r.db.DeleteNotifyOutbox(ctx, ids...)
}

// PruneNotifyOutbox drops outbox entries older than before (changes made
// while no bot could send, e.g. without a token).
func (r *Rules) PruneNotifyOutbox(ctx context.Context, before time.Time) (int64, error) {
	return r.db.PruneNotifyOutbox(ctx, before)
}

// MemoNotices decides the notifications a memo's current state calls
// for, claims them and returns them: a NoticeMention for each user it
// mentions (ExtractMentions) who is not its creator, has notifications
// on and a linked Telegram id, and may read it (the visibility policy,
// as if they asked for it); and a NoticeChannel when it is public and a
// public channel is set. What was claimed before — for this memo, in an
// earlier version of it — is not returned again. A memo that no longer
// exists calls for nothing.
func (r *Rules) MemoNotices(ctx context.Context, memoID int64) ([]Notice, error) {
	m, err := r.db.GetMemo(ctx, memoID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sys, err := r.db.GetSystemSettings(ctx)
	if err != nil {
		return nil, err
	}
	author, err := r.db.GetUser(ctx, m.CreatorID)
	if err != nil {
		return nil, ignoreGone(err)
	}
	var out []Notice
	for _, name := range ExtractMentions(m.Content) {
		n, ok, err := r.mentionNotice(ctx, m, name)
		if err != nil {
			return out, err
		}
		if ok {
			n.Author, n.InstanceURL = author, sys.InstanceURL
			out = append(out, n)
		}
	}
	if m.Visibility == store.VisibilityPublic && sys.TelegramPublicChannel != "" {
		claimed, err := r.db.ClaimNotification(ctx, store.ClaimChannel, m.ID, 0)
		if err != nil {
			return out, ignoreGone(err)
		}
		if claimed {
			out = append(out, Notice{Kind: NoticeChannel, Channel: sys.TelegramPublicChannel, Memo: m, Author: author,
				Photo: firstImage(m.Resources), InstanceURL: sys.InstanceURL})
		}
	}
	return out, nil
}

// mentionNotice decides and claims the notice for the user called name.
func (r *Rules) mentionNotice(ctx context.Context, m store.Memo, name string) (Notice, bool, error) {
	u, err := r.db.GetUserByUsername(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return Notice{}, false, nil
	}
	if err != nil {
		return Notice{}, false, err
	}
	if u.ID == m.CreatorID {
		return Notice{}, false, nil
	}
	s, err := r.db.GetUserSettings(ctx, u.ID)
	if err != nil {
		return Notice{}, false, err
	}
	if !s.TelegramNotifications || s.TelegramUserID == 0 || canView(&Actor{User: u}, m) != nil {
		return Notice{}, false, nil
	}
	claimed, err := r.db.ClaimNotification(ctx, store.ClaimMention, m.ID, u.ID)
	if err != nil || !claimed {
		return Notice{}, false, ignoreGone(err)
	}
	return Notice{Kind: NoticeMention, ChatID: s.TelegramUserID, Memo: m}, true, nil
}

// ignoreGone turns "it was deleted meanwhile" into nothing to do.
func ignoreGone(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// firstImage returns the first resource that Telegram can show as a
// photo (JPEG, PNG or WebP, at most 10 MB), or nil.
func firstImage(rs []store.Resource) *store.Resource {
	for i := range rs {
		switch strings.ToLower(rs[i].Type) {
		case "image/jpeg", "image/png", "image/webp":
			if rs[i].Size > 0 && rs[i].Size <= maxPhotoBytes {
				return &rs[i]
			}
		}
	}
	return nil
}

// OnThisDayRecipients returns the users with notifications on and a
// linked Telegram id.
func (r *Rules) OnThisDayRecipients(ctx context.Context) ([]store.Recipient, error) {
	return r.db.NotificationRecipients(ctx, false)
}

// OnThisDay decides a recipient's daily message at now: due from
// OnThisDayHour (09:00) in their timezone, once per local date — the
// date is claimed first, so neither a restart nor a second process sends
// it again — listing their memos created on this month and day in earlier
// years (in their timezone; 29 February only in leap years). ok is false
// when nothing is due or there is nothing to show.
func (r *Rules) OnThisDay(ctx context.Context, rec store.Recipient, now time.Time) (n Notice, ok bool, err error) {
	loc := UserLocation(rec.Settings.Timezone)
	local := now.In(loc)
	if local.Hour() < OnThisDayHour {
		return Notice{}, false, nil
	}
	date := local.Format(time.DateOnly)
	mark := "daily:" + strconv.FormatInt(rec.User.ID, 10)
	// A read first: the notifier asks every few seconds all day long, and
	// a claim is a write.
	if last, err := r.db.GetMark(ctx, mark); err != nil || last >= date {
		return Notice{}, false, err
	}
	claimed, err := r.db.AdvanceMark(ctx, mark, date, date)
	if err != nil || !claimed {
		return Notice{}, false, err
	}
	ranges := make([]store.TimeRange, 0, onThisDayYears)
	for y := local.Year() - 1; y >= local.Year()-onThisDayYears; y-- {
		if d := time.Date(y, local.Month(), local.Day(), 12, 0, 0, 0, time.UTC); d.Day() != local.Day() {
			continue // 29 February in a common year
		}
		ranges = append(ranges, store.TimeRange{From: dayStart(y, local.Month(), local.Day(), loc),
			To: dayStart(y, local.Month(), local.Day()+1, loc)})
	}
	memos, err := r.db.MemosCreatedIn(ctx, rec.User.ID, ranges, MaxOnThisDay+1)
	if err != nil || len(memos) == 0 {
		return Notice{}, false, err
	}
	sys, err := r.db.GetSystemSettings(ctx)
	if err != nil {
		return Notice{}, false, err
	}
	n = Notice{Kind: NoticeOnThisDay, ChatID: rec.Settings.TelegramUserID, InstanceURL: sys.InstanceURL}
	if len(memos) > MaxOnThisDay {
		memos, n.More = memos[:MaxOnThisDay], true
	}
	for i := range memos {
		memos[i].CreatedAt = memos[i].CreatedAt.In(loc)
	}
	n.Memos = memos
	return n, true, nil
}

// dayStart is the first instant of the date in loc: its midnight, or,
// where a clock change skipped midnight (time.Date then answers an hour
// of the day before), the moment the clocks jumped. day may overflow the
// month (time.Date normalizes it).
func dayStart(year int, month time.Month, day int, loc *time.Location) time.Time {
	t := time.Date(year, month, day, 0, 0, 0, 0, loc)
	want := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	if y, m, d := t.Date(); time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Before(want) {
		_, next := t.ZoneBounds() // the jump over midnight
		return next
	}
	return t
}

// AdminAlert claims an alert of cause at now — refused (nil) when one of
// that cause was claimed less than AlertInterval before, by any process —
// and returns one notice per admin with a linked Telegram id, whatever
// their telegramNotifications.
func (r *Rules) AdminAlert(ctx context.Context, cause AlertCause, now time.Time) ([]Notice, error) {
	claimed, err := r.db.AdvanceMark(ctx, "alert:"+string(cause), store.MarkTime(now), store.MarkTime(now.Add(-AlertInterval+time.Microsecond)))
	if err != nil || !claimed {
		return nil, err
	}
	admins, err := r.db.NotificationRecipients(ctx, true)
	if err != nil {
		return nil, err
	}
	sys, err := r.db.GetSystemSettings(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Notice, len(admins))
	for i, a := range admins {
		out[i] = Notice{Kind: NoticeAlert, ChatID: a.Settings.TelegramUserID, Alert: cause, InstanceURL: sys.InstanceURL}
	}
	return out, nil
}

// OpenNoticePhoto opens the bytes of a notice's photo. Its reads are not
// bound to a context: the send that reads them is, and stops reading.
func (r *Rules) OpenNoticePhoto(res store.Resource) (io.ReadCloser, error) {
	return r.files.Open(context.Background(), res.StoragePath)
}
