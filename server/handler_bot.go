package server

import (
	"context"

	"connectrpc.com/connect"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
	"github.com/memoria-app/memoria/rules"
)

type botHandler struct{ r *rules.Rules }

// NewBotHandler serves BotService (admin only).
func NewBotHandler(r *rules.Rules) memoriav1connect.BotServiceHandler { return &botHandler{r} }

var botStateToProto = map[rules.BotState]v1.BotState{
	rules.BotDisabled: v1.BotState_BOT_STATE_DISABLED, rules.BotStarting: v1.BotState_BOT_STATE_STARTING,
	rules.BotRunning: v1.BotState_BOT_STATE_RUNNING, rules.BotError: v1.BotState_BOT_STATE_ERROR,
}

func (h *botHandler) GetBotStatus(ctx context.Context, _ *connect.Request[v1.GetBotStatusRequest]) (*connect.Response[v1.GetBotStatusResponse], error) {
	st, err := h.r.BotStatus(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&v1.GetBotStatusResponse{
		State: botStateToProto[st.State], Username: st.Username, Error: st.Error, Since: ts(st.Since), Poller: st.Poller,
	}), nil
}
