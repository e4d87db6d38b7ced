package bot

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// piece is an inline span clipped to one line, with the markers chosen for it.
type piece struct {
	span
	variant int  // emphasis: which marker character is tried (see delimiter)
	dropped bool // rendered as plain text
	// intraword: an italic piece with a letter or digit right outside it,
	// where "_" cannot work; it tries "*" first.
	intraword bool
	// afterAutolink: the piece starts right where a URL ends, so that its
	// opening marker would become part of the URL.
	afterAutolink bool

	// Where the markers landed in the line's output, for the checks.
	openAt, openLen, closeAt, closeLen int
}

// delimiter returns the marker of an emphasis piece, or "" when the piece
// has no variant left.
func (p *piece) delimiter() string {
	var variants []string
	switch p.kind {
	case spanBold:
		variants = []string{"**", "__"}
	case spanItalic:
		variants = []string{"_", "*"}
		if p.intraword {
			variants = []string{"*", "_"}
		}
	case spanStrike:
		variants = []string{"~~"}
	}
	if p.variant < len(variants) {
		return variants[p.variant]
	}
	return ""
}

func isEmphasis(k spanKind) bool { return k == spanBold || k == spanItalic || k == spanStrike }

// renderLine renders text[a:b], a line without line breaks, with the parts
// of the inline spans that fall in it. It returns the Markdown and where the
// markup was inserted.
func renderLine(text string, x *textIndex, a, b int, spans []span) (string, []insertion) {
	var codes, links, autolinks []*piece
	emph := map[spanKind][]*piece{}
	for _, s := range spans {
		s.start, s.end = max(s.start, a), min(s.end, b)
		if s.start >= s.end {
			continue
		}
		p := &piece{span: s}
		switch {
		case s.kind == spanCode:
			codes = append(codes, p)
		case s.kind == spanLink:
			links = append(links, p)
		case s.kind == spanAutolink:
			autolinks = append(autolinks, p)
		default:
			emph[s.kind] = append(emph[s.kind], p)
		}
	}
	if len(codes)+len(links)+len(emph) == 0 {
		return text[a:b], nil
	}

	autolinks = append(autolinks, findAutolinks(text, a, b)...)
	// Nothing may cut a URL or sit inside one; a link may contain code
	// spans, but not cut one or sit inside one.
	outside := func(atoms []*piece) func(*piece) bool {
		return func(p *piece) bool {
			for _, c := range atoms {
				if crosses(p, c) || within(p, c) {
					return false
				}
			}
			return true
		}
	}
	codes = filter(disjoint(codes), outside(autolinks))
	links = filter(filter(disjoint(links), outside(autolinks)), outside(codes))

	var pieces []*piece
	unbreakable := append(append([]*piece(nil), codes...), autolinks...)
	for _, k := range []spanKind{spanBold, spanItalic, spanStrike} {
		for _, p := range union(emph[k]) {
			pieces = append(pieces, splitAround(p, unbreakable, links)...)
		}
	}
	pieces = nestEmphasis(pieces)
	content := append(append([]*piece(nil), codes...), links...)
	pieces = filter(pieces, func(p *piece) bool { return trim(p, text, x, content) })

	for _, p := range pieces {
		if p.kind == spanItalic {
			before, _ := utf8.DecodeLastRuneInString(text[:p.start])
			after, _ := utf8.DecodeRuneInString(text[p.end:])
			p.intraword = p.start > 0 && isWordRune(before) || p.end < len(text) && isWordRune(after)
		}
	}
	all := append(append(append([]*piece(nil), pieces...), codes...), links...)
	for _, p := range all {
		for _, u := range autolinks {
			if p.start == u.end {
				p.afterAutolink = true
			}
		}
	}
	sortPieces(all)
	for {
		out, ins := layout(text, a, b, all)
		failing := failures(out, all)
		if len(failing) == 0 {
			return out, ins
		}
		fixOne(text, a, b, all, failing)
	}
}

