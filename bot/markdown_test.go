package bot

import (
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

// on returns an entity of type typ over the nth (0-based) occurrence of sub
// in text, with offsets counted in UTF-16 code units as Telegram does.
func on(text, sub, typ string, nth ...int) gotgbot.MessageEntity {
	i, from := -1, 0
	for n := 0; n <= append(nth, 0)[0]; n++ {
		j := strings.Index(text[from:], sub)
		if j < 0 {
			panic("test bug: " + sub + " not in " + text)
		}
		i = from + j
		from = i + len(sub)
	}
	return gotgbot.MessageEntity{Type: typ, Offset: utf16Len(text[:i]), Length: utf16Len(sub)}
}

func utf16Len(s string) int64 { return int64(len(utf16.Encode([]rune(s)))) }

func with(e gotgbot.MessageEntity, f func(*gotgbot.MessageEntity)) gotgbot.MessageEntity {
	f(&e)
	return e
}

func link(text, sub, url string) gotgbot.MessageEntity {
	return with(on(text, sub, "text_link"), func(e *gotgbot.MessageEntity) { e.Url = url })
}

func raw(typ string, offset, length int64) gotgbot.MessageEntity {
	return gotgbot.MessageEntity{Type: typ, Offset: offset, Length: length}
}

type mdCase struct {
	text     string
	entities []gotgbot.MessageEntity
	want     string
}

func runMarkdownCases(t *testing.T, tests map[string]mdCase) {
	t.Helper()
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := EntitiesToMarkdown(tt.text, tt.entities)
			if got != tt.want {
				t.Errorf("EntitiesToMarkdown(%q)\n got %q\nwant %q", tt.text, got, tt.want)
			}
			checkInsertions(t, tt.text, tt.entities)
		})
	}
}

// checkInsertions checks the renderer's invariant: removing what it inserted
// from its output gives back the input.
func checkInsertions(t testing.TB, text string, entities []gotgbot.MessageEntity) {
	t.Helper()
	out, ins := renderMarkdown(text, entities)
	var b strings.Builder
	last := 0
	for _, in := range ins {
		if in.at < last || in.at+in.n > len(out) || in.n <= 0 {
			t.Fatalf("insertion %+v out of order or range in %q (last end %d)", in, out, last)
		}
		b.WriteString(out[last:in.at])
		last = in.at + in.n
	}
	b.WriteString(out[last:])
	if b.String() != text {
		t.Fatalf("output minus insertions is not the input\n input %q\noutput %q\n strip %q", text, out, b.String())
	}
}

func TestEntitiesToMarkdownBasics(t *testing.T) {
	const s = "say hello world now"
	runMarkdownCases(t, map[string]mdCase{
		"no entities":           {text: s, want: s},
		"bold":                  {text: s, entities: []gotgbot.MessageEntity{on(s, "hello", "bold")}, want: "say **hello** world now"},
		"italic":                {text: s, entities: []gotgbot.MessageEntity{on(s, "hello", "italic")}, want: "say _hello_ world now"},
		"strikethrough":         {text: s, entities: []gotgbot.MessageEntity{on(s, "hello", "strikethrough")}, want: "say ~~hello~~ world now"},
		"underline stays plain": {text: s, entities: []gotgbot.MessageEntity{on(s, "hello", "underline")}, want: s},
		"spoiler stays plain":   {text: s, entities: []gotgbot.MessageEntity{on(s, "hello", "spoiler")}, want: s},
		"code":                  {text: s, entities: []gotgbot.MessageEntity{on(s, "hello", "code")}, want: "say `hello` world now"},
		"text_link":             {text: s, entities: []gotgbot.MessageEntity{link(s, "hello world", "https://example.com/a?b=c")}, want: "say [hello world](https://example.com/a?b=c) now"},
		"text_mention": {
			text: "hi Ann!", entities: []gotgbot.MessageEntity{with(on("hi Ann!", "Ann", "text_mention"), func(e *gotgbot.MessageEntity) { e.User = &gotgbot.User{Id: 42, FirstName: "Ann"} })},
			want: "hi [Ann](tg://user?id=42)!",
		},
		"whole text bold": {text: s, entities: []gotgbot.MessageEntity{on(s, s, "bold")}, want: "**" + s + "**"},
		"plain kinds are kept as they are": {
			text: "see https://x.test, @ann #tag $USD /start a@b.test +1-212-555-0123",
			entities: []gotgbot.MessageEntity{
				raw("url", 4, 14), raw("mention", 20, 4), raw("hashtag", 25, 4), raw("cashtag", 30, 4),
				raw("bot_command", 35, 6), raw("email", 42, 8), raw("phone_number", 51, 15), raw("custom_emoji", 0, 3),
			},
			want: "see https://x.test, @ann #tag $USD /start a@b.test +1-212-555-0123",
		},
	})
}

