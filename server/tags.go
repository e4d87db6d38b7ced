package server

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

const maxTagLen = 128

// ExtractTags returns the #tags in Markdown content, in order of first
// appearance, without duplicates. A tag starts with '#' at the start of the
// text or after whitespace or punctuation other than '#', '&' and word
// characters, and runs over letters, digits, marks, '_', '-' and '/'.
// Headings ("# Title"), URL fragments ("page#x"), HTML entities ("&#39;"),
// inline code and fenced code blocks are not tags.
func ExtractTags(content string) []string {
	var tags []string
	seen := map[string]bool{}
	inFence := false
	for _, line := range strings.Split(content, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		for _, t := range lineTags(line) {
			if !seen[t] {
				seen[t] = true
				tags = append(tags, t)
			}
		}
	}
	return tags
}

func isTagRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r) || r == '_' || r == '-' || r == '/'
}

func lineTags(line string) []string {
	var out []string
	inCode := false
	prev := rune(' ')
	for i := 0; i < len(line); {
		r, w := utf8.DecodeRuneInString(line[i:])
		if r == '`' {
			inCode = !inCode
		}
		if r == '#' && !inCode && !isTagRune(prev) && prev != '#' && prev != '&' {
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
