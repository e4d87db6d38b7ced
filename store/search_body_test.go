package store

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
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

// oldSearchBody and oldSearchRepeats are searchBody and searchRepeats as
// they were before the fold tables and the hash set, kept as references
// (folding each word with FoldWord, as appendFolded did).
func oldSearchBody(content string) string {
	b := make([]byte, 0, len(content)+len(content)/4+1)
	start, kind := -1, 0
	for i := 0; i < len(content); {
		r, size := rune(content[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(content[i:])
		}
		k := runeKind(r)
		if k == 3 {
			if start < 0 {
				i += size
				continue
			}
			k = kind
		}
		if (k != kind || k == 0) && start >= 0 {
			b = oldAppendSegment(b, content[start:i], kind == 2)
			start = -1
		}
		if k != 0 && start < 0 {
			start = i
		}
		kind = k
		i += size
	}
	if start >= 0 {
		b = oldAppendSegment(b, content[start:], kind == 2)
	}
	return string(b)
}

func oldAppendSegment(b []byte, seg string, cjk bool) []byte {
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
	b = append(b, FoldWord(seg)...)
	if len(b) == from {
		return b
	}
	return append(b, ' ')
}

func oldSearchRepeats(body string) string {
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

// randomSearchText is a random string over the scripts and boundaries the
// fold tables and searchBody's word states must get right.
func randomSearchText(rng *rand.Rand) string {
	pool := []string{
		"a", "Z", "0", "9", " ", " ", "-", ",", ".", "#", "\t", "\n",
		"é", "É", "\u0301", "\u0308", "\u0345", "\u0344", "\u034f", "\u20d7", "\ufe20", "\U0001d165",
		"ё", "Ё", "й", "Й", "ж", "Ж", "ѐ", "Ѷ", "α", "Ω", "ά", "ΐ", "ᾬ", "ς", "ϒ",
		"İ", "ı", "ß", "ẞ", "ǅ", "Ⱥ", "ȿ", "Ω", "K", "Å", "ﬁ", "Ａ", "ａ", "１", "ｶ", "\uff9e", "ー",
		"量", "子", "纠", "缠", "の", "カ", "タ", "한", "국", "\u1100", "\u1161", "\u3131", "\u2e80", "\u3000", "、", "。", "，", "！",
		"٣", "१", "ก", "\u0e31", "א", "\u05b7", "ا", "\u064b", "²", "Ⅻ", "ⅻ", "€", "—", "“", "…",
		"\ufeff", "\ufffd", "\ue000", "ꀀ", "\U00010400", "\U00010428", "\U00020000", "\U0001f600",
		"\xff", "\x80", "\xe4\xb8", "\xd0", "\xed\xa0\x80",
	}
	var b strings.Builder
	for n := rng.Intn(48); n > 0; n-- {
		p := pool[rng.Intn(len(pool))]
		if rng.Intn(16) == 0 { // a long word, cut at maxWordBytes
			p = strings.Repeat(p, 10+rng.Intn(60))
		}
		b.WriteString(p)
	}
	return b.String()
}

func TestSearchDocumentMatchesOld(t *testing.T) {
	fixed := []string{
		"", " ", "\u0301", "\u0301abc", "量\u0301子", "ab\xffcd 量\xff子",
		strings.Repeat("ж", 40), strings.Repeat("Ⱥ", 30), "a" + strings.Repeat("Ⱥ", 30),
		strings.Repeat("ǅ", 40) + "\U00010400", strings.Repeat("e\u0301", 40),
		strings.Repeat("x", 63) + "é" + "a", strings.Repeat("x", 62) + "Ⱥa",
		"ёлка Ёлка елка йод ЙОД", "Ἀθῆναι ἀθῆναι ΑΘΗΝΑΙ", "한국어 텍스트 한국어", "今天今天今天",
	}
	rng := rand.New(rand.NewSource(2))
	for i := 0; i < 50000; i++ {
		fixed = append(fixed, randomSearchText(rng))
	}
	for _, in := range fixed {
		body := searchBody(in)
		if want := oldSearchBody(in); body != want {
			t.Fatalf("searchBody(%q) = %q, want %q", in, body, want)
		}
		if got, want := searchDocument(in), (searchDoc{body, oldSearchRepeats(body)}); got != want {
			t.Fatalf("searchDocument(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSearchRepeatsMatchesOld holds searchRepeats to the sorting version
// for any string, many tokens and many repeats included.
func TestSearchRepeatsMatchesOld(t *testing.T) {
	toks := []string{"a", "b", "ab", "ba", "量子", "é", "\ue000", "x" + repeatMark, "", " "}
	rng := rand.New(rand.NewSource(3))
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		n := rng.Intn(12)
		if i%10 == 0 {
			n = rng.Intn(600)
		}
		for ; n > 0; n-- {
			if rng.Intn(4) == 0 {
				fmt.Fprintf(&b, "t%d", rng.Intn(300))
			} else {
				b.WriteString(toks[rng.Intn(len(toks))])
			}
			if rng.Intn(8) != 0 {
				b.WriteByte(' ')
			}
		}
		in := b.String()
		if got, want := searchRepeats(in), oldSearchRepeats(in); got != want {
			t.Fatalf("searchRepeats(%q) = %q, want %q", in, got, want)
		}
	}
}

// searchDocumentTexts is a realistic mix of memos: mostly English with a
// little Chinese, Russian and French, and a few in one language only.
func searchDocumentTexts() []string {
	texts := make([]string, 0, 64)
	for i := 0; i < 60; i++ {
		texts = append(texts, fmt.Sprintf("Memo %d: meeting notes with the design team about the release plan, "+
			"今天的会议讨论了项目计划 and the budget; встреча завтра, café après #tag%d", i, i%40))
	}
	return append(texts,
		"Встреча с командой дизайна завтра в десять: обсудим план релиза, бюджет и ёлку в офисе. Ещё раз проверить тесты.",
		"Réunion avec l'équipe de conception : le plan de sortie, le budget, les tâches à déléguer et le café après la réunion.",
		"今天读了关于量子纠缠的论文，明天和团队讨论项目计划和预算，下周发布新版本。",
		"Notes: the release plan is ready; the design review is on Friday, the budget review on Monday. Ask the team about the plan.",
	)
}

func BenchmarkSearchDocument(b *testing.B) {
	texts := searchDocumentTexts()
	n := 0
	for _, t := range texts {
		n += len(t)
	}
	b.SetBytes(int64(n / len(texts)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		searchDocument(texts[i%len(texts)])
	}
}

// BenchmarkSearchDocumentInFreshGoroutine runs searchDocument where the
// store runs it for a CreateMemo: in a new goroutine (an HTTP/2 handler's)
// whose stack is already most of its first 8 KiB deep. A large frame there
// costs a stack copy per call, which BenchmarkSearchDocument cannot see.
func BenchmarkSearchDocumentInFreshGoroutine(b *testing.B) {
	texts := searchDocumentTexts()
	b.ReportAllocs()
	done := make(chan struct{})
	for i := 0; i < b.N; i++ {
		go func() {
			deepThen(24, func() { searchDocument(texts[i%len(texts)]) })
			done <- struct{}{}
		}()
		<-done
	}
}

// deepThen calls fn under depth frames of about 200 bytes each.
//
//go:noinline
func deepThen(depth int, fn func()) {
	var pad [24]uint64
	if depth > 0 {
		pad[depth%len(pad)] = uint64(depth)
		deepThen(depth-1, fn)
		if pad[0] == 1<<63 {
			fn() // never: keeps pad alive
		}
		return
	}
	fn()
}
