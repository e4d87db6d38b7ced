// Package bot runs the Telegram bot: a supervisor that follows the
// telegramBotToken setting, a durable long-poller per token, and the
// handling that turns linked users' messages into memos through the same
// rules as the API.
//
// Data flow: the Supervisor (supervisor.go) follows the token setting and
// runs one poller (poller.go) per token. The poller calls getUpdates
// itself, decodes each update on its own (updates.go), and hands the batch
// to the batch handler (batch.go): updates are prepared concurrently (who
// sent them, file downloads staged to disk — download.go) and committed
// in update order through rules.IngestBatch with an idempotency key per
// message, and only then is the next offset stored. Replies (replies.go)
// are queued to the rate-limited sender (sender.go), which never holds up
// ingestion. Telegram entities become Markdown in markdown*.go. The
// notifier (notify*.go) sends the bot's own messages — mentions, the
// public channel, "On this day", admin alerts — as the rules decide them,
// through the same sender.
//
// In webhook mode (telegramUpdateMode) the poller calls setWebhook instead
// of getUpdates (webhook.go): the server stores each delivered update in
// the store's inbox, and the poller reads the inbox in update_id order,
// woken by the store, through the same batch handler (webhook_inbox.go).
package bot
