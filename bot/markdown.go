package bot

import (
	"sort"
	"strconv"
	"strings"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

// EntitiesToMarkdown renders a Telegram message's text and its formatting
// entities as Markdown (GitHub-flavoured, as the web UI renders it).
//
// The visible text is preserved: the output is the input with Markdown
// markers inserted, and nothing removed or rewritten. Where a piece of
// formatting cannot be expressed safely it is dropped, never garbled. Text
// without entities (or whose entities are all plain, like mentions and
// URLs) is returned byte for byte, so Markdown the user typed passes through
// and means what it says; it is not escaped outside links.
//
// Entity offsets and lengths count UTF-16 code units. Entities that stick
// out of the text are clamped; empty, negative or unknown ones are ignored.
// Boundaries inside a surrogate pair or a grapheme cluster (a letter and
// its combining accent, a ZWJ emoji sequence, a flag) grow to the whole
// cluster.
//
// The mapping:
//
//   - bold → **x** (or __x__), italic → _x_ (or *x*, first choice inside
//     a word, where "_" does not work), strikethrough → ~~x~~. Markers
//     never touch whitespace: leading and trailing whitespace is left
//     outside them (CommonMark does not render "** x**"). Bold and italic
//     that nest use different characters ("**a _b_**"), since parsers
//     disagree about "*a **b**c*". A marker that would not be read as
//     emphasis where it lands (mid-word next to punctuation, next to a
//     marker or a literal of the same character), in CommonMark 0.30 or
//     0.31 or in marked (the UI's renderer), is tried with the other
//     character, then dropped.
//   - underline and spoiler → plain text. Markdown has no underline, "||"
//     is not Markdown (and "|" starts GFM tables), and the UI shows raw HTML
//     such as <u> or <details> literally. Spoilers are therefore revealed.
//   - code → `x`, with a longer backtick fence when x contains backticks.
//   - pre → a fenced code block with the language as info string. A pre
//     within one line that does not fill it is rendered as inline code; a
//     longer one that starts or ends mid-line grows to whole lines.
//   - text_link → [text](url) for http, https, tg, mailto, tel and ftp URLs
//     (other schemes are left as plain text); text_mention →
//     [name](tg://user?id=N). Brackets and backslashes in link text are
//     escaped, since the link would break otherwise.
//   - blockquote and expandable_blockquote → "> " before every line of the
//     lines it touches (a quote is a block: one that starts or ends mid-line
//     grows to whole lines), and a blank line after it, so that the next
//     line is not swallowed by the quote.
//   - url, email, mention, hashtag, cashtag, bot_command, phone_number,
//     custom_emoji, date_time → the text as it is (GFM links URLs itself).
//     No marker is put inside a URL or e-mail address, with or without an
//     entity, since GFM would make it part of the address.
//
// Formatting is split at line breaks (each line gets its own markers, so a
// bold paragraph cannot turn a line into a list item) and at the edges of
// links, code and blocks. Lines indented by four columns or more keep no
// inline formatting, since Markdown may read them as code. Entities that
// overlap without nesting are split so that they nest. Code and pre content
// is never formatted or escaped.
func EntitiesToMarkdown(text string, entities []gotgbot.MessageEntity) string {
	out, _ := renderMarkdown(text, entities)
	return out
}

// spanKind orders the kinds from outermost to innermost: when two spans
// cover the same text, the one with the lower kind is put outside.
type spanKind int

const (
	spanQuote spanKind = iota
	spanPre
	spanLink
	spanBold
	spanItalic
	spanStrike
	spanCode
	// spanAutolink is text that GFM turns into a link by itself (a URL or an
	// e-mail address). It renders as is, but nothing may start or end
	// inside it: a marker there would end up in the link's address.
	spanAutolink
)

// span is an entity that produces Markdown, as a byte range of the text.
type span struct {
	kind       spanKind
	start, end int
	url        string // spanLink: the destination, escaped for Markdown
	lang       string // spanPre: the info string
}

// insertion is a run of bytes that the renderer added to the text, at an
// offset in its output. Removing all insertions from the output gives back
// the input text; the tests rely on it.
type insertion struct{ at, n int }

func renderMarkdown(text string, entities []gotgbot.MessageEntity) (string, []insertion) {
	if len(entities) == 0 {
		return text, nil
	}
	x := newTextIndex(text)
	var blocks, inline []span
	for _, e := range entities {
		s, ok := spanFromEntity(e)
		if !ok {
			continue
		}
		if s.start, s.end, ok = x.byteRange(e.Offset, e.Length); !ok {
			continue
		}
		switch {
		case s.kind == spanPre && !strings.Contains(text[s.start:s.end], "\n") && !isWholeLine(text, s.start, s.end):
			// A pre within a line reads best as inline code.
			s.kind = spanCode
		case s.kind == spanQuote || s.kind == spanPre:
			s.start, s.end = wholeLines(text, s.start, s.end)
		}
		if s.kind == spanQuote || s.kind == spanPre {
			blocks = append(blocks, s)
		} else {
			inline = append(inline, s)
		}
	}
	if len(blocks) == 0 && len(inline) == 0 {
		return text, nil
	}
	r := &renderer{text: text, index: x, inline: inline}
	r.run(nestBlocks(blocks))
	return string(r.w.buf), r.w.ins
}

// spanFromEntity returns the span kind and attributes of an entity, or false
// for entities that stay plain text.
func spanFromEntity(e gotgbot.MessageEntity) (span, bool) {
	switch e.Type {
	case "bold":
		return span{kind: spanBold}, true
	case "italic":
		return span{kind: spanItalic}, true
	case "strikethrough":
		return span{kind: spanStrike}, true
	case "code":
		return span{kind: spanCode}, true
	case "url", "email":
		return span{kind: spanAutolink}, true
	case "pre":
		return span{kind: spanPre, lang: infoString(e.Language)}, true
	case "blockquote", "expandable_blockquote":
		return span{kind: spanQuote}, true
	case "text_link":
		if dest, ok := linkDestination(e.Url); ok {
			return span{kind: spanLink, url: dest}, true
		}
	case "text_mention":
		if e.User != nil && e.User.Id > 0 {
			return span{kind: spanLink, url: "tg://user?id=" + strconv.FormatInt(e.User.Id, 10)}, true
		}
	}
	return span{}, false
}

// wholeLines grows text[start:end] to the whole lines it touches. Quotes
// and code blocks are blocks: they cannot start or end mid-line in
// Markdown, and breaking the line there would turn its parts into blocks of
// their own (a "#" left alone is a heading, "1)" starts a list).
func wholeLines(text string, start, end int) (int, int) {
	start = strings.LastIndexByte(text[:start], '\n') + 1
	if end > start && text[end-1] != '\n' {
		if i := strings.IndexByte(text[end:], '\n'); i >= 0 {
			end += i
		} else {
			end = len(text)
		}
	}
	return start, end
}

func isWholeLine(text string, start, end int) bool {
	return (start == 0 || text[start-1] == '\n') && (end == len(text) || text[end] == '\n' || text[end] == '\r')
}

// infoString keeps the characters of a pre's language that are safe in a
// fence's info string ("c++", "objective-c", "c#", "python3").
func infoString(lang string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("+-#._", r) {
			return r
		}
		return -1
	}, lang)
}

