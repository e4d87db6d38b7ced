package store

import "context"

// TagCount is a tag with the number of a user's memos that carry it.
type TagCount struct {
	Tag   string
	Count int
}

// ListTagCounts returns the tags on creatorID's memos with how many memos
// carry each, most used first, ties by tag.
func (db *DB) ListTagCounts(ctx context.Context, creatorID int64) ([]TagCount, error) {
	var out []TagCount
	err := db.r(ctx).Table("memo_tags").
		Select("memo_tags.tag AS tag, COUNT(*) AS count").
		Joins("JOIN memos ON memos.id = memo_tags.memo_id").
		Where("memos.creator_id = ?", creatorID).
		Group("memo_tags.tag").
		Order("count DESC, memo_tags.tag").
		Scan(&out).Error
	if err != nil {
		return nil, translate(err)
	}
	return out, nil
}