func TestEntitiesToMarkdownPassthrough(t *testing.T) {
	typed := "# Title\n\n- a *b* _c_\n1. `x` [l](http://x)\n> q\n\n```go\nfmt.Println(\"**\")\n```\n\\*not\\* <b>html</b> ~~s~~ | t |"
	runMarkdownCases(t, map[string]mdCase{
		"typed Markdown without entities":  {text: typed, want: typed},
		"typed Markdown with plain entity": {text: typed, entities: []gotgbot.MessageEntity{raw("hashtag", 0, 2)}, want: typed},
		"only malformed entities":          {text: typed, entities: []gotgbot.MessageEntity{raw("bold", -5, 3), raw("bold", 3, 0), raw("bold", 9999, 1)}, want: typed},
		"empty text":                       {text: "", entities: []gotgbot.MessageEntity{raw("bold", 0, 5)}, want: ""},
		"user Markdown inside bold is not escaped": {
			text: "a *b* c", entities: []gotgbot.MessageEntity{raw("bold", 0, 7)}, want: "**a *b* c**",
		},
	})
}

func TestEntitiesToMarkdownUnicode(t *testing.T) {
	const emoji = "I 😀 love 🍕 pizza"
	const flag = "go 🇺🇦🇺🇦 team"
	const family = "we 👨‍👩‍👧‍👦 are"
	const combining = "cafe\u0301 noir"
	const cjk = "你好世界，朋友"
	runMarkdownCases(t, map[string]mdCase{
		"after surrogate pairs":  {text: emoji, entities: []gotgbot.MessageEntity{on(emoji, "pizza", "bold")}, want: "I 😀 love 🍕 **pizza**"},
		"emoji itself":           {text: emoji, entities: []gotgbot.MessageEntity{on(emoji, "🍕", "bold")}, want: "I 😀 love **🍕** pizza"},
		"offset inside a pair":   {text: emoji, entities: []gotgbot.MessageEntity{raw("bold", 3, 1)}, want: "I **😀** love 🍕 pizza"},
		"length ends in a pair":  {text: emoji, entities: []gotgbot.MessageEntity{raw("italic", 0, 3)}, want: "_I 😀_ love 🍕 pizza"},
		"CJK":                    {text: cjk, entities: []gotgbot.MessageEntity{on(cjk, "世界", "bold")}, want: "你好**世界**，朋友"},
		"CJK code":               {text: cjk, entities: []gotgbot.MessageEntity{on(cjk, "朋友", "code")}, want: "你好世界，`朋友`"},
		"combining mark":         {text: combining, entities: []gotgbot.MessageEntity{on(combining, "cafe\u0301", "bold")}, want: "**cafe\u0301** noir"},
		"cut before the accent":  {text: combining, entities: []gotgbot.MessageEntity{on(combining, "cafe", "bold")}, want: "**cafe\u0301** noir"},
		"starts at the accent":   {text: combining, entities: []gotgbot.MessageEntity{on(combining, "\u0301 noir", "italic")}, want: "caf*e\u0301 noir*"},
		"ZWJ family whole":       {text: family, entities: []gotgbot.MessageEntity{on(family, "👨‍👩‍👧‍👦", "bold")}, want: "we **👨‍👩‍👧‍👦** are"},
		"ZWJ family cut":         {text: family, entities: []gotgbot.MessageEntity{on(family, "👨‍👩", "bold")}, want: "we **👨‍👩‍👧‍👦** are"},
		"second flag":            {text: flag, entities: []gotgbot.MessageEntity{raw("code", 7, 4)}, want: "go 🇺🇦`🇺🇦` team"},
		"half a flag grows":      {text: flag, entities: []gotgbot.MessageEntity{raw("code", 5, 2)}, want: "go `🇺🇦`🇺🇦 team"},
		"keycap and VS16":        {text: "1️⃣ ❤️ x", entities: []gotgbot.MessageEntity{raw("code", 0, 1), raw("code", 4, 1)}, want: "`1️⃣` `❤️` x"},
		"skin tone":              {text: "ok 👍🏽 yes", entities: []gotgbot.MessageEntity{raw("code", 3, 2)}, want: "ok `👍🏽` yes"},
		"invalid UTF-8 survives": {text: "a\xffb c", entities: []gotgbot.MessageEntity{raw("bold", 0, 3)}, want: "**a\xffb** c"},
	})
}

