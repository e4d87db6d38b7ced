package server

import (
	"bytes"
	"context"

	"connectrpc.com/connect"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
	"github.com/memoria-app/memoria/rules"
)

type resourceHandler struct{ r *rules.Rules }

// NewResourceHandler serves ResourceService.
func NewResourceHandler(r *rules.Rules) memoriav1connect.ResourceServiceHandler {
	return &resourceHandler{r}
}

func (h *resourceHandler) CreateResource(ctx context.Context, req *connect.Request[v1.CreateResourceRequest]) (*connect.Response[v1.Resource], error) {
	in := req.Msg.GetResource()
	if in == nil {
		return nil, invalid("resource is required")
	}
	var memoID int64
	if in.GetMemo() != "" {
		id, err := nameID("resource.memo", in.GetMemo(), "memos")
		if err != nil {
			return nil, err
		}
		memoID = id
	}
	out, err := h.r.CreateResource(ctx, rules.ResourceInput{
		Filename: in.GetFilename(), Type: in.GetType(), Content: bytes.NewReader(in.GetContent()), MemoID: memoID,
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(resourceToProto(out)), nil
}

func (h *resourceHandler) GetResource(ctx context.Context, req *connect.Request[v1.GetResourceRequest]) (*connect.Response[v1.Resource], error) {
	id, err := nameID("name", req.Msg.GetName(), "resources")
	if err != nil {
		return nil, err
	}
	out, err := h.r.GetResource(ctx, id)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(resourceToProto(out)), nil
}

func (h *resourceHandler) ListResources(ctx context.Context, req *connect.Request[v1.ListResourcesRequest]) (*connect.Response[v1.ListResourcesResponse], error) {
	var memoID int64
	if req.Msg.GetMemo() != "" {
		id, err := nameID("memo", req.Msg.GetMemo(), "memos")
		if err != nil {
			return nil, err
		}
		memoID = id
	}
	rs, next, err := h.r.ListResources(ctx, memoID, req.Msg.GetPageSize(), req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &v1.ListResourcesResponse{NextPageToken: next}
	for _, r := range rs {
		resp.Resources = append(resp.Resources, resourceToProto(r))
	}
	return connect.NewResponse(resp), nil
}

func (h *resourceHandler) DeleteResource(ctx context.Context, req *connect.Request[v1.DeleteResourceRequest]) (*connect.Response[v1.DeleteResourceResponse], error) {
	id, err := nameID("name", req.Msg.GetName(), "resources")
	if err != nil {
		return nil, err
	}
	if err := h.r.DeleteResource(ctx, id); err != nil {
		return nil, err
	}
	return connect.NewResponse(&v1.DeleteResourceResponse{}), nil
}
