package store

import (
	"context"
	"time"

	"gorm.io/gorm"
)

func (r *userRow) toUser() User {
	return User{
		ID: r.ID, Username: r.Username, DisplayName: r.DisplayName,
		PasswordHash: r.PasswordHash, Role: Role(r.Role),
		CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt),
	}
}

// CreateUser inserts u, first calling decide with the number of existing
// users inside the same transaction (so "the first user becomes admin" holds
// under concurrency). decide may change u or refuse with an error. u.ID and
// the times are set on success. A taken username is ErrConflict. The
// transaction may run more than once (see writePath); each run starts from
// u as the caller passed it, so decide sees that too.
func (db *DB) CreateUser(ctx context.Context, u *User, decide func(existing int64) error) error {
	given := *u
	return db.tx(ctx, func(tx *gorm.DB) error {
		*u = given
		if decide != nil {
			var n int64
			if err := tx.Model(&userRow{}).Count(&n).Error; err != nil {
				return err
			}
			if err := decide(n); err != nil {
				return err
			}
		}
		now := time.Now()
		row := userRow{
			Username: u.Username, DisplayName: u.DisplayName, PasswordHash: u.PasswordHash,
			Role: string(u.Role), CreatedAt: micros(now), UpdatedAt: micros(now),
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		*u = row.toUser()
		return nil
	})
}

// GetUser returns the user with id.
func (db *DB) GetUser(ctx context.Context, id int64) (User, error) {
	var row userRow
	if err := db.r(ctx).Take(&row, "id = ?", id).Error; err != nil {
		return User{}, translate(err)
	}
	return row.toUser(), nil
}

// GetUserByUsername returns the user with that username.
func (db *DB) GetUserByUsername(ctx context.Context, username string) (User, error) {
	var row userRow
	if err := db.r(ctx).Take(&row, "username = ?", username).Error; err != nil {
		return User{}, translate(err)
	}
	return row.toUser(), nil
}

// ListUsers returns up to limit users with id > afterID, oldest first.
func (db *DB) ListUsers(ctx context.Context, afterID int64, limit int) ([]User, error) {
	var rows []userRow
	if err := db.r(ctx).Where("id > ?", afterID).Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]User, len(rows))
	for i := range rows {
		out[i] = rows[i].toUser()
	}
	return out, nil
}

// UserUpdate names the fields to change; nil fields are left alone.
type UserUpdate struct {
	Username     *string
	DisplayName  *string
	Role         *Role
	PasswordHash *string
}

// UpdateUser applies upd to the user with id and returns the result.
func (db *DB) UpdateUser(ctx context.Context, id int64, upd UserUpdate) (User, error) {
	var out User
	err := db.tx(ctx, func(tx *gorm.DB) error {
		var row userRow
		if err := tx.Take(&row, "id = ?", id).Error; err != nil {
			return err
		}
		if upd.Username != nil {
			row.Username = *upd.Username
		}
		if upd.DisplayName != nil {
			row.DisplayName = *upd.DisplayName
		}
		if upd.Role != nil {
			row.Role = string(*upd.Role)
		}
		if upd.PasswordHash != nil {
			row.PasswordHash = *upd.PasswordHash
		}
		row.UpdatedAt = micros(time.Now())
		if err := tx.Save(&row).Error; err != nil {
			return err
		}
		if upd.PasswordHash != nil {
			// A new password ends every browser session of the user.
			if err := tx.Where("user_id = ? AND kind = ?", id, TokenSession).Delete(&tokenRow{}).Error; err != nil {
				return err
			}
		}
		out = row.toUser()
		return invalidate(tx, Invalidation{Kind: InvalidateUser, UserID: id}) // changes.go
	})
	return out, err
}

// DeleteUser removes the user with their tokens, settings, memos and
// resources, and returns the storage paths of the deleted resources so the
// caller can remove the files.
func (db *DB) DeleteUser(ctx context.Context, id int64) ([]string, error) {
	var paths []string
	err := db.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&resourceRow{}).Where("creator_id = ?", id).Pluck("storage_path", &paths).Error; err != nil {
			return err
		}
		if err := deleteOne(tx, &userRow{}, "id = ?", id); err != nil {
			return err
		}
		return invalidate(tx, Invalidation{Kind: InvalidateUser, UserID: id}) // changes.go
	})
	return paths, err
}

// HasUsers reports whether any account exists.
func (db *DB) HasUsers(ctx context.Context) (bool, error) {
	var ids []int64
	err := db.r(ctx).Model(&userRow{}).Limit(1).Pluck("id", &ids).Error
	return len(ids) > 0, translate(err)
}