func TestEntitiesToMarkdownNesting(t *testing.T) {
	const s = "one two three four"
	runMarkdownCases(t, map[string]mdCase{
		"bold inside italic": {
			text: s, entities: []gotgbot.MessageEntity{on(s, "one two three", "italic"), on(s, "two", "bold")},
			want: "_one **two** three_ four",
		},
		"italic inside bold same range": {
			text: s, entities: []gotgbot.MessageEntity{on(s, "two", "bold"), on(s, "two", "italic")},
			want: "one **_two_** three four",
		},
		"all three on one word": {
			text: s, entities: []gotgbot.MessageEntity{on(s, "two", "strikethrough"), on(s, "two", "italic"), on(s, "two", "bold")},
			want: "one **_~~two~~_** three four",
		},
		"link containing bold": {
			text: s, entities: []gotgbot.MessageEntity{link(s, "two three", "https://x.test"), on(s, "three", "bold")},
			want: "one [two **three**](https://x.test) four",
		},
		"bold containing link": {
			text: s, entities: []gotgbot.MessageEntity{on(s, "one two three", "bold"), link(s, "two", "https://x.test")},
			want: "**one [two](https://x.test) three** four",
		},
		"bold exactly a link goes inside it": {
			text: "x" + s, entities: []gotgbot.MessageEntity{link("x"+s, "one", "https://x.test"), on("x"+s, "one", "bold")},
			want: "x[**one**](https://x.test) two three four",
		},
		"bold around code": {
			text: s, entities: []gotgbot.MessageEntity{on(s, "two three", "bold"), on(s, "three", "code")},
			want: "one **two `three`** four",
		},
		"adjacent bold and italic": {
			text: s, entities: []gotgbot.MessageEntity{on(s, "one", "bold"), on(s, " two", "italic")},
			want: "**one** _two_ three four",
		},
		"touching bold and italic in a word": {
			text: "abcdef", entities: []gotgbot.MessageEntity{raw("bold", 0, 3), raw("italic", 3, 3)},
			want: "**abc**_def_",
		},
		"adjacent bolds merge": {
			text: s, entities: []gotgbot.MessageEntity{on(s, "one ", "bold"), on(s, "two", "bold")},
			want: "**one two** three four",
		},
		"duplicate entities": {
			text: s, entities: []gotgbot.MessageEntity{on(s, "two", "bold"), on(s, "two", "bold"), on(s, "tw", "bold")},
			want: "one **two** three four",
		},
		"overlap is split to nest": {
			text: s, entities: []gotgbot.MessageEntity{on(s, "one two", "bold"), on(s, "two three", "italic")},
			want: "**one _two_** _three_ four",
		},
		"overlap inside a word": {
			text: "abcdefghi", entities: []gotgbot.MessageEntity{raw("bold", 0, 6), raw("italic", 3, 6)},
			want: "__abc*def*__*ghi*",
		},
		"intraword italic in bold switches the bold": {
			text: "xy abcde", entities: []gotgbot.MessageEntity{raw("bold", 3, 5), raw("italic", 4, 2)},
			want: "xy __a*bc*de__",
		},
		"intraword italic in intraword bold is dropped": {
			text: "xyabcdez", entities: []gotgbot.MessageEntity{raw("bold", 2, 5), raw("italic", 3, 2)},
			want: "xy**abcde**z",
		},
		"bold partly over code is cut at the code": {
			text: s, entities: []gotgbot.MessageEntity{on(s, "one two", "bold"), on(s, "two three", "code")},
			want: "**one** `two three` four",
		},
		"bold inside code is dropped": {
			text: s, entities: []gotgbot.MessageEntity{on(s, "two three", "code"), on(s, "two", "bold")},
			want: "one `two three` four",
		},
		"bold partly over link is split": {
			text: s, entities: []gotgbot.MessageEntity{on(s, "one two", "bold"), link(s, "two three", "https://x.test")},
			want: "**one** [**two** three](https://x.test) four",
		},
		"overlapping links keep the first": {
			text: s, entities: []gotgbot.MessageEntity{link(s, "one two", "https://a.test"), link(s, "two three", "https://b.test")},
			want: "[one two](https://a.test) three four",
		},
		"link cutting code is dropped": {
			text: s, entities: []gotgbot.MessageEntity{link(s, "one two", "https://a.test"), on(s, "two three", "code")},
			want: "one `two three` four",
		},
		"link containing code": {
			text: s, entities: []gotgbot.MessageEntity{link(s, "one two", "https://a.test"), on(s, "two", "code")},
			want: "[one `two`](https://a.test) three four",
		},
		"overlapping codes keep the first": {
			text: s, entities: []gotgbot.MessageEntity{on(s, "one two", "code"), on(s, "two three", "code")},
			want: "`one two` three four",
		},
	})
}

