package bot

import (
	"context"
	"testing"

	"github.com/memoria-app/memoria/bot/telegramtest"
	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/store/storetest"
	"github.com/memoria-app/memoria/tgtoken"
)

// batchEnv is a real store and rules with one user linked to a Telegram
// account, and a fake Bot API, for driving batchHandler.handle directly.
type batchEnv struct {
	dir    string
	db     *store.DB
	rules  *rules.Rules
	user   store.User
	linked telegramtest.User
	tg     *telegramtest.Server
	bot    *telegramtest.Bot
	ep     tgtoken.Endpoint
}

func newBatchEnv(t *testing.T, token, username string) *batchEnv {
	t.Helper()
	ctx := context.Background()
	e := &batchEnv{dir: t.TempDir(), linked: telegramtest.User{ID: 101, FirstName: "Linked"}}
	db, err := store.Open(ctx, e.dir, store.Options{URL: storetest.URL(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.db = db
	if e.rules, err = rules.NewRules(db, e.dir, rules.Config{BcryptCost: 4}); err != nil {
		t.Fatal(err)
	}
	e.user = store.User{Username: "u", PasswordHash: "x", Role: store.RoleUser}
	if err := db.CreateUser(ctx, &e.user, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateUserSettings(ctx, e.user.ID, func(s *store.UserSettings) error { s.TelegramUserID = e.linked.ID; return nil }); err != nil {
		t.Fatal(err)
	}
	e.tg = telegramtest.NewServer()
	t.Cleanup(e.tg.Close)
	e.bot = e.tg.AddBot(token, username)
	if e.ep, err = tgtoken.Parse(e.tg.URL() + "/bot" + token); err != nil {
		t.Fatal(err)
	}
	return e
}

// handler is a batch handler of the env's bot over r (the env's rules,
// or a wrapper of them that injects a fault).
func (e *batchEnv) handler(r Rules) *batchHandler {
	sup := New(r, e.db, e.db, Options{})
	p := newPoller(sup, e.ep)
	p.botID = e.ep.BotID
	p.username = e.bot.User().Username
	p.sender = newSender(p)
	return newBatchHandler(p)
}
