package rules

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"

	"github.com/memoria-app/memoria/store"
)

func TestMemoPageTokenRoundTrip(t *testing.T) {
	tests := map[string]struct {
		cursor store.MemoCursor
		filter string
	}{
		"unpinned, no filter":  {store.MemoCursor{CreatedAt: 1700000000123456, ID: 42}, ""},
		"pinned":               {store.MemoCursor{Pinned: true, CreatedAt: 1, ID: 1}, ""},
		"with filter":          {store.MemoCursor{CreatedAt: 5, ID: 9}, `tag == "go" && pinned == false`},
		"large id":             {store.MemoCursor{CreatedAt: 1<<62 + 3, ID: 1<<62 + 7}, ""},
		"unicode filter":       {store.MemoCursor{CreatedAt: 5, ID: 9}, `tag == "标签"`},
		"zero time (epoch)":    {store.MemoCursor{CreatedAt: 0, ID: 3}, ""},
		"negative time (1969)": {store.MemoCursor{CreatedAt: -5, ID: 3}, ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			tok := encodeMemoPageToken(tt.cursor, tt.filter)
			if tok == "" {
				t.Fatal("empty token")
			}
			if strings.ContainsAny(tok, "+/=") {
				t.Errorf("token %q is not URL-safe", tok)
			}
			got, err := decodeMemoPageToken(tok, tt.filter)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if got == nil || *got != tt.cursor {
				t.Errorf("decode = %+v, want %+v", got, tt.cursor)
			}
		})
	}
}

func TestMemoPageTokenEmptyMeansFirstPage(t *testing.T) {
	got, err := decodeMemoPageToken("", `tag == "x"`)
	if err != nil || got != nil {
		t.Fatalf("decode(\"\") = %v, %v; want nil, nil", got, err)
	}
}

func TestMemoPageTokenRejected(t *testing.T) {
	valid := encodeMemoPageToken(store.MemoCursor{CreatedAt: 100, ID: 7}, `tag == "a"`)
	raw, _ := base64.RawURLEncoding.DecodeString(valid)
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	sum := filterSum(`tag == "a"`)
	tests := map[string]struct {
		token, filter string
	}{
		"other filter":            {valid, `tag == "b"`},
		"filter dropped":          {valid, ""},
		"filter respaced":         {valid, `tag=="a"`},
		"not base64":              {"!!!", `tag == "a"`},
		"padded base64":           {base64.URLEncoding.EncodeToString(raw) + "==", `tag == "a"`},
		"truncated":               {valid[:len(valid)-3], `tag == "a"`},
		"garbage":                 {enc("hello"), `tag == "a"`},
		"wrong version":           {enc(strings.Replace(string(raw), "m1.", "m2.", 1)), `tag == "a"`},
		"bad pinned flag":         {enc("m1.2.100.7." + itoa(sum)), `tag == "a"`},
		"non-numeric time":        {enc("m1.0.abc.7." + itoa(sum)), `tag == "a"`},
		"non-numeric id":          {enc("m1.0.100.x." + itoa(sum)), `tag == "a"`},
		"extra field":             {enc("m1.0.100.7." + itoa(sum) + ".1"), `tag == "a"`},
		"checksum tampered":       {enc("m1.0.100.7." + itoa(sum+1)), `tag == "a"`},
		"checksum out of range":   {enc("m1.0.100.7.99999999999"), `tag == "a"`},
		"id page token for memos": {EncodeIDPageToken("r", 5), ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := decodeMemoPageToken(tt.token, tt.filter)
			if err == nil {
				t.Fatalf("decode(%q, %q) = %+v, want an error", tt.token, tt.filter, c)
			}
			if ErrorCode(err) != CodeInvalidArgument || !strings.Contains(err.Error(), "page_token") {
				t.Errorf("error = %v (code %v), want InvalidArgument naming page_token", err, ErrorCode(err))
			}
		})
	}
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

func TestIDPageToken(t *testing.T) {
	for name, tt := range map[string]struct {
		kind string
		id   int64
	}{"users": {"u", 1}, "resources": {"r", 1 << 40}} {
		t.Run(name, func(t *testing.T) {
			got, err := DecodeIDPageToken(tt.kind, EncodeIDPageToken(tt.kind, tt.id))
			if err != nil || got != tt.id {
				t.Fatalf("round trip = %d, %v; want %d", got, err, tt.id)
			}
		})
	}
	bad := map[string]struct{ kind, token string }{
		"other kind":  {"u", EncodeIDPageToken("r", 5)},
		"not base64":  {"u", "%%%"},
		"zero id":     {"u", base64.RawURLEncoding.EncodeToString([]byte("u.0"))},
		"negative id": {"u", base64.RawURLEncoding.EncodeToString([]byte("u.-4"))},
		"no id":       {"u", base64.RawURLEncoding.EncodeToString([]byte("u."))},
		"memo token":  {"u", encodeMemoPageToken(store.MemoCursor{ID: 1}, "")},
	}
	for name, tt := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeIDPageToken(tt.kind, tt.token); ErrorCode(err) != CodeInvalidArgument {
				t.Fatalf("decode(%q) error = %v, want InvalidArgument", tt.token, err)
			}
		})
	}
}
