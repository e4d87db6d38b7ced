package rules

import (
	"context"
	"strings"
	"unicode"

	"github.com/memoria-app/memoria/store"
)

// maxSearchTerms bounds the words and phrases of one search.
const maxSearchTerms = 32

// parseSearch parses the argument of the filter term search("…"): words
// separated by spaces, every one of which must match, and phrases in
// double quotes (search("\"exact phrase\" other")), whose words must
// appear in order. Words that are only punctuation are ignored; a search
// with nothing left to look for is refused.
func parseSearch(s string) (store.SearchQuery, error) {
	var q store.SearchQuery
	add := func(text string, phrase bool) error {
		if len(store.SearchSegments(text)) == 0 {
			if phrase {
				return invalid("filter: search phrase %q has no letters or digits", text)
			}
			return nil
		}
		if len(q.Terms) == maxSearchTerms {
			return invalid("filter: search takes at most %d words and phrases", maxSearchTerms)
		}
		q.Terms = append(q.Terms, store.SearchTerm{Text: text, Phrase: phrase})
		return nil
	}
	rest := s
	for {
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		if rest == "" {
			break
		}
		if body, ok := strings.CutPrefix(rest, `"`); ok {
			end := strings.IndexByte(body, '"')
			if end < 0 {
				return q, invalid("filter: search phrase %q has no closing double quote", rest)
			}
			if err := add(body[:end], true); err != nil {
				return q, err
			}
			rest = body[end+1:]
			continue
		}
		end := strings.IndexFunc(rest, func(r rune) bool { return unicode.IsSpace(r) || r == '"' })
		if end < 0 {
			end = len(rest)
		}
		if err := add(rest[:end], false); err != nil {
			return q, err
		}
		rest = rest[end:]
	}
	if len(q.Terms) == 0 {
		return q, invalid("filter: search(%q) has no word to look for (letters or digits)", s)
	}
	return q, nil
}

// MatchingLine returns the line of content (trimmed) where a search for
// query matched: the first line holding every word and phrase of the
// query, else the first holding the most of them, else the first
// non-blank line. Words compare as the index does: case- and
// accent-insensitive, CJK text inside longer runs. For showing a hit, e.g.
// in Telegram's /search.
func MatchingLine(content, query string) string {
	q, err := parseSearch(query)
	if err != nil {
		q = store.SearchQuery{}
	}
	var units [][]string
	for _, t := range q.Terms {
		if t.Phrase {
			units = append(units, lineTokens(t.Text))
			continue
		}
		for _, s := range store.SearchSegments(t.Text) {
			units = append(units, segmentTokens(nil, s))
		}
	}
	best, bestN := "", -1
	for _, line := range strings.Split(content, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		toks := lineTokens(line)
		n := 0
		for _, u := range units {
			if containsRun(toks, u) {
				n++
			}
		}
		if n > bestN {
			best, bestN = line, n
			if n == len(units) {
				break
			}
		}
	}
	return best
}

// lineTokens is s as the index sees it, CJK runs split into characters.
func lineTokens(s string) []string {
	var out []string
	for _, seg := range store.SearchSegments(s) {
		out = segmentTokens(out, seg)
	}
	return out
}

func segmentTokens(out []string, seg store.SearchSegment) []string {
	if !seg.CJK {
		return append(out, seg.Text)
	}
	for _, r := range seg.Text {
		out = append(out, string(r))
	}
	return out
}

// containsRun reports whether want occurs in toks as a contiguous run.
func containsRun(toks, want []string) bool {
	if len(want) == 0 {
		return false
	}
outer:
	for i := 0; i+len(want) <= len(toks); i++ {
		for j, w := range want {
			if toks[i+j] != w {
				continue outer
			}
		}
		return true
	}
	return false
}

// searchMemos is ListMemos with a search() term: best matches first, then
// newest; see encodeSearchPageToken for the paging.
func (r *Rules) searchMemos(ctx context.Context, q store.MemoQuery, s store.SearchQuery, after *store.SearchCursor, filter string, n int) ([]store.Memo, string, error) {
	hits, err := r.db.SearchMemos(ctx, q, s, after)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(hits) > n {
		hits = hits[:n]
		next = encodeSearchPageToken(hits[n-1].Cursor(), filter)
	}
	ms := make([]store.Memo, len(hits))
	for i, h := range hits {
		ms[i] = h.Memo
	}
	return ms, next, nil
}
