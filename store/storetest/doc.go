// Package storetest opens stores for tests — of the store and of every
// package above it — on the database the environment chooses, so that
// the same tests run on SQLite and on PostgreSQL:
//
//	MEMORIA_TEST_DB=sqlite   (default) a SQLite file in the test's temporary directory
//	MEMORIA_TEST_DB=postgres a fresh schema per test on MEMORIA_TEST_POSTGRES
//	                         (default postgres://postgres@127.0.0.1:5432/test?sslmode=disable),
//	                         dropped when the test ends
//
// When PostgreSQL is chosen but not reachable, each test that needs it
// skips with one line saying where it looked and why it failed (set
// MEMORIA_TEST_REQUIRE_POSTGRES=1 to fail instead, as CI should).
//
// Use Open for a store of one's own; URL, with a directory, for a test
// that closes and reopens the same database; SQL for a raw handle on it
// (to change what the store wrote behind its back); SQLiteOnly for a test
// about SQLite itself.
package storetest