// sortPieces sorts by start, then longest first, then outermost kind first,
// which puts the pieces of a nesting family in the order they open.
func sortPieces(ps []*piece) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].start != ps[j].start {
			return ps[i].start < ps[j].start
		}
		if ps[i].end != ps[j].end {
			return ps[i].end > ps[j].end
		}
		return ps[i].kind < ps[j].kind
	})
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// disjoint keeps, of pieces of one kind, those that do not overlap one
// starting before them.
func disjoint(ps []*piece) []*piece {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].start < ps[j].start })
	var kept []*piece
	for _, p := range ps {
		if len(kept) == 0 || p.start >= kept[len(kept)-1].end {
			kept = append(kept, p)
		}
	}
	return kept
}

// union merges overlapping and touching pieces of one kind: bold "ab" and
// bold "cd" become bold "abcd".
func union(ps []*piece) []*piece {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].start < ps[j].start })
	var out []*piece
	for _, p := range ps {
		if n := len(out); n > 0 && p.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, p.end)
			continue
		}
		out = append(out, p)
	}
	return out
}

func filter(ps []*piece, keep func(*piece) bool) []*piece {
	var out []*piece
	for _, p := range ps {
		if keep(p) {
			out = append(out, p)
		}
	}
	return out
}

// crosses reports whether p and q overlap without one containing the other.
func crosses(p, q *piece) bool {
	return p.start < q.start && q.start < p.end && p.end < q.end ||
		q.start < p.start && p.start < q.end && q.end < p.end
}

// inside reports whether p lies within q.
func inside(p, q *piece) bool { return q.start <= p.start && p.end <= q.end }

// within reports whether p lies within q and is smaller: a span that covers
// exactly what another does can be put around it.
func within(p, q *piece) bool { return inside(p, q) && p.end-p.start < q.end-q.start }

// splitAround cuts an emphasis piece so that it contains code spans and
// autolinks whole or not at all (emphasis cannot reach into them) and nests
// with links (it is split at a link edge that falls inside it).
func splitAround(p *piece, atoms, links []*piece) []*piece {
	for _, c := range atoms {
		switch {
		case within(p, c):
			return nil
		case p.start < c.start && c.start < p.end && p.end < c.end:
			p.end = c.start
		case c.start < p.start && p.start < c.end && c.end < p.end:
			p.start = c.end
		}
	}
	out := []*piece{p}
	for _, l := range links {
		for _, cut := range []int{l.start, l.end} {
			for i, q := range out {
				if q.start < cut && cut < q.end && crosses(q, l) {
					rest := *q
					q.end, rest.start = cut, cut
					out = append(out[:i+1], append([]*piece{&rest}, out[i+1:]...)...)
					break
				}
			}
		}
	}
	return out
}

// nestEmphasis splits emphasis pieces that overlap without nesting: of bold
// "abcd" and italic "cdef", italic becomes "cd" (inside the bold) and "ef".
func nestEmphasis(ps []*piece) []*piece {
	sortPieces(ps)
	var stack []*piece
	for i := 0; i < len(ps); i++ {
		p := ps[i]
		for len(stack) > 0 && stack[len(stack)-1].end <= p.start {
			stack = stack[:len(stack)-1]
		}
		if n := len(stack); n > 0 && stack[n-1].end < p.end {
			rest := *p
			p.end, rest.start = stack[n-1].end, stack[n-1].end
			ps = append(ps, &rest)
			sortPieces(ps[i+1:]) // the pieces not yet visited
		}
		stack = append(stack, p)
	}
	return ps
}

