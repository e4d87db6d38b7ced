package store

import (
	"context"
	"time"

	"gorm.io/gorm"
)

func (r *resourceRow) toResource() Resource {
	res := Resource{
		ID: r.ID, CreatorID: r.CreatorID, Position: r.Position, Filename: r.Filename,
		Type: r.Type, Size: r.Size, StoragePath: r.StoragePath, CreatedAt: fromMicros(r.CreatedAt),
	}
	if r.MemoID != nil {
		res.MemoID = *r.MemoID
	}
	return res
}

func newResourceRow(r *Resource) resourceRow {
	row := resourceRow{
		CreatorID: r.CreatorID, Position: r.Position, Filename: r.Filename, Type: r.Type,
		Size: r.Size, StoragePath: r.StoragePath, CreatedAt: micros(time.Now()),
	}
	if r.MemoID != 0 {
		id := r.MemoID
		row.MemoID = &id
	}
	return row
}

// CreateResource inserts r; when r.MemoID is set it is appended to that
// memo's attachments. r.ID and r.CreatedAt are set on success.
func (db *DB) CreateResource(ctx context.Context, r *Resource) error {
	events := db.memoChanges()
	err := db.tx(ctx, func(tx *gorm.DB) error {
		if r.MemoID != 0 {
			pos, err := nextPosition(tx, r.MemoID)
			if err != nil {
				return err
			}
			r.Position = pos
		}
		row := newResourceRow(r)
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		*r = row.toResource()
		if r.MemoID == 0 {
			return nil
		}
		return stageMemoUpdated(tx, events, r.MemoID)
	})
	events.settle(err)
	return err
}

// stageMemoUpdated stages an update event for a memo whose attachments
// changed, as it now is.
func stageMemoUpdated(tx *gorm.DB, events *memoChanges, memoID int64) error {
	var row memoRow
	if err := tx.Take(&row, "id = ?", memoID).Error; err != nil {
		return err
	}
	m := row.toMemo()
	if err := loadResources(tx, []*Memo{&m}); err != nil {
		return err
	}
	return events.stage(tx, MemoEvent{Type: MemoUpdated, Memo: m, PrevVisibility: m.Visibility})
}

func nextPosition(tx *gorm.DB, memoID int64) (int, error) {
	var pos int
	err := tx.Model(&resourceRow{}).Where("memo_id = ?", memoID).
		Select("COALESCE(MAX(position) + 1, 0)").Scan(&pos).Error
	return pos, err
}

// GetResource returns the resource with id.
func (db *DB) GetResource(ctx context.Context, id int64) (Resource, error) {
	var row resourceRow
	if err := db.r(ctx).Take(&row, "id = ?", id).Error; err != nil {
		return Resource{}, translate(err)
	}
	return row.toResource(), nil
}

// ResourceQuery selects resources, newest first. Zero fields do not filter.
type ResourceQuery struct {
	CreatorID int64
	MemoID    int64
	BeforeID  int64
	Limit     int
}

// ListResources returns resources matching q, newest first.
func (db *DB) ListResources(ctx context.Context, q ResourceQuery) ([]Resource, error) {
	tx := db.r(ctx).Model(&resourceRow{})
	if q.CreatorID != 0 {
		tx = tx.Where("creator_id = ?", q.CreatorID)
	}
	if q.MemoID != 0 {
		tx = tx.Where("memo_id = ?", q.MemoID)
	}
	if q.BeforeID != 0 {
		tx = tx.Where("id < ?", q.BeforeID)
	}
	var rows []resourceRow
	if err := tx.Order("id DESC").Limit(q.Limit).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]Resource, len(rows))
	for i := range rows {
		out[i] = rows[i].toResource()
	}
	return out, nil
}

// DeleteResource deletes the resource with id and returns its storage path.
func (db *DB) DeleteResource(ctx context.Context, id int64) (string, error) {
	var path string
	events := db.memoChanges()
	err := db.tx(ctx, func(tx *gorm.DB) error {
		var row resourceRow
		if err := tx.Take(&row, "id = ?", id).Error; err != nil {
			return err
		}
		path = row.StoragePath
		if err := tx.Delete(&resourceRow{}, "id = ?", id).Error; err != nil {
			return err
		}
		if row.MemoID == nil {
			return nil
		}
		return stageMemoUpdated(tx, events, *row.MemoID)
	})
	events.settle(err)
	return path, err
}

// ResourceExistsAt reports whether any resource uses the storage path (for
// sweeping files orphaned by a crash between writing a file and committing).
func (db *DB) ResourceExistsAt(ctx context.Context, storagePath string) (bool, error) {
	var n int64
	err := db.r(ctx).Model(&resourceRow{}).Where("storage_path = ?", storagePath).Limit(1).Count(&n).Error
	return n > 0, translate(err)
}