func TestEntitiesToMarkdownWhitespace(t *testing.T) {
	runMarkdownCases(t, map[string]mdCase{
		"trailing space moves out": {
			text: "make this bold please", entities: []gotgbot.MessageEntity{raw("bold", 5, 5)},
			want: "make **this** bold please",
		},
		"leading space moves out": {
			text: "make this bold", entities: []gotgbot.MessageEntity{raw("bold", 4, 5)},
			want: "make **this** bold",
		},
		"both sides and tabs": {
			text: "a \t b \t c", entities: []gotgbot.MessageEntity{raw("italic", 1, 7)},
			want: "a \t _b_ \t c",
		},
		"only spaces": {
			text: "a   b", entities: []gotgbot.MessageEntity{raw("bold", 1, 3)},
			want: "a   b",
		},
		"no-break space": {
			text: "a\u00a0b\u00a0c", entities: []gotgbot.MessageEntity{raw("bold", 1, 3)},
			want: "a\u00a0**b**\u00a0c",
		},
		"code keeps its spaces": {
			text: "run  ls -l  now", entities: []gotgbot.MessageEntity{raw("code", 3, 9)},
			want: "run`   ls -l   `now", // padded: CommonMark strips one space each side
		},
		"code of spaces only": {
			text: "a   b", entities: []gotgbot.MessageEntity{raw("code", 1, 3)},
			want: "a`   `b",
		},
		"bold over a code that starts with a space": {
			text: "x   y z", entities: []gotgbot.MessageEntity{raw("bold", 1, 4), raw("code", 2, 3)},
			want: "x **`  y`** z",
		},
		"bold exactly a code that starts with a space": {
			text: "x  y z", entities: []gotgbot.MessageEntity{raw("bold", 1, 3), raw("code", 1, 3)},
			want: "x`  y` z", // "x**`" cannot open emphasis
		},
	})
}

