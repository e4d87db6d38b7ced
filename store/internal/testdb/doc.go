// Package testdb chooses the database a test of the store runs on and
// gives each test its own: SQLite (the default; the test's temporary
// directory holds the file, so the URL is empty) or PostgreSQL (a fresh
// schema on the server MEMORIA_TEST_POSTGRES names, dropped at cleanup).
// It imports nothing of memoria's, so that the store's own in-package
// tests and package storetest (for everyone else) share it.
//
// Environment:
//
//	MEMORIA_TEST_DB        sqlite (default) or postgres
//	MEMORIA_TEST_POSTGRES  the server, default DefaultPostgres
//	MEMORIA_TEST_REQUIRE_POSTGRES=1  fail, instead of skip, when it is not reachable (CI)
//
// Whether the server answers is found out once per test binary: a laptop
// without PostgreSQL pays one refused connection, and every PostgreSQL
// test then skips with the same one line.
package testdb
