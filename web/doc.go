// Package web embeds the built web UI (web/dist, produced by `npm run build`)
// and serves it as a single-page application.
package web
