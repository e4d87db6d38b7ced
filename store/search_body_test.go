package store

import (
	"math/rand"
	"strings"
	"testing"
	"unicode"
)

// referenceSearchBody is the token stream defined by SearchSegments, the
// definition searchBody must follow exactly.
func referenceSearchBody(content string) string {
	var b strings.Builder
	for _, s := range SearchSegments(content) {
		if !s.CJK {
			b.WriteString(s.Text + " ")
			continue
		}
		for _, t := range appendCJK(nil, s.Text, true) {
			b.WriteString(t + " ")
		}
	}
	return b.String()
}

func TestSearchBodyMatchesSegments(t *testing.T) {
	fixed := map[string]string{
		"empty":              "",
		"ascii":              "Memo 12: Meeting notes, the RELEASE plan!",
		"cjk run":            "今天读了关于量子纠缠的论文",
		"one cjk":            "a 量 b",
		"mixed":              "встреча завтра, café après #tag3 今天的会议 and ÉTÉ ёлка",
		"marks":              "\u0301e\u0301 x\u0308y 量\u0301子",
		"japanese":           "カタカナとひらがなー、한국어 텍스트",
		"long ascii word":    strings.Repeat("Ab", 50),
		"long accented":      strings.Repeat("é", 50),
		"invalid utf8":       "ab\xffcd 量\xff子",
		"digits and scripts": "٣٤٥ १२३ \ufeff Ⅻ ǅungla",
	}
	for name, in := range fixed {
		if got, want := searchBody(in), referenceSearchBody(in); got != want {
			t.Errorf("%s: searchBody(%q) = %q, want %q", name, in, got, want)
		}
	}
	// Random strings over the scripts and the boundaries that matter.
	pool := []rune("aZ09 -_,.\u00e9\u00c9\u0301\u0308ёЁжЖ量子纠缠のカタカナー한국\u3000\uff01\u1100\u2e80٣ǅ\ufeff\U00020000")
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		rs := make([]rune, rng.Intn(40))
		for j := range rs {
			rs[j] = pool[rng.Intn(len(pool))]
		}
		in := string(rs)
		if got, want := searchBody(in), referenceSearchBody(in); got != want {
			t.Fatalf("searchBody(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRuneKindFastPath checks runeKind's shortcut below U+1100 against the
// full classification, for every code point.
func TestRuneKindFastPath(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if got, want := runeKind(r), referenceRuneKind(r); got != want {
			t.Fatalf("runeKind(%U) = %d, want %d", r, got, want)
		}
	}
}

func referenceRuneKind(r rune) int {
	switch {
	case r < 0x80:
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return 1
		}
		return 0
	case unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r):
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return 2
		}
		return 0
	case unicode.IsMark(r):
		return 3
	case unicode.IsLetter(r) || unicode.IsDigit(r):
		return 1
	}
	return 0
}

func BenchmarkSearchBodyTokens(b *testing.B) {
	text := "Memo 1: meeting notes with the design team about the release plan, " +
		"今天的会议讨论了项目计划 and the budget; встреча завтра, café après #tag1"
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		searchBody(text)
	}
}