func TestEntitiesToMarkdownCode(t *testing.T) {
	runMarkdownCases(t, map[string]mdCase{
		"backtick inside code": {
			text: "use a`b here", entities: []gotgbot.MessageEntity{raw("code", 4, 3)},
			want: "use ``a`b`` here",
		},
		"code starting with a backtick": {
			text: "x `y z", entities: []gotgbot.MessageEntity{raw("code", 2, 2)},
			want: "x `` `y `` z",
		},
		"code next to a typed backtick is dropped": {
			text: "`ab`", entities: []gotgbot.MessageEntity{raw("code", 1, 2)},
			want: "`ab`",
		},
		"markdown inside code is not escaped": {
			text: "a *b* [c](d) <e>", entities: []gotgbot.MessageEntity{raw("code", 0, 16)},
			want: "`a *b* [c](d) <e>`",
		},
		"pre with language": {
			text: "fmt.Println(1)", entities: []gotgbot.MessageEntity{with(raw("pre", 0, 14), func(e *gotgbot.MessageEntity) { e.Language = "go" })},
			want: "```go\nfmt.Println(1)\n```",
		},
		"pre on its own lines": {
			text: "look:\nx := 1\ny := 2\ndone", entities: []gotgbot.MessageEntity{on("look:\nx := 1\ny := 2\ndone", "x := 1\ny := 2", "pre")},
			want: "look:\n```\nx := 1\ny := 2\n```\ndone",
		},
		"pre including its newline": {
			text: "a\nb\nc", entities: []gotgbot.MessageEntity{raw("pre", 2, 2)},
			want: "a\n```\nb\n```\nc",
		},
		"pre within a line is inline code": {
			text: "run ls now", entities: []gotgbot.MessageEntity{raw("pre", 4, 2)},
			want: "run `ls` now",
		},
		"pre of a whole line is a block": {
			text: "run\nls -l\nnow", entities: []gotgbot.MessageEntity{raw("pre", 4, 5)},
			want: "run\n```\nls -l\n```\nnow",
		},
		"multi-line pre mid-line grows to whole lines": {
			text: "run ls\npwd now", entities: []gotgbot.MessageEntity{raw("pre", 4, 6)},
			want: "```\nrun ls\npwd now\n```",
		},
		"pre with fences inside": {
			text: "```\nx\n```", entities: []gotgbot.MessageEntity{raw("pre", 0, 9)},
			want: "````\n```\nx\n```\n````",
		},
		"pre language is sanitised": {
			text: "x", entities: []gotgbot.MessageEntity{with(raw("pre", 0, 1), func(e *gotgbot.MessageEntity) { e.Language = "c++ `evil`\n" })},
			want: "```c++evil\nx\n```",
		},
		"entities inside pre are ignored": {
			text: "a *b*", entities: []gotgbot.MessageEntity{raw("pre", 0, 5), raw("bold", 2, 3), raw("code", 0, 1)},
			want: "```\na *b*\n```",
		},
		"bold across a pre is clipped": {
			text: "a\nb\nc", entities: []gotgbot.MessageEntity{raw("bold", 0, 5), raw("pre", 2, 1)},
			want: "**a**\n```\nb\n```\n**c**",
		},
		"code spanning lines is split": {
			text: "a b\nc d", entities: []gotgbot.MessageEntity{raw("code", 2, 3)},
			want: "a `b`\n`c` d",
		},
	})
}

