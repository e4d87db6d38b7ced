package server

import (
	"log/slog"
	"net/http"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"

	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
	"github.com/memoria-app/memoria/rules"
)

// Deps are what the HTTP handler serves.
type Deps struct {
	Rules *rules.Rules
	Log   *slog.Logger
	Web   http.Handler // the UI at "/"; nil: none
}

// ServiceNames lists the API's services (for health and reflection).
var ServiceNames = []string{
	memoriav1connect.AuthServiceName,
	memoriav1connect.UserServiceName,
	memoriav1connect.MemoServiceName,
	memoriav1connect.ResourceServiceName,
	memoriav1connect.SystemSettingServiceName,
	memoriav1connect.UserSettingServiceName,
	memoriav1connect.BotServiceName,
}

// NewHandler serves the whole API (gRPC, gRPC-Web and Connect), health,
// reflection, resource bytes and the web UI on one mux.
func NewHandler(d Deps) http.Handler {
	// Base64 in JSON makes uploads 4/3 larger; leave headroom so an
	// oversized upload reaches the rules and gets a message naming the limit.
	readMax := int(d.Rules.MaxUploadBytes()*3/2 + 1<<20)
	opts := []connect.HandlerOption{
		connect.WithInterceptors(logInterceptor(d.Log), errorInterceptor(d.Log), authInterceptor(d.Rules)),
		connect.WithReadMaxBytes(readMax),
		// Gzip costs more CPU than it saves bytes on small replies, and
		// its fastest level is nearly as small as the default on pages.
		connect.WithCompressMinBytes(1024),
		connect.WithCompression("gzip", newGzipReader, newFastGzipWriter),
	}
	mux := http.NewServeMux()
	mux.Handle(memoriav1connect.NewAuthServiceHandler(NewAuthHandler(d.Rules), opts...))
	mux.Handle(memoriav1connect.NewUserServiceHandler(NewUserHandler(d.Rules), opts...))
	mux.Handle(memoriav1connect.NewMemoServiceHandler(NewMemoHandler(d.Rules), opts...))
	mux.Handle(memoriav1connect.NewResourceServiceHandler(NewResourceHandler(d.Rules), opts...))
	mux.Handle(memoriav1connect.NewSystemSettingServiceHandler(NewSystemSettingHandler(d.Rules), opts...))
	mux.Handle(memoriav1connect.NewUserSettingServiceHandler(NewUserSettingHandler(d.Rules), opts...))
	mux.Handle(memoriav1connect.NewBotServiceHandler(NewBotHandler(d.Rules), opts...))

	mux.Handle(grpchealth.NewHandler(grpchealth.NewStaticChecker(ServiceNames...)))
	reflector := grpcreflect.NewStaticReflector(ServiceNames...)
	mux.Handle(grpcreflect.NewHandlerV1(reflector))
	mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector))

	mux.Handle("GET /healthz", healthzHandler())
	mux.Handle("GET /readyz", readyzHandler(d.Rules, d.Log))
	mux.Handle("GET /export/memos.zip", exportHandler(d.Rules, d.Log))
	mux.Handle("GET /file/resources/{id}/{filename}", fileHandler(d.Rules, d.Log))
	mux.HandleFunc("/file/resources/{id}/{filename}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	})
	mux.Handle("/file/", http.NotFoundHandler()) // never fall through to the UI
	if d.Web != nil {
		mux.Handle("/", d.Web)
	}
	return mux
}
