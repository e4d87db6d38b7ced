package bot

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

var fuzzEntityTypes = []string{
	"bold", "italic", "underline", "strikethrough", "spoiler", "code", "pre", "text_link", "text_mention",
	"blockquote", "expandable_blockquote", "url", "email", "mention", "hashtag", "custom_emoji", "no_such_type",
}

// fuzzEntities decodes entities from spec, four bytes each: type, offset,
// length (both signed, in UTF-16 units) and a byte that picks the URL or
// language, or makes offset and length huge.
func fuzzEntities(spec []byte) []gotgbot.MessageEntity {
	urls := []string{"https://x.test/a", "https://x.test/(a b)", "javascript:alert(1)", "tg://user?id=1", "http://x.test/<>\\"}
	langs := []string{"", "go", "c++ `x`"}
	var out []gotgbot.MessageEntity
	for ; len(spec) >= 4; spec = spec[4:] {
		e := gotgbot.MessageEntity{
			Type:   fuzzEntityTypes[int(spec[0])%len(fuzzEntityTypes)],
			Offset: int64(int8(spec[1])),
			Length: int64(int8(spec[2])),
		}
		switch extra := spec[3]; {
		case extra == 0xff:
			e.Length = 1<<63 - 1
		case extra == 0xfe:
			e.Offset = -1 << 63
		default:
			e.Url = urls[int(extra)%len(urls)]
			e.Language = langs[int(extra)%len(langs)]
			e.User = &gotgbot.User{Id: int64(extra) - 1}
		}
		out = append(out, e)
	}
	return out
}

// FuzzEntitiesToMarkdown checks, for any text and entities: no panic; valid
// UTF-8 in, valid UTF-8 out; no entities, no change; removing what the
// renderer inserted gives back the text, and what it inserted is markup.
func FuzzEntitiesToMarkdown(f *testing.F) {
	f.Add("say hello world now", []byte{0, 4, 5, 0, 1, 4, 11, 0})
	f.Add("I 😀 love 🍕 pizza", []byte{0, 3, 1, 0, 5, 10, 2, 0, 7, 0, 6, 1})
	f.Add("a\nb\nc", []byte{9, 0, 5, 0, 6, 2, 1, 1})
	f.Add("cafe\u0301 👨‍👩‍👧 🇺🇦🇺🇦", []byte{0, 2, 3, 0, 1, 6, 2, 0, 3, 13, 2, 0})
	f.Add("# typed *markdown* `here`", []byte{})
	f.Add("see http://x.test/a_b now", []byte{0, 8, 4, 0, 5, 21, 4, 0})
	f.Add("x", []byte{0, 0, 1, 0xff, 1, 0, 1, 0xfe})
	f.Fuzz(func(t *testing.T, text string, spec []byte) {
		entities := fuzzEntities(spec)
		out, ins := renderMarkdown(text, entities)
		if got := EntitiesToMarkdown(text, entities); got != out {
			t.Fatalf("EntitiesToMarkdown differs from renderMarkdown: %q vs %q", got, out)
		}
		if utf8.ValidString(text) && !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of valid UTF-8 %q: %q", text, out)
		}
		if len(entities) == 0 && out != text {
			t.Fatalf("no entities, but %q became %q", text, out)
		}
		checkInsertions(t, text, entities)
		for _, in := range ins {
			if s := out[in.at : in.at+in.n]; !isMarkup(s) {
				t.Fatalf("inserted %q into %q, which is not markup", s, out)
			}
		}
		if again := EntitiesToMarkdown(text, entities); again != out {
			t.Fatalf("not deterministic: %q then %q", out, again)
		}
	})
}

// isMarkup reports whether an inserted string is something the renderer
// may insert: markers, escapes, quote prefixes, line breaks, fences with a
// language, and link destinations.
func isMarkup(s string) bool {
	switch {
	case strings.HasPrefix(s, "](") && strings.HasSuffix(s, ")"):
		return true
	case strings.HasPrefix(s, "```"):
		return strings.Trim(s, "`") == infoString(strings.Trim(s, "`"))
	}
	return strings.Trim(s, "*_~`[>\n \\") == ""
}
