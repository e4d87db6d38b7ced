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
}

// userCache resolves Telegram senders once per batch.
type userCache struct {
	mu sync.Mutex
	m  map[int64]*store.User
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
// again (those that did commit are then recognised by their keys).
func (h *batchHandler) handle(ctx context.Context, raws []json.RawMessage) (int64, error) {
	items := make([]*prepared, len(raws))
	for i, raw := range raws {
		items[i] = &prepared{in: decodeUpdate(raw), done: make(chan struct{})}
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cache := &userCache{m: map[int64]*store.User{}}
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
	failed := -1
	for i, it := range items {
		if it.commitErr != nil {
			if failed < 0 {
				failed = i
			}
			h.p.log.Error("update not committed", "update_id", it.in.updateID, "err", it.commitErr)
			continue
		}
		h.reply(it)
	}
	return failed
}

// operation is what an update asks of the rules, if anything.
func (h *batchHandler) operation(it *prepared) (rules.IngestItem, bool) {
	in := it.in
	if in.message == nil || it.user == nil || it.dup {
		return rules.IngestItem{}, false
	}
	actor := &rules.Actor{User: *it.user, Source: store.SourceTelegram}
	if in.unsupported != "" {
		return rules.IngestItem{Actor: actor, Input: rules.IngestInput{Key: it.key, NoMemo: true}}, true
	}
	content := in.content
	if content == "" && len(it.files) == 0 && len(it.failed) > 0 && in.mediaGroupID == "" {
		content = "_(" + it.failed[0].name + " could not be saved from Telegram)_"
	}
	input := rules.IngestInput{Key: it.key, Content: content, Staged: it.files}
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

// reply queues what the sender of a committed update should hear.
func (h *batchHandler) reply(it *prepared) {
	in := it.in
	send := func(text string, confirm bool) {
		h.p.sender.enqueue(outMessage{chatID: in.chatID, replyTo: in.messageID, text: text, confirm: confirm})
	}
	switch {
	case in.message == nil:
		h.p.log.Debug("update skipped", "update_id", in.updateID, "reason", in.skip)
	case it.user == nil:
		if !in.private {
			return // groups: stay silent toward unlinked senders
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
		send(replyUnlinked(in.fromID), false)
	case it.dup || it.result.Duplicate:
	case it.refused != "":
		send(replyNotSaved+it.refused, false)
	case in.unsupported != "":
		send(replyUnsupported(in.unsupported), false)
	default:
		if !it.result.Appended {
			send(replySaved(1, in.mediaGroupID != ""), true)
		}
		if len(it.failed) > 0 {
			send(replyFilesFailed(it.failed), false)
		}
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
	u, err := h.lookup(ctx, cache, in.fromID)
	if err != nil {
		it.err = err
		return
	}
	it.user = u
	if u == nil || in.unsupported != "" || len(in.files) == 0 {
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
