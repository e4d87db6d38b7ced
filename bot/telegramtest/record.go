package telegramtest

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
	"time"
)

// Call is one request the fake received for a bot.
type Call struct {
	// Method is the Bot API method with its canonical spelling
	// ("sendMessage", whatever case was sent), Download for a file
	// download, or the name as sent for a method the fake does not know.
	Method string
	// Params are the parameters, whatever the encoding: strings as sent,
	// other JSON values as JSON text ("42", "true", `[{"type":"emoji"}]`),
	// as Telegram reads them from a form. A download has "file_path".
	Params map[string]string
	// Files are the multipart file parts.
	Files map[string]UploadedFile
	// ContentType is the media type of the request body, without
	// parameters, or "" when there was none.
	ContentType string
	HTTPMethod  string
	// Fault is the fault injected into this call, or FaultNone.
	Fault FaultKind
	Time  time.Time
}

// UploadedFile is a file part of a multipart request.
type UploadedFile struct {
	Name string
	Data []byte
}

// Param returns a parameter, "" when absent.
func (c Call) Param(name string) string { return c.Params[name] }

// JSONParam decodes a parameter that holds JSON (entities, reaction,
// reply_parameters, commands) into v.
func (c Call) JSONParam(name string, v any) error { return json.Unmarshal([]byte(c.Params[name]), v) }

// reads are the methods that only read; Sent leaves them out.
var reads = map[string]bool{"getMe": true, "getUpdates": true, "getFile": true, Download: true}

// sent reports whether a call is one Sent returns: a known method that
// changes something, which reached the fake Telegram (a call dropped
// after it was handled counts; one refused by a fault does not).
func (c Call) sent() bool {
	_, known := methods[strings.ToLower(c.Method)]
	reached := c.Fault == FaultNone || c.Fault == FaultDelay || c.Fault == FaultDropResponse
	return known && !reads[c.Method] && reached
}

func (b *Bot) record(c Call) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, c)
	b.broadcast()
}

// Calls returns every request the bot received, in order, faults included.
func (b *Bot) Calls() []Call {
	b.mu.Lock()
	defer b.mu.Unlock()
	return cloneCalls(b.calls, func(Call) bool { return true })
}

// Sent returns the calls that act on Telegram (sendMessage,
// setMessageReaction, sendChatAction, deleteWebhook, getWebhookInfo,
// setMyCommands…), in order: not getMe, getUpdates, getFile or downloads,
// and not calls that a fault refused.
func (b *Bot) Sent() []Call {
	b.mu.Lock()
	defer b.mu.Unlock()
	return cloneCalls(b.calls, Call.sent)
}

// SentMethod returns the calls of Sent to one method.
func (b *Bot) SentMethod(method string) []Call {
	b.mu.Lock()
	defer b.mu.Unlock()
	return cloneCalls(b.calls, func(c Call) bool { return c.sent() && c.Method == method })
}

func cloneCalls(calls []Call, keep func(Call) bool) []Call {
	out := []Call{}
	for _, c := range calls {
		if keep(c) {
			c.Params = maps.Clone(c.Params)
			c.Files = maps.Clone(c.Files)
			out = append(out, c)
		}
	}
	return out
}

// WaitSent waits until Sent holds at least n calls and returns them, or
// returns ctx's error.
func (b *Bot) WaitSent(ctx context.Context, n int) ([]Call, error) {
	var sent []Call
	err := b.waitFor(ctx, func() bool {
		sent = cloneCalls(b.calls, Call.sent)
		return len(sent) >= n
	})
	return sent, err
}

// WaitCalls waits until cond holds for the calls received so far (Calls)
// and returns them, or returns ctx's error.
func (b *Bot) WaitCalls(ctx context.Context, cond func([]Call) bool) ([]Call, error) {
	var calls []Call
	err := b.waitFor(ctx, func() bool {
		calls = cloneCalls(b.calls, func(Call) bool { return true })
		return cond(calls)
	})
	return calls, err
}

// waitFor waits until cond, called with b.mu held, returns true.
func (b *Bot) waitFor(ctx context.Context, cond func() bool) error {
	for {
		b.mu.Lock()
		ok, changed := cond(), b.changed
		b.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
