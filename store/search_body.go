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
//
// Words are folded as they are read, rune by rune from the fold tables
// (search_fold_table.go), which spares the NFD of appendFolded; only a word with
// a rune the tables lack is folded whole by appendFolded.
func searchBody(content string) string {
	foldOnce.Do(buildFoldTables)
	sp := bodyScratch.Get().(*[]byte)
	b := (*sp)[:0]
	start, kind := -1, 0 // as in SearchSegments
	from, word := 0, wordFolding
	for i := 0; i < len(content); {
		var e foldEntry
		size := 1
		if c := content[i]; c < utf8.RuneSelf {
			e = foldTable[c]
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(content[i:])
			e = foldEntryOf(r)
		}
		k := e.kind()
		if k == 3 { // a mark continues whatever run it follows
			if start < 0 {
				i += size
				continue
			}
			k = kind
		}
		if (k != kind || k == 0) && start >= 0 {
			b = endSegment(b, content[start:i], kind == 2, from, word)
			start = -1
		}
		if k != 0 && start < 0 {
			start, from, word = i, len(b), wordFolding
		}
		kind = k
		if k == 1 && word == wordFolding {
			var ok bool
			if e&foldSlow != 0 {
				word = wordSlow
			} else if b, ok = e.appendFold(b, from); !ok {
				word = wordFull
			}
		}
		i += size
	}
	if start >= 0 {
		b = endSegment(b, content[start:], kind == 2, from, word)
	}
	body := string(b)
	if cap(b) <= maxScratch {
		*sp = b
		bodyScratch.Put(sp)
	}
	return body
}

// The state of the word searchBody is folding into b[from:].
const (
	wordFolding = iota
	wordFull    // at maxWordBytes: the rest of the word is cut
	wordSlow    // a rune the fold tables lack: appendFolded folds it all
)

var bodyScratch = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// maxScratch bounds the buffers kept for reuse, so that one huge memo
// does not pin its buffer.
const maxScratch = 64 << 10

// endSegment appends one segment's index tokens, each followed by a
// space; a word's are already in b[from:] unless it is slow.
func endSegment(b []byte, seg string, cjk bool, from, word int) []byte {
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
	if word == wordSlow {
		b = appendFolded(b[:from], seg)
	}
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
// sorted order. A memo has a few dozen tokens and few repeats, so it finds
// them with a hash set and sorts only them rather than every token.
//
// The set comes from a pool, not from an array on the stack: the store
// prepares tokens in the caller's goroutine (search_prepare.go), and for a
// CreateMemo that is a fresh HTTP/2 handler goroutine already deep in its
// first stack. A 3 KiB array there made Go grow and copy that stack once
// more per call, about as much CPU as FTS4's own insert (docs/benchmarks.md).
func searchRepeats(body string) string {
	n := strings.Count(body, " ") + 1 // at least the number of tokens
	if n < 2 {
		return ""
	}
	size := 16
	for size < 2*n {
		size <<= 1
	}
	sc := repeatScratch.Get().(*repeatSets)
	defer sc.put()
	if cap(sc.set) < size {
		sc.set = make([]repeatSlot, size)
	}
	set := sc.set[:size]
	clear(set)
	mask := uint32(size - 1)
	reps := sc.reps[:0]
	total := 0
	for start := 0; start < len(body); {
		end := strings.IndexByte(body[start:], ' ')
		if end < 0 {
			end = len(body)
		} else {
			end += start
		}
		if end > start {
			t := body[start:end]
			h := uint32(2166136261) // FNV-1a
			for i := 0; i < len(t); i++ {
				h = (h ^ uint32(t[i])) * 16777619
			}
			for j := h & mask; ; j = (j + 1) & mask {
				s := &set[j]
				if s.end == 0 {
					*s = repeatSlot{start: start, end: end}
					break
				}
				if body[s.start:s.end] == t {
					if !s.listed {
						s.listed = true
						reps = append(reps, t)
						total += len(t) + len(repeatMark) + 1
					}
					break
				}
			}
		}
		start = end + 1
	}
	sc.reps = reps // put clears it
	if len(reps) == 0 {
		return ""
	}
	slices.Sort(reps)
	var b strings.Builder
	b.Grow(total)
	for _, t := range reps {
		b.WriteString(t)
		b.WriteString(repeatMark)
		b.WriteByte(' ')
	}
	return b.String()
}

// repeatSlot is a token body[start:end] in searchRepeats' set (end 0: no
// token), listed once it has been seen twice.
type repeatSlot struct {
	start, end int
	listed     bool
}

// repeatSets is searchRepeats' scratch: its hash set and the repeats
// found.
type repeatSets struct {
	set  []repeatSlot
	reps []string
}

// maxRepeatSlots bounds the sets kept for reuse (a memo of a few thousand
// tokens), so that one huge memo does not pin its set.
const maxRepeatSlots = 8192

var repeatScratch = sync.Pool{New: func() any { return &repeatSets{set: make([]repeatSlot, 128), reps: make([]string, 0, 16)} }}

// put returns sc to the pool, holding no reference to the body it saw.
func (sc *repeatSets) put() {
	if cap(sc.set) > maxRepeatSlots {
		return
	}
	clear(sc.reps)
	sc.reps = sc.reps[:0]
	repeatScratch.Put(sc)
}
