package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"connectrpc.com/connect"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
	"github.com/memoria-app/memoria/rules"
)

type memoHandler struct {
	r *rules.Rules
	// keepAlive is the longest a WatchMemos stream stays silent.
	keepAlive time.Duration
}

// watchKeepAlive: the contract asks for a keep-alive at least every 30 s.
const watchKeepAlive = 25 * time.Second

// watchWriteTimeout bounds each write of a WatchMemos stream, so that a
// client that stopped reading is cut off rather than held forever.
const watchWriteTimeout = time.Minute

// NewMemoHandler serves MemoService.
func NewMemoHandler(r *rules.Rules) memoriav1connect.MemoServiceHandler {
	return &memoHandler{r: r, keepAlive: watchKeepAlive}
}

func resourceIDs(field string, names []string) ([]int64, error) {
	ids := make([]int64, 0, len(names))
	for _, n := range names {
		id, err := nameID(field, n, "resources")
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (h *memoHandler) CreateMemo(ctx context.Context, req *connect.Request[v1.CreateMemoRequest]) (*connect.Response[v1.Memo], error) {
	m := req.Msg.GetMemo()
	if m == nil {
		return nil, invalid("memo is required")
	}
	vis, err := visibilityFromProto(m.GetVisibility())
	if err != nil {
		return nil, err
	}
	ids, err := resourceIDs("resource_names", req.Msg.GetResourceNames())
	if err != nil {
		return nil, err
	}
	out, err := h.r.CreateMemo(ctx, rules.MemoInput{Content: m.GetContent(), Visibility: vis, Pinned: m.GetPinned(), ResourceIDs: ids})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(memoToProto(out)), nil
}

func (h *memoHandler) GetMemo(ctx context.Context, req *connect.Request[v1.GetMemoRequest]) (*connect.Response[v1.Memo], error) {
	id, err := nameID("name", req.Msg.GetName(), "memos")
	if err != nil {
		return nil, err
	}
	m, err := h.r.GetMemo(ctx, id)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(memoToProto(m)), nil
}

func (h *memoHandler) ListMemos(ctx context.Context, req *connect.Request[v1.ListMemosRequest]) (*connect.Response[v1.ListMemosResponse], error) {
	ms, next, err := h.r.ListMemos(ctx, req.Msg.GetFilter(), req.Msg.GetPageSize(), req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &v1.ListMemosResponse{Memos: make([]*v1.Memo, 0, len(ms)), NextPageToken: next}
	for _, m := range ms {
		resp.Memos = append(resp.Memos, memoToProto(m))
	}
	return connect.NewResponse(resp), nil
}

func (h *memoHandler) UpdateMemo(ctx context.Context, req *connect.Request[v1.UpdateMemoRequest]) (*connect.Response[v1.Memo], error) {
	m := req.Msg.GetMemo()
	id, err := nameID("memo.name", m.GetName(), "memos")
	if err != nil {
		return nil, err
	}
	paths, err := maskPaths(req.Msg.GetUpdateMask(), "content", "visibility", "pinned", "resources")
	if err != nil {
		return nil, err
	}
	var p rules.MemoPatch
	if paths["content"] {
		p.Content = &m.Content
	}
	if paths["pinned"] {
		p.Pinned = &m.Pinned
	}
	if paths["visibility"] {
		vis, err := visibilityFromProto(m.GetVisibility())
		if err != nil {
			return nil, err
		}
		p.Visibility = &vis
	}
	if paths["resources"] {
		names := make([]string, len(m.GetResources()))
		for i, r := range m.GetResources() {
			names[i] = r.GetName()
		}
		ids, err := resourceIDs("memo.resources.name", names)
		if err != nil {
			return nil, err
		}
		p.ResourceIDs = &ids
	}
	out, err := h.r.UpdateMemo(ctx, id, p)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(memoToProto(out)), nil
}

func (h *memoHandler) DeleteMemo(ctx context.Context, req *connect.Request[v1.DeleteMemoRequest]) (*connect.Response[v1.DeleteMemoResponse], error) {
	id, err := nameID("name", req.Msg.GetName(), "memos")
	if err != nil {
		return nil, err
	}
	if err := h.r.DeleteMemo(ctx, id); err != nil {
		return nil, err
	}
	return connect.NewResponse(&v1.DeleteMemoResponse{}), nil
}

func (h *memoHandler) ListTags(ctx context.Context, _ *connect.Request[v1.ListTagsRequest]) (*connect.Response[v1.ListTagsResponse], error) {
	tags, err := h.r.ListTags(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(tagsToProto(tags)), nil
}

// WatchMemos opens with a keep-alive (so the response headers go out at
// once and the client knows it is subscribed), then sends each change and,
// after keepAlive without one, another keep-alive. It ends when the client
// goes away, or with `unavailable` when the server shuts down or the
// client fell behind.
func (h *memoHandler) WatchMemos(ctx context.Context, _ *connect.Request[v1.WatchMemosRequest], stream *connect.ServerStream[v1.WatchMemosResponse]) error {
	w, err := h.r.WatchMemos(ctx)
	if err != nil {
		return err
	}
	conn, _ := ctx.Value(watchConnKey{}).(*http.ResponseController)
	if conn != nil {
		// The request is read: the server's ReadTimeout, meant for
		// uploads, must not end the stream (on HTTP/1.1 it would cancel
		// the request's context).
		_ = conn.SetReadDeadline(time.Time{})
	}
	send := func(msg *v1.WatchMemosResponse) error {
		if conn != nil {
			// Instead of the server's WriteTimeout, which bounds a whole
			// response: one write at a time.
			_ = conn.SetWriteDeadline(time.Now().Add(watchWriteTimeout))
		}
		if err := stream.Send(msg); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		return nil
	}
	keepAlive := &v1.WatchMemosResponse{Type: v1.MemoEventType_MEMO_EVENT_TYPE_UNSPECIFIED}
	if err := send(keepAlive); err != nil {
		return err
	}
	for {
		next, cancel := context.WithTimeout(ctx, h.keepAlive)
		c, err := w.Next(next)
		cancel()
		switch {
		case err == nil:
			err = send(memoChangeToProto(c))
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			err = send(keepAlive)
		}
		if err != nil {
			return err
		}
	}
}

type watchConnKey struct{}

// withWatchConn wraps the MemoService handler (as returned by
// memoriav1connect.NewMemoServiceHandler) so that WatchMemos can manage
// its connection's deadlines: a stream lives far longer than the server's
// read and write timeouts allow an ordinary call.
func withWatchConn(path string, h http.Handler) (string, http.Handler) {
	return path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == memoriav1connect.MemoServiceWatchMemosProcedure {
			r = r.WithContext(context.WithValue(r.Context(), watchConnKey{}, http.NewResponseController(w)))
		}
		h.ServeHTTP(w, r)
	})
}