// findAutolinks finds in text[a:b] what GFM (and marked) would link without
// any markup: runs of non-space text from a "scheme://" or "www." to the
// next space or "<", and runs with an "@" followed by a "." (e-mail
// addresses). It errs on the side of finding too much.
func findAutolinks(text string, a, b int) []*piece {
	var found []*piece
	line := text[a:b]
	for i := 0; i < len(line); {
		r, n := utf8.DecodeRuneInString(line[i:])
		if isMarkdownSpace(r) || r == '<' {
			i += n
			continue
		}
		j := i
		for j < len(line) {
			r, n := utf8.DecodeRuneInString(line[j:])
			if isMarkdownSpace(r) || r == '<' {
				break
			}
			j += n
		}
		word := strings.ToLower(line[i:j])
		start := -1
		if k := strings.Index(word, "://"); k >= 0 {
			start = k
			for start > 0 && isSchemeByte(word[start-1]) {
				start--
			}
		}
		if k := strings.Index(word, "www."); k >= 0 && (start < 0 || k < start) {
			start = k
		}
		if at := strings.IndexByte(word, '@'); at >= 0 && strings.IndexByte(word[at:], '.') >= 0 {
			start = 0
		}
		if start >= 0 {
			found = append(found, &piece{span: span{kind: spanAutolink, start: a + i + start, end: a + j}})
		}
		i = j
	}
	return found
}

func isSchemeByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'
}

// trim moves an emphasis piece's edges inwards past whitespace (whole
// grapheme clusters of it), stopping at code spans and links, which count as
// content. It reports false when nothing is left.
func trim(p *piece, text string, x *textIndex, atoms []*piece) bool {
	startsAtom := func(i int) bool {
		for _, a := range atoms {
			if a.start == i && a.end <= p.end {
				return true
			}
		}
		return false
	}
	endsAtom := func(i int) bool {
		for _, a := range atoms {
			if a.end == i && a.start >= p.start {
				return true
			}
		}
		return false
	}
	for p.start < p.end && !startsAtom(p.start) {
		r, _ := utf8.DecodeRuneInString(text[p.start:])
		if !isMarkdownSpace(r) {
			break
		}
		p.start = min(x.nextCluster(p.start), p.end)
	}
	for p.end > p.start && !endsAtom(p.end) {
		q := max(x.prevCluster(p.end), p.start)
		r, _ := utf8.DecodeRuneInString(text[q:])
		if !isMarkdownSpace(r) {
			break
		}
		p.end = q
	}
	return p.start < p.end
}

