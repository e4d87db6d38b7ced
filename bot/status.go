package bot

import (
	"sync"
	"time"

	"github.com/memoria-app/memoria/rules"
)

// statusBox holds the runner's status for BotService.GetBotStatus.
type statusBox struct {
	mu sync.Mutex
	s  rules.BotStatus
}

func newStatusBox() *statusBox {
	return &statusBox{s: rules.BotStatus{State: rules.BotDisabled, Since: time.Now()}}
}

func (b *statusBox) get() rules.BotStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.s
}

// set changes the state; Since moves only when the state or error changes.
func (b *statusBox) set(state rules.BotState, username, errText string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.s.State != state || b.s.Error != errText {
		b.s.Since = time.Now()
	}
	b.s.State, b.s.Error = state, errText
	if username != "" || state == rules.BotDisabled {
		b.s.Username = username
	}
}
