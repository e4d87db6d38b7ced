package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/memoria-app/memoria/server"
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
	files  []server.ResourceInput
	failed []failedFile
	dup    bool  // already committed earlier (redelivery)
	err    error // internal failure: the batch must be retried
	done   chan struct{}
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
	case server.ErrorCode(err) == server.CodeNotFound:
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
// last update whose effects are committed. err is set when an update could
// not be committed; the updates from there on are fetched again.
func (h *batchHandler) handle(ctx context.Context, raws []json.RawMessage) (int64, error) {
	items := make([]*prepared, len(raws))
	for i, raw := range raws {
		items[i] = &prepared{in: decodeUpdate(raw), done: make(chan struct{})}
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cache := &userCache{m: map[int64]*store.User{}}
	sem := make(chan struct{}, h.p.sup.opts.Prefetch)
	go func() {
		for _, it := range items {
			select {
			case sem <- struct{}{}:
			case <-pctx.Done():
				return
			}
			go func(it *prepared) {
				defer func() { <-sem }()
				defer close(it.done)
				h.prepare(pctx, cache, it)
			}(it)
		}
	}()
	var next int64
	for _, it := range items {
		select {
		case <-it.done:
		case <-ctx.Done():
			return next, ctx.Err()
		}
		if it.err != nil {
			return next, it.err
		}
		if err := h.commit(ctx, it); err != nil {
			return next, err
		}
		if it.in.updateID >= next {
			next = it.in.updateID + 1
		}
	}
	return next, nil
}

// prepare does the slow, side-effect-free part of an update.
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
		data, err := h.p.download(ctx, f)
		if err != nil {
			if ctx.Err() != nil {
				it.err = ctx.Err()
				return
			}
			reason := "could not be downloaded from Telegram"
			var pe *permanentError
			if errors.As(err, &pe) {
				reason = pe.reason
			}
			h.p.log.Warn("file not saved", "file", f.name, "err", err)
			it.failed = append(it.failed, failedFile{f.name, reason})
			continue
		}
		it.files = append(it.files, server.ResourceInput{Filename: f.name, Type: f.mime, Content: bytes.NewReader(data)})
	}
}

// commit applies a prepared update and queues its reply.
func (h *batchHandler) commit(ctx context.Context, it *prepared) error {
	in := it.in
	log := h.p.log.With("update_id", in.updateID)
	switch {
	case in.message == nil:
		log.Debug("update skipped", "reason", in.skip)
		return nil
	case it.user == nil:
		if !in.private {
			return nil // groups: stay silent toward unlinked senders
		}
		if in.mediaGroupID != "" {
			if h.unlinkedAlbums[in.mediaGroupID] {
				return nil
			}
			h.unlinkedAlbums[in.mediaGroupID] = true
		}
		h.p.sender.enqueue(outMessage{chatID: in.chatID, replyTo: in.messageID, text: replyUnlinked(in.fromID)})
		return nil
	case it.dup:
		return nil
	}
	actx := server.WithActor(ctx, &server.Actor{User: *it.user, Source: store.SourceTelegram})
	if in.unsupported != "" {
		if _, err := h.p.sup.rules.Ingest(actx, server.IngestInput{Key: it.key, NoMemo: true}); err != nil {
			return err
		}
		h.p.sender.enqueue(outMessage{chatID: in.chatID, replyTo: in.messageID, text: replyUnsupported(in.unsupported)})
		return nil
	}
	content := in.content
	if content == "" && len(it.files) == 0 && len(it.failed) > 0 && in.mediaGroupID == "" {
		content = "_(" + it.failed[0].name + " could not be saved from Telegram)_"
	}
	input := server.IngestInput{Key: it.key, Content: content, Files: it.files}
	if in.mediaGroupID != "" {
		input.GroupKey = albumKey(h.p.botID, in)
	}
	res, err := h.p.sup.rules.Ingest(actx, input)
	if err != nil && server.ErrorCode(err) != server.CodeInternal {
		// The rules refused it (e.g. a file over the upload limit): keep
		// the text, report the files.
		log.Warn("message refused by the rules; saving without its files", "err", err)
		for _, f := range it.files {
			it.failed = append(it.failed, failedFile{f.Filename, err.Error()})
		}
		input.Files = nil
		res, err = h.p.sup.rules.Ingest(actx, input)
		if err != nil && server.ErrorCode(err) != server.CodeInternal {
			if _, err := h.p.sup.rules.Ingest(actx, server.IngestInput{Key: it.key, NoMemo: true}); err != nil {
				return err
			}
			h.p.sender.enqueue(outMessage{chatID: in.chatID, replyTo: in.messageID, text: replyNotSaved + err.Error()})
			return nil
		}
	}
	if err != nil {
		return err
	}
	if res.Duplicate {
		return nil
	}
	if !res.Appended {
		h.p.sender.enqueue(outMessage{chatID: in.chatID, replyTo: in.messageID, text: replySaved(1, in.mediaGroupID != ""), confirm: true})
	}
	if len(it.failed) > 0 {
		h.p.sender.enqueue(outMessage{chatID: in.chatID, replyTo: in.messageID, text: replyFilesFailed(it.failed, true)})
	}
	log.Debug("saved", "memo", res.Memo.ID, "files", len(it.files), "appended", res.Appended)
	return nil
}
