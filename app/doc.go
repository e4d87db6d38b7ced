// Package app wires Memoria together: the store, the rules, the Telegram
// bot runner and the HTTP server on one port. main.go and end-to-end tests
// both start the whole server through it.
//
// App.New opens the store, builds the rules, the bot supervisor and the
// HTTP handler, and binds the listener; App.Run serves until its context
// ends and then stops in order: the HTTP server (in-flight calls finish),
// the bot, the database.
package app