var linkSchemes = []string{"http:", "https:", "tg:", "mailto:", "tel:", "ftp:"}

// linkDestination returns url written as a Markdown link destination, or
// false when its scheme is not one a memo should link to.
func linkDestination(url string) (string, bool) {
	allowed := false
	for _, s := range linkSchemes {
		if len(url) > len(s) && strings.EqualFold(url[:len(s)], s) {
			allowed = true
			break
		}
	}
	if !allowed {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(url); i++ {
		c := url[i]
		switch {
		case c <= ' ' || c == 0x7f:
			b.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(c)|0x100, 16)[1:]))
		case c == '(' || c == ')' || c == '<' || c == '>' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// nestBlocks keeps the blockquotes and pres that nest properly, sorted
// outermost first: a pre may sit in a blockquote, nothing may sit in a pre,
// blockquotes do not nest, and a block that crosses the edge of one kept
// before it is dropped.
func nestBlocks(blocks []span) []span {
	sortSpans(blocks)
	var kept []span
	for _, b := range blocks {
		ok := true
		for _, k := range kept {
			disjoint := b.start >= k.end || b.end <= k.start
			inside := b.start >= k.start && b.end <= k.end
			if !disjoint && (!inside || k.kind == spanPre || b.kind == spanQuote) {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, b)
		}
	}
	return kept
}

// sortSpans sorts by start, then longest first, then outermost kind first.
func sortSpans(s []span) {
	sort.SliceStable(s, func(i, j int) bool {
		if s[i].start != s[j].start {
			return s[i].start < s[j].start
		}
		if s[i].end != s[j].end {
			return s[i].end > s[j].end
		}
		return s[i].kind < s[j].kind
	})
}

// renderer walks the text block by block and line by line.
type renderer struct {
	text   string
	index  *textIndex
	inline []span
	w      mdWriter
}

func (r *renderer) run(blocks []span) {
	r.w.lineStart = true
	var open []span
	next := 0 // next block to open
	for p := 0; ; {
		for len(open) > 0 && open[len(open)-1].end == p {
			r.closeBlock(open[len(open)-1])
			open = open[:len(open)-1]
		}
		if p == len(r.text) {
			return
		}
		for next < len(blocks) && blocks[next].start == p {
			r.openBlock(blocks[next])
			open = append(open, blocks[next])
			next++
		}
		end := len(r.text)
		if len(open) > 0 {
			end = open[len(open)-1].end
		}
		if next < len(blocks) {
			end = min(end, blocks[next].start)
		}
		if len(open) > 0 && open[len(open)-1].kind == spanPre {
			r.w.source(r.text[p:end])
		} else {
			r.lines(p, end)
		}
		p = end
	}
}

// lines renders text[p:end], outside any pre, one line at a time.
func (r *renderer) lines(p, end int) {
	for p < end {
		q := p + strings.IndexAny(r.text[p:end], "\r\n")
		if q < p {
			q = end
		}
		switch {
		case q > p && indented(r.text[p:q]):
			// An indented line may be an indented code block, where
			// markers would show: leave it as it is.
			r.w.source(r.text[p:q])
		case q > p:
			out, ins := renderLine(r.text, r.index, p, q, r.inline)
			r.w.line(out, ins)
		}
		if q < end {
			r.w.source(r.text[q : q+1])
			q++
		}
		p = q
	}
}

// indented reports whether a line starts with four columns of whitespace,
// which makes it an indented code block unless it continues a paragraph.
func indented(line string) bool {
	cols := 0
	for i := 0; i < len(line) && cols < 4; i++ {
		switch line[i] {
		case ' ':
			cols++
		case '\t':
			cols += 4 - cols%4
		default:
			return false
		}
	}
	return cols >= 4
}

func (r *renderer) openBlock(b span) {
	r.w.startLine()
	switch b.kind {
	case spanQuote:
		r.w.inQuote = true
	case spanPre:
		fence := codeFence(r.text[b.start:b.end], 3)
		r.w.insert(fence + b.lang)
		r.w.insert("\n")
		r.w.fences = append(r.w.fences, fence)
	}
}

func (r *renderer) closeBlock(b span) {
	switch b.kind {
	case spanQuote:
		r.w.inQuote = false
		r.w.needBlank = true
	case spanPre:
		if !r.w.lineStart {
			r.w.insert("\n")
		}
		fence := r.w.fences[len(r.w.fences)-1]
		r.w.fences = r.w.fences[:len(r.w.fences)-1]
		r.w.insert(fence)
		r.w.needNewline = true
	}
}

// codeFence returns a run of backticks longer than any in s, and at least
// minLen long.
func codeFence(s string, minLen int) string {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(minLen, longest+1))
}

