package tgtoken

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const token = "4839574812:AAFD39kkdpWt3ywyRZergyOLMaJhac60qc"

func TestParseAccepts(t *testing.T) {
	tests := map[string]struct {
		in   string
		want Endpoint
	}{
		"plain token from the contract": {
			in:   token,
			want: Endpoint{Token: token, APIURL: "https://api.telegram.org", FileURL: "https://api.telegram.org/file", BotID: 4839574812},
		},
		"shortest token": {
			in:   "1:a",
			want: Endpoint{Token: "1:a", APIURL: "https://api.telegram.org", FileURL: "https://api.telegram.org/file", BotID: 1},
		},
		"token with dash and underscore": {
			in:   "42:-_-_",
			want: Endpoint{Token: "42:-_-_", APIURL: "https://api.telegram.org", FileURL: "https://api.telegram.org/file", BotID: 42},
		},
		"very long secret is not length-checked": {
			in:   "7:" + strings.Repeat("x", 500),
			want: Endpoint{Token: "7:" + strings.Repeat("x", 500), APIURL: "https://api.telegram.org", FileURL: "https://api.telegram.org/file", BotID: 7},
		},
		"largest int64 bot id": {
			in:   "9223372036854775807:a",
			want: Endpoint{Token: "9223372036854775807:a", APIURL: "https://api.telegram.org", FileURL: "https://api.telegram.org/file", BotID: 9223372036854775807},
		},
		"proxy URL from the contract": {
			in:   "http://proxy.test.com:8081/somepath/bot" + token,
			want: Endpoint{Token: token, APIURL: "http://proxy.test.com:8081/somepath", FileURL: "http://proxy.test.com:8081/somepath/file", BotID: 4839574812},
		},
		"https proxy without path": {
			in:   "https://tg.example.org/bot" + token,
			want: Endpoint{Token: token, APIURL: "https://tg.example.org", FileURL: "https://tg.example.org/file", BotID: 4839574812},
		},
		"api.telegram.org spelled as a URL": {
			in:   "https://api.telegram.org/bot" + token,
			want: Endpoint{Token: token, APIURL: "https://api.telegram.org", FileURL: "https://api.telegram.org/file", BotID: 4839574812},
		},
		"loopback with port and deep path": {
			in:   "http://127.0.0.1:8081/a/b/c/bot1:x",
			want: Endpoint{Token: "1:x", APIURL: "http://127.0.0.1:8081/a/b/c", FileURL: "http://127.0.0.1:8081/a/b/c/file", BotID: 1},
		},
		"path containing bot earlier uses the last /bot": {
			in:   "http://h.test/bot/robots/bot5:z",
			want: Endpoint{Token: "5:z", APIURL: "http://h.test/bot/robots", FileURL: "http://h.test/bot/robots/file", BotID: 5},
		},
		"IPv6 host": {
			in:   "http://[::1]:8081/bot5:z",
			want: Endpoint{Token: "5:z", APIURL: "http://[::1]:8081", FileURL: "http://[::1]:8081/file", BotID: 5},
		},
		"upper-case scheme": {
			in:   "HTTPS://h.test/bot5:z",
			want: Endpoint{Token: "5:z", APIURL: "HTTPS://h.test", FileURL: "HTTPS://h.test/file", BotID: 5},
		},
		"proxy with basic auth": {
			in:   "https://user:pw@h.test/p/bot5:z",
			want: Endpoint{Token: "5:z", APIURL: "https://user:pw@h.test/p", FileURL: "https://user:pw@h.test/p/file", BotID: 5},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got != tt.want {
				t.Fatalf("Parse:\n got %#v\nwant %#v", fields(got), fields(tt.want))
			}
		})
	}
}

// fields prints an Endpoint without its redacting GoString, for test failures.
func fields(e Endpoint) string {
	return fmt.Sprintf("{Token:%q APIURL:%q FileURL:%q BotID:%d}", e.Token, e.APIURL, e.FileURL, e.BotID)
}

