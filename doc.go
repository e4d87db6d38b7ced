// Command memoria serves the Memoria memo hub: the gRPC/Connect API, the
// web UI and the Telegram bot, on one port.
package main
