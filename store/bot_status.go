package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The shared bot status (migration 9). Of the processes sharing a
// database only the leader (see lease.go) runs the bot, but GetBotStatus
// must answer the same on all of them, so the leader writes its status to
// a row per bot and the others read it.
//
// Fencing: a leader that lost its lease may not know it yet and write a
// stale status over the new leader's. So each new leader takes the next
// term of the row (ClaimBotStatus) and every write names it
// (SetBotStatus): a write of an older term changes nothing and says so.

// botStatusRow is the status of one bot, written by its leader.
type botStatusRow struct {
	BotID     int64  `gorm:"primaryKey;autoIncrement:false"`
	Term      int64  `gorm:"not null"`
	State     string `gorm:"not null;size:16"`
	Username  string `gorm:"not null;size:64"`
	Error     string `gorm:"not null"`
	Since     int64  `gorm:"not null"`
	Poller    string `gorm:"not null;size:255"`
	UpdatedAt int64  `gorm:"not null;autoUpdateTime:false"`
}

func (botStatusRow) TableName() string { return "bot_status" }

// BotStatus is the shared status of one bot. State is the bot package's
// name for it ("running", "error"…): the store does not interpret it.
type BotStatus struct {
	BotID    int64
	Term     int64 // the leader's term (ClaimBotStatus)
	State    string
	Username string
	Error    string
	Since    time.Time
	// Poller names the leader process, "<hostname>:<pid>".
	Poller    string
	UpdatedAt time.Time
}

// ErrStaleTerm is SetBotStatus's answer to a leader whose term has
// passed: another process has led the bot since.
var ErrStaleTerm = errors.New("a newer leader has claimed the bot status")

// ClaimBotStatus starts a new term for the bot's status with st (its Term
// is ignored) and returns the term. Call it on becoming the leader.
func (db *DB) ClaimBotStatus(ctx context.Context, st BotStatus) (int64, error) {
	var term int64
	err := db.tx(ctx, func(tx *gorm.DB) error {
		var err error
		term, err = claimBotStatus(tx, st)
		return err
	})
	return term, translate(err)
}

func claimBotStatus(tx *gorm.DB, st BotStatus) (int64, error) {
	var row botStatusRow
	var term int64
	err := tx.Clauses(lockForUpdate(tx)...).Take(&row, "bot_id = ?", st.BotID).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		term = 1
	case err != nil:
		return 0, err
	default:
		term = row.Term + 1
	}
	st.Term = term
	r := st.row()
	// Two claims of a bot never seen before both read no row; the
	// second's insert then finds the first's row, whose term is not the
	// one it read, and changes nothing: only one may lead a term.
	res := tx.Clauses(clause.OnConflict{UpdateAll: true, Where: clause.Where{Exprs: []clause.Expression{
		clause.Expr{SQL: "bot_status.term = ?", Vars: []any{term - 1}},
	}}}).Create(&r)
	if res.Error != nil {
		return 0, res.Error
	}
	if res.RowsAffected == 0 {
		return 0, ErrStaleTerm
	}
	return term, logChange(tx, changeBotStatus, nil)
}

// SetBotStatus writes st for its bot if st.Term is still the bot's term;
// otherwise nothing changes and it returns ErrStaleTerm.
func (db *DB) SetBotStatus(ctx context.Context, st BotStatus) error {
	return translate(db.tx(ctx, func(tx *gorm.DB) error { return setBotStatus(tx, st) }))
}

func setBotStatus(tx *gorm.DB, st BotStatus) error {
	r := st.row()
	res := tx.Model(&botStatusRow{}).Where("bot_id = ? AND term = ?", st.BotID, st.Term).
		Select("State", "Username", "Error", "Since", "Poller", "UpdatedAt").Updates(&r)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrStaleTerm
	}
	return logChange(tx, changeBotStatus, nil)
}

// GetBotStatus returns the bot's shared status, ErrNotFound when no leader
// has written one.
func (db *DB) GetBotStatus(ctx context.Context, botID int64) (BotStatus, error) {
	var row botStatusRow
	if err := db.r(ctx).Take(&row, "bot_id = ?", botID).Error; err != nil {
		return BotStatus{}, translate(err)
	}
	return row.toStatus(), nil
}

// WatchBotStatus returns a channel that receives a value (coalesced) after
// another process changed a bot status, until ctx ends. On SQLite, where
// no other process writes, it never does.
func (db *DB) WatchBotStatus(ctx context.Context) <-chan struct{} {
	if pc := db.pgChanges(); pc != nil {
		return pc.botStatus.watch(ctx)
	}
	return make(chan struct{})
}

func (st BotStatus) row() botStatusRow {
	updated := st.UpdatedAt
	if updated.IsZero() {
		updated = time.Now()
	}
	return botStatusRow{BotID: st.BotID, Term: st.Term, State: st.State, Username: st.Username, Error: st.Error,
		Since: micros(st.Since), Poller: st.Poller, UpdatedAt: micros(updated)}
}

func (r botStatusRow) toStatus() BotStatus {
	return BotStatus{BotID: r.BotID, Term: r.Term, State: r.State, Username: r.Username, Error: r.Error,
		Since: fromMicros(r.Since), Poller: r.Poller, UpdatedAt: fromMicros(r.UpdatedAt)}
}

// lockForUpdate is SELECT … FOR UPDATE where the dialect has it
// (PostgreSQL); SQLite's single writer already serialises writes.
func lockForUpdate(tx *gorm.DB) []clause.Expression {
	if tx.Dialector.Name() == "postgres" {
		return []clause.Expression{clause.Locking{Strength: "UPDATE"}}
	}
	return nil
}
