package server

import (
	"context"
	"errors"
	"log/slog"

	"connectrpc.com/connect"
	"github.com/memoria-app/memoria/rules"
)

// connectCodes is the one table from rules errors to Connect codes.
var connectCodes = map[rules.Code]connect.Code{
	rules.CodeInvalidArgument:    connect.CodeInvalidArgument,
	rules.CodeNotFound:           connect.CodeNotFound,
	rules.CodeAlreadyExists:      connect.CodeAlreadyExists,
	rules.CodePermissionDenied:   connect.CodePermissionDenied,
	rules.CodeUnauthenticated:    connect.CodeUnauthenticated,
	rules.CodeFailedPrecondition: connect.CodeFailedPrecondition,
	rules.CodeResourceExhausted:  connect.CodeResourceExhausted,
}

// toConnectError maps err for the wire. Rules errors keep their message;
// anything else is logged and becomes a bare "internal" error, never shown
// raw.
func toConnectError(ctx context.Context, log *slog.Logger, procedure string, err error) error {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return err
	}
	var re *rules.Error
	if errors.As(err, &re) {
		if c, ok := connectCodes[re.Code]; ok {
			return connect.NewError(c, errors.New(re.Msg))
		}
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		if errors.Is(err, context.DeadlineExceeded) {
			return connect.NewError(connect.CodeDeadlineExceeded, err)
		}
		return connect.NewError(connect.CodeCanceled, err)
	}
	log.ErrorContext(ctx, "internal error", "procedure", procedure, "err", err)
	return connect.NewError(connect.CodeInternal, errors.New("internal error"))
}
