package rules

import "strings"

// maxMentions bounds how many users one memo can notify.
const maxMentions = 20

// ExtractMentions returns the Memoria usernames mentioned in Markdown
// content as @username, in order of first appearance, without duplicates.
// A mention starts with '@' at the start of the text or after a character
// that is not a letter, digit, '_', '-', '.', '@', '\' (a Markdown escape)
// or '/', and runs over the characters usernames may hold (ASCII letters,
// digits, '_', '-', '.'), without a trailing '.' or '-' ("thanks @ann." is
// ann). E-mail addresses ("ann@example.com"), words that are URLs or
// hold one ("https://example.com/@ann", a link's target), code spans and
// fenced code blocks mention nobody. At most 20 are returned.
func ExtractMentions(content string) []string {
	if strings.IndexByte(content, '@') < 0 {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for line := range proseLines(content) {
		for _, name := range lineMentions(line) {
			if !seen[name] && len(out) < maxMentions {
				seen[name] = true
				out = append(out, name)
			}
		}
	}
	return out
}

func isUsernameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}

// blocksMention reports whether a mention cannot start right after c.
func blocksMention(c byte) bool {
	return isUsernameByte(c) || c == '@' || c == '\\' || c == '/' || c >= 0x80
}

func lineMentions(line string) []string {
	var out []string
	wordStart := 0 // where the current whitespace-separated word starts
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			wordStart = i + 1
		case c == '`':
			runEnd, spanEnd := codeSpanEnd(line, i)
			if spanEnd >= 0 {
				i = spanEnd - 1
			} else {
				i = runEnd - 1
			}
		case c == '@' && (i == 0 || !blocksMention(line[i-1])) && !inURL(line, wordStart, i):
			j := i + 1
			for j < len(line) && isUsernameByte(line[j]) {
				j++
			}
			name := strings.TrimRight(line[i+1:j], ".-")
			if name != "" && len(name) <= 32 {
				out = append(out, name)
			}
			i = j - 1
		}
	}
	return out
}

// inURL reports whether the '@' at i belongs to a URL: the part of its
// word before it (from wordStart, or after the last '(' or '<', where a
// Markdown link's target starts) has a scheme ("://", "mailto:") or starts
// with "www.".
func inURL(line string, wordStart, i int) bool {
	before := strings.ToLower(line[wordStart:i])
	if k := strings.LastIndexAny(before, "(<"); k >= 0 {
		before = before[k+1:]
	}
	return strings.Contains(before, "://") || strings.HasPrefix(before, "mailto:") || strings.HasPrefix(before, "www.")
}
