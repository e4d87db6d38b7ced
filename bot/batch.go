package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
)

// batchHandler turns one getUpdates batch into memos. Updates are prepared
// concurrently (sender lookup, file downloads) but committed strictly in
// update order, so albums keep their order and the stored offset never
// passes an uncommitted update.
type batchHandler struct {
	p *poller
	// unlinkedAlbums remembers albums whose unlinked sender was already
	// told their id, so an album gets one reply.
	unlinkedAlbums map[string]bool
	// crashAt, set by tests, is called at the points where a crash
	// (kill -9) matters; it panics to stop the handler there.
	crashAt func(point crashPoint, updateID int64)
}

// crashPoint names a moment of handle for tests that crash there.
type crashPoint int

const (
	// crashCommitted: the batch's transaction has committed; no command
	// has run and no reply is queued.
	crashCommitted crashPoint = iota
	// crashApplied: a command's effect has committed, before its reply
	// is queued and (for the commands keyed after their effect) before
	// its key is recorded.
	crashApplied
)

func (h *batchHandler) at(point crashPoint, updateID int64) {
	if h.crashAt != nil {
		h.crashAt(point, updateID)
	}
}

func newBatchHandler(p *poller) *batchHandler {
	return &batchHandler{p: p, unlinkedAlbums: map[string]bool{}}
}

// prepared is an update made ready to commit.
type prepared struct {
	in     incoming
	key    string
	user   *store.User // nil: sender not linked
	files  []rules.StagedFile
	failed []failedFile
	dup    bool  // already committed earlier (redelivery)
	err    error // internal failure while preparing: the batch is cut here
	done   chan struct{}

	result    store.IngestResult
	commitErr error
	refused   string // why the rules refused the message, for the reply

	act      action          // what the update asks for (see classify)
	prefs    rules.ChatPrefs // the linked sender's
	appendTo int64           // the memo a reply adds to
	// replyToSeveral: the message replied to a merged confirmation (of
	// several memos), so it made a new memo; its confirmation says why.
	replyToSeveral bool
}

// userCache resolves Telegram senders (and their chat preferences) once
// per batch.
type userCache struct {
	mu    sync.Mutex
	m     map[int64]*store.User
	prefs map[int64]rules.ChatPrefs
}

func newUserCache() *userCache {
	return &userCache{m: map[int64]*store.User{}, prefs: map[int64]rules.ChatPrefs{}}
}

func (h *batchHandler) prefsOf(ctx context.Context, c *userCache, u store.User) (rules.ChatPrefs, error) {
	c.mu.Lock()
	p, ok := c.prefs[u.ID]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := h.p.sup.rules.TelegramPrefs(rules.WithActor(ctx, &rules.Actor{User: u, Source: store.SourceTelegram}))
	if err != nil {
		return p, err
	}
	c.mu.Lock()
	c.prefs[u.ID] = p
	c.mu.Unlock()
	return p, nil
}

func (h *batchHandler) lookup(ctx context.Context, c *userCache, telegramID int64) (*store.User, error) {
	c.mu.Lock()
	u, ok := c.m[telegramID]
	c.mu.Unlock()
	if ok {
		return u, nil
	}
	found, err := h.p.sup.rules.UserByTelegramID(ctx, telegramID)
	switch {
	case err == nil:
		u = &found
	case rules.ErrorCode(err) == rules.CodeNotFound:
		u = nil
	default:
		return nil, err
	}
	c.mu.Lock()
	c.m[telegramID] = u
	c.mu.Unlock()
	return u, nil
}