func TestEntitiesToMarkdownBlockquote(t *testing.T) {
	runMarkdownCases(t, map[string]mdCase{
		"whole text": {
			text: "to be\nor not", entities: []gotgbot.MessageEntity{raw("blockquote", 0, 12)},
			want: "> to be\n> or not",
		},
		"expandable": {
			text: "a\nb", entities: []gotgbot.MessageEntity{raw("expandable_blockquote", 0, 3)},
			want: "> a\n> b",
		},
		"followed by text gets a blank line": {
			text: "quote\nmine", entities: []gotgbot.MessageEntity{raw("blockquote", 0, 5)},
			want: "> quote\n\nmine",
		},
		"including its newline": {
			text: "quote\nmine", entities: []gotgbot.MessageEntity{raw("blockquote", 0, 6)},
			want: "> quote\n\nmine",
		},
		"already followed by a blank line": {
			text: "quote\n\nmine", entities: []gotgbot.MessageEntity{raw("blockquote", 0, 5)},
			want: "> quote\n\nmine",
		},
		"starting mid-line grows to the line": {
			text: "he said: hi there", entities: []gotgbot.MessageEntity{raw("blockquote", 9, 8)},
			want: "> he said: hi there",
		},
		"ending mid-line grows to the line": {
			text: "a\nb c\nd", entities: []gotgbot.MessageEntity{raw("blockquote", 0, 3)},
			want: "> a\n> b c\n\nd",
		},
		"a lone # stays text": {
			text: "#tag", entities: []gotgbot.MessageEntity{raw("blockquote", 0, 1)},
			want: "> #tag",
		},
		"empty line inside": {
			text: "a\n\nb", entities: []gotgbot.MessageEntity{raw("blockquote", 0, 4)},
			want: "> a\n>\n> b",
		},
		"bold inside": {
			text: "a b\nc d", entities: []gotgbot.MessageEntity{raw("blockquote", 0, 7), raw("bold", 2, 3)},
			want: "> a **b**\n> **c** d",
		},
		"pre inside": {
			text: "x\ny\nz", entities: []gotgbot.MessageEntity{raw("blockquote", 0, 5), raw("pre", 2, 1)},
			want: "> x\n> ```\n> y\n> ```\n> z",
		},
		"two quotes in a row": {
			text: "a\nb", entities: []gotgbot.MessageEntity{raw("blockquote", 0, 1), raw("blockquote", 2, 1)},
			want: "> a\n\n> b",
		},
		"nested quotes keep the outer": {
			text: "a\nb", entities: []gotgbot.MessageEntity{raw("blockquote", 0, 3), raw("blockquote", 2, 1)},
			want: "> a\n> b",
		},
		"quote crossing a pre is dropped": {
			text: "a\nb\nc", entities: []gotgbot.MessageEntity{raw("pre", 0, 3), raw("blockquote", 2, 3)},
			want: "```\na\nb\n```\nc",
		},
	})
}

func TestEntitiesToMarkdownLinks(t *testing.T) {
	runMarkdownCases(t, map[string]mdCase{
		"text_link without a URL stays plain": {
			text: "see [1] now", entities: []gotgbot.MessageEntity{raw("text_link", 4, 3)},
			want: "see [1] now",
		},
		"brackets in link text are escaped": {
			text: "see [1] now", entities: []gotgbot.MessageEntity{link("see [1] now", "[1]", "https://x.test")},
			want: `see [\[1\]](https://x.test) now`,
		},
		"backslash in link text": {
			text: `C:\dir`, entities: []gotgbot.MessageEntity{link(`C:\dir`, `C:\dir`, "https://x.test")},
			want: `[C:\\dir](https://x.test)`,
		},
		"parens and spaces in URL": {
			text: "wiki", entities: []gotgbot.MessageEntity{link("wiki", "wiki", "https://en.wikipedia.org/wiki/Go_(game) x")},
			want: `[wiki](https://en.wikipedia.org/wiki/Go_\(game\)%20x)`,
		},
		"javascript URL is not linked": {
			text: "click", entities: []gotgbot.MessageEntity{link("click", "click", "javascript:alert(1)")},
			want: "click",
		},
		"relative URL is not linked": {
			text: "click", entities: []gotgbot.MessageEntity{link("click", "click", "/etc/passwd")},
			want: "click",
		},
		"bang before a link is escaped": {
			text: "wow!link", entities: []gotgbot.MessageEntity{link("wow!link", "link", "https://x.test")},
			want: `wow\![link](https://x.test)`,
		},
		"text_mention without user": {
			text: "Ann", entities: []gotgbot.MessageEntity{raw("text_mention", 0, 3)},
			want: "Ann",
		},
		"link across lines is split": {
			text: "a\nb", entities: []gotgbot.MessageEntity{link("a\nb", "a\nb", "https://x.test")},
			want: "[a](https://x.test)\n[b](https://x.test)",
		},
	})
}

