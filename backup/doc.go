// Package backup writes and restores Memoria backups: one tar archive
// holding a consistent snapshot of the database, every stored file the
// snapshot refers to, and a manifest (manifest.json, the last entry) with
// the format, the schema version and a SHA-256 and size per entry.
//
// The archive's database is a SQLite file whichever database the
// instance uses, so an archive of either restores into either (Instance
// names the data directory and, for PostgreSQL, the database URL).
//
// Data flow of Create: store.Snapshot copies the SQLite database inside
// one read transaction (safe beside a running server in another process),
// store.SnapshotPostgres copies a PostgreSQL database's rows, read in one
// REPEATABLE READ transaction, into a new SQLite file;
// store.InspectSnapshot lists the files the copy refers to; each on disk
// is copied from <data>/files into the archive, hashing as it goes, while
// those held in the database (rules.DBFiles) travel inside the snapshot,
// which InspectSnapshot checks holds them whole; the manifest
// follows; the archive is written under a temporary name, synced and
// renamed into place. A file the snapshot refers to that was deleted
// before it could be copied (its memo was deleted after the snapshot)
// makes Create start over with a fresh snapshot.
//
// Data flow of Restore: the target must be empty; Verify reads the whole
// archive once (entry names, sizes, checksums, manifest, schema version)
// before anything is written; then the entries are extracted into
// <data>/.restore-tmp, checked again, synced, and moved into place, the
// database last. Into PostgreSQL (restore_postgres.go): the target must
// hold no memoria data; one read verifies the archive and extracts its
// database into a scratch directory; store.RestoreSnapshot then copies it
// into PostgreSQL in one transaction while a second read streams the
// files the archive holds on disk into the database.
package backup
