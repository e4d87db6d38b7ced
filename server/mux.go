package server

import (
	"context"
	"fmt"
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
	Rules   *rules.Rules
	Log     *slog.Logger
	Web     http.Handler // the UI at "/"; nil: none
	Metrics Metrics      // GET /metrics and the RPC observer (see metrics.go)
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

// Request body limits. Only CreateResource takes large bodies; memo
// writes take a memo (content ≤ rules.MaxContentBytes; proto JSON may
// escape it to twice its size); everything else is small. A body over its
// procedure's limit is refused (resource_exhausted) while it is read,
// before any interceptor or handler runs.
const (
	defaultBodyLimit = 64 << 10
	memoBodyLimit    = 2*rules.MaxContentBytes + bodySlack
	bodySlack        = 64 << 10
)

// uploadBodyLimit is CreateResource's limit: base64 in JSON makes the
// bytes 4/3 larger, plus slack for the other fields and framing, so an
// upload just over the limit still reaches the rules and gets a message
// naming the limit.
func uploadBodyLimit(maxUpload int64) int64 { return maxUpload*4/3 + bodySlack }

// bodyLimits maps procedures (URL paths) to their body limit; others get
// defaultBodyLimit.
func bodyLimits(maxUpload int64) map[string]int64 {
	return map[string]int64{
		memoriav1connect.ResourceServiceCreateResourceProcedure: uploadBodyLimit(maxUpload),
		memoriav1connect.MemoServiceCreateMemoProcedure:         memoBodyLimit,
		memoriav1connect.MemoServiceUpdateMemoProcedure:         memoBodyLimit,
		rules.TelegramWebhookPath:                               telegramWebhookBodyLimit,
	}
}

// handlerOptions are the options of every API service: the interceptor
// chain (log, error mapping, authorization — unary and streaming alike),
// a bound on a decoded (decompressed) message, and compression.
func handlerOptions(d Deps, readMax int64) []connect.HandlerOption {
	return []connect.HandlerOption{
		connect.WithInterceptors(metricsInterceptor(d.Metrics.RPC), logInterceptor(d.Log), errorInterceptor(d.Log), authInterceptor(d.Rules)),
		connect.WithReadMaxBytes(int(readMax)),
		// Gzip costs more CPU than it saves bytes on small replies, and
		// its fastest level is nearly as small as the default on pages.
		connect.WithCompressMinBytes(1024),
		connect.WithCompression("gzip", newGzipReader, newFastGzipWriter),
	}
}

// requestHostKey carries the request's Host into the interceptors (the
// cross-site check compares it with Origin; connect's headers omit it).
type requestHostKey struct{}

func requestHost(ctx context.Context) string {
	h, _ := ctx.Value(requestHostKey{}).(string)
	return h
}

// limitRequests applies the per-procedure body limits and records the
// request's Host for the interceptors. A body whose Content-Length is over
// the limit is refused at once, unread, with a message naming the limit;
// any other body is cut off when it passes the limit.
func limitRequests(limits map[string]int64, next http.Handler) http.Handler {
	errs := connect.NewErrorWriter()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit, ok := limits[r.URL.Path]
		if !ok {
			limit = defaultBodyLimit
		}
		if r.ContentLength > limit && errs.IsSupported(r) && r.URL.Path != rules.TelegramWebhookPath {
			errs.Write(w, r, connect.NewError(connect.CodeResourceExhausted,
				fmt.Errorf("the request is %d bytes; %s accepts at most %d", r.ContentLength, r.URL.Path, limit)))
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestHostKey{}, r.Host)))
	})
}

// NewHandler serves the whole API (gRPC, gRPC-Web and Connect), health,
// reflection, resource bytes and the web UI on one mux.
func NewHandler(d Deps) http.Handler {
	maxUpload := d.Rules.MaxUploadBytes()
	small := handlerOptions(d, defaultBodyLimit)
	memos := handlerOptions(d, memoBodyLimit)
	uploads := handlerOptions(d, uploadBodyLimit(maxUpload))
	mux := http.NewServeMux()
	mux.Handle(memoriav1connect.NewAuthServiceHandler(NewAuthHandler(d.Rules), small...))
	mux.Handle(memoriav1connect.NewUserServiceHandler(NewUserHandler(d.Rules), small...))
	mux.Handle(withWatchConn(memoriav1connect.NewMemoServiceHandler(NewMemoHandler(d.Rules), memos...)))
	mux.Handle(memoriav1connect.NewResourceServiceHandler(NewResourceHandler(d.Rules), uploads...))
	mux.Handle(memoriav1connect.NewSystemSettingServiceHandler(NewSystemSettingHandler(d.Rules), small...))
	mux.Handle(memoriav1connect.NewUserSettingServiceHandler(NewUserSettingHandler(d.Rules), small...))
	mux.Handle(memoriav1connect.NewBotServiceHandler(NewBotHandler(d.Rules), small...))

	mux.Handle(grpchealth.NewHandler(grpchealth.NewStaticChecker(ServiceNames...)))
	reflector := grpcreflect.NewStaticReflector(ServiceNames...)
	mux.Handle(grpcreflect.NewHandlerV1(reflector))
	mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector))

	mux.Handle("GET /healthz", healthzHandler())
	mux.Handle("GET /readyz", readyzHandler(d.Rules, d.Log))
	mux.Handle("GET /metrics", metricsHandler(d.Metrics))
	mux.Handle("GET /export/memos.zip", exportHandler(d.Rules, d.Log))
	mux.Handle("POST "+rules.TelegramWebhookPath, telegramWebhookHandler(d.Rules, d.Log))
	mux.HandleFunc(rules.TelegramWebhookPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", "POST")
		http.Error(w, "method not allowed: Telegram POSTs updates here", http.StatusMethodNotAllowed)
	})
	mux.Handle("GET /file/resources/{id}/{filename}", fileHandler(d.Rules, d.Log))
	mux.HandleFunc("/file/resources/{id}/{filename}", func(w http.ResponseWriter, _ *http.Request) {
		setFileSecurityHeaders(w.Header())
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	})
	mux.HandleFunc("/file/", func(w http.ResponseWriter, r *http.Request) { // never fall through to the UI
		setFileSecurityHeaders(w.Header())
		http.NotFound(w, r)
	})
	if d.Web != nil {
		mux.Handle("/", d.Web)
	}
	return limitRequests(bodyLimits(maxUpload), mux)
}
