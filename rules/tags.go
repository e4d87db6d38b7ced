package rules

import (
	"iter"
	"strings"
	"unicode"
	"unicode/utf8"
)

const maxTagLen = 128

// ExtractTags returns the #tags in Markdown content, in order of first
// appearance, without duplicates. A tag starts with '#' at the start of the
// text or after a character that is not a word character, '#' or '&', and
// runs over letters, digits, marks, '_', '-' and '/'. Headings ("# Title"),
// URL fragments ("page#x"), HTML entities ("&#39;"), code spans and fenced
// code blocks (CommonMark rules) are not tags.
func ExtractTags(content string) []string {
	var tags []string
	seen := map[string]bool{}
	for line := range proseLines(content) {
		for _, t := range lineTags(line) {
			if !seen[t] {
				seen[t] = true
				tags = append(tags, t)
			}
		}
	}
	return tags
}

// proseLines yields the lines of Markdown content that are outside fenced
// code blocks (the fences themselves left out too).
func proseLines(content string) iter.Seq[string] {
	return func(yield func(string) bool) {
		var fence string // the opening fence while inside a fenced block
		for line := range strings.SplitSeq(content, "\n") {
			if fence != "" {
				if closesFence(line, fence) {
					fence = ""
				}
				continue
			}
			if f := openingFence(line); f != "" {
				fence = f
				continue
			}
			if !yield(line) {
				return
			}
		}
	}
}

// openingFence returns the fence ("```", "~~~~", …) a line opens, if any:
// up to three spaces, then three or more backticks or tildes.
func openingFence(line string) string {
	trimmed := strings.TrimLeft(line, " ")
	if len(line)-len(trimmed) > 3 || len(trimmed) < 3 || (trimmed[0] != '`' && trimmed[0] != '~') {
		return ""
	}
	n := 0
	for n < len(trimmed) && trimmed[n] == trimmed[0] {
		n++
	}
	if n < 3 || (trimmed[0] == '`' && strings.Contains(trimmed[n:], "`")) {
		return ""
	}
	return trimmed[:n]
}

// closesFence reports whether line closes the fence: the same character,
// at least as long, and nothing else but spaces.
func closesFence(line, fence string) bool {
	trimmed := strings.TrimLeft(line, " ")
	if len(line)-len(trimmed) > 3 {
		return false
	}
	n := 0
	for n < len(trimmed) && trimmed[n] == fence[0] {
		n++
	}
	return n >= len(fence) && strings.TrimSpace(trimmed[n:]) == ""
}

func isTagRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r) || r == '_' || r == '-' || r == '/'
}

// codeSpanEnd returns the index just past the code span that starts with
// the backtick run at line[i:], or -1 if the run has no closing run of the
// same length (then it is literal text).
func codeSpanEnd(line string, i int) (runEnd, spanEnd int) {
	n := 0
	for i+n < len(line) && line[i+n] == '`' {
		n++
	}
	runEnd = i + n
	for j := runEnd; j < len(line); {
		if line[j] != '`' {
			j++
			continue
		}
		m := 0
		for j+m < len(line) && line[j+m] == '`' {
			m++
		}
		if m == n {
			return runEnd, j + m
		}
		j += m
	}
	return runEnd, -1
}

func lineTags(line string) []string {
	var out []string
	prev := rune(' ')
	for i := 0; i < len(line); {
		r, w := utf8.DecodeRuneInString(line[i:])
		if r == '`' {
			runEnd, spanEnd := codeSpanEnd(line, i)
			if spanEnd >= 0 {
				i, prev = spanEnd, '`'
			} else {
				i, prev = runEnd, '`'
			}
			continue
		}
		if r == '#' && !isTagRune(prev) && prev != '#' && prev != '&' {
			j := i + w
			for j < len(line) {
				r2, w2 := utf8.DecodeRuneInString(line[j:])
				if !isTagRune(r2) {
					break
				}
				j += w2
			}
			tag := strings.TrimRight(line[i+w:j], "/-")
			if tag != "" && len(tag) <= maxTagLen && !allDigits(tag) {
				out = append(out, tag)
			}
			if j > i+w {
				prev, _ = utf8.DecodeLastRuneInString(line[:j])
				i = j
				continue
			}
		}
		prev = r
		i += w
	}
	return out
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
