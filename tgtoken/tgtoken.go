package tgtoken

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultAPIURL is where API calls go when the setting is a bare token.
const DefaultAPIURL = "https://api.telegram.org"

// ErrEmpty is returned by Parse for the empty setting, which means that the
// bot is disabled. It is not a validation failure.
var ErrEmpty = errors.New("telegram bot token is not set")

// ErrInvalid is returned (wrapped, with a hint) by Parse for a setting that is
// neither form. Its message names both accepted forms and never contains the
// rejected value.
var ErrInvalid = errors.New(`telegram bot token must be a bot token like "123456789:AAE..." ` +
	`or a proxy URL ending in "/bot<token>" like "http://proxy.example.com:8081/path/bot123456789:AAE..."`)

// Hints appended to ErrInvalid. They are fixed strings: a hint must never
// quote the input.
const (
	hintUTF8      = "it is not valid UTF-8 text"
	hintSpace     = "it has spaces or line breaks in it"
	hintBotID     = "the bot id before the colon is too large"
	hintScheme    = "the URL must start with http:// or https://"
	hintHost      = "the URL has no host"
	hintPort      = "the port must be a number from 1 to 65535"
	hintQuery     = "the URL must not have a query (?) or fragment (#)"
	hintURLSuffix = `the URL must end in "/bot" followed by the token`
	hintURL       = "the URL is malformed"
	hintToken     = `a token is digits, a colon, then letters, digits, "_" or "-"`
)

// Endpoint is a parsed telegramBotToken: the token and the URLs it is used with.
//
// Endpoint implements fmt.Stringer, fmt.GoStringer and slog.LogValuer with
// the secret redacted, so logging one by mistake does not leak the token.
type Endpoint struct {
	// Token is the bot token, "<digits>:<secret>".
	Token string
	// APIURL is the base URL that gotgbot's RequestOpts.APIURL expects: a
	// method is called at APIURL + "/bot" + Token + "/" + method. It has no
	// trailing slash.
	APIURL string
	// FileURL is the base URL of file downloads: a file is downloaded from
	// FileURL + "/bot" + Token + "/" + file_path. It is APIURL + "/file".
	FileURL string
	// BotID is the numeric prefix of Token: the bot's Telegram user id.
	BotID int64
}

// MethodURL returns the URL of a Bot API method, e.g. "getUpdates".
func (e Endpoint) MethodURL(method string) string {
	return e.APIURL + "/bot" + e.Token + "/" + method
}

// FileURLFor returns the download URL of a file_path returned by getFile.
func (e Endpoint) FileURLFor(filePath string) string {
	return e.FileURL + "/bot" + e.Token + "/" + filePath
}

// String returns the endpoint with the token's secret redacted.
func (e Endpoint) String() string {
	if e.Token == "" {
		return "<no token>"
	}
	if e.APIURL == DefaultAPIURL {
		return redactToken(e.Token)
	}
	return redactURLPrefix(e.APIURL) + "/bot" + redactToken(e.Token)
}

// GoString is like String, so that %#v does not leak the token either.
func (e Endpoint) GoString() string { return "tgtoken.Endpoint(" + e.String() + ")" }

// LogValue makes slog print the redacted form.
func (e Endpoint) LogValue() slog.Value { return slog.StringValue(e.String()) }

// Parse parses the telegramBotToken setting. It returns ErrEmpty for "" and
// an error wrapping ErrInvalid for anything that is neither a bot token nor a
// proxy URL ending in "/bot<token>".
func Parse(s string) (Endpoint, error) {
	if s == "" {
		return Endpoint{}, ErrEmpty
	}
	if !utf8.ValidString(s) {
		return Endpoint{}, invalid(hintUTF8)
	}
	if strings.ContainsFunc(s, isSpaceOrControl) {
		return Endpoint{}, invalid(hintSpace)
	}
	if !strings.Contains(s, "/") {
		id, hint := checkToken(s)
		if hint != "" {
			return Endpoint{}, invalid(hint)
		}
		return Endpoint{Token: s, APIURL: DefaultAPIURL, FileURL: DefaultAPIURL + "/file", BotID: id}, nil
	}
	return parseURL(s)
}

func parseURL(s string) (Endpoint, error) {
	scheme, _, ok := strings.Cut(s, "://")
	if !ok || !(strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https")) {
		return Endpoint{}, invalid(hintScheme)
	}
	if strings.ContainsAny(s, "?#") {
		return Endpoint{}, invalid(hintQuery)
	}
	i := strings.LastIndex(s, "/bot")
	if i < 0 {
		return Endpoint{}, invalid(hintURLSuffix)
	}
	base, token := s[:i], s[i+len("/bot"):]
	id, hint := checkToken(token)
	if hint != "" {
		return Endpoint{}, invalid(hintURLSuffix + "; " + hint)
	}
	u, err := url.Parse(base)
	if err != nil {
		// url.Error quotes the input: never wrap it.
		return Endpoint{}, invalid(hintURL)
	}
	if u.Host == "" || u.Hostname() == "" {
		return Endpoint{}, invalid(hintHost)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return Endpoint{}, invalid(hintPort)
		}
	}
	return Endpoint{Token: token, APIURL: base, FileURL: base + "/file", BotID: id}, nil
}

// checkToken checks the token grammar and returns the bot id, or a hint
// saying what is wrong.
func checkToken(s string) (int64, string) {
	digits, secret, ok := strings.Cut(s, ":")
	if !ok || digits == "" || secret == "" {
		return 0, hintToken
	}
	for _, c := range []byte(digits) {
		if c < '0' || c > '9' {
			return 0, hintToken
		}
	}
	for _, c := range []byte(secret) {
		if !isSecretByte(c) {
			return 0, hintToken
		}
	}
	id, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, hintBotID
	}
	return id, ""
}

func isSecretByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

func isSpaceOrControl(r rune) bool {
	return r <= ' ' || r == 0x7f || r == 0x85 || r == 0xa0 || r == 0x2028 || r == 0x2029 || r == 0xfeff ||
		r >= 0x2000 && r <= 0x200b || r == 0x3000
}

func invalid(hint string) error {
	return fmt.Errorf("%w (%s)", ErrInvalid, hint)
}

// Redact returns s with the token's secret replaced by "<redacted>", for
// logs: "123456789:<redacted>" or
// "http://proxy.example.com:8081/path/bot123456789:<redacted>". A password
// in a proxy URL is redacted too. A value that does not parse is redacted
// entirely, since there is no telling which part of it is secret; the empty
// string stays empty.
func Redact(s string) string {
	if s == "" {
		return ""
	}
	e, err := Parse(s)
	if err != nil {
		return "<redacted>"
	}
	return e.String()
}

func redactToken(token string) string {
	digits, _, _ := strings.Cut(token, ":")
	return digits + ":<redacted>"
}

// redactURLPrefix hides a password in the proxy URL (userinfo).
func redactURLPrefix(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.User == nil {
		return base
	}
	return u.Redacted()
}