func TestEntitiesToMarkdownLines(t *testing.T) {
	runMarkdownCases(t, map[string]mdCase{
		"bold across lines": {
			text: "first line\nsecond line", entities: []gotgbot.MessageEntity{raw("bold", 0, 22)},
			want: "**first line**\n**second line**",
		},
		"bold across a blank line": {
			text: "a\n\nb", entities: []gotgbot.MessageEntity{raw("bold", 0, 4)},
			want: "**a**\n\n**b**",
		},
		"bold over a list-looking line": {
			text: "- a\n- b", entities: []gotgbot.MessageEntity{raw("bold", 0, 7)},
			want: "**- a**\n**- b**",
		},
		"CRLF": {
			text: "a\r\nb", entities: []gotgbot.MessageEntity{raw("italic", 0, 4)},
			want: "_a_\r\n_b_",
		},
	})
}

func TestEntitiesToMarkdownFlanking(t *testing.T) {
	runMarkdownCases(t, map[string]mdCase{
		"intraword bold works": {
			text: "unbelievable", entities: []gotgbot.MessageEntity{raw("bold", 2, 6)},
			want: "un**believ**able",
		},
		"intraword italic uses stars": {
			text: "unbelievable", entities: []gotgbot.MessageEntity{raw("italic", 2, 6)},
			want: "un*believ*able",
		},
		"punctuation inside a word is dropped": {
			text: `say"hi"now`, entities: []gotgbot.MessageEntity{raw("bold", 3, 4)},
			want: `say"hi"now`,
		},
		"punctuation at a word edge works": {
			text: `say "hi" now`, entities: []gotgbot.MessageEntity{raw("bold", 4, 4)},
			want: `say **"hi"** now`,
		},
		"typed star next to marker": {
			text: "*a*", entities: []gotgbot.MessageEntity{raw("italic", 1, 1)},
			want: "*_a_*",
		},
		"typed tilde next to strike is dropped": {
			text: "~a~", entities: []gotgbot.MessageEntity{raw("strikethrough", 1, 1)},
			want: "~a~",
		},
		"emoji after a letter cannot be bold": {
			text: "Great👍", entities: []gotgbot.MessageEntity{raw("bold", 5, 2)},
			want: "Great👍",
		},
		"emoji at the end of bold": {
			text: "so good 👍", entities: []gotgbot.MessageEntity{raw("bold", 0, 10)},
			want: "**so good 👍**",
		},
	})
}

func TestEntitiesToMarkdownMalformed(t *testing.T) {
	const s = "hello world"
	runMarkdownCases(t, map[string]mdCase{
		"negative offset is clamped": {text: s, entities: []gotgbot.MessageEntity{raw("bold", -3, 8)}, want: "**hello** world"},
		"length past the end":        {text: s, entities: []gotgbot.MessageEntity{raw("bold", 6, 1000)}, want: "hello **world**"},
		"offset past the end":        {text: s, entities: []gotgbot.MessageEntity{raw("bold", 11, 1)}, want: s},
		"zero length":                {text: s, entities: []gotgbot.MessageEntity{raw("bold", 2, 0)}, want: s},
		"negative length":            {text: s, entities: []gotgbot.MessageEntity{raw("bold", 2, -2)}, want: s},
		"huge values":                {text: s, entities: []gotgbot.MessageEntity{raw("bold", 6, 1<<62), raw("italic", -1<<62, 1<<62+5)}, want: "_hello_ **world**"},
		"max int64 length":           {text: s, entities: []gotgbot.MessageEntity{raw("bold", 6, 1<<63-1)}, want: "hello **world**"},
		"min int64 offset":           {text: s, entities: []gotgbot.MessageEntity{raw("bold", -1<<63, 1<<63-1)}, want: s},
		"unknown type":               {text: s, entities: []gotgbot.MessageEntity{raw("sparkles", 0, 5)}, want: s},
	})
}

