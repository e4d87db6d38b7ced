package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

func (r *memoRow) toMemo() Memo {
	m := Memo{
		ID: r.ID, CreatorID: r.CreatorID, Content: r.Content,
		Visibility: Visibility(r.Visibility), Pinned: r.Pinned, Source: Source(r.Source),
		CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt),
	}
	if r.Tags != "" {
		m.Tags = strings.Split(r.Tags, " ")
	}
	return m
}

// MemoCursor is a position in the (pinned DESC, created DESC, id DESC)
// order of ListMemos; a page starts strictly after it.
type MemoCursor struct {
	Pinned    bool
	CreatedAt int64 // Unix microseconds
	ID        int64
}

// CursorAfter returns the cursor that continues a listing after m.
func CursorAfter(m Memo) MemoCursor {
	return MemoCursor{Pinned: m.Pinned, CreatedAt: micros(m.CreatedAt), ID: m.ID}
}

// MemoQuery selects memos. Zero fields do not filter.
type MemoQuery struct {
	CreatorID       int64
	Visibilities    []Visibility
	Tag             string
	Pinned          *bool
	Source          Source
	ContentContains string
	After           *MemoCursor
	Limit           int
}

// MemoUpdate names the fields to change; nil fields are left alone. Tags
// must accompany Content.
type MemoUpdate struct {
	Content     *string
	Tags        []string
	Visibility  *Visibility
	Pinned      *bool
	ResourceIDs *[]int64 // the complete new attachment list, in order
}

func insertMemo(tx *gorm.DB, m *Memo) error {
	now := micros(time.Now())
	row := memoRow{
		CreatorID: m.CreatorID, Content: m.Content, Visibility: string(m.Visibility),
		Pinned: m.Pinned, Tags: joinTags(m.Tags), Source: string(m.Source),
		CreatedAt: now, UpdatedAt: now,
	}
	// The hottest write, in plain SQL (INSERT … RETURNING works in SQLite,
	// PostgreSQL and MariaDB; gorm binds the placeholders for the dialect)
	// rather than Create's reflection over the model.
	err := tx.Raw("INSERT INTO memos (creator_id, content, visibility, pinned, tags, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
		row.CreatorID, row.Content, row.Visibility, row.Pinned, row.Tags, row.Source, row.CreatedAt, row.UpdatedAt,
	).Row().Scan(&row.ID)
	if err != nil {
		return err
	}
	if err := insertTags(tx, row.ID, m.Tags); err != nil {
		return err
	}
	*m = row.toMemo()
	return nil
}

func insertTags(tx *gorm.DB, memoID int64, tags []string) error {
	for _, t := range tags {
		if err := tx.Exec("INSERT INTO memo_tags (memo_id, tag) VALUES (?, ?)", memoID, t).Error; err != nil {
			return err
		}
	}
	return nil
}

// attach links existing, unattached resources of the memo's creator to the
// memo at positions from start on. A resource that is someone else's or
// already attached elsewhere is ErrConflict.
func attach(tx *gorm.DB, m *Memo, ids []int64, start int) error {
	for i, id := range ids {
		res := tx.Model(&resourceRow{}).
			Where("id = ? AND creator_id = ? AND (memo_id IS NULL OR memo_id = ?)", id, m.CreatorID, m.ID).
			Updates(map[string]any{"memo_id": m.ID, "position": start + i})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("%w: resource %d is not available to attach", ErrConflict, id)
		}
	}
	return nil
}

// CreateMemo inserts m and attaches the given resources in order. m.ID and
// the times are set on success.
func (db *DB) CreateMemo(ctx context.Context, m *Memo, resourceIDs []int64) error {
	defer db.prepareSearch(m.Content)()
	events := db.memoChanges()
	err := db.tx(ctx, func(tx *gorm.DB) error {
		if err := insertMemo(tx, m); err != nil {
			return err
		}
		if len(resourceIDs) > 0 {
			if err := attach(tx, m, resourceIDs, 0); err != nil {
				return err
			}
			if err := loadResources(tx, []*Memo{m}); err != nil {
				return err
			}
		}
		return events.stage(tx, MemoEvent{Type: MemoCreated, Memo: *m})
	})
	events.settle(err)
	return err
}

// GetMemo returns the memo with id and its resources.
func (db *DB) GetMemo(ctx context.Context, id int64) (Memo, error) {
	var row memoRow
	if err := db.r(ctx).Take(&row, "id = ?", id).Error; err != nil {
		return Memo{}, translate(err)
	}
	m := row.toMemo()
	if err := loadResources(db.r(ctx), []*Memo{&m}); err != nil {
		return Memo{}, translate(err)
	}
	return m, nil
}

