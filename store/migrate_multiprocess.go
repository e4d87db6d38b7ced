package store

import "gorm.io/gorm"

// migrateFeeds is migration 9: what several processes sharing one
// database need — the change log their listeners read (changes.go,
// feed_postgres.go), the shared bot status (bot_status.go) and the
// sign-in throttle's counters (signin_throttle.go). The tables exist on
// SQLite too, so both dialects have one schema; there only the bot
// status is written.
func migrateFeeds(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&changeLogRow{}, &botStatusRow{}, &signInFailureRow{}, &signInKnownRow{})
}
