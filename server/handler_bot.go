package server

import (
	"context"
	"time"

	"connectrpc.com/connect"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
)

// BotState is the Telegram runner's state as the API reports it.
type BotState int

// Bot states.
const (
	BotDisabled BotState = iota
	BotStarting
	BotRunning
	BotError
)

// BotStatus is a snapshot of the Telegram runner.
type BotStatus struct {
	State    BotState
	Username string
	Error    string
	Since    time.Time
}

// BotStatusSource reports the bot runner's status; the bot package
// implements it.
type BotStatusSource interface {
	Status() BotStatus
}

type botHandler struct {
	src BotStatusSource
}

// NewBotHandler serves BotService (admin only).
func NewBotHandler(src BotStatusSource) memoriav1connect.BotServiceHandler { return &botHandler{src} }

var botStateToProto = map[BotState]v1.BotState{
	BotDisabled: v1.BotState_BOT_STATE_DISABLED, BotStarting: v1.BotState_BOT_STATE_STARTING,
	BotRunning: v1.BotState_BOT_STATE_RUNNING, BotError: v1.BotState_BOT_STATE_ERROR,
}

func (h *botHandler) GetBotStatus(ctx context.Context, _ *connect.Request[v1.GetBotStatusRequest]) (*connect.Response[v1.GetBotStatusResponse], error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	st := BotStatus{State: BotDisabled}
	if h.src != nil {
		st = h.src.Status()
	}
	return connect.NewResponse(&v1.GetBotStatusResponse{
		State: botStateToProto[st.State], Username: st.Username, Error: st.Error, Since: ts(st.Since),
	}), nil
}
