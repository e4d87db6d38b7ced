// Package server is Memoria's Connect edge: it serves the API over gRPC,
// gRPC-Web and Connect (and the resource bytes at /file/…) on one
// http.Handler, translating between protobuf messages and package rules.
//
// A request goes through one interceptor chain (interceptors.go) — logging,
// error mapping and authentication, for unary and streaming procedures
// alike — which resolves the caller's credential to a rules.Actor; the
// handler (handler_*.go) converts the message (convert.go, field_mask.go),
// calls the rules, and converts the result back. Rules errors become
// Connect codes in exactly one table (connect_errors.go). No business rule
// lives here: a check that the bot also needs belongs in rules.
package server
