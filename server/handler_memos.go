package server

import (
	"context"

	"connectrpc.com/connect"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
	"github.com/memoria-app/memoria/rules"
)

type memoHandler struct{ r *rules.Rules }

// NewMemoHandler serves MemoService.
func NewMemoHandler(r *rules.Rules) memoriav1connect.MemoServiceHandler { return &memoHandler{r} }

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
