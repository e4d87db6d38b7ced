// Package rules is Memoria's one layer of business rules: accounts and
// sessions, permissions, validation, tag extraction, visibility policy,
// memos, resources, settings and Telegram ingestion. It is plain Go — no
// Connect, no generated code, no Telegram types — so that both edges call
// the same rules:
//
//	server/ (Connect handlers) ─┐
//	                            ├─▶ rules.Rules ─▶ store.DB
//	bot/ (Telegram updates)  ───┘
//
// Every call carries the acting user in its context (WithActor); the rules
// check what that user may do, validate the input, and only then write
// through the store. Errors the caller may see are *Error values with a
// Code; each edge maps a Code once (server/connect_errors.go to Connect
// codes, bot/ to chat replies), and anything else is internal and never
// shown raw.
//
// Files: rules.go (Rules, Config), actor.go (who is calling), errors.go
// (Code, Error), auth.go (sign-up, sign-in, sessions, tokens), users.go,
// memos.go, memo_filter.go (the ListMemos filter language), page_token.go,
// tags.go, resources.go and files.go (resource bytes: the Files interface,
// files_disk.go under <data>/files, files_db.go in the database),
// settings.go,
// ingest.go (exactly-once ingestion of external events such as Telegram
// updates), sweep.go (files orphaned by a crash), bot_status.go.
package rules