func TestEntitiesToMarkdownAutolinks(t *testing.T) {
	const s = "see http://x.test/a_b now"
	runMarkdownCases(t, map[string]mdCase{
		"bold inside a URL is dropped": {
			text: s, entities: []gotgbot.MessageEntity{on(s, "x.test", "bold")},
			want: s,
		},
		"bold around a URL": {
			text: s, entities: []gotgbot.MessageEntity{on(s, "http://x.test/a_b", "bold"), on(s, "http://x.test/a_b", "url")},
			want: "see **http://x.test/a_b** now",
		},
		"bold cutting a URL is cut back": {
			text: s, entities: []gotgbot.MessageEntity{on(s, "see http://x", "bold")},
			want: "**see** http://x.test/a_b now",
		},
		"code right after a URL is dropped": {
			text: s, entities: []gotgbot.MessageEntity{on(s, " now", "code")},
			want: s,
		},
		"www address": {
			text: "go www.x.test now", entities: []gotgbot.MessageEntity{on("go www.x.test now", "x", "italic")},
			want: "go www.x.test now",
		},
		"e-mail address": {
			text: "mail ann@x.test", entities: []gotgbot.MessageEntity{on("mail ann@x.test", "ann", "bold")},
			want: "mail ann@x.test",
		},
		"url entity without scheme": {
			text: "go x.test/ab now", entities: []gotgbot.MessageEntity{on("go x.test/ab now", "x.test/ab", "url"), on("go x.test/ab now", "ab", "bold")},
			want: "go x.test/ab now",
		},
		"link around a URL": {
			text: s, entities: []gotgbot.MessageEntity{link(s, "http://x.test/a_b", "https://y.test")},
			want: "see [http://x.test/a_b](https://y.test) now",
		},
	})
}

func TestEntitiesToMarkdownIndentedLines(t *testing.T) {
	runMarkdownCases(t, map[string]mdCase{
		"four spaces": {
			text: "    x = 1", entities: []gotgbot.MessageEntity{raw("bold", 4, 1)},
			want: "    x = 1",
		},
		"tab": {
			text: "a\n\tb c", entities: []gotgbot.MessageEntity{raw("bold", 0, 6)},
			want: "**a**\n\tb c",
		},
		"three spaces are fine": {
			text: "   b", entities: []gotgbot.MessageEntity{raw("bold", 0, 4)},
			want: "   **b**",
		},
	})
}

// TestEntitiesToMarkdownManyEntities renders messages at and past
// Telegram's limits (4096 characters, many entities, all overlapping on one
// line). It has no time limit of its own: it guards against quadratic
// blow-ups that would make it hang.
func TestEntitiesToMarkdownManyEntities(t *testing.T) {
	line := strings.Repeat("ab ", 1365)
	var chain, random []gotgbot.MessageEntity
	for i := int64(0); i < 1365; i++ {
		chain = append(chain, raw([]string{"bold", "italic", "strikethrough"}[i%3], i*3, 4))
		random = append(random, raw([]string{"bold", "italic", "code", "text_link", "pre", "blockquote"}[i%6], (i*7919)%4096, i%50))
	}
	multiline := strings.Repeat("ab cd\n", 682)
	for name, tt := range map[string]struct {
		text     string
		entities []gotgbot.MessageEntity
	}{
		"overlapping chain on one line": {text: line, entities: chain},
		"scattered on one line":         {text: line, entities: random},
		"scattered over many lines":     {text: multiline, entities: random},
		"chain over many lines":         {text: multiline, entities: chain},
	} {
		t.Run(name, func(t *testing.T) {
			checkInsertions(t, tt.text, tt.entities)
		})
	}
}
