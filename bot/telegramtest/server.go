package telegramtest

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/memoria-app/memoria/tgtoken"
)

// Server is a fake Telegram Bot API server. Its zero value is not usable:
// create one with NewServer (listening on loopback) or New (serve Handler
// yourself).
type Server struct {
	mu     sync.Mutex
	tokens map[string]*Bot // by current token
	byID   map[int64]*Bot
	logger *slog.Logger

	done      chan struct{} // closed by Close: ends long polls and delays
	closeOnce sync.Once
	control   http.Handler
	webhooks  webhookOptions // delivery settings (webhook.go)
	ts        *httptest.Server
}

// New returns a Server that does not listen: mount Handler on a server of
// your own (cmd/faketelegram does).
func New() *Server {
	s := &Server{
		tokens: map[string]*Bot{},
		byID:   map[int64]*Bot{},
		done:   make(chan struct{}),
	}
	s.control = s.controlHandler()
	return s
}

// NewServer returns a Server listening on a random loopback port. Close it
// when done.
func NewServer() *Server {
	s := New()
	s.ts = httptest.NewServer(s.Handler())
	return s
}

// URL is the server's base URL, e.g. "http://127.0.0.1:41234", to use as
// gotgbot's RequestOpts.APIURL. It is "" for a Server made with New.
func (s *Server) URL() string {
	if s.ts == nil {
		return ""
	}
	return s.ts.URL
}

// Close ends pending long polls and delayed answers and, for a Server made
// with NewServer, stops listening (waiting for the handlers to return).
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
	if s.ts != nil {
		s.ts.Close()
	}
}

// SetLogger makes the server log every request (method, bot id, status,
// duration; never the token). nil turns logging off.
func (s *Server) SetLogger(l *slog.Logger) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logger = l
}

// AddBot registers a bot. token must be a bot token ("<digits>:<secret>");
// the bot's id is its numeric prefix and username its @name without "@".
// Registering a new token for a bot id that exists revokes the old token,
// as BotFather does: the old one then gets 401, and the bot keeps its
// updates and files. AddBot panics on a malformed token.
func (s *Server) AddBot(token, username string) *Bot {
	e, err := tgtoken.Parse(token)
	if err != nil || e.Token != token {
		panic(fmt.Sprintf("telegramtest: AddBot needs a bot token like 123:abc, not %s", tgtoken.Redact(token)))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.byID[e.BotID]; ok {
		b.mu.Lock()
		delete(s.tokens, b.token)
		b.token = token
		if username != "" {
			b.user.Username = username
		}
		b.mu.Unlock()
		s.tokens[token] = b
		return b
	}
	b := newBot(s, token, e.BotID, username)
	s.tokens[token] = b
	s.byID[e.BotID] = b
	return b
}

// Bot returns the bot with the given id, or nil.
func (s *Server) Bot(id int64) *Bot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byID[id]
}

func (s *Server) botByToken(token string) *Bot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens[token]
}

// Handler serves the Bot API under any path prefix:
//
//	<prefix>/bot<token>/<method>
//	<prefix>/file/bot<token>/<file_path>
//
// and the control API under /_fake/.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_fake/") || r.URL.Path == "/_fake" {
			s.control.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		rt, ok := parseRoute(r.URL.Path)
		var botID int64
		switch {
		case !ok:
			writeError(rec, http.StatusNotFound, "Not Found", nil)
		default:
			b := s.botByToken(rt.token)
			if b == nil {
				writeError(rec, http.StatusUnauthorized, "Unauthorized", nil)
				break
			}
			botID = b.ID()
			b.serve(rec, r, rt)
		}
		s.mu.Lock()
		logger := s.logger
		s.mu.Unlock()
		if logger != nil {
			what := rt.method
			if rt.filePath != "" {
				what = "download " + rt.filePath
			}
			logger.Info("telegramtest", "bot", botID, "call", what, "status", rec.status, "took", time.Since(start))
		}
	})
}

// route is a parsed Bot API path.
type route struct {
	token    string
	method   string // for a method call
	filePath string // for a file download
}

// parseRoute finds "bot<token>/<method>" at the end of the path, or
// "file/bot<token>/<file_path>" anywhere in it; what comes before is the
// proxy's prefix.
func parseRoute(path string) (route, bool) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	n := len(segs)
	if n >= 2 {
		if token, ok := tokenSegment(segs[n-2]); ok && segs[n-1] != "" {
			return route{token: token, method: segs[n-1]}, true
		}
	}
	for i := 0; i+2 < n; i++ {
		if segs[i] != "file" {
			continue
		}
		if token, ok := tokenSegment(segs[i+1]); ok {
			p := strings.Join(segs[i+2:], "/")
			if p == "" {
				return route{}, false
			}
			return route{token: token, filePath: p}, true
		}
	}
	return route{}, false
}

func tokenSegment(seg string) (string, bool) {
	token, ok := strings.CutPrefix(seg, "bot")
	if !ok {
		return "", false
	}
	e, err := tgtoken.Parse(token)
	return token, err == nil && e.Token == token
}

// apiResponse is the Bot API's answer envelope.
type apiResponse struct {
	OK          bool                `json:"ok"`
	Result      any                 `json:"result,omitempty"`
	ErrorCode   int                 `json:"error_code,omitempty"`
	Description string              `json:"description,omitempty"`
	Parameters  *responseParameters `json:"parameters,omitempty"`
}

type responseParameters struct {
	RetryAfter      int   `json:"retry_after,omitempty"`
	MigrateToChatID int64 `json:"migrate_to_chat_id,omitempty"`
}

func writeResult(w http.ResponseWriter, result any) {
	writeJSON(w, http.StatusOK, apiResponse{OK: true, Result: result})
}

// writeError answers like Telegram: the HTTP status is the error code.
func writeError(w http.ResponseWriter, code int, description string, params *responseParameters) {
	writeJSON(w, code, apiResponse{ErrorCode: code, Description: description, Parameters: params})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// statusRecorder remembers the status for the log, and passes Hijack on.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
