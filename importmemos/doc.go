// Package importmemos moves users, memos, tags and resources from a memos
// (usememos/memos) SQLite database of v0.22 or later into Memoria.
//
// Data flow: Import opens the memos database read-only and detects its
// schema (source.go: resource or attachment table, pinned in memo or in
// memo_organizer); it reads users with their settings, then memos with
// their resources, and hands each to the rules' admin-level import
// functions (rules.ImportUser, rules.ImportMemo), which validate, keep the
// bcrypt hashes and times, derive tags from the content, copy the bytes
// (blobs from the database, local files from the folder beside it) into
// the file store, and record each source row in the import map so that a
// second run imports nothing twice. Nothing is written to the store
// behind the rules. The Report counts what was imported, what was there
// already, and what was skipped and why.
package importmemos