// layout renders text[a:b] with the pieces that are not dropped, which nest
// and are sorted outermost first, and records where each marker landed.
func layout(text string, a, b int, ps []*piece) (string, []insertion) {
	var out []byte
	var ins []insertion
	add := func(s string) {
		ins = append(ins, insertion{at: len(out), n: len(s)})
		out = append(out, s...)
	}
	var stack []*piece
	inLink, inCode := 0, 0
	next := 0
	for pos := a; ; {
		for len(stack) > 0 && stack[len(stack)-1].end == pos {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			p.closeAt = len(out)
			switch p.kind {
			case spanLink:
				inLink--
				add("](" + p.url + ")")
			case spanCode:
				inCode--
				fence, pad := codeSpanFence(text[p.start:p.end])
				add(pad + fence)
			default:
				add(p.delimiter())
			}
			p.closeLen = len(out) - p.closeAt
		}
		if pos == b {
			return string(out), ins
		}
		for ; next < len(ps) && ps[next].start <= pos; next++ {
			p := ps[next]
			if p.dropped {
				continue
			}
			stack = append(stack, p)
			switch p.kind {
			case spanLink:
				inLink++
				escapeBang(&out, &ins)
				p.openAt = len(out)
				add("[")
			case spanCode:
				inCode++
				p.openAt = len(out)
				fence, pad := codeSpanFence(text[p.start:p.end])
				add(fence + pad)
			default:
				p.openAt = len(out)
				add(p.delimiter())
			}
			p.openLen = len(out) - p.openAt
		}
		end := b
		if len(stack) > 0 {
			end = stack[len(stack)-1].end
		}
		for _, p := range ps[next:] {
			if !p.dropped {
				end = min(end, p.start)
				break
			}
		}
		chunk := text[pos:end]
		if inLink > 0 && inCode == 0 {
			// Brackets and backslashes would end or break the link text.
			for i := 0; i < len(chunk); i++ {
				if c := chunk[i]; c == '[' || c == ']' || c == '\\' {
					add(`\`)
				}
				out = append(out, chunk[i])
			}
		} else {
			out = append(out, chunk...)
		}
		pos = end
	}
}

// escapeBang escapes a '!' just before a link, which would make it an image.
func escapeBang(out *[]byte, ins *[]insertion) {
	o := *out
	if len(o) == 0 || o[len(o)-1] != '!' {
		return
	}
	backslashes := 0
	for i := len(o) - 2; i >= 0 && o[i] == '\\'; i-- {
		backslashes++
	}
	if backslashes%2 == 1 {
		return // already escaped
	}
	*ins = append(*ins, insertion{at: len(o) - 1, n: 1})
	*out = append(o[:len(o)-1], '\\', '!')
}

// codeSpanFence returns the backticks around an inline code span of content
// s, and the space to pad it with when it begins or ends with a backtick
// or with spaces that CommonMark would strip.
func codeSpanFence(s string) (fence, pad string) {
	fence = codeFence(s, 1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") ||
		strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ") && strings.Trim(s, " ") != "" {
		pad = " "
	}
	return fence, pad
}

// failures returns the pieces whose markers, where they landed in out,
// would not be read as intended.
func failures(out string, ps []*piece) map[*piece]bool {
	failing := map[*piece]bool{}
	for _, p := range ps {
		if !p.dropped && !markersWork(out, p) {
			failing[p] = true
		}
	}
	// Emphasis nested in emphasis of the same character ("*a **b**c*") is
	// read differently by different parsers (marked mismatches it whenever
	// a marker sits inside a word), so bold and italic that nest must use
	// different characters: "**a _b_ c**", "__a *b*c__".
	// ps is sorted outermost first and nests, so the emphasis pieces that
	// enclose a piece are on a stack.
	var stack []*piece
	for _, p := range ps {
		if p.dropped || !isEmphasis(p.kind) {
			continue
		}
		for len(stack) > 0 && stack[len(stack)-1].end <= p.start {
			stack = stack[:len(stack)-1]
		}
		for _, q := range stack {
			if out[q.openAt] == out[p.openAt] {
				failing[p], failing[q] = true, true
			}
		}
		stack = append(stack, p)
	}
	return failing
}

// fixOne changes one failing piece: it tries the next marker character of
// each, keeps the change that leaves the fewest failures, and when no
// change helps, renders one failing piece as plain text. It reports false
// when nothing fails. Pieces only move forward through their variants, so
// the loop that calls it ends.
func fixOne(text string, a, b int, ps []*piece, failing map[*piece]bool) {
	// In order, italic first (its fallback is the likeliest to work), for
	// determinism.
	var candidates []*piece
	for _, italic := range []bool{true, false} {
		for _, p := range ps {
			if failing[p] && (p.kind == spanItalic) == italic {
				candidates = append(candidates, p)
			}
		}
	}
	// Searching is quadratic; with absurd numbers of failing pieces on one
	// line, move them all on at once.
	if len(candidates) > 32 {
		for _, p := range candidates {
			p.variant++
			if !isEmphasis(p.kind) || p.delimiter() == "" {
				p.dropped = true
			}
		}
		return
	}
	count := func() int {
		out, _ := layout(text, a, b, ps)
		return len(failures(out, ps))
	}
	var best *piece
	bestCount := len(candidates)
	for _, p := range candidates {
		if !isEmphasis(p.kind) {
			continue
		}
		p.variant++
		if p.delimiter() != "" {
			if n := count(); n < bestCount {
				best, bestCount = p, n
			}
		}
		p.variant--
	}
	if best != nil {
		best.variant++
		return
	}
	bestCount = -1
	for _, p := range candidates {
		p.dropped = true
		if n := count(); bestCount < 0 || n < bestCount {
			best, bestCount = p, n
		}
		p.dropped = false
	}
	best.dropped = true
}

// markersWork reports whether a piece's markers, where they landed in out,
// will be read by a CommonMark/GFM parser as the piece's delimiters.
func markersWork(out string, p *piece) bool {
	before, after := func(i int) rune { return runeBefore(out, i) }, func(i int) rune { return runeAfter(out, i) }
	po, no := before(p.openAt), after(p.openAt+p.openLen)
	pc, nc := before(p.closeAt), after(p.closeAt+p.closeLen)
	if p.afterAutolink {
		return false
	}
	switch {
	case p.kind == spanCode:
		// A backtick next to the fence would lengthen it.
		return po != '`' && nc != '`'
	case isEmphasis(p.kind):
		c := rune(out[p.openAt])
		// A marker next to the same character merges into a longer run.
		if po == c || no == c || pc == c || nc == c {
			return false
		}
		return canOpen(c, po, no) && canClose(c, pc, nc)
	}
	return true
}

// runeBefore returns the rune before out[i:], or a space at the start of
// the line, which counts as whitespace.
func runeBefore(out string, i int) rune {
	if i == 0 {
		return ' '
	}
	r, _ := utf8.DecodeLastRuneInString(out[:i])
	return r
}

// runeAfter returns the rune at out[i:], or a space at the end of the line.
func runeAfter(out string, i int) rune {
	if i == len(out) {
		return ' '
	}
	r, _ := utf8.DecodeRuneInString(out[i:])
	return r
}

// dialect is a reading of CommonMark's delimiter rules: what counts as
// punctuation before and after a delimiter run.
type dialect struct{ prevPunct, nextPunct func(rune) bool }

// dialects are the readings a marker must work in: CommonMark 0.30 (ASCII
// and Unicode P punctuation), 0.31 (symbols such as emoji too) and marked,
// the UI's renderer, which follows 0.31 but in GFM mode does not count "~"
// as punctuation, and in some places counts an emoji before an opening
// delimiter as a letter.
var dialects = []dialect{
	{isPunct030, isPunct030},
	{isPunct031, isPunct031},
	{isPunctMarked, isPunctMarked},
	{isPunctMarkedPrev, isPunctMarked},
}

// canOpen reports whether a delimiter run of c between prev and next can
// open emphasis in every dialect.
func canOpen(c, prev, next rune) bool {
	for _, d := range dialects {
		left, right := leftFlanking(prev, next, d), rightFlanking(prev, next, d)
		if !left || c == '_' && right && !d.prevPunct(prev) {
			return false
		}
	}
	return true
}

// canClose is canOpen's counterpart for closing delimiters.
func canClose(c, prev, next rune) bool {
	for _, d := range dialects {
		left, right := leftFlanking(prev, next, d), rightFlanking(prev, next, d)
		if !right || c == '_' && left && !d.nextPunct(next) {
			return false
		}
	}
	return true
}

func leftFlanking(prev, next rune, d dialect) bool {
	return !isMarkdownSpace(next) && (!d.nextPunct(next) || isMarkdownSpace(prev) || d.prevPunct(prev))
}

func rightFlanking(prev, next rune, d dialect) bool {
	return !isMarkdownSpace(prev) && (!d.prevPunct(prev) || isMarkdownSpace(next) || d.nextPunct(next))
}

// isMarkdownSpace is CommonMark's Unicode whitespace.
func isMarkdownSpace(r rune) bool {
	return r == '\t' || r == '\n' || r == '\f' || r == '\r' || unicode.Is(unicode.Zs, r)
}

func isASCIIPunct(r rune) bool {
	return r < 0x80 && strings.ContainsRune("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", r)
}

func isPunct030(r rune) bool { return isASCIIPunct(r) || unicode.IsPunct(r) }

func isPunct031(r rune) bool { return isPunct030(r) || unicode.IsSymbol(r) }

func isPunctMarked(r rune) bool { return r != '~' && isPunct031(r) }

func isPunctMarkedPrev(r rune) bool { return r < 0x10000 && isPunctMarked(r) }
