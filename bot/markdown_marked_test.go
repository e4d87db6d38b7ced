package bot

import (
	"bytes"
	"encoding/json"
	"html"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

// renderWithMarked renders Markdown documents with marked, the renderer of
// the web UI (gfm and breaks on, as in web/src/lib/markdown.ts), using the
// web app's node_modules. It skips the test when node or marked is missing.
func renderWithMarked(t *testing.T, docs []string) []string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	marked, err := filepath.Abs("../web/node_modules/marked/lib/marked.esm.js")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marked); err != nil {
		t.Skip("marked is not installed in web/node_modules")
	}
	script := `import { Marked } from ` + jsonString(t, "file://"+marked) + `;
const m = new Marked({ gfm: true, breaks: true });
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  const docs = JSON.parse(input);
  process.stdout.write(JSON.stringify(docs.map((d) => m.parse(d, { async: false }))));
});`
	cmd := exec.Command(node, "--input-type=module", "-e", script)
	in, err := json.Marshal(docs)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var htmls []string
	if err := json.Unmarshal(out, &htmls); err != nil {
		t.Fatal(err)
	}
	return htmls
}

func jsonString(t *testing.T, s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	htmlTag  = regexp.MustCompile(`<[^>]*>`)
	anySpace = regexp.MustCompile(`\s+`)
)

// visibleText is the text a reader sees in rendered HTML, without
// whitespace: the renderer may add line breaks around blocks, and HTML
// collapses spaces anyway. (That nothing else is added or lost is checked
// exactly by checkInsertions.)
func visibleText(h string) string {
	return withoutSpace(html.UnescapeString(htmlTag.ReplaceAllString(h, "")))
}

func withoutSpace(s string) string { return anySpace.ReplaceAllString(s, "") }

