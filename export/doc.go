// Package export writes a user's memos as a zip of Markdown files: one
// file per memo with a YAML front matter (name, created, updated,
// visibility, pinned, tags, source, resources), and the memo's resources
// in a folder beside it, linked from the end of the memo.
//
// Data flow: the HTTP edge (server/export.go) authenticates the caller and
// asks the rules (rules.Rules.ExportMemos) for the caller's memos one at a
// time; each goes to Zip.Add, which writes its Markdown entry and copies
// its resources' bytes into the zip straight from the file store. The zip
// streams to the response: nothing but one memo and a copy buffer is held
// in memory. Front matter values are written as JSON scalars and arrays,
// which YAML reads as they are.
package export
