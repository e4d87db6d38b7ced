package store

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// What a "word" is for full-text search, shared by the index (whatever the
// dialect) and by callers that must agree with it (e.g. the rules' line
// matcher). Text splits into segments: runs of letters, digits and marks
// in scripts that separate words with spaces (folded: lower case, no
// diacritics, so "Élan" and "elan" are one word, and "ё" is "е"), and runs
// of CJK characters (Han, Hiragana, Katakana, Hangul), which have no
// spaces between words and are therefore indexed by character bigrams.
// Everything else separates segments.

// maxWordBytes bounds one indexed word; longer runs are cut (a base64 blob
// in a memo must not bloat the index).
const maxWordBytes = 64

// SearchSegment is one run of searchable text.
type SearchSegment struct {
	Text string // folded for words; as written for CJK runs
	CJK  bool
}

// SearchSegments splits s into searchable segments, in order.
func SearchSegments(s string) []SearchSegment {
	var out []SearchSegment
	start, kind := -1, 0 // kind: 1 word, 2 CJK
	flush := func(end int) {
		if start < 0 {
			return
		}
		if kind == 2 {
			out = append(out, SearchSegment{Text: s[start:end], CJK: true})
		} else if w := FoldWord(s[start:end]); w != "" {
			out = append(out, SearchSegment{Text: w})
		}
		start = -1
	}
	for i, r := range s {
		k := runeKind(r)
		if k == 3 { // a mark continues whatever run it follows
			if start < 0 {
				continue
			}
			k = kind
		}
		if k != kind || k == 0 {
			flush(i)
		}
		if k != 0 && start < 0 {
			start = i
		}
		kind = k
	}
	flush(len(s))
	return out
}

// runeKind: 0 separator, 1 word character, 2 CJK character, 3 mark.
func runeKind(r rune) int {
	switch {
	case r < 0x80:
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return 1
		}
		return 0
	case r >= 0x4e00 && r <= 0x9fff, r >= 0x3041 && r <= 0x3096, r >= 0x30a1 && r <= 0x30fa, r >= 0xac00 && r <= 0xd7a3:
		return 2 // the common CJK blocks, all letters (TestRuneKindFastPath)
	case r < 0x1100: // below the first CJK character (Hangul Jamo)
		switch {
		case unicode.IsMark(r):
			return 3
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			return 1
		}
		return 0
	case unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r):
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return 2
		}
		return 0 // e.g. the prolonged sound mark's neighbours, CJK punctuation
	case unicode.IsMark(r):
		return 3
	case unicode.IsLetter(r) || unicode.IsDigit(r):
		return 1
	}
	return 0
}

// FoldWord lower-cases w and strips its diacritics ("Éte" → "ete",
// "Ёлка" → "елка"), keeping only letters and digits, at most
// maxWordBytes bytes.
func FoldWord(w string) string {
	ascii := true
	for i := 0; i < len(w); i++ {
		if w[i] >= 0x80 {
			ascii = false
			break
		}
	}
	var b strings.Builder
	b.Grow(len(w))
	if ascii {
		for i := 0; i < len(w) && b.Len() < maxWordBytes; i++ {
			c := w[i]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
		}
		return b.String()
	}
	// Decomposed, the diacritics are marks to drop; what is left needs no
	// recomposition (composition only joins marks, and Hangul is CJK here).
	for _, r := range norm.NFD.String(w) {
		if unicode.IsMark(r) || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			continue
		}
		r = unicode.ToLower(r)
		if b.Len()+utf8.RuneLen(r) > maxWordBytes {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// cjkBigrams returns the overlapping character pairs of a CJK run, or the
// run itself when it is a single character.
func cjkBigrams(run string) []string {
	rs := []rune(run)
	if len(rs) == 1 {
		return []string{run}
	}
	out := make([]string, 0, len(rs)-1)
	for i := 0; i+1 < len(rs); i++ {
		out = append(out, string(rs[i:i+2]))
	}
	return out
}
