package server

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

func TestMaskPaths(t *testing.T) {
	allowed := []string{"content", "visibility", "pinned", "resources"}
	good := map[string]struct {
		paths []string
		want  []string
	}{
		"one path":       {[]string{"content"}, []string{"content"}},
		"all paths":      {allowed, allowed},
		"duplicate path": {[]string{"pinned", "pinned"}, []string{"pinned"}},
	}
	for name, tt := range good {
		t.Run(name, func(t *testing.T) {
			got, err := maskPaths(&fieldmaskpb.FieldMask{Paths: tt.paths}, allowed...)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			for _, p := range tt.want {
				if !got[p] {
					t.Errorf("missing %q in %v", p, got)
				}
			}
		})
	}
	bad := map[string]struct {
		mask *fieldmaskpb.FieldMask
		msgs []string
	}{
		"nil mask":        {nil, []string{"update_mask is required", "content, visibility, pinned, resources"}},
		"empty mask":      {&fieldmaskpb.FieldMask{}, []string{"update_mask is required"}},
		"unknown path":    {&fieldmaskpb.FieldMask{Paths: []string{"content", "creator"}}, []string{`update_mask: unknown field "creator"`, "allowed paths: content, pinned, resources, visibility"}},
		"camelCase path":  {&fieldmaskpb.FieldMask{Paths: []string{"createTime"}}, []string{`unknown field "createTime"`}},
		"wildcard":        {&fieldmaskpb.FieldMask{Paths: []string{"*"}}, []string{`unknown field "*"`}},
		"empty path":      {&fieldmaskpb.FieldMask{Paths: []string{""}}, []string{`unknown field ""`}},
		"nested path":     {&fieldmaskpb.FieldMask{Paths: []string{"content.text"}}, []string{`unknown field "content.text"`}},
		"output-only tag": {&fieldmaskpb.FieldMask{Paths: []string{"tags"}}, []string{`unknown field "tags"`}},
	}
	for name, tt := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := maskPaths(tt.mask, allowed...)
			if ErrorCode(err) != CodeInvalidArgument {
				t.Fatalf("error = %v, want InvalidArgument", err)
			}
			for _, m := range tt.msgs {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("message %q does not contain %q", err, m)
				}
			}
		})
	}
}

func TestValidateTelegramBotToken(t *testing.T) {
	const secret = "AAFD39kkdpWt3ywyRZergyOLMaJhac60qc"
	ok := map[string]string{
		"empty disables the bot": "",
		"bot token":              "4839574812:" + secret,
		"short token":            "1:a",
		"token with _ and -":     "123:a_b-C",
		"proxy url":              "http://proxy.test.com:8081/somepath/bot4839574812:" + secret,
		"https proxy no path":    "https://proxy.test.com/bot4839574812:" + secret,
	}
	for name, in := range ok {
		t.Run(name, func(t *testing.T) {
			if err := ValidateTelegramBotToken(in); err != nil {
				t.Fatalf("ValidateTelegramBotToken(%q) = %v", in, err)
			}
		})
	}
	bad := map[string]struct {
		in   string
		hint string
	}{
		"no colon":              {"4839574812" + secret, "a token is digits, a colon"},
		"letters before colon":  {"abc:" + secret, "a token is digits, a colon"},
		"nothing after colon":   {"4839574812:", "a token is digits, a colon"},
		"space inside":          {"4839574812:" + secret + " x", "spaces or line breaks"},
		"newline":               {"4839574812:" + secret + "\n", "spaces or line breaks"},
		"bad character":         {"4839574812:" + secret + "!", "a token is digits, a colon"},
		"ftp proxy":             {"ftp://proxy.test.com/bot4839574812:" + secret, "http:// or https://"},
		"proxy without /bot":    {"http://proxy.test.com/4839574812:" + secret, `must end in "/bot"`},
		"proxy with query":      {"http://proxy.test.com/bot4839574812:" + secret + "?x=" + secret, "query"},
		"proxy without host":    {"http:///bot4839574812:" + secret, "no host"},
		"invalid utf8":          {"4839574812:" + secret + "\xff", "not valid UTF-8"},
		"secret only":           {secret, "a token is digits, a colon"},
		"id too large":          {"99999999999999999999:" + secret, "too large"},
		"proxy with bad port":   {"http://proxy.test.com:99999/bot4839574812:" + secret, "port"},
		"token with slash part": {"4839574812:" + secret + "/x", "http:// or https://"},
	}
	for name, tt := range bad {
		t.Run(name, func(t *testing.T) {
			err := ValidateTelegramBotToken(tt.in)
			if err == nil {
				t.Fatalf("ValidateTelegramBotToken(%q) = nil, want an error", tt.in)
			}
			msg := err.Error()
			if ErrorCode(err) != CodeInvalidArgument {
				t.Errorf("code = %v, want InvalidArgument", ErrorCode(err))
			}
			if !strings.HasPrefix(msg, "telegram_bot_token: ") {
				t.Errorf("message %q does not name the field", msg)
			}
			for _, form := range []string{"bot token like", `proxy URL ending in "/bot<token>"`} {
				if !strings.Contains(msg, form) {
					t.Errorf("message %q does not say which form is expected (%q)", msg, form)
				}
			}
			if !strings.Contains(msg, tt.hint) {
				t.Errorf("message %q lacks the hint %q", msg, tt.hint)
			}
			for _, leak := range []string{secret, secret[:8], "4839574812", "proxy.test.com", "99999"} {
				if strings.Contains(msg, leak) {
					t.Errorf("message %q echoes the input (%q)", msg, leak)
				}
			}
		})
	}
}

func TestNameID(t *testing.T) {
	good := map[string]struct {
		name string
		want int64
	}{"memo": {"memos/1", 1}, "big": {"memos/9223372036854775807", 1<<63 - 1}}
	for n, tt := range good {
		t.Run(n, func(t *testing.T) {
			id, err := nameID("name", tt.name, "memos")
			if err != nil || id != tt.want {
				t.Fatalf("nameID(%q) = %d, %v", tt.name, id, err)
			}
		})
	}
	bad := map[string]struct{ name, msg string }{
		"empty":          {"", "name is required (memos/{id})"},
		"other kind":     {"users/1", `name "users/1" is not a valid name; want memos/{id}`},
		"zero":           {"memos/0", "not a valid name"},
		"negative":       {"memos/-1", "not a valid name"},
		"leading zero":   {"memos/01", "not a valid name"},
		"plus sign":      {"memos/+1", "not a valid name"},
		"trailing slash": {"memos/1/", "not a valid name"},
		"overflow":       {"memos/9223372036854775808", "not a valid name"},
		"bare id":        {"1", "not a valid name"},
	}
	for n, tt := range bad {
		t.Run(n, func(t *testing.T) {
			_, err := nameID("name", tt.name, "memos")
			if ErrorCode(err) != CodeInvalidArgument || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("nameID(%q) error = %v, want InvalidArgument containing %q", tt.name, err, tt.msg)
			}
		})
	}
}

func TestPageSize(t *testing.T) {
	for name, tt := range map[string]struct {
		in   int32
		want int
	}{"default": {0, 50}, "one": {1, 1}, "max": {1000, 1000}, "clamped": {1001, 1000}, "huge": {1 << 30, 1000}} {
		t.Run(name, func(t *testing.T) {
			got, err := pageSize(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("pageSize(%d) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
	if _, err := pageSize(-1); ErrorCode(err) != CodeInvalidArgument || !strings.Contains(err.Error(), "page_size") {
		t.Fatalf("pageSize(-1) error = %v, want InvalidArgument naming page_size", err)
	}
}