// handle processes a batch and returns the offset to confirm: one past the
// last update up to which every effect is committed. err is set when an
// update could not be committed; the updates from there on are fetched
// again (those that did commit are then recognised by their keys). A
// batch is also cut, without an error, after a command that links or
// unlinks its sender.
func (h *batchHandler) handle(ctx context.Context, raws []json.RawMessage) (int64, error) {
	items := make([]*prepared, 0, len(raws))
	for _, raw := range raws {
		it := &prepared{in: decodeUpdate(raw), done: make(chan struct{})}
		items = append(items, it)
		if cutsBatch(it.in) {
			// The updates after it would be prepared for the sender as
			// they were before, or committed before it runs: they come
			// again in the next batch.
			break
		}
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cache := newUserCache()
	// Button presses run at once, beside the messages, one after another
	// in update order (a later press on a memo overrides an earlier one);
	// the offset waits for them.
	var presses []*callbackIn
	for _, it := range items {
		if cb := it.in.callback; cb != nil {
			presses = append(presses, cb)
		}
	}
	if len(presses) > 0 {
		pressed := make(chan struct{})
		defer func() { <-pressed }()
		go func() {
			defer close(pressed)
			for _, cb := range presses {
				h.handleCallback(ctx, cache, cb)
			}
		}()
	}
	sem := make(chan struct{}, h.p.sup.opts.Prefetch)
	all := items // handle may shorten items; the launcher keeps the whole batch
	go func() {
		for i, it := range all {
			select {
			case sem <- struct{}{}:
			case <-pctx.Done():
				for _, rest := range all[i:] {
					close(rest.done) // never prepared: nothing staged
				}
				return
			}
			go func(it *prepared) {
				defer func() { <-sem }()
				defer close(it.done)
				h.prepare(pctx, cache, it)
			}(it)
		}
	}()
	// Wait for the preparations in order; an internal failure cuts the
	// batch there.
	var batchErr error
	for i, it := range items {
		select {
		case <-it.done:
		case <-ctx.Done():
			h.discard(cancel, items[i:])
			return 0, ctx.Err()
		}
		if it.err != nil {
			h.discard(cancel, items[i:])
			items, batchErr = items[:i], it.err
			break
		}
	}
	failed := h.commitAll(ctx, items)
	var next int64
	for i, it := range items {
		if failed >= 0 && i >= failed {
			break
		}
		if it.in.updateID >= next {
			next = it.in.updateID + 1
		}
	}
	if failed >= 0 {
		return next, fmt.Errorf("commit update %d: %w", items[failed].in.updateID, items[failed].commitErr)
	}
	return next, batchErr
}

// cutsBatch reports whether an update is a command that the batch is cut
// after: one that links or unlinks its sender (/start <code>, /unlink),
// so that later updates are prepared for the sender as it leaves them,
// and /undo, which must delete the newest memo made BEFORE it (the
// messages of a batch commit together, before its commands run) — also
// when it is delivered again after a crash.
func cutsBatch(in incoming) bool {
	if in.message == nil || in.edited || !in.private {
		return false
	}
	return in.command == "unlink" || in.command == "undo" || in.command == "start" && in.args != ""
}

// discard stops the preparations of items that will not be committed in
// this round and removes the files they staged (they are fetched again).
func (h *batchHandler) discard(cancel context.CancelFunc, items []*prepared) {
	cancel()
	for _, it := range items {
		<-it.done
		h.p.sup.rules.DiscardStaged(it.files...)
	}
}

// commitAll commits every item that stores something in one transaction,
// then queues the replies. It returns the index of the first item that
// failed internally, or -1.
func (h *batchHandler) commitAll(ctx context.Context, items []*prepared) int {
	var ops []rules.IngestItem
	var owners []*prepared
	for _, it := range items {
		if op, ok := h.operation(it); ok {
			ops = append(ops, op)
			owners = append(owners, it)
		}
	}
	outcomes := h.p.sup.rules.IngestBatch(ctx, ops)
	for i, it := range owners {
		it.result, it.commitErr = outcomes[i].Result, outcomes[i].Err
		if it.commitErr != nil && !retryLater(it.commitErr) {
			h.retryRefused(ctx, it, ops[i])
		}
	}
	if len(items) > 0 {
		h.at(crashCommitted, items[len(items)-1].in.updateID)
	}
	failed := -1
	for i, it := range items {
		if it.commitErr != nil {
			if failed < 0 {
				failed = i
			}
			h.p.log.Error("update not committed", "update_id", it.in.updateID, "err", it.commitErr)
			continue
		}
		h.observeUpdate(it)
		h.reply(ctx, it)
	}
	return failed
}

// operation is what an update asks of the batch's transaction, if
// anything: a memo (or an addition to one) for a message to save, the
// ingest key alone for a message that cannot be saved. Commands are not
// in it: each records its key with or after its own effect (see
// commands.go), so that a crash after the batch's commit cannot mark a
// command handled that never ran.
func (h *batchHandler) operation(it *prepared) (rules.IngestItem, bool) {
	in := it.in
	if in.message == nil || it.user == nil || it.dup {
		return rules.IngestItem{}, false
	}
	actor := &rules.Actor{User: *it.user, Source: store.SourceTelegram}
	switch {
	case it.act == actSave && in.unsupported != "":
		return rules.IngestItem{Actor: actor, Input: rules.IngestInput{Key: it.key, NoMemo: true}}, true
	case it.act != actSave:
		return rules.IngestItem{}, false
	}
	content := in.content
	if content == "" && len(it.files) == 0 && len(it.failed) > 0 && in.mediaGroupID == "" {
		content = "_(" + it.failed[0].name + " could not be saved from Telegram)_"
	}
	input := rules.IngestInput{Key: it.key, Content: content, Staged: it.files,
		Chat: rules.ChatIngest{MessageKey: it.key, Part: in.content, AppendTo: it.appendTo}}
	if in.mediaGroupID != "" {
		input.GroupKey = albumKey(h.p.botID, in)
	}
	return rules.IngestItem{Actor: actor, Input: input}, true
}

// retryRefused handles an update the rules refused (e.g. a file over the
// upload limit): it keeps the text and reports the files; if even that is
// refused, the update is recorded as handled and the user told why.
func (h *batchHandler) retryRefused(ctx context.Context, it *prepared, op rules.IngestItem) {
	h.p.log.Warn("message refused by the rules; saving without its files", "update_id", it.in.updateID, "err", it.commitErr)
	reason := it.commitErr.Error()
	for _, f := range op.Input.Staged {
		it.failed = append(it.failed, failedFile{f.Filename(), reason})
	}
	op.Input.Staged = nil
	out := h.p.sup.rules.IngestBatch(ctx, []rules.IngestItem{op})[0]
	if out.Err == nil || retryLater(out.Err) {
		it.result, it.commitErr = out.Result, out.Err
		return
	}
	op.Input = rules.IngestInput{Key: it.key, NoMemo: true}
	out = h.p.sup.rules.IngestBatch(ctx, []rules.IngestItem{op})[0]
	it.result, it.commitErr = out.Result, out.Err
	it.refused = reason
}

// reply queues what the sender of a committed update should hear, and
// runs what comes after the commit (commands, edits).
func (h *batchHandler) reply(ctx context.Context, it *prepared) {
	in := it.in
	send := func(text string) {
		h.p.sender.enqueue(outMessage{chatID: in.chatID, replyTo: in.messageID, text: text})
	}
	switch {
	case it.act == actSkip:
		h.p.log.Debug("update skipped", "update_id", in.updateID, "reason", orDefault(in.skip, "not for the bot"))
	case it.user == nil:
		if !in.private || it.act == actEdit {
			return // groups: stay silent toward unlinked senders
		}
		if it.act == actCommand && (in.command == "start" || in.command == "help") {
			for _, text := range h.runCommand(ctx, it) {
				send(text)
			}
			return
		}
		if in.mediaGroupID != "" {
			if h.unlinkedAlbums[in.mediaGroupID] {
				return
			}
			if len(h.unlinkedAlbums) >= 1000 {
				clear(h.unlinkedAlbums) // albums arrive within seconds; old ids are done
			}
			h.unlinkedAlbums[in.mediaGroupID] = true
		}
		send(replyUnlinked(in.fromID))
	case it.act == actEdit:
		h.applyEdit(ctx, it)
	case it.dup || it.result.Duplicate:
	case it.act == actCommand:
		for _, text := range h.runCommand(ctx, it) {
			send(text)
		}
	case it.refused != "":
		send(replyNotSaved + it.refused)
	case in.unsupported != "":
		send(replyUnsupported(in.unsupported))
	default:
		h.confirm(it)
		if len(it.failed) > 0 {
			send(replyFilesFailed(it.failed))
		}
	}
}

// confirm queues the confirmation of a saved message in the sender's
// style. An album is confirmed once, for its first item.
func (h *batchHandler) confirm(it *prepared) {
	in := it.in
	grew := it.appendTo != 0 && it.result.Appended && it.result.Memo.ID == it.appendTo
	if it.result.Appended && !grew {
		return // a later item of an album
	}
	switch it.prefs.Confirmation {
	case store.ConfirmSilent:
	case store.ConfirmReaction:
		h.p.sender.enqueue(outMessage{chatID: in.chatID, replyTo: in.messageID, reaction: true})
	default:
		cm := confirmedFrom(it.result.Memo)
		cm.appended, cm.album, cm.replyToSeveral = grew, in.mediaGroupID != "", it.replyToSeveral
		h.p.sender.enqueue(outMessage{chatID: in.chatID, replyTo: in.messageID, confirm: true,
			memos: []confirmedMemo{cm}, base: it.prefs.InstanceURL,
			actor: &rules.Actor{User: *it.user, Source: store.SourceTelegram}})
	}
}

// prepare does the slow, side-effect-free part of an update: who sent it,
// and its files.
func (h *batchHandler) prepare(ctx context.Context, cache *userCache, it *prepared) {
	in := it.in
	if in.message == nil {
		return
	}
	it.key = messageKey(h.p.botID, in)
	it.act = h.classify(&it.in)
	in = it.in
	if it.act == actSkip {
		return
	}
	u, err := h.lookup(ctx, cache, in.fromID)
	if err != nil {
		it.err = err
		return
	}
	it.user = u
	if u == nil {
		return
	}
	if it.prefs, err = h.prefsOf(ctx, cache, *u); err != nil {
		it.err = err
		return
	}
	if it.act == actCommand && keyedAfter(in) {
		// Its effect and key committed before a crash: done.
		it.dup, it.err = h.p.sup.rules.Ingested(ctx, it.key)
		return
	}
	if it.act != actSave || in.unsupported != "" {
		return
	}
	if it.appendTo, it.replyToSeveral, err = h.replyTarget(ctx, *u, in); err != nil {
		it.err = err
		return
	}
	if len(in.files) == 0 {
		return
	}
	// Skip downloads for an update that was committed before a crash.
	if it.dup, err = h.p.sup.rules.Ingested(ctx, it.key); err != nil || it.dup {
		it.err = err
		return
	}
	for _, f := range in.files {
		// Streamed into a staging file (and synced) here, in parallel with
		// the other updates of the batch, rather than inside the
		// transaction.
		staged, err := h.p.fetch(ctx, f)
		if err != nil {
			if ctx.Err() != nil {
				it.err = ctx.Err()
				return
			}
			var pe *permanentError
			if !errors.As(err, &pe) {
				// This server cannot store the file now (its disk is
				// full?) or Telegram keeps failing to hand it out: cut
				// the batch here; the update comes again later.
				var se *stageError
				if errors.As(err, &se) {
					err = se.err
				}
				it.err = err
				return
			}
			h.p.log.Warn("file not saved", "file", f.name, "err", err)
			it.failed = append(it.failed, failedFile{f.name, pe.reason})
			continue
		}
		it.files = append(it.files, staged)
	}
}
