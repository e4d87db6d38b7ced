package bot

import (
	"log/slog"

	"github.com/memoria-app/memoria/rules"
)

// chatError is the one mapping from an error of the rules to what a
// Telegram user reads. Rules errors carry messages safe for users;
// anything else is internal: logged, never shown.
func chatError(log *slog.Logger, what string, err error) string {
	switch rules.ErrorCode(err) {
	case rules.CodeNotFound:
		return "That memo no longer exists."
	case rules.CodePermissionDenied, rules.CodeInvalidArgument, rules.CodeFailedPrecondition, rules.CodeAlreadyExists:
		return "Not done: " + err.Error()
	case rules.CodeUnauthenticated:
		return "This Telegram account is not linked to a Memoria user."
	}
	log.Error(what+" failed", "err", err)
	return replyInternal
}
