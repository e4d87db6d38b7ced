package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Sign-in throttle state (migration 9), for processes that share a
// database: the rules keep the policy (rules/signin_throttle.go), the
// store keeps the counters and makes each attempt's read-decide-write
// atomic across processes. On SQLite the rules keep the counters in
// memory instead.

// signInFailureRow counts recent failures of one account or address.
type signInFailureRow struct {
	Scope    string `gorm:"primaryKey;size:8"` // "account" or "addr"
	Key      string `gorm:"primaryKey;size:191"`
	Failures int    `gorm:"not null"`
	Last     int64  `gorm:"not null;index"` // µs; latest failure
}

func (signInFailureRow) TableName() string { return "signin_failures" }

// signInKnownRow is an address an account signed in from.
type signInKnownRow struct {
	Account string `gorm:"primaryKey;size:191"`
	Addr    string `gorm:"primaryKey;size:191"`
	At      int64  `gorm:"not null;index"` // µs; latest success
}

func (signInKnownRow) TableName() string { return "signin_known" }

// Throttle scopes.
const (
	scopeAccount = "account"
	scopeAddr    = "addr"
)

// FailureCount is one account's or address's recent sign-in failures.
type FailureCount struct {
	Failures int
	Last     time.Time // the latest failure
}

// SignInState is what one sign-in attempt is decided on: the counters of
// its account and address (zero when absent, or when that key is "") and
// when the account last signed in from the address (zero: never).
type SignInState struct {
	Account, Addr FailureCount
	Known         time.Time
}

// UpdateSignInThrottle runs decide on the state of account and addr and
// writes back what it leaves there, in one transaction that holds the
// two counters locked, so concurrent attempts on any process are decided
// one after another. An error from decide changes nothing and is
// returned. An empty account or addr is neither read nor written.
func (db *DB) UpdateSignInThrottle(ctx context.Context, account, addr string, decide func(*SignInState) error) error {
	return translate(db.tx(ctx, func(tx *gorm.DB) error {
		return updateSignInThrottle(tx, account, addr, decide)
	}))
}

func updateSignInThrottle(tx *gorm.DB, account, addr string, decide func(*SignInState) error) error {
	var keys [][]any
	if account != "" {
		keys = append(keys, []any{scopeAccount, account})
	}
	if addr != "" {
		keys = append(keys, []any{scopeAddr, addr})
	}
	var st SignInState
	if len(keys) > 0 {
		// The rows must exist to be locked; then lock them in one order
		// (account before addr) so that two attempts cannot deadlock.
		seed := make([]signInFailureRow, len(keys))
		for i, k := range keys {
			seed[i] = signInFailureRow{Scope: k[0].(string), Key: k[1].(string)}
		}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&seed).Error; err != nil {
			return err
		}
		var rows []signInFailureRow
		if err := tx.Clauses(lockForUpdate(tx)...).Where("(scope, key) IN ?", keys).Order("scope").Find(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			c := FailureCount{Failures: r.Failures, Last: fromMicros(r.Last)}
			if r.Scope == scopeAccount {
				st.Account = c
			} else {
				st.Addr = c
			}
		}
	}
	if account != "" && addr != "" {
		var known signInKnownRow
		err := tx.Take(&known, "account = ? AND addr = ?", account, addr).Error
		switch {
		case err == nil:
			st.Known = fromMicros(known.At)
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return err
		}
	}
	was := st
	if err := decide(&st); err != nil {
		return err
	}
	write := func(scope, key string, old, c FailureCount) error {
		if key == "" || c == old {
			return nil
		}
		return tx.Model(&signInFailureRow{}).Where("scope = ? AND key = ?", scope, key).
			Updates(map[string]any{"failures": c.Failures, "last": micros(c.Last)}).Error
	}
	if err := write(scopeAccount, account, was.Account, st.Account); err != nil {
		return err
	}
	if err := write(scopeAddr, addr, was.Addr, st.Addr); err != nil {
		return err
	}
	if account == "" || addr == "" || st.Known.Equal(was.Known) {
		return nil
	}
	if st.Known.IsZero() {
		return tx.Where("account = ? AND addr = ?", account, addr).Delete(&signInKnownRow{}).Error
	}
	return tx.Clauses(clause.OnConflict{UpdateAll: true}).
		Create(&signInKnownRow{Account: account, Addr: addr, At: micros(st.Known)}).Error
}

// PruneSignInThrottle forgets failures whose latest is before
// failuresBefore and known addresses last used before knownBefore, and
// reports how many rows went.
func (db *DB) PruneSignInThrottle(ctx context.Context, failuresBefore, knownBefore time.Time) (int64, error) {
	var n int64
	err := db.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("last < ?", micros(failuresBefore)).Delete(&signInFailureRow{})
		if res.Error != nil {
			return res.Error
		}
		n = res.RowsAffected
		res = tx.Where("at < ?", micros(knownBefore)).Delete(&signInKnownRow{})
		n += res.RowsAffected
		return res.Error
	})
	return n, translate(err)
}
