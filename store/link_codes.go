package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
)

// LinkCode is a one-time code that links an outside account to a user.
type LinkCode struct {
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero: unused
}

// ErrCodeSpent is returned by RedeemLinkCode for a code that was used or
// has expired; the LinkCode returned with it says which.
var ErrCodeSpent = errors.New("link code used or expired")

// CreateLinkCode stores the hash of a new code for userID, valid until
// expires. Codes that expired a day ago or more are removed on the way.
func (db *DB) CreateLinkCode(ctx context.Context, userID int64, hash []byte, expires time.Time) error {
	now := time.Now()
	return db.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("expires_at < ?", micros(now.Add(-24*time.Hour))).Delete(&linkCodeRow{}).Error; err != nil {
			return err
		}
		return tx.Create(&linkCodeRow{Hash: hash, UserID: userID, CreatedAt: micros(now), ExpiresAt: micros(expires)}).Error
	})
}

// CountLinkCodes returns how many codes userID created since then.
func (db *DB) CountLinkCodes(ctx context.Context, userID int64, since time.Time) (int64, error) {
	var n int64
	err := db.r(ctx).Model(&linkCodeRow{}).Where("user_id = ? AND created_at >= ?", userID, micros(since)).Count(&n).Error
	return n, translate(err)
}

// RedeemLinkCode spends the code with hash and links telegramUserID to the
// code's user, in one transaction. An unknown code is ErrNotFound; a used or
// expired one ErrCodeSpent (the code's state is returned); a Telegram id
// already linked to another user ErrConflict. Nothing changes on error. A
// Telegram id linked to the code's user already stays linked (the code is
// spent); redeeming a used code again for the account it linked succeeds
// and changes nothing (a redelivered /start).
func (db *DB) RedeemLinkCode(ctx context.Context, hash []byte, telegramUserID int64, now time.Time) (LinkCode, error) {
	var out LinkCode
	err := db.tx(ctx, func(tx *gorm.DB) error {
		var row linkCodeRow
		if err := tx.Take(&row, "hash = ?", hash).Error; err != nil {
			return err
		}
		out = row.toLinkCode()
		if row.UsedAt != 0 {
			// The same redemption again (a redelivered /start) is no error.
			var mine int64
			if err := tx.Model(&userSettingRow{}).Where("telegram_user_id = ? AND user_id = ?", telegramUserID, row.UserID).Count(&mine).Error; err != nil {
				return err
			}
			if mine > 0 {
				return nil
			}
			return ErrCodeSpent
		}
		if row.ExpiresAt <= micros(now) {
			return ErrCodeSpent
		}
		var other int64
		if err := tx.Model(&userSettingRow{}).Where("telegram_user_id = ? AND user_id <> ?", telegramUserID, row.UserID).Count(&other).Error; err != nil {
			return err
		}
		if other > 0 {
			return ErrConflict
		}
		if err := setTelegramID(tx, row.UserID, telegramUserID); err != nil {
			return err
		}
		if err := invalidate(tx, Invalidation{Kind: InvalidateUserSettings, UserID: row.UserID}); err != nil { // changes.go
			return err
		}
		row.UsedAt = micros(now)
		out.UsedAt = now
		return tx.Model(&linkCodeRow{}).Where("hash = ?", hash).Update("used_at", row.UsedAt).Error
	})
	return out, translate(err)
}

// setTelegramID links telegramUserID to userID, creating the user's
// settings row with defaults if needed.
func setTelegramID(tx *gorm.DB, userID, telegramUserID int64) error {
	res := tx.Model(&userSettingRow{}).Where("user_id = ?", userID).Update("telegram_user_id", telegramUserID)
	if res.Error != nil || res.RowsAffected > 0 {
		return res.Error
	}
	id := telegramUserID
	return tx.Create(&userSettingRow{UserID: userID, TelegramUserID: &id, DefaultVisibility: string(VisibilityPrivate)}).Error
}

func (r linkCodeRow) toLinkCode() LinkCode {
	c := LinkCode{UserID: r.UserID, CreatedAt: fromMicros(r.CreatedAt), ExpiresAt: fromMicros(r.ExpiresAt)}
	if r.UsedAt != 0 {
		c.UsedAt = fromMicros(r.UsedAt)
	}
	return c
}