// ListMemos returns memos matching q, pinned first, then newest first
// (ties by id, newest first), with their resources.
func (db *DB) ListMemos(ctx context.Context, q MemoQuery) ([]Memo, error) {
	tx := filterMemos(db.r(ctx).Model(&memoRow{}), q)
	if c := q.After; c != nil {
		tx = tx.Where("(memos.pinned, memos.created_at, memos.id) < (?, ?, ?)", c.Pinned, c.CreatedAt, c.ID)
	}
	var rows []memoRow
	err := tx.Order("memos.pinned DESC, memos.created_at DESC, memos.id DESC").Limit(q.Limit).Find(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := make([]Memo, len(rows))
	ptrs := make([]*Memo, len(rows))
	for i := range rows {
		out[i] = rows[i].toMemo()
		ptrs[i] = &out[i]
	}
	if err := loadResources(db.r(ctx), ptrs); err != nil {
		return nil, translate(err)
	}
	return out, nil
}

// filterMemos adds q's conditions (all but the cursor and the limit) to
// tx, a query over memos; ListMemos and SearchMemos share it.
func filterMemos(tx *gorm.DB, q MemoQuery) *gorm.DB {
	if q.CreatorID != 0 {
		tx = tx.Where("memos.creator_id = ?", q.CreatorID)
	}
	if len(q.Visibilities) == 1 {
		tx = tx.Where("memos.visibility = ?", string(q.Visibilities[0]))
	} else if len(q.Visibilities) > 1 {
		vs := make([]string, len(q.Visibilities))
		for i, v := range q.Visibilities {
			vs[i] = string(v)
		}
		tx = tx.Where("memos.visibility IN ?", vs)
	}
	if q.Tag != "" {
		tx = tx.Where("EXISTS (SELECT 1 FROM memo_tags WHERE memo_tags.memo_id = memos.id AND memo_tags.tag = ?)", q.Tag)
	}
	if q.Pinned != nil {
		tx = tx.Where("memos.pinned = ?", *q.Pinned)
	}
	if q.Source != "" {
		tx = tx.Where("memos.source = ?", string(q.Source))
	}
	if q.ContentContains != "" {
		tx = tx.Where(dialectOf(tx).contains("memos.content"), q.ContentContains)
	}
	return tx
}

// loadResources fills the Resources of each memo with one query.
func loadResources(tx *gorm.DB, memos []*Memo) error {
	if len(memos) == 0 {
		return nil
	}
	ids := make([]int64, len(memos))
	byID := make(map[int64]*Memo, len(memos))
	for i, m := range memos {
		ids[i] = m.ID
		byID[m.ID] = m
		m.Resources = nil
	}
	var rows []resourceRow
	if err := tx.Where("memo_id IN ?", ids).Order("memo_id, position, id").Find(&rows).Error; err != nil {
		return err
	}
	for i := range rows {
		m := byID[*rows[i].MemoID]
		m.Resources = append(m.Resources, rows[i].toResource())
	}
	return nil
}

// UpdateMemo applies upd to the memo with id and returns the result.
func (db *DB) UpdateMemo(ctx context.Context, id int64, upd MemoUpdate) (Memo, error) {
	var out Memo
	if upd.Content != nil {
		defer db.prepareSearch(*upd.Content)()
	}
	events := db.memoChanges()
	err := db.tx(ctx, func(tx *gorm.DB) error {
		var row memoRow
		if err := tx.Take(&row, "id = ?", id).Error; err != nil {
			return err
		}
		prev := Visibility(row.Visibility)
		if upd.Content != nil {
			row.Content = *upd.Content
			row.Tags = joinTags(upd.Tags)
			if err := tx.Where("memo_id = ?", id).Delete(&memoTagRow{}).Error; err != nil {
				return err
			}
			if err := insertTags(tx, id, upd.Tags); err != nil {
				return err
			}
		}
		if upd.Visibility != nil {
			row.Visibility = string(*upd.Visibility)
		}
		if upd.Pinned != nil {
			row.Pinned = *upd.Pinned
		}
		row.UpdatedAt = micros(time.Now())
		if err := tx.Save(&row).Error; err != nil {
			return err
		}
		out = row.toMemo()
		if upd.ResourceIDs != nil {
			if err := tx.Model(&resourceRow{}).Where("memo_id = ?", id).Update("memo_id", nil).Error; err != nil {
				return err
			}
			if err := attach(tx, &out, *upd.ResourceIDs, 0); err != nil {
				return err
			}
		}
		if err := loadResources(tx, []*Memo{&out}); err != nil {
			return err
		}
		return events.stage(tx, MemoEvent{Type: MemoUpdated, Memo: out, PrevVisibility: prev})
	})
	events.settle(err)
	return out, err
}

// DeleteMemo deletes the memo with id and its resources, returning the
// resources' storage paths so the caller can remove the files.
func (db *DB) DeleteMemo(ctx context.Context, id int64) ([]string, error) {
	var paths []string
	events := db.memoChanges()
	err := db.tx(ctx, func(tx *gorm.DB) error {
		var err error
		paths, err = deleteMemoTx(tx, events, id)
		return err
	})
	events.settle(err)
	return paths, err
}

// deleteMemoTx deletes memo id and its resource rows within tx, stages
// its deleted event and returns the paths of its files.
func deleteMemoTx(tx *gorm.DB, events *memoChanges, id int64) ([]string, error) {
	var paths []string
	var row memoRow
	if err := tx.Select("id", "creator_id", "visibility").Take(&row, "id = ?", id).Error; err != nil {
		return nil, err
	}
	if err := tx.Model(&resourceRow{}).Where("memo_id = ?", id).Pluck("storage_path", &paths).Error; err != nil {
		return nil, err
	}
	if err := tx.Where("memo_id = ?", id).Delete(&resourceRow{}).Error; err != nil {
		return nil, err
	}
	if err := deleteOne(tx, &memoRow{}, "id = ?", id); err != nil {
		return nil, err
	}
	return paths, events.stage(tx, MemoEvent{Type: MemoDeleted, Memo: Memo{ID: row.ID, CreatorID: row.CreatorID, Visibility: Visibility(row.Visibility)}})
}

// joinTags stores tags space-separated (tags never contain spaces).
func joinTags(tags []string) string { return strings.Join(tags, " ") }
