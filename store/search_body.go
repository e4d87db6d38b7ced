package store

import (
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// searchBody is what the index holds for a memo's content: its folded
// words, and for each CJK run its bigrams and last character, in order,
// separated by spaces. A one-character query finds the character as the
// prefix of a bigram or as a run's last character.
//
// It is the token stream of SearchSegments (each word as FoldWord makes
// it, each CJK run as appendCJK with its last character), written straight
// into one buffer: it runs for every memo written, and building a segment
// slice and a string per word cost as much as FTS's own insert.
// TestSearchBodyMatchesSegments holds the two to the same output.
func searchBody(content string) string {
	b := make([]byte, 0, len(content)+len(content)/4+1)
	start, kind := -1, 0 // as in SearchSegments
	for i := 0; i < len(content); {
		r, size := rune(content[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(content[i:])
		}
		k := runeKind(r)
		if k == 3 { // a mark continues whatever run it follows
			if start < 0 {
				i += size
				continue
			}
			k = kind
		}
		if (k != kind || k == 0) && start >= 0 {
			b = appendSegment(b, content[start:i], kind == 2)
			start = -1
		}
		if k != 0 && start < 0 {
			start = i
		}
		kind = k
		i += size
	}
	if start >= 0 {
		b = appendSegment(b, content[start:], kind == 2)
	}
	return string(b)
}

// appendSegment appends one segment's index tokens, each followed by a
// space.
func appendSegment(b []byte, seg string, cjk bool) []byte {
	if cjk {
		prev, n := 0, 0
		last := 0
		for i := range seg {
			if n > 0 {
				_, size := utf8.DecodeRuneInString(seg[i:])
				b = append(append(b, seg[prev:i+size]...), ' ')
				prev = i
			}
			last = i
			n++
		}
		if n == 1 {
			return append(append(b, seg...), ' ')
		}
		return append(append(b, seg[last:]...), ' ')
	}
	from := len(b)
	b = appendFolded(b, seg)
	if len(b) == from {
		return b
	}
	return append(b, ' ')
}

// appendFolded appends FoldWord(w).
func appendFolded(b []byte, w string) []byte {
	ascii := true
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		if len(w) > maxWordBytes {
			w = w[:maxWordBytes]
		}
		for i := 0; i < len(w); i++ {
			c := w[i]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
		}
		return b
	}
	sp := nfdScratch.Get().(*[]byte)
	d := norm.NFD.AppendString((*sp)[:0], w)
	from := len(b)
	for i := 0; i < len(d); {
		r, size := utf8.DecodeRune(d[i:])
		i += size
		if unicode.IsMark(r) || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			continue
		}
		r = unicode.ToLower(r)
		if len(b)-from+utf8.RuneLen(r) > maxWordBytes {
			break
		}
		b = utf8.AppendRune(b, r)
	}
	*sp = d
	nfdScratch.Put(sp)
	return b
}

var nfdScratch = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// repeatMark ends a token of the index's repeats column: U+E000 is a
// private-use character that folding never keeps (it is neither a letter
// nor a digit), so no word and no query token ever ends with it.
const repeatMark = "\uE000"

// searchDoc is what the index holds for one memo: body, its token stream
// (searchBody), and repeats, each token that occurs in body more than once,
// once, followed by repeatMark. repeats is what lets a search order most of
// its matches without scoring them (see SearchMemos): a memo in which no
// token of the query repeats has the lowest score the query can give.
type searchDoc struct {
	body, repeats string
}

// searchDocument is the index document of content.
func searchDocument(content string) searchDoc {
	body := searchBody(content)
	return searchDoc{body: body, repeats: searchRepeats(body)}
}

// searchRepeats lists the tokens of body (space-separated, as searchBody
// writes them) that occur more than once, each once with repeatMark, in
// sorted order.
func searchRepeats(body string) string {
	var buf [64]string
	toks := buf[:0]
	for start := 0; start < len(body); {
		end := strings.IndexByte(body[start:], ' ')
		if end < 0 {
			end = len(body) - start
		}
		if end > 0 {
			toks = append(toks, body[start:start+end])
		}
		start += end + 1
	}
	slices.Sort(toks)
	var b []byte
	for i := 1; i < len(toks); i++ {
		if toks[i] == toks[i-1] && (i == 1 || toks[i-2] != toks[i]) {
			b = append(append(append(b, toks[i]...), repeatMark...), ' ')
		}
	}
	return string(b)
}