// mdWriter builds the output, adding the line structure of blocks: "> "
// before every line of a blockquote, and the line breaks that blocks need
// around them. It records every byte it adds.
type mdWriter struct {
	buf []byte
	ins []insertion

	lineStart   bool // the output is at the start of a line
	newlines    int  // trailing '\n's in the output
	inQuote     bool
	needBlank   bool // a blockquote ended: the next text needs a blank line before it
	needNewline bool // a fence ended: the next text needs a line break before it
	fences      []string
}

// source writes text from the input, which may span lines.
func (w *mdWriter) source(s string) {
	for s != "" {
		n := strings.IndexByte(s, '\n') + 1
		if n == 0 {
			n = len(s)
		}
		w.prepare(s[0], true)
		w.write(s[:n])
		s = s[n:]
	}
}

// insert writes markup: a single line, or "\n".
func (w *mdWriter) insert(s string) {
	w.prepare(s[0], false)
	w.ins = append(w.ins, insertion{at: len(w.buf), n: len(s)})
	w.write(s)
}

// line writes a rendered line: source text with insertions, no line breaks.
func (w *mdWriter) line(out string, ins []insertion) {
	w.prepare(out[0], len(ins) == 0 || ins[0].at > 0)
	for _, in := range ins {
		w.ins = append(w.ins, insertion{at: len(w.buf) + in.at, n: in.n})
	}
	w.write(out)
}

// startLine makes sure the output is at the start of a line.
func (w *mdWriter) startLine() {
	w.flush()
	if !w.lineStart {
		w.insert("\n")
	}
}

// prepare is called before writing anything that starts with first: it adds
// pending line breaks and the blockquote prefix.
func (w *mdWriter) prepare(first byte, fromSource bool) {
	if fromSource && first == '\n' {
		w.needNewline = false // the text supplies it
	} else {
		w.flush()
	}
	if w.inQuote && w.lineStart {
		prefix := "> "
		if first == '\n' || first == '\r' {
			prefix = ">"
		}
		w.ins = append(w.ins, insertion{at: len(w.buf), n: len(prefix)})
		w.write(prefix)
	}
}

// flush adds the line breaks that an ended block asked for.
func (w *mdWriter) flush() {
	if w.needNewline {
		w.needNewline = false
		w.addNewline()
	}
	if w.needBlank {
		w.needBlank = false
		for w.newlines < 2 {
			w.addNewline()
		}
	}
}

func (w *mdWriter) addNewline() {
	w.ins = append(w.ins, insertion{at: len(w.buf), n: 1})
	w.write("\n")
}

func (w *mdWriter) write(s string) {
	w.buf = append(w.buf, s...)
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n':
			w.newlines++
			w.lineStart = true
			if w.newlines >= 2 {
				w.needBlank = false
			}
		default:
			w.newlines = 0
			w.lineStart = false
		}
	}
}
