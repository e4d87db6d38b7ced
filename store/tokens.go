package store

import (
	"context"
	"time"

	"gorm.io/gorm"
)

func (r *tokenRow) toToken() Token {
	return Token{
		ID: r.ID, UserID: r.UserID, Kind: TokenKind(r.Kind), Description: r.Description,
		CreatedAt: fromMicros(r.CreatedAt), ExpiresAt: fromMicros(r.ExpiresAt),
	}
}

// CreateToken stores a token by the hash of its secret; t.ID and
// t.CreatedAt are set on success.
func (db *DB) CreateToken(ctx context.Context, t *Token, hash []byte) error {
	return db.tx(ctx, func(tx *gorm.DB) error {
		row := tokenRow{
			UserID: t.UserID, Hash: hash, Kind: string(t.Kind), Description: t.Description,
			CreatedAt: micros(time.Now()), ExpiresAt: micros(t.ExpiresAt),
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		*t = row.toToken()
		return nil
	})
}

// GetTokenByHash returns the token with that hash and its user. Expiry is
// the caller's to check.
func (db *DB) GetTokenByHash(ctx context.Context, hash []byte) (Token, User, error) {
	var row tokenRow
	if err := db.r(ctx).Preload("User").Take(&row, "hash = ?", hash).Error; err != nil {
		return Token{}, User{}, translate(err)
	}
	if row.User == nil {
		return Token{}, User{}, ErrNotFound
	}
	return row.toToken(), row.User.toUser(), nil
}

// ListTokens returns a user's tokens of one kind, newest first.
func (db *DB) ListTokens(ctx context.Context, userID int64, kind TokenKind) ([]Token, error) {
	var rows []tokenRow
	if err := db.r(ctx).Where("user_id = ? AND kind = ?", userID, kind).Order("id DESC").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]Token, len(rows))
	for i := range rows {
		out[i] = rows[i].toToken()
	}
	return out, nil
}

// DeleteToken deletes the user's token with id (ErrNotFound if there is no
// such token of that user).
func (db *DB) DeleteToken(ctx context.Context, userID, id int64) error {
	return db.tx(ctx, func(tx *gorm.DB) error {
		if err := deleteOne(tx, &tokenRow{}, "id = ? AND user_id = ?", id, userID); err != nil {
			return err
		}
		return invalidate(tx, Invalidation{Kind: InvalidateUser, UserID: userID}) // changes.go
	})
}

// DeleteTokenByHash revokes the token with that hash.
func (db *DB) DeleteTokenByHash(ctx context.Context, hash []byte) error {
	return db.tx(ctx, func(tx *gorm.DB) error {
		if err := deleteOne(tx, &tokenRow{}, "hash = ?", hash); err != nil {
			return err
		}
		return invalidate(tx, Invalidation{Kind: InvalidateToken, TokenHash: hash}) // changes.go
	})
}
