package bot

import (
	"sort"
	"unicode"
	"unicode/utf8"
)

// textIndex maps Telegram entity offsets, which count UTF-16 code units, to
// byte offsets in a Go string, and knows where grapheme clusters start so
// that no Markdown marker is put inside one (between a letter and its
// combining accent, inside a ZWJ emoji sequence or a flag).
type textIndex struct {
	// starts[j] is the byte offset of rune j; starts[n] is len(text).
	starts []int
	// units[j] is the UTF-16 offset of rune j; units[n] is the text's
	// length in UTF-16 code units.
	units []int64
	// clusterByte[b] reports whether a grapheme cluster starts at byte b
	// (true at len(text)); false inside a rune.
	clusterByte []bool
	// clusterRune[j] reports whether a grapheme cluster starts at rune j.
	clusterRune []bool
}

const zwj = 0x200d

func newTextIndex(text string) *textIndex {
	n := utf8.RuneCountInString(text)
	x := &textIndex{
		starts:      make([]int, 0, n+1),
		units:       make([]int64, 0, n+1),
		clusterByte: make([]bool, len(text)+1),
		clusterRune: make([]bool, n+1),
	}
	var u int64
	var prev rune = -1
	riRun := 0 // regional indicators in a row, ending at prev
	for i, r := range text {
		j := len(x.starts)
		x.starts = append(x.starts, i)
		x.units = append(x.units, u)
		if r >= 0x10000 {
			u += 2
		} else {
			u++ // includes utf8.RuneError for each invalid byte
		}
		boundary := j == 0 || !(extendsCluster(r) || prev == zwj ||
			isRegionalIndicator(r) && riRun%2 == 1 ||
			prev == '\r' && r == '\n')
		x.clusterRune[j] = boundary
		x.clusterByte[i] = boundary
		if isRegionalIndicator(r) {
			riRun++
		} else {
			riRun = 0
		}
		prev = r
	}
	x.starts = append(x.starts, len(text))
	x.units = append(x.units, u)
	x.clusterRune[n] = true
	x.clusterByte[len(text)] = true
	return x
}

// extendsCluster reports whether r belongs to the grapheme cluster of the
// rune before it. This approximates Unicode's extended grapheme clusters
// (UAX #29) closely enough for marker placement: combining marks, joiners,
// variation selectors, emoji modifiers and tag characters.
func extendsCluster(r rune) bool {
	switch {
	case r < 0x300:
		return false
	case r == zwj,
		0xfe00 <= r && r <= 0xfe0f, 0xe0100 <= r && r <= 0xe01ef, // variation selectors
		0x1f3fb <= r && r <= 0x1f3ff, // skin-tone modifiers
		0xe0020 <= r && r <= 0xe007f: // tags (subdivision flags)
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc)
}

func isRegionalIndicator(r rune) bool { return 0x1f1e6 <= r && r <= 0x1f1ff }

// totalUnits is the text's length in UTF-16 code units.
func (x *textIndex) totalUnits() int64 { return x.units[len(x.units)-1] }

// byteRange converts an entity's offset and length to a byte range that
// starts and ends on grapheme cluster boundaries, growing outwards. It
// clamps ranges that stick out of the text and reports false for ranges
// that are empty, negative or entirely outside it.
func (x *textIndex) byteRange(offset, length int64) (start, end int, ok bool) {
	total := x.totalUnits()
	if length <= 0 || offset >= total {
		return 0, 0, false
	}
	s := max(offset, 0)
	var e int64
	switch {
	case offset < 0:
		e = offset + length // cannot overflow: offset < 0 < length
	case length > total-offset:
		e = total
	default:
		e = offset + length
	}
	e = min(e, total)
	if e <= s {
		return 0, 0, false
	}
	rs, re := x.runeAt(s, false), x.runeAt(e, true)
	for rs > 0 && !x.clusterRune[rs] {
		rs--
	}
	for re < len(x.clusterRune)-1 && !x.clusterRune[re] {
		re++
	}
	if rs >= re {
		return 0, 0, false
	}
	return x.starts[rs], x.starts[re], true
}

// runeAt returns the index of the rune at UTF-16 offset u. An offset inside a
// surrogate pair rounds down, or up when up is set.
func (x *textIndex) runeAt(u int64, up bool) int {
	j := sort.Search(len(x.units), func(j int) bool { return x.units[j] > u }) - 1
	if x.units[j] != u && up {
		j++
	}
	return j
}

// nextCluster returns the start of the cluster after the one at byte b.
func (x *textIndex) nextCluster(b int) int {
	for b++; b < len(x.clusterByte)-1 && !x.clusterByte[b]; b++ {
	}
	return b
}

// prevCluster returns the start of the cluster that ends at byte b.
func (x *textIndex) prevCluster(b int) int {
	for b--; b > 0 && !x.clusterByte[b]; b-- {
	}
	return b
}
