package store

import "context"

// TagCount is a tag with the number of memos carrying it.
type TagCount struct {
	Tag   string
	Count int64
}

// CountTags returns the tags of userID's memos, most used first (ties by
// name).
func (db *DB) CountTags(ctx context.Context, userID int64) ([]TagCount, error) {
	var out []TagCount
	err := db.r(ctx).Table("memo_tags").Select("memo_tags.tag AS tag, COUNT(*) AS count").
		Joins("JOIN memos ON memos.id = memo_tags.memo_id").Where("memos.creator_id = ?", userID).
		Group("memo_tags.tag").Order("count DESC, tag").Scan(&out).Error
	return out, translate(err)
}
