// Command faketelegram runs the fake Telegram Bot API server of package
// telegramtest on its own, for browser tests and for trying the bot by hand.
//
//	faketelegram [--addr 127.0.0.1:8081] [--bot 123456:secret=memoria_bot]... [--quiet]
//
// Point memoria's telegramBotToken at it with a proxy URL such as
// http://127.0.0.1:8081/bot123456:secret, and drive it with the control API
// under /_fake/ (see the telegramtest package documentation and README).
// With --addr 127.0.0.1:0 it picks a free port. Once it listens it prints
// "faketelegram listening on http://ADDR" on stdout, so that a test harness
// can wait for that line.
package main
