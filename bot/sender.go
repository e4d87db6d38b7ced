package bot

import (
	"context"
	"sync"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"

	"github.com/memoria-app/memoria/rules"
)

// outMessage is a reply to send.
type outMessage struct {
	chatID, replyTo int64
	text            string
	// confirm marks a "saved" confirmation of memos: consecutive
	// confirmations to one chat merge into one message listing each memo,
	// so a burst of messages gets a few replies instead of a queue that
	// takes hours to drain. A confirmation of one memo has its buttons.
	confirm bool
	memos   []confirmedMemo
	base    string       // the instance URL for links
	actor   *rules.Actor // whose memos: the confirmation is recorded for them
	// reaction asks for a 👍 on message replyTo instead of a message.
	reaction bool
	notice   *outNotice // a notification (notify_send.go)
}

// maxQueuedPerChat bounds a chat's queue; beyond it the oldest replies
// are dropped (consecutive confirmations merge into one entry anyway).
const maxQueuedPerChat = 100

// maxQueued bounds the replies queued over all chats, so that a flood from
// many accounts (each unlinked sender gets a reply) cannot grow the queue
// without end; beyond it new replies are dropped. At 30 messages a second
// it is over five minutes of sending.
const maxQueued = 10000

// sender delivers replies within Telegram's limits — about one message a
// second per chat and 30 a second overall — and honours 429 retry_after.
// enqueue never blocks, so replies never slow ingestion down.
type sender struct {
	p      *poller
	mu     sync.Mutex
	q      map[int64][]outMessage
	queued int                 // entries in q, over all chats
	next   map[int64]time.Time // earliest next send per chat
	wake   chan struct{}
}

func newSender(p *poller) *sender {
	return &sender{p: p, q: map[int64][]outMessage{}, next: map[int64]time.Time{}, wake: make(chan struct{}, 1)}
}

func (s *sender) enqueue(m outMessage) {
	s.mu.Lock()
	q := s.q[m.chatID]
	if n := len(q); m.confirm && n > 0 && q[n-1].confirm {
		last := &q[n-1]
		last.memos = append(last.memos, m.memos...)
		last.replyTo = m.replyTo
	} else {
		if s.queued >= maxQueued {
			s.mu.Unlock()
			s.obs().ReplyDropped(DropQueueFull) // counted, not logged: a flood would flood the log
			return
		}
		q = append(q, m)
		s.queued++
		if len(q) > maxQueuedPerChat {
			s.obs().ReplyDropped(DropQueueFull)
			q = q[len(q)-maxQueuedPerChat:]
			s.queued--
		}
	}
	s.q[m.chatID] = q
	s.mu.Unlock()
	s.obs().ReplyQueued()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// pick returns the chat that may send soonest and when.
func (s *sender) pick() (chat int64, at time.Time, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for c, t := range s.next {
		if len(s.q[c]) == 0 && t.Before(now) {
			delete(s.next, c) // this chat's pause is over: forget it
		}
	}
	for c, q := range s.q {
		if len(q) == 0 {
			delete(s.q, c)
			continue
		}
		t := s.next[c]
		if !ok || t.Before(at) {
			chat, at, ok = c, t, true
		}
	}
	return chat, at, ok
}

func (s *sender) pop(chat int64) (outMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.q[chat]
	if len(q) == 0 {
		return outMessage{}, false
	}
	m := q[0]
	s.q[chat] = q[1:]
	s.queued--
	return m, true
}

func (s *sender) run(ctx context.Context) {
	o := s.p.sup.opts
	var globalNext time.Time
	for {
		chat, at, ok := s.pick()
		if !ok {
			select {
			case <-s.wake:
				continue
			case <-ctx.Done():
				return
			}
		}
		if globalNext.After(at) {
			at = globalNext
		}
		if d := time.Until(at); d > 0 {
			select {
			case <-time.After(d):
			case <-s.wake:
				continue // a sooner chat may have appeared
			case <-ctx.Done():
				return
			}
		}
		m, ok := s.pop(chat)
		if !ok {
			continue
		}
		s.send(ctx, m)
		now := time.Now()
		globalNext = now.Add(o.SendGlobalInterval)
		if !m.reaction { // a reaction is no new message in the chat
			s.mu.Lock()
			s.next[chat] = now.Add(o.SendInterval)
			s.mu.Unlock()
		}
	}
}

// deliver makes one Bot API call for m.
func (s *sender) deliver(ctx context.Context, m outMessage) error {
	if m.notice != nil {
		return s.deliverNotice(ctx, m)
	}
	if m.reaction {
		_, err := s.p.bot.SetMessageReactionWithContext(ctx, m.chatID, m.replyTo, &gotgbot.SetMessageReactionOpts{
			Reaction: []gotgbot.ReactionType{gotgbot.ReactionTypeEmoji{Emoji: "👍"}},
		})
		return err
	}
	opts := &gotgbot.SendMessageOpts{
		LinkPreviewOptions: &gotgbot.LinkPreviewOptions{IsDisabled: true},
	}
	if m.replyTo != 0 {
		opts.ReplyParameters = &gotgbot.ReplyParameters{MessageId: m.replyTo, AllowSendingWithoutReply: true}
	}
	text := m.text
	if m.confirm {
		text = confirmText(m.memos, m.base)
		if len(m.memos) == 1 {
			opts.ReplyMarkup = confirmKeyboard(m.memos[0])
		}
	}
	sent, err := s.p.bot.SendMessageWithContext(ctx, m.chatID, text, opts)
	if err == nil && m.confirm && len(m.memos) == 1 && m.actor != nil {
		// A reply to this confirmation adds to the memo.
		actx := rules.WithActor(ctx, m.actor)
		if rerr := s.p.sup.rules.RecordTelegramConfirmation(actx, messageKeyOf(s.p.botID, m.chatID, sent.MessageId), m.memos[0].id); rerr != nil {
			s.p.log.Debug("confirmation not recorded", "memo", m.memos[0].id, "err", rerr)
		}
	}
	return err
}

// send delivers one message, retrying transient failures a few times; a
// 429 holds the whole sender for retry_after.
func (s *sender) send(ctx context.Context, m outMessage) {
	bo := &backoff{min: s.p.sup.opts.TransientBackoff[0], max: s.p.sup.opts.TransientBackoff[1]}
	for attempt := 0; attempt < 5; attempt++ {
		err := s.deliver(ctx, m)
		if err == nil {
			s.obs().ReplySent()
		}
		if err == nil || ctx.Err() != nil {
			return
		}
		kind, ra := classify(err)
		switch kind {
		case failRateLimited:
			s.p.log.Warn("sendMessage rate limited", "retry_after", ra)
			if sleep(ctx, ra) != nil {
				return
			}
		case failTransient:
			if sleep(ctx, bo.next()) != nil {
				return
			}
		default:
			// Blocked by the user, chat gone, bad request: give up.
			s.p.log.Warn("reply not delivered", "chat", m.chatID, "err", describe(err))
			s.obs().ReplyDropped(DropUndeliverable)
			return
		}
	}
	s.p.log.Warn("reply not delivered after retries", "chat", m.chatID)
	s.obs().ReplyDropped(DropRetries)
}