func TestParseURLs(t *testing.T) {
	tests := map[string]struct {
		in                 string
		method, file       string
		wantMethod, wantFi string
	}{
		"plain token": {
			in: token, method: "getMe", file: "photos/file_1.jpg",
			wantMethod: "https://api.telegram.org/bot" + token + "/getMe",
			wantFi:     "https://api.telegram.org/file/bot" + token + "/photos/file_1.jpg",
		},
		"proxy URL": {
			in: "http://proxy.test.com:8081/somepath/bot" + token, method: "getUpdates", file: "documents/file_7.pdf",
			wantMethod: "http://proxy.test.com:8081/somepath/bot" + token + "/getUpdates",
			wantFi:     "http://proxy.test.com:8081/somepath/file/bot" + token + "/documents/file_7.pdf",
		},
		"proxy URL at the root": {
			in: "http://127.0.0.1:8081/bot1:a", method: "getFile", file: "x",
			wantMethod: "http://127.0.0.1:8081/bot1:a/getFile",
			wantFi:     "http://127.0.0.1:8081/file/bot1:a/x",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			e, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := e.MethodURL(tt.method); got != tt.wantMethod {
				t.Errorf("MethodURL = %q, want %q", got, tt.wantMethod)
			}
			if got := e.FileURLFor(tt.file); got != tt.wantFi {
				t.Errorf("FileURLFor = %q, want %q", got, tt.wantFi)
			}
			// What gotgbot builds from RequestOpts.APIURL must be the same URL.
			if got := e.APIURL + "/bot" + e.Token + "/" + tt.method; got != tt.wantMethod {
				t.Errorf("gotgbot method URL = %q, want %q", got, tt.wantMethod)
			}
			if got := e.APIURL + "/file/bot" + e.Token + "/" + tt.file; got != tt.wantFi {
				t.Errorf("gotgbot file URL = %q, want %q", got, tt.wantFi)
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	_, err := Parse("")
	if !errors.Is(err, ErrEmpty) {
		t.Fatalf("Parse(\"\") = %v, want ErrEmpty", err)
	}
	if errors.Is(err, ErrInvalid) {
		t.Fatal("the empty setting must not count as invalid")
	}
}

func TestParseRejects(t *testing.T) {
	tests := map[string]struct {
		in   string
		hint string
	}{
		"no colon":                     {in: "4839574812AAFD39kkdpWt3ywyRZergyOLMaJhac60qc", hint: hintToken},
		"nothing after the colon":      {in: "4839574812:", hint: hintToken},
		"nothing before the colon":     {in: ":AAFD39kkdp", hint: hintToken},
		"letters in the bot id":        {in: "48x9:AAFD39kkdp", hint: hintToken},
		"negative bot id":              {in: "-48:AAFD39kkdp", hint: hintToken},
		"two colons":                   {in: "48:AAF:D39", hint: hintToken},
		"dot in the secret":            {in: "48:AAF.D39", hint: hintToken},
		"non-ASCII letter in secret":   {in: "48:AAFé", hint: hintToken},
		"bot id overflows int64":       {in: "9223372036854775808:a", hint: hintBotID},
		"trailing newline":             {in: token + "\n", hint: hintSpace},
		"leading space":                {in: " " + token, hint: hintSpace},
		"space inside":                 {in: "48: AAF", hint: hintSpace},
		"no-break space":               {in: token + "\u00a0", hint: hintSpace},
		"zero-width space":             {in: token + "\u200b", hint: hintSpace},
		"NUL byte":                     {in: token + "\x00", hint: hintSpace},
		"invalid UTF-8":                {in: token + "\xff", hint: hintUTF8},
		"bot prefix without URL":       {in: "bot" + token, hint: hintToken},
		"ftp scheme":                   {in: "ftp://h.test/bot" + token, hint: hintScheme},
		"no scheme":                    {in: "h.test/bot" + token, hint: hintScheme},
		"scheme-relative":              {in: "//h.test/bot" + token, hint: hintScheme},
		"no host":                      {in: "http:///bot" + token, hint: hintHost},
		"port but no host":             {in: "http://:8081/bot" + token, hint: hintHost},
		"query string":                 {in: "http://h.test/bot" + token + "?x=1", hint: hintQuery},
		"token hidden in query":        {in: "http://h.test/?x=/bot" + token, hint: hintQuery},
		"fragment":                     {in: "http://h.test/bot" + token + "#f", hint: hintQuery},
		"trailing slash":               {in: "http://h.test/bot" + token + "/", hint: hintURLSuffix},
		"method already appended":      {in: "http://h.test/bot" + token + "/getMe", hint: hintURLSuffix},
		"no /bot at all":               {in: "http://h.test/" + token, hint: hintURLSuffix},
		"URL with bad token after bot": {in: "http://h.test/bot48:a.b", hint: hintURLSuffix},
		"bad percent escape in path":   {in: "http://h.test/%zz/bot" + token, hint: hintURL},
		"bad port":                     {in: "http://h.test:port/bot" + token, hint: hintURL},
		"port out of range":            {in: "http://h.test:65536/bot" + token, hint: hintPort},
		"port zero":                    {in: "http://h.test:0/bot" + token, hint: hintPort},
		"just a word":                  {in: "hello", hint: hintToken},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse succeeded with %#v, want an error", fields(got))
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			if errors.Is(err, ErrEmpty) {
				t.Fatal("an invalid setting must not count as empty")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.hint) {
				t.Errorf("error %q lacks hint %q", msg, tt.hint)
			}
			for _, want := range []string{`"123456789:AAE..."`, `"/bot<token>"`} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not name the expected form %s", msg, want)
				}
			}
			if strings.Contains(msg, tt.in) || strings.Contains(msg, "AAFD39kkdp") {
				t.Errorf("error %q leaks the input", msg)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	tests := map[string]struct {
		in, want string
	}{
		"empty":            {in: "", want: ""},
		"plain token":      {in: token, want: "4839574812:<redacted>"},
		"proxy URL":        {in: "http://proxy.test.com:8081/somepath/bot" + token, want: "http://proxy.test.com:8081/somepath/bot4839574812:<redacted>"},
		"proxy with auth":  {in: "https://user:hunter2@h.test/bot" + token, want: "https://user:xxxxx@h.test/bot4839574812:<redacted>"},
		"invalid is whole": {in: token + " ", want: "<redacted>"},
		"garbage":          {in: "http://h.test/bot" + token + "/getMe", want: "<redacted>"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Redact(tt.in); got != tt.want {
				t.Errorf("Redact = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestEndpointFormatting checks that printing or logging an Endpoint by
// mistake does not leak the secret.
func TestEndpointFormatting(t *testing.T) {
	e, err := Parse("https://user:hunter2@h.test/p/bot" + token)
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("bot", "endpoint", e)
	outputs := map[string]string{
		"%v":   fmt.Sprintf("%v", e),
		"%+v":  fmt.Sprintf("%+v", e),
		"%#v":  fmt.Sprintf("%#v", e),
		"%s":   fmt.Sprintf("%s", e),
		"slog": logged.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, "AAFD39kkdp") || strings.Contains(out, "hunter2") {
			t.Errorf("%s leaks the secret: %s", name, out)
		}
		if !strings.Contains(out, "4839574812") {
			t.Errorf("%s should still show the bot id: %s", name, out)
		}
	}
	if got := (Endpoint{}).String(); got != "<no token>" {
		t.Errorf("zero Endpoint String = %q", got)
	}
}