// TestEntitiesToMarkdownWithMarked renders the table cases and random
// messages with the UI's Markdown renderer and checks that the reader sees
// the message's text: no marker shows up as a literal character and no text
// is lost. For the table cases it also checks that the formatting arrives.
func TestEntitiesToMarkdownWithMarked(t *testing.T) {
	type check struct {
		name, text string
		entities   []gotgbot.MessageEntity
		wantTags   []string
		// typedMarkdown: the text has Markdown of its own, which passes
		// through and is rendered.
		typedMarkdown bool
	}
	checks := []check{
		{name: "bold", text: "say hello", entities: []gotgbot.MessageEntity{raw("bold", 4, 5)}, wantTags: []string{"<strong>hello</strong>"}},
		{name: "bold italic", text: "one two", entities: []gotgbot.MessageEntity{raw("bold", 4, 3), raw("italic", 4, 3)}, wantTags: []string{"<strong><em>two</em></strong>"}},
		{name: "touching in a word", text: "abcdef", entities: []gotgbot.MessageEntity{raw("bold", 0, 3), raw("italic", 3, 3)}, wantTags: []string{"<strong>abc</strong><em>def</em>"}},
		{name: "overlap", text: "one two three", entities: []gotgbot.MessageEntity{raw("bold", 0, 7), raw("italic", 4, 9)}, wantTags: []string{"<strong>one <em>two</em></strong> <em>three</em>"}},
		{name: "intraword", text: "unbelievable", entities: []gotgbot.MessageEntity{raw("bold", 2, 6)}, wantTags: []string{"un<strong>believ</strong>able"}},
		{name: "strike", text: "a b c", entities: []gotgbot.MessageEntity{raw("strikethrough", 2, 1)}, wantTags: []string{"<del>b</del>"}},
		{name: "code with backtick", text: "use a`b", entities: []gotgbot.MessageEntity{raw("code", 4, 3)}, wantTags: []string{"<code>a`b</code>"}},
		{name: "code padded", text: "x `y z", entities: []gotgbot.MessageEntity{raw("code", 2, 2)}, wantTags: []string{"<code>`y</code>"}},
		{name: "pre", text: "look\nfmt.Println()\nok", entities: []gotgbot.MessageEntity{with(raw("pre", 5, 13), func(e *gotgbot.MessageEntity) { e.Language = "go" })}, wantTags: []string{`<pre><code class="language-go">fmt.Println()`}},
		{name: "link", text: "see [1] now", entities: []gotgbot.MessageEntity{link("see [1] now", "[1]", "https://x.test/a_(b)")}, wantTags: []string{`<a href="https://x.test/a_(b)">[1]</a>`}},
		{name: "bang link", text: "wow!link", entities: []gotgbot.MessageEntity{link("wow!link", "link", "https://x.test")}, wantTags: []string{`wow!<a href="https://x.test">link</a>`}},
		{name: "bold link mid-word", text: "xone", entities: []gotgbot.MessageEntity{link("xone", "one", "https://x.test"), raw("bold", 1, 3)}, wantTags: []string{`<a href="https://x.test"><strong>one</strong></a>`}},
		{name: "quote", text: "quote\nmine", entities: []gotgbot.MessageEntity{raw("blockquote", 0, 5)}, wantTags: []string{"<blockquote>\n<p>quote</p>\n</blockquote>\n<p>mine</p>"}},
		{name: "quote mid-line", text: "he said: hi there", entities: []gotgbot.MessageEntity{raw("blockquote", 9, 8)}, wantTags: []string{"<blockquote>\n<p>he said: hi there</p>"}},
		{name: "pre in quote", text: "x\ny\nz", entities: []gotgbot.MessageEntity{raw("blockquote", 0, 5), raw("pre", 2, 1)}, wantTags: []string{"<blockquote>", "<pre><code>y\n</code></pre>"}},
		{name: "bold lines", text: "- a\n- b", entities: []gotgbot.MessageEntity{raw("bold", 0, 7)}, wantTags: []string{"<strong>- a</strong><br><strong>- b</strong>"}},
		{name: "typed star", text: "*a*", entities: []gotgbot.MessageEntity{raw("italic", 1, 1)}, wantTags: []string{"<em><em>a</em></em>"}, typedMarkdown: true},
		{name: "emoji bold", text: "so good 👍", entities: []gotgbot.MessageEntity{raw("bold", 0, 10)}, wantTags: []string{"<strong>so good 👍</strong>"}},
		{name: "overlap in a word", text: "abcdefghi", entities: []gotgbot.MessageEntity{raw("bold", 0, 6), raw("italic", 3, 6)}, wantTags: []string{"<strong>abc<em>def</em></strong><em>ghi</em>"}},
		{name: "intraword italic in bold", text: "xy abcde", entities: []gotgbot.MessageEntity{raw("bold", 3, 5), raw("italic", 4, 2)}, wantTags: []string{"<strong>a<em>bc</em>de</strong>"}},
		{name: "bold around URL", text: "see http://x.test/a_b now", entities: []gotgbot.MessageEntity{raw("bold", 4, 17)}, wantTags: []string{`<strong><a href="http://x.test/a_b">http://x.test/a_b</a></strong>`}},
		{name: "mention", text: "hi Ann!", entities: []gotgbot.MessageEntity{with(raw("text_mention", 3, 3), func(e *gotgbot.MessageEntity) { e.User = &gotgbot.User{Id: 42} })}, wantTags: []string{`<a href="tg://user?id=42">Ann</a>!`}},
		{name: "punct edge", text: `say "hi" now`, entities: []gotgbot.MessageEntity{raw("bold", 4, 4)}, wantTags: []string{`<strong>&quot;hi&quot;</strong>`}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range randomCount(t) {
		text, entities := randomMessage(rng)
		checks = append(checks, check{name: "random " + string(rune('0'+i%10)), text: text, entities: entities})
	}
	docs := make([]string, len(checks))
	for i, c := range checks {
		docs[i] = EntitiesToMarkdown(c.text, c.entities)
	}
	htmls := renderWithMarked(t, docs)
	failures := 0
	for i, c := range checks {
		if got, want := visibleText(htmls[i]), withoutSpace(c.text); !c.typedMarkdown && got != want {
			failures++
			if failures <= 10 {
				t.Errorf("%s: the reader would see %q, want %q\n text %q\n entities %+v\n markdown %q\n html %q",
					c.name, got, want, c.text, c.entities, docs[i], htmls[i])
			}
		}
		for _, tag := range c.wantTags {
			if !strings.Contains(htmls[i], tag) {
				t.Errorf("%s: html %q lacks %q (markdown %q)", c.name, htmls[i], tag, docs[i])
			}
		}
	}
	if failures > 10 {
		t.Errorf("%d more failures", failures-10)
	}
}

// randomMessage makes a message from words that are not Markdown syntax
// themselves (so that whatever shows up literally was put there by the
// renderer) and random entities, some of them malformed.
func randomMessage(rng *rand.Rand) (string, []gotgbot.MessageEntity) {
	words := []string{
		"hello", "world", "a", "I", "😀", "🇺🇦", "👨‍👩‍👧", "cafe\u0301", "你好", "，", "x.y", "ok!", "f(1)", "a[2]", "\"q\"", "it's",
		"!", "?", ":", "http://x.test/a", "@ann", "#tag", "1", "2024", "é", "ß", "👍🏽", "¿", "—", "«a»",
	}
	seps := []string{" ", " ", " ", "", "\n", "  ", "\n\n", "\t", "\u00a0"}
	var b strings.Builder
	for n := 1 + rng.IntN(12); n > 0; n-- {
		b.WriteString(words[rng.IntN(len(words))])
		b.WriteString(seps[rng.IntN(len(seps))])
	}
	text := b.String()
	total := int64(len(utf16.Encode([]rune(text))))
	types := []string{"bold", "italic", "strikethrough", "underline", "spoiler", "code", "pre", "text_link",
		"text_mention", "blockquote", "expandable_blockquote", "url", "mention"}
	var entities []gotgbot.MessageEntity
	for n := rng.IntN(6); n > 0; n-- {
		e := gotgbot.MessageEntity{Type: types[rng.IntN(len(types))]}
		e.Offset = rng.Int64N(total+2) - 1
		e.Length = rng.Int64N(total+2) - 1
		switch e.Type {
		case "text_link":
			e.Url = "https://x.test/" + []string{"a", "a b", "(c)", "d)e", "<f>", `g\h`}[rng.IntN(6)]
		case "text_mention":
			e.User = &gotgbot.User{Id: 7}
		case "pre":
			e.Language = []string{"", "go", "c++"}[rng.IntN(3)]
		}
		entities = append(entities, e)
	}
	return text, entities
}

// randomCount is how many random messages to check: 3000, or
// $MARKDOWN_MARKED_RANDOM for a longer run.
func randomCount(t *testing.T) int {
	if s := os.Getenv("MARKDOWN_MARKED_RANDOM"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("MARKDOWN_MARKED_RANDOM: %v", err)
		}
		return n
	}
	return 3000
}
